// SPDX-License-Identifier: GPL-2.0
/*
 * sbexec sessions: the table, the life cycle, and the I/O work that moves
 * a child's output into the session's ring and queued stdin bytes into the
 * child.
 *
 * All I/O on the child's pipes (or pty master) happens in one work item per
 * session, io_work, running on sbexec_wq with the files in non-blocking
 * mode. io_work is queued by wait queue callbacks on those files, by the
 * reader after it consumed records (the ring had room again), by STDIN and
 * CLOSE_STDIN, and by the exit probe. When the ring is full io_work simply
 * stops reading: the pipe fills and the child blocks in write(), so output
 * is never dropped.
 */

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/tty.h>
#include <linux/vmalloc.h>
#include <linux/xarray.h>
#include <net/net_namespace.h>

#include "sbexec.h"

/* Bytes of stdin a session buffers before STDIN callers wait. */
#define SBEXEC_STDIN_BUF	(64 * 1024)
/* Largest payload io_work moves in one record. */
#define SBEXEC_READ_CHUNK	(64 * 1024)
/* Records io_work produces before it yields the worker. */
#define SBEXEC_IO_BUDGET	64

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

static void sbexec_io_work(struct work_struct *work);

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
	err = sbexec_ring_init(&s->ring, p->ring_size);
	if (err)
		goto err_free_user;

	kref_init(&s->ref);
	kref_get(&s->ref);	/* the table's */
	s->tty = p->tty;
	s->flags = p->flags;
	s->owner_portid = p->owner_portid;
	s->owner = get_pid(task_tgid(current));
	s->exit_status = -1;
	s->start_ns = ktime_get_boottime_ns();
	atomic64_set(&s->bytes_out, 0);
	INIT_WORK(&s->io_work, sbexec_io_work);
	mutex_init(&s->in_lock);
	init_waitqueue_head(&s->in_wait);
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
err_free_user:
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

static void sbexec_port_unwatch(struct sbexec_port *p)
{
	unsigned int i;

	for (i = 0; i < p->nr_waiters; i++)
		remove_wait_queue(p->waiters[i].head, &p->waiters[i].entry);
	p->nr_waiters = 0;
}

static void sbexec_session_free_rwork(struct work_struct *work)
{
	struct sbexec_session *s =
		container_of(to_rcu_work(work), struct sbexec_session,
			     free_rwork);
	unsigned int i;

	/* No waiter, probe, reader or table can queue io_work any more. */
	cancel_work_sync(&s->io_work);
	for (i = 0; i < SBEXEC_NR_PORTS; i++)
		if (s->port[i].file)
			fput(s->port[i].file);
	put_pid(s->pid);
	put_pid(s->owner);
	sbexec_ring_destroy(&s->ring);
	kvfree(s->in_buf);
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
	 * Waiter callbacks may requeue io_work until they are unhooked, and
	 * io_work unhooks the stdin port itself under in_lock; after this no
	 * callback can run. The exit probe may still queue io_work until a
	 * grace period after the pid entry is erased: the free work cancels
	 * it again before anything is freed.
	 */
	cancel_work_sync(&s->io_work);
	sbexec_port_unwatch(&s->port[SBEXEC_PORT_OUT]);
	sbexec_port_unwatch(&s->port[SBEXEC_PORT_ERR]);
	mutex_lock(&s->in_lock);
	sbexec_port_unwatch(&s->port[SBEXEC_PORT_IN]);
	mutex_unlock(&s->in_lock);
	sbexec_exitwatch_forget(s);
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
	/* Counts against max_sessions while in the table; its ring memory
	 * counts until it is freed.
	 */
	atomic_dec(&sbexec_nr_sessions);
	sbexec_session_put(s);
}

static int sbexec_waiter_wake(wait_queue_entry_t *wq, unsigned int mode,
			      int sync, void *key)
{
	struct sbexec_waiter *w = container_of(wq, struct sbexec_waiter, entry);

	queue_work(sbexec_wq, &w->sess->io_work);
	return 0;
}

static void sbexec_port_qproc(struct file *file, wait_queue_head_t *head,
			      poll_table *pt)
{
	struct sbexec_port *p = container_of(pt, struct sbexec_port, pt);
	struct sbexec_waiter *w;

	if (WARN_ON_ONCE(p->nr_waiters >= SBEXEC_MAX_WAITERS))
		return;
	w = &p->waiters[p->nr_waiters++];
	w->head = head;
	init_waitqueue_func_entry(&w->entry, sbexec_waiter_wake);
	add_wait_queue(head, &w->entry);
}

static void sbexec_port_init(struct sbexec_session *s, unsigned int idx,
			     struct file *file, u16 stream)
{
	struct sbexec_port *p = &s->port[idx];
	unsigned int i;

	p->file = file;
	p->stream = stream;
	p->eof = !file;
	for (i = 0; i < SBEXEC_MAX_WAITERS; i++)
		p->waiters[i].sess = s;
}

static void sbexec_port_watch(struct sbexec_port *p)
{
	if (!p->file)
		return;
	init_poll_funcptr(&p->pt, sbexec_port_qproc);
	vfs_poll(p->file, &p->pt);
}

static void sbexec_file_set_nonblock(struct file *file)
{
	spin_lock(&file->f_lock);
	file->f_flags |= O_NONBLOCK;
	spin_unlock(&file->f_lock);
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
	s->pid = pid;
	sbexec_port_init(s, SBEXEC_PORT_OUT, out, SBEXEC_STREAM_STDOUT);
	sbexec_port_init(s, SBEXEC_PORT_ERR, err, SBEXEC_STREAM_STDERR);
	sbexec_port_init(s, SBEXEC_PORT_IN, in, 0);
	sbexec_file_set_nonblock(out);
	if (err)
		sbexec_file_set_nonblock(err);
	if (in)
		sbexec_file_set_nonblock(in);
	s->in_closed = !in && !s->tty;

	sbexec_exitwatch_add(s);

	sbexec_port_watch(&s->port[SBEXEC_PORT_OUT]);
	sbexec_port_watch(&s->port[SBEXEC_PORT_ERR]);
	sbexec_port_watch(&s->port[SBEXEC_PORT_IN]);

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
 * sbexec_session_kill - signal a started session's process group
 * @s: the session
 * @sig: signal number
 */
void sbexec_session_kill(struct sbexec_session *s, int sig)
{
	if (s->pid)
		kill_pgrp(s->pid, sig, 1);
}

/**
 * sbexec_session_signal - SIGNAL: signal the session's process group
 * @s: the session
 * @sig: signal number, already range checked
 * @extack: for the error message
 *
 * Goes through the session's struct pid, never a pid number.
 *
 * Return: 0, or -ESRCH when the process already exited.
 */
int sbexec_session_signal(struct sbexec_session *s, int sig,
			  struct netlink_ext_ack *extack)
{
	int ret;

	if (READ_ONCE(s->exit_status) != -1) {
		NL_SET_ERR_MSG(extack, "the session's process has already exited");
		return -ESRCH;
	}
	ret = kill_pgrp(s->pid, sig, 1);
	if (ret == -ESRCH)
		ret = kill_pid(s->pid, sig, 1);
	if (ret)
		NL_SET_ERR_MSG(extack, "could not signal the session's process");
	return ret;
}

/* Move as much output as the ring takes; false when the ring is full. */
static bool sbexec_drain_port(struct sbexec_session *s, struct sbexec_port *p,
			      int *budget)
{
	while (!p->eof && *budget > 0) {
		size_t room;
		loff_t pos = 0;
		ssize_t n;
		void *dst;

		dst = sbexec_ring_reserve(&s->ring, &room);
		if (!dst)
			return false;
		n = kernel_read(p->file, dst, min_t(size_t, room,
						    SBEXEC_READ_CHUNK), &pos);
		if (n > 0) {
			sbexec_ring_commit(&s->ring, p->stream, n);
			atomic64_add(n, &s->bytes_out);
			wake_up_interruptible_poll(&s->rwait, EPOLLIN);
			(*budget)--;
			continue;
		}
		if (n == -EAGAIN)
			break;
		/* 0 is EOF; -EIO is a pty whose slave side is gone. */
		p->eof = true;
	}
	return true;
}

static void sbexec_release_stdin(struct sbexec_session *s)
{
	struct sbexec_port *p = &s->port[SBEXEC_PORT_IN];

	lockdep_assert_held(&s->in_lock);
	s->in_closed = true;
	s->in_len = 0;
	if (p->file && !s->tty) {
		sbexec_port_unwatch(p);
		fput(p->file);
		p->file = NULL;
	}
	wake_up_interruptible(&s->in_wait);
}

/**
 * sbexec_session_tty - the terminal a pty session's process sees
 * @s: a started session in pty mode
 *
 * The session holds the pty master; its private data is the master tty,
 * whose link is the slave the process has as its controlling terminal.
 * Valid while the session holds the master file.
 *
 * Return: the slave tty.
 */
struct tty_struct *sbexec_session_tty(struct sbexec_session *s)
{
	struct tty_file_private *priv =
		s->port[SBEXEC_PORT_OUT].file->private_data;

	return priv->tty->link;
}

/*
 * CLOSE_STDIN on a terminal: type the terminal's EOF character, twice when
 * a partial line is pending (the first one only ends that line).
 */
static ssize_t sbexec_tty_send_eof(struct sbexec_session *s, struct file *file)
{
	char eof[2];
	loff_t pos = 0;
	size_t n;

	eof[0] = sbexec_session_tty(s)->termios.c_cc[VEOF];
	if (eof[0] == __DISABLED_CHAR)
		return 0;	/* the process turned EOF off: nothing to type */
	eof[1] = eof[0];
	n = s->in_midline ? 2 : 1;
	return kernel_write(file, eof, n, &pos);
}

static void sbexec_push_stdin(struct sbexec_session *s)
{
	struct file *file = s->tty ? s->port[SBEXEC_PORT_OUT].file :
				     s->port[SBEXEC_PORT_IN].file;

	mutex_lock(&s->in_lock);
	while (!s->in_closed && s->in_len) {
		loff_t pos = 0;
		ssize_t n = kernel_write(file, s->in_buf, s->in_len, &pos);

		if (n == -EAGAIN)
			break;
		if (n <= 0) {
			s->in_err = n ? (int)n : -EPIPE;
			sbexec_release_stdin(s);
			break;
		}
		s->in_midline = s->in_buf[n - 1] != '\n';
		memmove(s->in_buf, s->in_buf + n, s->in_len - n);
		s->in_len -= n;
		wake_up_interruptible(&s->in_wait);
	}
	if (!s->in_closed && s->in_close && !s->in_len &&
	    (!s->tty || sbexec_tty_send_eof(s, file) != -EAGAIN))
		sbexec_release_stdin(s);
	mutex_unlock(&s->in_lock);
}

static bool sbexec_put_exit_record(struct sbexec_session *s, int status)
{
	struct sbexec_exit_info *info;
	size_t room;

	info = sbexec_ring_reserve(&s->ring, &room);
	if (!info || room < sizeof(*info))
		return false;
	sbexec_exit_decode(status, info);
	sbexec_ring_commit(&s->ring, SBEXEC_STREAM_EXIT, sizeof(*info));
	return true;
}

static void sbexec_io_work(struct work_struct *work)
{
	struct sbexec_session *s = container_of(work, struct sbexec_session,
						io_work);
	int budget = SBEXEC_IO_BUDGET;
	bool room, done;
	int status;

	if (!READ_ONCE(s->state))
		return;
	if (READ_ONCE(s->exit_status) != -1)
		sbexec_exitwatch_forget(s);

	sbexec_push_stdin(s);

	room = sbexec_drain_port(s, &s->port[SBEXEC_PORT_OUT], &budget) &&
	       sbexec_drain_port(s, &s->port[SBEXEC_PORT_ERR], &budget);
	if (!budget) {
		queue_work(sbexec_wq, &s->io_work);
		return;
	}
	if (!room)
		return;	/* the reader requeues us once it made room */

	status = READ_ONCE(s->exit_status);
	if (status < 0 || !s->port[SBEXEC_PORT_OUT].eof ||
	    !s->port[SBEXEC_PORT_ERR].eof)
		return;

	spin_lock(&s->lock);
	done = s->final_queued;
	spin_unlock(&s->lock);
	if (done || !sbexec_put_exit_record(s, status))
		return;

	spin_lock(&s->lock);
	s->final_queued = true;
	WRITE_ONCE(s->state, SBEXEC_STATE_DONE);
	spin_unlock(&s->lock);
	wake_up_interruptible_poll(&s->rwait, EPOLLIN | EPOLLHUP);

	mutex_lock(&s->in_lock);
	if (!s->in_closed)
		sbexec_release_stdin(s);
	mutex_unlock(&s->in_lock);

	sbexec_event_exited(s);
}

/**
 * sbexec_session_write_stdin - STDIN: queue bytes for the child's stdin
 * @s: the session
 * @data: bytes
 * @len: how many (at most SBEXEC_MAX_STDIN_CHUNK)
 * @extack: for the error message
 *
 * Waits (interruptibly) while the session's stdin buffer is full; the
 * bytes are written by io_work in order. Nothing is dropped: either all of
 * @data is queued or an error is returned and none of it is.
 *
 * Return: 0, -EPIPE when stdin is closed, -EINTR.
 */
int sbexec_session_write_stdin(struct sbexec_session *s, const void *data,
			       size_t len, struct netlink_ext_ack *extack)
{
	int ret;

	if (mutex_lock_interruptible(&s->in_lock))
		return -EINTR;
	if (!s->in_buf) {
		s->in_buf = kvmalloc(SBEXEC_STDIN_BUF, GFP_KERNEL_ACCOUNT);
		if (!s->in_buf) {
			ret = -ENOMEM;
			goto out_unlock;
		}
	}
	for (;;) {
		if (READ_ONCE(s->exit_status) != -1) {
			NL_SET_ERR_MSG(extack, "the session's process has exited");
			ret = -EPIPE;
			goto out_unlock;
		}
		if (s->in_closed || s->in_close) {
			if (s->in_err)
				NL_SET_ERR_MSG(extack,
					       "the session's process no longer reads its stdin");
			else
				NL_SET_ERR_MSG(extack,
					       "the session's stdin is closed");
			ret = -EPIPE;
			goto out_unlock;
		}
		if (SBEXEC_STDIN_BUF - s->in_len >= len)
			break;
		mutex_unlock(&s->in_lock);
		queue_work(sbexec_wq, &s->io_work);
		ret = wait_event_interruptible(s->in_wait,
					       READ_ONCE(s->in_closed) ||
					       SBEXEC_STDIN_BUF -
					       READ_ONCE(s->in_len) >= len);
		if (ret)
			return -EINTR;
		if (mutex_lock_interruptible(&s->in_lock))
			return -EINTR;
	}
	memcpy(s->in_buf + s->in_len, data, len);
	s->in_len += len;
	ret = 0;
out_unlock:
	mutex_unlock(&s->in_lock);
	if (!ret)
		queue_work(sbexec_wq, &s->io_work);
	return ret;
}

/**
 * sbexec_session_close_stdin - CLOSE_STDIN: EOF after the queued bytes
 * @s: the session
 * @extack: for the error message
 *
 * Return: 0, or -EPIPE when stdin was already closed.
 */
int sbexec_session_close_stdin(struct sbexec_session *s,
			       struct netlink_ext_ack *extack)
{
	int ret = 0;

	mutex_lock(&s->in_lock);
	if (s->in_close || s->in_closed) {
		NL_SET_ERR_MSG(extack, "the session's stdin is already closed");
		ret = -EPIPE;
	} else {
		s->in_close = true;
	}
	mutex_unlock(&s->in_lock);
	queue_work(sbexec_wq, &s->io_work);
	return ret;
}

/**
 * sbexec_session_attach - make the caller the session's only reader
 * @s: the session
 * @arg: filled with the ring size and the next record's sequence number
 *
 * Return: 0, or -EBUSY when another reader is attached.
 */
int sbexec_session_attach(struct sbexec_session *s, struct sbexec_attach *arg)
{
	int ret = 0;

	spin_lock(&s->lock);
	if (s->reader)
		ret = -EBUSY;
	else
		s->reader = true;
	spin_unlock(&s->lock);
	if (ret)
		return ret;
	mutex_lock(&s->read_lock);
	sbexec_ring_adopt_user_cons(&s->ring);
	arg->ring_size = s->ring.size;
	arg->next_seq = s->ring.cons_seq;
	mutex_unlock(&s->read_lock);
	return 0;
}

/**
 * sbexec_session_consumed - a mapped reader moved its consumer position
 * @s: the session
 *
 * Return: 0, or -EINVAL when the position was refused (see
 * sbexec_ring_adopt_user_cons()).
 */
int sbexec_session_consumed(struct sbexec_session *s)
{
	int ret;

	mutex_lock(&s->read_lock);
	ret = sbexec_ring_adopt_user_cons(&s->ring);
	mutex_unlock(&s->read_lock);
	if (ret > 0)
		queue_work(sbexec_wq, &s->io_work);
	return ret < 0 ? ret : 0;
}

/**
 * sbexec_session_detach - the reader goes away
 * @s: the session
 *
 * A session whose final record was read is removed from the table; one
 * that still runs or has unread output stays and can be attached again.
 */
void sbexec_session_detach(struct sbexec_session *s)
{
	bool finished;

	sbexec_session_consumed(s);
	spin_lock(&s->lock);
	s->reader = false;
	finished = s->final_queued;
	spin_unlock(&s->lock);
	if (finished && sbexec_ring_empty(&s->ring))
		sbexec_session_remove(s);
}

/**
 * sbexec_session_read - read() of an attached reader
 * @s: the session
 * @buf: user buffer
 * @count: its size
 * @nonblock: O_NONBLOCK
 *
 * Return: bytes of whole records, 0 after the final record, or -errno.
 */
ssize_t sbexec_session_read(struct sbexec_session *s, char __user *buf,
			    size_t count, bool nonblock)
{
	ssize_t n;

	if (mutex_lock_interruptible(&s->read_lock))
		return -ERESTARTSYS;
	sbexec_ring_adopt_user_cons(&s->ring);
	for (;;) {
		bool final;

		n = sbexec_ring_read_user(&s->ring, buf, count);
		if (n)
			break;
		spin_lock(&s->lock);
		final = s->final_queued;
		spin_unlock(&s->lock);
		if (final && sbexec_ring_empty(&s->ring))
			break;
		if (final)
			continue;
		n = -EAGAIN;
		if (nonblock)
			break;
		n = wait_event_interruptible(s->rwait,
					     !sbexec_ring_empty(&s->ring) ||
					     READ_ONCE(s->final_queued));
		if (n)
			break;
	}
	mutex_unlock(&s->read_lock);
	if (n > 0)
		queue_work(sbexec_wq, &s->io_work);
	return n;
}

/**
 * sbexec_session_poll - poll() of an attached reader
 * @s: the session
 * @file: the reader's file
 * @wait: poll table
 *
 * Return: EPOLLIN when a record is there, EPOLLHUP after the final one.
 */
__poll_t sbexec_session_poll(struct sbexec_session *s, struct file *file,
			     poll_table *wait)
{
	__poll_t mask = 0;
	bool final;
	int ret = 0;

	poll_wait(file, &s->rwait, wait);
	if (mutex_trylock(&s->read_lock)) {
		ret = sbexec_ring_adopt_user_cons(&s->ring);
		mutex_unlock(&s->read_lock);
		if (ret > 0)
			queue_work(sbexec_wq, &s->io_work);
		else if (ret < 0)
			mask |= EPOLLERR;
	}
	spin_lock(&s->lock);
	final = s->final_queued;
	spin_unlock(&s->lock);
	if (!sbexec_ring_empty(&s->ring))
		mask |= EPOLLIN | EPOLLRDNORM;
	else if (final)
		mask |= EPOLLHUP;
	return mask;
}

/*
 * Kill-on-close: when a generic netlink socket is released, every session
 * it started without SBEXEC_EXEC_F_KEEP_RUNNING is killed (SIGKILL to its
 * process group) and forgotten. The notifier chain is a blocking one, run
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
			if (READ_ONCE(s->exit_status) == -1)
				sbexec_session_kill(s, SIGKILL);
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
		if (READ_ONCE(s->exit_status) == -1)
			sbexec_session_kill(s, SIGKILL);
		sbexec_session_remove(s);
	}
	rcu_barrier();
	flush_workqueue(sbexec_wq);
	WARN_ON(!sbexec_exitwatch_empty());
}
