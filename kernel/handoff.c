// SPDX-License-Identifier: GPL-2.0
/*
 * The hand-over of a spawned process: the helper's success reply names its
 * child and the child's pipes (or pty master) by numbers valid in the
 * helper's pid namespace and fd table. They are checked and resolved here,
 * in the helper's write() context, and given to the session, which owns
 * them from then on: the helper may die without any session losing its
 * process or its output.
 */

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/major.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/threads.h>
#include <net/netlink.h>

#include "sbexec.h"

/**
 * sbexec_kill_child - SIGKILL a helper's child and its process group
 * @pid: the child (it may have called setsid(): both are signalled)
 */
void sbexec_kill_child(struct pid *pid)
{
	kill_pgrp(pid, SIGKILL, 1);
	kill_pid(pid, SIGKILL, 1);
}

/* Take a reference on the helper's fd @attr and check what it is. */
static struct file *sbexec_get_fd(struct nlattr *attr, fmode_t mode,
				  bool pty)
{
	struct file *file;
	struct inode *inode;
	bool ok;

	if (!attr)
		return ERR_PTR(-EINVAL);
	file = fget(nla_get_u32(attr));
	if (!file)
		return ERR_PTR(-EBADF);
	inode = file_inode(file);
	if (pty)
		ok = S_ISCHR(inode->i_mode) && imajor(inode) == TTYAUX_MAJOR &&
		     iminor(inode) == 2;
	else
		ok = S_ISFIFO(inode->i_mode);
	if (!ok || (file->f_mode & mode) != mode) {
		fput(file);
		return ERR_PTR(-EINVAL);
	}
	return file;
}

/**
 * sbexec_helper_child - the helper's child a reply names
 * @attr: SBEXEC_UA_PID, a pid in the helper's pid namespace, or NULL
 *
 * Called in the helper's write() context (current is the helper).
 *
 * Return: the process, with a reference, when it is a child of the
 * helper; ERR_PTR(-EINVAL) without @attr, ERR_PTR(-ESRCH) otherwise.
 */
struct pid *sbexec_helper_child(struct nlattr *attr)
{
	struct task_struct *tsk;
	struct pid *pid;
	u32 nr;
	bool ours;

	if (!attr)
		return ERR_PTR(-EINVAL);
	nr = nla_get_u32(attr);
	if (nr > PID_MAX_LIMIT)
		return ERR_PTR(-ESRCH);
	pid = find_get_pid(nr);
	if (!pid)
		return ERR_PTR(-ESRCH);
	rcu_read_lock();
	tsk = pid_task(pid, PIDTYPE_PID);
	ours = tsk && thread_group_leader(tsk) &&
	       rcu_dereference(tsk->real_parent)->tgid == current->tgid;
	rcu_read_unlock();
	if (!ours) {
		put_pid(pid);
		return ERR_PTR(-ESRCH);
	}
	return pid;
}

/*
 * The read ends of the stdout and stderr pipes a pipe-mode reply names; a
 * session with output files (DIRECT_OUTPUT) takes neither, and a reply
 * naming one is invalid.
 */
static int sbexec_get_output_fds(struct sbexec_session *s, struct nlattr **tb,
				 struct file **out, struct file **err)
{
	if (s->flags & SBEXEC_EXEC_F_DIRECT_OUTPUT)
		return tb[SBEXEC_UA_STDOUT_FD] || tb[SBEXEC_UA_STDERR_FD] ?
		       -EINVAL : 0;
	*out = sbexec_get_fd(tb[SBEXEC_UA_STDOUT_FD], FMODE_READ, false);
	if (IS_ERR(*out))
		return PTR_ERR(*out);
	*err = sbexec_get_fd(tb[SBEXEC_UA_STDERR_FD], FMODE_READ, false);
	if (IS_ERR(*err)) {
		fput(*out);
		return PTR_ERR(*err);
	}
	return 0;
}

/**
 * sbexec_handoff - take over the process of a success reply
 * @s: the session being started
 * @forked: the child the helper reported forked for it, or NULL
 * @tb: the reply's attributes, checked against the reply policy
 *
 * Resolves the pid (a child of the helper, in the helper's pid namespace,
 * @forked if the helper reported one) and takes references on the fds in
 * the helper's table, then starts the session. On error nothing is kept
 * and the child is killed if it was resolved.
 *
 * Return: 0 when the session was started; -EINVAL, -EBADF or -ESRCH for a
 * reply that does not describe a valid process and files.
 */
int sbexec_handoff(struct sbexec_session *s, struct pid *forked,
		   struct nlattr **tb)
{
	struct file *in = NULL, *out = NULL, *err = NULL;
	struct pid *pid;
	int ret;

	pid = sbexec_helper_child(tb[SBEXEC_UA_PID]);
	if (IS_ERR(pid))
		return PTR_ERR(pid);
	if (forked && forked != pid) {
		ret = -EINVAL;
		goto err_kill;
	}

	if (s->tty) {
		if (tb[SBEXEC_UA_STDIN_FD] || tb[SBEXEC_UA_STDOUT_FD] ||
		    tb[SBEXEC_UA_STDERR_FD]) {
			ret = -EINVAL;
			goto err_kill;
		}
		out = sbexec_get_fd(tb[SBEXEC_UA_PTY_FD],
				    FMODE_READ | FMODE_WRITE, true);
		if (IS_ERR(out)) {
			ret = PTR_ERR(out);
			goto err_kill;
		}
	} else {
		if (tb[SBEXEC_UA_PTY_FD]) {
			ret = -EINVAL;
			goto err_kill;
		}
		in = sbexec_get_fd(tb[SBEXEC_UA_STDIN_FD], FMODE_WRITE, false);
		if (IS_ERR(in)) {
			ret = PTR_ERR(in);
			goto err_kill;
		}
		ret = sbexec_get_output_fds(s, tb, &out, &err);
		if (ret)
			goto err_put_in;
	}
	sbexec_session_start(s, pid, in, out, err);
	return 0;

err_put_in:
	fput(in);
err_kill:
	sbexec_kill_child(pid);
	put_pid(pid);
	return ret;
}
