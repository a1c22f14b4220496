// SPDX-License-Identifier: GPL-2.0
/*
 * sbexec sessions: the table of sessions by id, admission against the
 * limits, and a session's life cycle: created by EXEC, started when the
 * helper hands its process over, signalled, taken out of the table, and
 * freed after its last reference. Kill-on-close: a closed client socket
 * kills and forgets the sessions it started. The deadline: SIGTERM to every
 * process of a session at its TIMEOUT_MS, SIGKILL its GRACE_MS later.
 *
 * A session's I/O is io.c's, its reader's side reader.c's; its processes
 * (members.c) are every process its first one created.
 */

#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/xarray.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>

#include "sbexec.h"

/*
 * Session ids to sessions. Entries are inserted by sbexec_session_new()
 * and erased by sbexec_session_remove(); the xarray's own lock serialises
 * both. Lookups run under RCU and take a reference.
 */
static DEFINE_XARRAY_ALLOC1(sbexec_sessions);
static u32 sbexec_next_id;	/* protected by the xa_lock of sbexec_sessions */
static atomic_t sbexec_nr_sessions = ATOMIC_INIT(0);
/* Bytes of ring data of all sessions, against max_ring_memory_kb. */
static atomic64_t sbexec_ring_memory_used = ATOMIC64_INIT(0);

static void sbexec_admission_fail(struct sbexec_failure *fail,
				  const char *what, const char *param,
				  unsigned int value)
{
	/* Becomes the extack message too: at most 79 characters. */
	sbexec_failure_set(fail, SBEXEC_FAIL_RESOURCE_LIMIT,
			   SBEXEC_STAGE_ADMISSION, EAGAIN,
			   "%.12s limit reached (%.20s=%u); retry later",
			   what, param, value);
	sbexec_failure_name_errno(fail);
}

/*
 * The deadline came: SIGTERM to every process of the session, then (this
 * work again, grace_ms later) SIGKILL. A session whose exit record is
 * queued, or that has no process left, is past its deadline's reach.
 */
static void sbexec_deadline_work(struct work_struct *work)
{
	struct sbexec_session *s = container_of(to_delayed_work(work),
						struct sbexec_session,
						deadline_work);
	bool final;

	spin_lock(&s->lock);
	final = s->final_queued;
	spin_unlock(&s->lock);
	if (final || !sbexec_members_live(s))
		return;
	if (s->deadline_termed) {
		sbexec_members_kill(s, SIGKILL);
		return;
	}
	s->deadline_termed = true;
	WRITE_ONCE(s->timed_out, true);
	sbexec_members_kill(s, SIGTERM);
	queue_delayed_work(sbexec_wq, &s->deadline_work,
			   msecs_to_jiffies(s->grace_ms));
}

/**
 * sbexec_session_new - admit and allocate a session for an EXEC request
 * @p: what the session is
 * @fail: filled in when a limit is reached
 *
 * Return: the session (one reference for the caller, one for the table),
 * ERR_PTR(-EAGAIN) with @fail set at a limit, or ERR_PTR(-ENOMEM).
 */
struct sbexec_session *sbexec_session_new(const struct sbexec_params *p,
					  struct sbexec_failure *fail)
{
	unsigned int max = READ_ONCE(sbexec_max_sessions);
	u64 max_mem = (u64)READ_ONCE(sbexec_max_ring_memory_kb) * 1024;
	u64 ring_bytes = sbexec_ring_data_size(p->ring_size);
	struct sbexec_session *s;
	int err;

	if (atomic_inc_return(&sbexec_nr_sessions) > max) {
		atomic_dec(&sbexec_nr_sessions);
		sbexec_admission_fail(fail, "session", "max_sessions", max);
		return ERR_PTR(-EAGAIN);
	}
	if (atomic64_add_return(ring_bytes, &sbexec_ring_memory_used) > max_mem) {
		atomic64_sub(ring_bytes, &sbexec_ring_memory_used);
		atomic_dec(&sbexec_nr_sessions);
		sbexec_admission_fail(fail, "ring memory",
				      "max_ring_memory_kb",
				      (unsigned int)(max_mem >> 10));
		return ERR_PTR(-EAGAIN);
	}

	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s) {
		err = -ENOMEM;
		goto err_uncount;
	}
	s->ring_bytes = ring_bytes;
	s->cmd = kstrdup(p->cmd, GFP_KERNEL_ACCOUNT);
	if (!s->cmd) {
		err = -ENOMEM;
		goto err_free;
	}
	if (p->user) {
		s->user = kstrdup(p->user, GFP_KERNEL_ACCOUNT);
		if (!s->user) {
			err = -ENOMEM;
			goto err_free_cmd;
		}
	}
	if (p->flags & SBEXEC_EXEC_F_DIRECT_OUTPUT) {
		err = sbexec_io_sinks_new(s);
		if (err)
			goto err_free_sinks;
	}
	err = sbexec_ring_init(&s->ring, p->ring_size);
	if (err)
		goto err_free_sinks;

	kref_init(&s->ref);
	kref_get(&s->ref);	/* the table's */
	s->tty = p->tty;
	s->flags = p->flags;
	s->owner_portid = p->owner_portid;
	s->owner = get_pid(task_tgid(current));
	s->max_members = p->max_members;
	s->linger_ms = p->linger_ms;
	s->timeout_ms = p->timeout_ms;
	s->grace_ms = p->grace_ms;
	s->start_ns = ktime_get_boottime_ns();
	sbexec_members_setup(s);
	INIT_DELAYED_WORK(&s->deadline_work, sbexec_deadline_work);
	atomic64_set(&s->bytes_out, 0);
	sbexec_io_init(s);
	mutex_init(&s->read_lock);
	init_waitqueue_head(&s->rwait);
	spin_lock_init(&s->lock);
	s->in_table = true;

	err = xa_alloc_cyclic(&sbexec_sessions, &s->id, s, xa_limit_32b,
			      &sbexec_next_id, GFP_KERNEL);
	if (err < 0)
		goto err_free_ring;
	return s;

err_free_ring:
	sbexec_ring_destroy(&s->ring);
err_free_sinks:
	sbexec_io_sinks_detach(s);
	kfree(s->user);
err_free_cmd:
	kfree(s->cmd);
err_free:
	kfree(s);
err_uncount:
	atomic64_sub(ring_bytes, &sbexec_ring_memory_used);
	atomic_dec(&sbexec_nr_sessions);
	return ERR_PTR(err);
}

static void sbexec_session_free_rwork(struct work_struct *work)
{
	struct sbexec_session *s =
		container_of(to_rcu_work(work), struct sbexec_session,
			     free_rwork);

	/* No waiter, probe, reader or table can queue io_work any more. */
	cancel_work_sync(&s->io_work);
	sbexec_io_free(s);
	put_pid(s->pid);
	put_pid(s->owner);
	sbexec_ring_destroy(&s->ring);
	kfree(s->user);
	kfree(s->cmd);
	atomic64_sub(s->ring_bytes, &sbexec_ring_memory_used);
	kfree(s);
}

static void sbexec_session_release(struct kref *ref)
{
	struct sbexec_session *s = container_of(ref, struct sbexec_session,
						ref);

	/*
	 * After sbexec_io_stop() no file's callback can queue io_work. The
	 * probes may still queue it until a grace period after the members
	 * are released: the free work cancels it again before anything is
	 * freed.
	 */
	cancel_delayed_work_sync(&s->deadline_work);
	sbexec_io_stop(s);
	/*
	 * Its output files' writers find no session from now on; io_work,
	 * which wakes them, does nothing any more.
	 */
	sbexec_io_sinks_detach(s);
	sbexec_members_release(s);
	INIT_RCU_WORK(&s->free_rwork, sbexec_session_free_rwork);
	queue_rcu_work(sbexec_wq, &s->free_rwork);
}

/**
 * sbexec_session_put - drop a reference
 * @s: the session (may be NULL)
 *
 * Must be called from process context.
 */
void sbexec_session_put(struct sbexec_session *s)
{
	if (s)
		kref_put(&s->ref, sbexec_session_release);
}

/**
 * sbexec_session_lookup - find a started session by id
 * @id: session id
 *
 * Return: the session with a reference taken, or NULL.
 */
struct sbexec_session *sbexec_session_lookup(u32 id)
{
	struct sbexec_session *s;

	rcu_read_lock();
	s = xa_load(&sbexec_sessions, id);
	if (s && (!READ_ONCE(s->state) || !kref_get_unless_zero(&s->ref)))
		s = NULL;
	rcu_read_unlock();
	return s;
}

/**
 * sbexec_session_next - iterate started sessions in id order
 * @id: in: first id to consider; out: the id of the returned session
 *
 * Return: the session with a reference taken, or NULL at the end.
 */
struct sbexec_session *sbexec_session_next(unsigned long *id)
{
	struct sbexec_session *s;

	rcu_read_lock();
	xa_for_each_start(&sbexec_sessions, *id, s, *id) {
		if (READ_ONCE(s->state) && kref_get_unless_zero(&s->ref))
			break;
	}
	rcu_read_unlock();
	return s;
}

/**
 * sbexec_session_remove - take a session out of the table
 * @s: the session
 *
 * Drops the table's reference. Idempotent.
 */
void sbexec_session_remove(struct sbexec_session *s)
{
	bool was;

	spin_lock(&s->lock);
	was = s->in_table;
	s->in_table = false;
	spin_unlock(&s->lock);
	if (!was)
		return;
	xa_erase(&sbexec_sessions, s->id);
	sbexec_io_close_output(s);
	/* Counts against max_sessions while in the table; its ring memory
	 * counts until it is freed.
	 */
	atomic_dec(&sbexec_nr_sessions);
	sbexec_session_put(s);
}

/**
 * sbexec_session_start - hand a spawned process over to its session
 * @s: the session, not yet started
 * @pid: the process (the session takes this reference)
 * @in: stdin pipe write end (pipe mode) or NULL; reference taken over
 * @out: stdout pipe read end or pty master; reference taken over
 * @err: stderr pipe read end (pipe mode) or NULL; reference taken over
 *
 * Called in the helper's write() context. Cannot fail once the arguments
 * are valid, so the process is never left without an owner.
 */
void sbexec_session_start(struct sbexec_session *s, struct pid *pid,
			  struct file *in, struct file *out, struct file *err)
{
	int ret;

	s->pid = pid;
	sbexec_io_set_files(s, in, out, err);
	/* Already a member when the helper reported the fork; else now. */
	ret = sbexec_members_add_leader(s, pid);
	if (ret)
		pr_warn_ratelimited("sbexec: session %u: cannot track pid %d (%d)\n",
				    s->id, pid_nr(pid), ret);
	sbexec_io_watch(s);
	if (s->timeout_ms)
		queue_delayed_work(sbexec_wq, &s->deadline_work,
				   msecs_to_jiffies(s->timeout_ms));

	spin_lock(&s->lock);
	WRITE_ONCE(s->state, SBEXEC_STATE_RUNNING);
	spin_unlock(&s->lock);
	queue_work(sbexec_wq, &s->io_work);
}

/**
 * sbexec_session_may_use - whether current may drive or read the session
 * @s: the session
 *
 * A kill-on-close session belongs to the client process that started it:
 * only that process may attach to it, write or close its stdin, resize or
 * signal it. A keep-running session is detached from its client and any
 * privileged process may. Anyone privileged may GET and LIST.
 *
 * Return: true if allowed.
 */
bool sbexec_session_may_use(struct sbexec_session *s)
{
	return (s->flags & SBEXEC_EXEC_F_KEEP_RUNNING) ||
	       s->owner == task_tgid(current);
}

/**
 * sbexec_session_signal - SIGNAL: signal the session's processes
 * @s: the session
 * @sig: signal number, already range checked
 * @scope: enum sbexec_signal_scope
 * @extack: for the error message
 *
 * SBEXEC_SIGNAL_SCOPE_PGRP signals the leader's process group (the leader
 * itself when it left its group), SBEXEC_SIGNAL_SCOPE_TREE every member.
 * Goes through struct pids, never pid numbers.
 *
 * Return: 0, or -ESRCH when no process of the session is left (in the
 * process group, for that scope).
 */
int sbexec_session_signal(struct sbexec_session *s, int sig, u32 scope,
			  struct netlink_ext_ack *extack)
{
	int ret;

	if (!sbexec_members_live(s)) {
		NL_SET_ERR_MSG(extack, "every process of the session has exited");
		return -ESRCH;
	}
	if (scope == SBEXEC_SIGNAL_SCOPE_TREE) {
		sbexec_members_kill(s, sig);
		return 0;
	}
	ret = kill_pgrp(s->pid, sig, 1);
	if (ret == -ESRCH && READ_ONCE(s->exit_status) == -1)
		ret = kill_pid(s->pid, sig, 1);
	if (ret == -ESRCH)
		NL_SET_ERR_MSG(extack, "no process left in the session's process group");
	else if (ret)
		NL_SET_ERR_MSG(extack, "could not signal the session's process group");
	return ret;
}

/*
 * Kill-on-close: when a generic netlink socket is released, every session
 * it started without SBEXEC_EXEC_F_KEEP_RUNNING is killed (SIGKILL to
 * every process of it) and forgotten. The notifier chain is a blocking one, run
 * from the socket's release in process context.
 */
static int sbexec_netlink_event(struct notifier_block *nb,
				unsigned long event, void *ptr)
{
	struct netlink_notify *n = ptr;
	struct sbexec_session *s;
	unsigned long id = 0;

	if (event != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC ||
	    !net_eq(n->net, &init_net))
		return NOTIFY_DONE;
	while ((s = sbexec_session_next(&id))) {
		if (s->owner_portid == n->portid &&
		    !(s->flags & SBEXEC_EXEC_F_KEEP_RUNNING)) {
			sbexec_members_kill(s, SIGKILL);
			sbexec_session_remove(s);
		}
		sbexec_session_put(s);
		id++;
	}
	return NOTIFY_DONE;
}

static struct notifier_block sbexec_netlink_nb = {
	.notifier_call = sbexec_netlink_event,
};

/**
 * sbexec_sessions_init - start watching for closed client sockets
 *
 * Return: 0 or -errno.
 */
int sbexec_sessions_init(void)
{
	return netlink_register_notifier(&sbexec_netlink_nb);
}

/**
 * sbexec_sessions_exit - module unload: kill and free every session
 *
 * Called after the genl family, the device and the exit probe are gone,
 * so nothing can look sessions up or create them any more.
 */
void sbexec_sessions_exit(void)
{
	struct sbexec_session *s;
	unsigned long id;

	netlink_unregister_notifier(&sbexec_netlink_nb);
	xa_for_each(&sbexec_sessions, id, s) {
		sbexec_members_kill(s, SIGKILL);
		sbexec_session_remove(s);
	}
	rcu_barrier();
	flush_workqueue(sbexec_wq);
}
