// SPDX-License-Identifier: GPL-2.0
/*
 * A session's I/O: the work that moves a child's output into the session's
 * ring and queued stdin bytes into the child, and the STDIN and
 * CLOSE_STDIN requests that queue those bytes.
 *
 * All I/O on the child's pipes (or pty master) happens in one work item per
 * session, io_work, running on sbexec_wq with the files in non-blocking
 * mode. io_work is queued by wait queue callbacks on those files, by the
 * reader after it consumed records while io_work waited for room, by STDIN
 * and CLOSE_STDIN, and by the exit probe. When the ring is full io_work
 * simply stops reading: the pipe fills and the child blocks in write(), so
 * output is never dropped.
 *
 * Batching: a record takes what the file holds, up to SBEXEC_READ_CHUNK
 * (reads into the same record go on until the file is empty or the chunk
 * or the ring's room is used), and the reader is woken once per run of
 * io_work (and every half ring within a long one), not per record. A
 * wakeup from a file while io_work runs only marks the port (a bit in
 * io_flags); io_work clears a port's bit before each read of it and
 * requeues itself at the end only for a bit still set, i.e. for a wakeup
 * that came after its last read of that port.
 *
 * The exit record follows the leader's exit: once the output written so
 * far is in the ring and either every output file is at EOF or the linger
 * (linger_ms, for output other members still write) has passed. A
 * keep-running session waits for its last member first; a kill-on-close
 * session's remaining members are killed after the record. Nothing is read
 * after the record.
 *
 * Output files (SBEXEC_EXEC_F_DIRECT_OUTPUT, sink.c) take the place of the
 * stdout and stderr pipes: their writers put records into the ring
 * themselves (sbexec_io_write()), under prod_lock like io_work's exit
 * record, and wait for room as a pipe's writer would. Such a port is at
 * end of file once the file has no open file left; the record closes the
 * files' side (output_closed) so that nothing is taken after it.
 */

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/tty.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "sbexec.h"

/* Bytes of stdin a session buffers before STDIN callers wait. */
#define SBEXEC_STDIN_BUF	(64 * 1024)
/* Largest payload io_work moves in one record. */
#define SBEXEC_READ_CHUNK	(64 * 1024)
/* Records io_work produces before it yields the worker. */
#define SBEXEC_IO_BUDGET	64
/* When the ring could not get a page, io_work tries again this much later. */
#define SBEXEC_RING_RETRY	(HZ / 10)

/* io_flags bits besides the ports' (SBEXEC_PORT_*). */
enum {
	SBEXEC_IO_RUNNING = SBEXEC_NR_PORTS,
	SBEXEC_IO_WANT_ROOM,
};

#define SBEXEC_IO_KICKS		(BIT(SBEXEC_NR_PORTS) - 1)

/* What one run of io_work produced, for the reader's wakeup. */
struct sbexec_io_run {
	int budget;		/* records left to produce in this run */
	u64 unwoken;		/* record bytes since the reader was woken */
	bool produced;		/* records since the reader was woken */
};

static void sbexec_port_unwatch(struct sbexec_port *p)
{
	unsigned int i;

	for (i = 0; i < p->nr_waiters; i++)
		remove_wait_queue(p->waiters[i].head, &p->waiters[i].entry);
	p->nr_waiters = 0;
}

static int sbexec_waiter_wake(wait_queue_entry_t *wq, unsigned int mode,
			      int sync, void *key)
{
	struct sbexec_waiter *w = container_of(wq, struct sbexec_waiter, entry);
	struct sbexec_session *s = w->sess;

	set_bit(w->port, &s->io_flags);
	/* A pty master's wakeups may be room for stdin too. */
	if (s->tty)
		set_bit(SBEXEC_PORT_IN, &s->io_flags);
	/* Pairs with the barrier after io_work clears SBEXEC_IO_RUNNING. */
	smp_mb__after_atomic();
	if (!test_bit(SBEXEC_IO_RUNNING, &s->io_flags))
		queue_work(sbexec_wq, &s->io_work);
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
			     struct file *file, struct sbexec_sink *sink,
			     u16 stream)
{
	struct sbexec_port *p = &s->port[idx];
	unsigned int i;

	p->file = file;
	p->sink = sink;
	p->stream = stream;
	p->eof = !file && !sink;
	for (i = 0; i < SBEXEC_MAX_WAITERS; i++) {
		p->waiters[i].sess = s;
		p->waiters[i].port = idx;
	}
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

/* Wake the reader for the records this run committed so far. */
static void sbexec_io_wake_reader(struct sbexec_session *s,
				  struct sbexec_io_run *run)
{
	if (!run->produced)
		return;
	run->produced = false;
	run->unwoken = 0;
	wake_up_interruptible_poll(&s->rwait, EPOLLIN);
}

/*
 * The ring could not get a page (memory is short, which no reader will
 * change): io_work runs again SBEXEC_RING_RETRY later. The wakeups seen so
 * far are covered by that run; nothing is lost meanwhile, output waits in
 * the pipe.
 */
static void sbexec_io_retry_later(struct sbexec_session *s)
{
	clear_bit(SBEXEC_PORT_OUT, &s->io_flags);
	clear_bit(SBEXEC_PORT_ERR, &s->io_flags);
	queue_delayed_work(sbexec_wq, &s->retry_work, SBEXEC_RING_RETRY);
}

/*
 * The ring has no room for the next record (@last: the exit record, else a
 * data record of one byte or more): have the reader requeue io_work once
 * it consumed something. Return: false when room came in the meantime (go
 * on).
 */
static bool sbexec_io_wait_room(struct sbexec_session *s, bool last)
{
	size_t room;
	void *p;

	/* The run the reader queues reads every port. */
	clear_bit(SBEXEC_PORT_OUT, &s->io_flags);
	clear_bit(SBEXEC_PORT_ERR, &s->io_flags);
	set_bit(SBEXEC_IO_WANT_ROOM, &s->io_flags);
	/* Pairs with smp_mb() in sbexec_io_room_made(). */
	smp_mb__after_atomic();
	if (last)
		p = sbexec_ring_reserve_last(&s->ring,
					     sizeof(struct sbexec_exit_info));
	else
		p = sbexec_ring_reserve(&s->ring, 1, &room);
	if (IS_ERR(p))
		sbexec_io_retry_later(s);
	if (IS_ERR_OR_NULL(p))
		return true;
	clear_bit(SBEXEC_IO_WANT_ROOM, &s->io_flags);
	return false;
}

static void sbexec_io_account(struct sbexec_session *s, u16 stream,
			      size_t len)
{
	atomic64_add(len, &s->bytes_out);
	atomic64_add(len, &s->stream_bytes[stream == SBEXEC_STREAM_STDERR]);
}

/*
 * One read of @p into @dst; a wakeup of @p from now on means data this
 * read may have missed.
 */
static ssize_t sbexec_port_read(struct sbexec_session *s,
				struct sbexec_port *p, void *dst, size_t len)
{
	loff_t pos = 0;

	clear_bit(p - s->port, &s->io_flags);
	/* Orders the clear before the read (the waker sets, then wakes). */
	smp_mb__after_atomic();
	return kernel_read(p->file, dst, len, &pos);
}

/*
 * Move as much output as the ring takes, one record per
 * SBEXEC_READ_CHUNK (or less when the file runs empty first). Return:
 * false when the ring is full.
 */
static bool sbexec_drain_port(struct sbexec_session *s, struct sbexec_port *p,
			      struct sbexec_io_run *run)
{
	/* A wakeup of a port at EOF needs no look. */
	clear_bit(p - s->port, &s->io_flags);
	if (p->sink) {
		/* Its writers fill the ring; the last one's close is EOF. */
		if (!atomic_read(&p->sink->writers))
			p->eof = true;
		return true;
	}
	while (!p->eof && run->budget > 0) {
		size_t room, want, got = 0;
		ssize_t n;
		void *dst;

		dst = sbexec_ring_reserve(&s->ring, SBEXEC_READ_CHUNK, &room);
		if (IS_ERR(dst)) {
			sbexec_io_retry_later(s);
			return false;
		}
		if (!dst) {
			if (sbexec_io_wait_room(s, false))
				return false;
			continue;
		}
		want = min_t(size_t, room, SBEXEC_READ_CHUNK);
		do {
			n = sbexec_port_read(s, p, dst + got, want - got);
			if (n > 0)
				got += n;
		} while (n > 0 && got < want);
		if (got) {
			sbexec_ring_commit(&s->ring, p->stream, got);
			sbexec_io_account(s, p->stream, got);
			run->budget--;
			run->produced = true;
			run->unwoken += got;
			/* A long run lets the reader start on the ring. */
			if (run->unwoken >= s->ring.size / 2)
				sbexec_io_wake_reader(s, run);
		}
		if (n > 0)
			continue;
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

/* Wake the output files' writers and pollers (room, or the end). */
static void sbexec_io_wake_writers(struct sbexec_session *s)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(s->sink); i++)
		if (s->sink[i] && wq_has_sleeper(&s->sink[i]->wait))
			wake_up_interruptible_poll(&s->sink[i]->wait,
						   EPOLLOUT | EPOLLWRNORM);
}

static bool sbexec_put_exit_record(struct sbexec_session *s, int status)
{
	struct sbexec_exit_info *info;

	mutex_lock(&s->prod_lock);
	for (;;) {
		info = sbexec_ring_reserve_last(&s->ring, sizeof(*info));
		if (IS_ERR(info)) {
			mutex_unlock(&s->prod_lock);
			sbexec_io_retry_later(s);
			return false;
		}
		if (info)
			break;
		if (sbexec_io_wait_room(s, true)) {
			mutex_unlock(&s->prod_lock);
			return false;
		}
	}
	sbexec_exit_info_fill(s, status, info);
	spin_lock(&s->lock);
	s->final = *info;
	spin_unlock(&s->lock);
	sbexec_ring_commit(&s->ring, SBEXEC_STREAM_EXIT, sizeof(*info));
	WRITE_ONCE(s->output_closed, true);
	mutex_unlock(&s->prod_lock);
	sbexec_io_wake_writers(s);
	return true;
}

static void sbexec_linger_work(struct work_struct *work)
{
	struct sbexec_session *s = container_of(to_delayed_work(work),
						struct sbexec_session,
						linger_work);

	queue_work(sbexec_wq, &s->io_work);
}

static void sbexec_retry_work(struct work_struct *work)
{
	struct sbexec_session *s = container_of(to_delayed_work(work),
						struct sbexec_session,
						retry_work);

	queue_work(sbexec_wq, &s->io_work);
}

/*
 * Whether the exit record may follow now (the output so far is in the
 * ring); arms the linger the first time output files are still open.
 */
static bool sbexec_io_may_end(struct sbexec_session *s)
{
	unsigned long linger = msecs_to_jiffies(s->linger_ms);

	if (READ_ONCE(s->exit_status) < 0)
		return false;
	if ((s->flags & SBEXEC_EXEC_F_KEEP_RUNNING) && sbexec_members_live(s))
		return false;
	if (s->port[SBEXEC_PORT_OUT].eof && s->port[SBEXEC_PORT_ERR].eof)
		return true;
	if (!s->linger_armed) {
		s->linger_armed = true;
		s->linger_end = jiffies + linger;
		mod_delayed_work(sbexec_wq, &s->linger_work, linger);
		return false;
	}
	return time_after_eq(jiffies, s->linger_end);
}

/* Return: true when io_work must run again (its budget is used up). */
static bool sbexec_io_run(struct sbexec_session *s)
{
	struct sbexec_io_run run = { .budget = SBEXEC_IO_BUDGET };
	bool room, done;

	spin_lock(&s->lock);
	done = s->final_queued;
	spin_unlock(&s->lock);
	if (!READ_ONCE(s->state) || READ_ONCE(s->io_stopped) || done) {
		/*
		 * Nothing is read before the start (which queues io_work
		 * once the session runs), after the stop or after the record.
		 */
		clear_bit(SBEXEC_PORT_OUT, &s->io_flags);
		clear_bit(SBEXEC_PORT_ERR, &s->io_flags);
		clear_bit(SBEXEC_PORT_IN, &s->io_flags);
		return false;
	}

	clear_bit(SBEXEC_PORT_IN, &s->io_flags);
	/* Orders the clear before the write (see sbexec_port_read()). */
	smp_mb__after_atomic();
	sbexec_push_stdin(s);

	room = sbexec_drain_port(s, &s->port[SBEXEC_PORT_OUT], &run) &&
	       sbexec_drain_port(s, &s->port[SBEXEC_PORT_ERR], &run);
	sbexec_io_wake_reader(s, &run);
	if (!run.budget)
		return true;
	if (!room)
		return false;	/* the reader requeues us once it made room */

	if (!sbexec_io_may_end(s) ||
	    !sbexec_put_exit_record(s, READ_ONCE(s->exit_status)))
		return false;

	spin_lock(&s->lock);
	s->final_queued = true;
	WRITE_ONCE(s->state, SBEXEC_STATE_DONE);
	spin_unlock(&s->lock);
	/* The final record always wakes the reader. */
	wake_up_interruptible_poll(&s->rwait, EPOLLIN | EPOLLHUP);
	cancel_delayed_work(&s->linger_work);

	mutex_lock(&s->in_lock);
	if (!s->in_closed)
		sbexec_release_stdin(s);
	mutex_unlock(&s->in_lock);

	/* The rest of a kill-on-close session ends with its leader. */
	if (!(s->flags & SBEXEC_EXEC_F_KEEP_RUNNING))
		sbexec_members_kill(s, SIGKILL);
	sbexec_event_exited(s);
	return false;
}

static void sbexec_io_work(struct work_struct *work)
{
	struct sbexec_session *s = container_of(work, struct sbexec_session,
						io_work);
	bool again;

	set_bit(SBEXEC_IO_RUNNING, &s->io_flags);
	/* Wakeups from here on may leave the requeue to us. */
	smp_mb__after_atomic();
	again = sbexec_io_run(s);
	clear_bit(SBEXEC_IO_RUNNING, &s->io_flags);
	/* Pairs with the barrier in sbexec_waiter_wake(). */
	smp_mb__after_atomic();
	if (again || (READ_ONCE(s->io_flags) & SBEXEC_IO_KICKS))
		queue_work(sbexec_wq, &s->io_work);
}

/**
 * sbexec_io_room_made - the reader consumed records
 * @s: the session
 *
 * Requeues io_work if it stopped for want of room in the ring. Called
 * after the consumer position moved.
 */
void sbexec_io_room_made(struct sbexec_session *s)
{
	/* Pairs with the barrier in sbexec_io_wait_room(). */
	smp_mb();
	if (test_bit(SBEXEC_IO_WANT_ROOM, &s->io_flags) &&
	    test_and_clear_bit(SBEXEC_IO_WANT_ROOM, &s->io_flags))
		queue_work(sbexec_wq, &s->io_work);
	sbexec_io_wake_writers(s);
}

/*
 * The largest write an output file takes whole (never split, never
 * interleaved with another writer's): PIPE_BUF, or half of a smaller ring.
 */
static size_t sbexec_io_whole_max(struct sbexec_session *s)
{
	return min_t(size_t, PIPE_BUF, s->ring.size / 2);
}

/* Room for a record of @len payload bytes, or no more room to wait for. */
static bool sbexec_io_write_may_go(struct sbexec_session *s, size_t len)
{
	return READ_ONCE(s->output_closed) || sbexec_ring_room(&s->ring) >= len;
}

/**
 * sbexec_io_write - write() into an output file: records into the ring
 * @s: the file's session, referenced by the caller
 * @k: the file's sink
 * @from: the bytes
 * @nonblock: O_NONBLOCK (or IOCB_NOWAIT): -EAGAIN instead of waiting
 *
 * Copies @from into records of at most SBEXEC_READ_CHUNK bytes, waiting
 * (interruptibly) for the reader to make room when the ring is full. A
 * write of up to PIPE_BUF bytes (half the ring, if that is less) goes into
 * one record, whole: it waits for room for all of it. A longer one may be
 * split, and may return short on a signal, like a pipe's.
 *
 * Pages the ring cannot get count as a full ring: the writer tries again
 * SBEXEC_RING_RETRY later.
 *
 * Return: bytes taken, or -EAGAIN, -EPIPE (output_closed: nothing after
 * the exit record), -ERESTARTSYS, -EFAULT when nothing was.
 */
ssize_t sbexec_io_write(struct sbexec_session *s, struct sbexec_sink *k,
			struct iov_iter *from, bool nonblock)
{
	size_t total = iov_iter_count(from), done = 0;
	bool whole = total <= sbexec_io_whole_max(s);
	ssize_t ret = 0;

	if (mutex_lock_interruptible(&s->prod_lock))
		return -ERESTARTSYS;
	while (done < total) {
		size_t want = min_t(size_t, total - done, SBEXEC_READ_CHUNK);
		size_t room, need, n;
		void *dst;

		if (s->output_closed) {
			ret = -EPIPE;
			break;
		}
		dst = sbexec_ring_reserve(&s->ring, want, &room);
		if (IS_ERR(dst) || (dst && whole && room < want &&
				    sbexec_ring_room(&s->ring) >= want)) {
			/*
			 * The space is there but not its pages: as io_work
			 * does, wait a little and try again; nothing is
			 * dropped and the writer gets no error for it.
			 */
			ret = -EAGAIN;
			if (nonblock)
				break;
			mutex_unlock(&s->prod_lock);
			schedule_timeout_interruptible(SBEXEC_RING_RETRY);
			if (signal_pending(current) ||
			    mutex_lock_interruptible(&s->prod_lock))
				return done ?: -ERESTARTSYS;
			continue;
		}
		if (!dst || (whole && room < want)) {
			ret = -EAGAIN;
			if (nonblock)
				break;
			mutex_unlock(&s->prod_lock);
			/* The reader's next room wakes us. */
			need = whole ? want : 1;
			ret = wait_event_interruptible(k->wait,
						       sbexec_io_write_may_go(s, need));
			if (ret || mutex_lock_interruptible(&s->prod_lock))
				return done ?: -ERESTARTSYS;
			continue;
		}
		n = copy_from_iter(dst, room, from);
		if (n) {
			sbexec_ring_commit(&s->ring, k->stream, n);
			sbexec_io_account(s, k->stream, n);
			done += n;
			if (wq_has_sleeper(&s->rwait))
				wake_up_interruptible_poll(&s->rwait, EPOLLIN);
		}
		if (n < room) {
			ret = -EFAULT;
			break;
		}
	}
	mutex_unlock(&s->prod_lock);
	return done ?: ret;
}

/**
 * sbexec_io_write_poll - poll() of an output file
 * @s: its session, referenced by the caller
 *
 * Return: EPOLLOUT while a write of PIPE_BUF bytes (or whatever the ring
 * takes whole) would not wait, EPOLLERR once nothing more is taken.
 */
__poll_t sbexec_io_write_poll(struct sbexec_session *s)
{
	if (READ_ONCE(s->output_closed))
		return EPOLLERR;
	return sbexec_ring_room(&s->ring) >= sbexec_io_whole_max(s) ?
	       EPOLLOUT | EPOLLWRNORM : 0;
}

/**
 * sbexec_io_close_output - the session takes no more output
 * @s: the session, leaving the table
 *
 * Its output files' writers get -EPIPE from now on (pipes' get it once
 * the session is freed).
 */
void sbexec_io_close_output(struct sbexec_session *s)
{
	mutex_lock(&s->prod_lock);
	WRITE_ONCE(s->output_closed, true);
	mutex_unlock(&s->prod_lock);
	sbexec_io_wake_writers(s);
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

static void sbexec_sink_free(struct kref *ref)
{
	kfree(container_of(ref, struct sbexec_sink, ref));
}

/**
 * sbexec_io_sink_put - drop a reference to an output file's state
 * @k: the sink
 */
void sbexec_io_sink_put(struct sbexec_sink *k)
{
	kref_put(&k->ref, sbexec_sink_free);
}

/**
 * sbexec_io_sink_session - an output file's session, for one write
 * @k: the sink
 *
 * Return: the session with a reference, or NULL once it is going.
 */
struct sbexec_session *sbexec_io_sink_session(struct sbexec_sink *k)
{
	struct sbexec_session *s;

	spin_lock(&k->lock);
	s = k->sess;
	if (s && !kref_get_unless_zero(&s->ref))
		s = NULL;
	spin_unlock(&k->lock);
	return s;
}

/**
 * sbexec_io_sinks_new - a DIRECT_OUTPUT session's output files' state
 * @s: the session, being created
 *
 * The files themselves are made when the helper asks (sink.c).
 *
 * Return: 0 or -ENOMEM (then sbexec_io_sinks_detach() frees what there is).
 */
int sbexec_io_sinks_new(struct sbexec_session *s)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(s->sink); i++) {
		struct sbexec_sink *k = kzalloc(sizeof(*k), GFP_KERNEL_ACCOUNT);

		if (!k)
			return -ENOMEM;
		kref_init(&k->ref);
		spin_lock_init(&k->lock);
		init_waitqueue_head(&k->wait);
		atomic_set(&k->writers, 0);
		k->sess = s;
		k->stream = i ? SBEXEC_STREAM_STDERR : SBEXEC_STREAM_STDOUT;
		s->sink[i] = k;
	}
	return 0;
}

/**
 * sbexec_io_sinks_detach - the session goes: its files stop taking output
 * @s: the session, its last reference gone (or never started)
 *
 * Drops the session's references to its sinks; their open files find no
 * session from now on (-EPIPE, EPOLLERR).
 */
void sbexec_io_sinks_detach(struct sbexec_session *s)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(s->sink); i++) {
		struct sbexec_sink *k = s->sink[i];

		if (!k)
			continue;
		spin_lock(&k->lock);
		k->sess = NULL;
		spin_unlock(&k->lock);
		wake_up_interruptible_poll(&k->wait, EPOLLERR);
		sbexec_io_sink_put(k);
		s->sink[i] = NULL;
	}
}

/**
 * sbexec_io_init - set up a new session's I/O state
 * @s: the session, being created
 */
void sbexec_io_init(struct sbexec_session *s)
{
	INIT_WORK(&s->io_work, sbexec_io_work);
	INIT_DELAYED_WORK(&s->linger_work, sbexec_linger_work);
	INIT_DELAYED_WORK(&s->retry_work, sbexec_retry_work);
	mutex_init(&s->in_lock);
	mutex_init(&s->prod_lock);
	init_waitqueue_head(&s->in_wait);
}

/**
 * sbexec_io_set_files - give a starting session its process's files
 * @s: the session, not running yet
 * @in: stdin pipe write end (pipe mode) or NULL; reference taken over
 * @out: stdout pipe read end or pty master, or NULL with output files;
 *	reference taken over
 * @err: stderr pipe read end (pipe mode) or NULL; reference taken over
 *
 * The files are made non-blocking: only io_work uses them.
 */
void sbexec_io_set_files(struct sbexec_session *s, struct file *in,
			 struct file *out, struct file *err)
{
	struct file *files[] = { out, err, in };
	unsigned int i;

	sbexec_port_init(s, SBEXEC_PORT_OUT, out, s->sink[0],
			 SBEXEC_STREAM_STDOUT);
	sbexec_port_init(s, SBEXEC_PORT_ERR, err, s->sink[1],
			 SBEXEC_STREAM_STDERR);
	sbexec_port_init(s, SBEXEC_PORT_IN, in, NULL, 0);
	for (i = 0; i < ARRAY_SIZE(files); i++)
		if (files[i])
			sbexec_file_set_nonblock(files[i]);
	s->in_closed = !in && !s->tty;
}

/**
 * sbexec_io_watch - have the files' wait queues queue io_work
 * @s: the session, its files set by sbexec_io_set_files()
 */
void sbexec_io_watch(struct sbexec_session *s)
{
	sbexec_port_watch(&s->port[SBEXEC_PORT_OUT]);
	sbexec_port_watch(&s->port[SBEXEC_PORT_ERR]);
	sbexec_port_watch(&s->port[SBEXEC_PORT_IN]);
}

/**
 * sbexec_io_stop - no file callback queues io_work any more
 * @s: the session, its last reference gone
 *
 * Waits for a running io_work.
 */
void sbexec_io_stop(struct sbexec_session *s)
{
	/*
	 * Waiter callbacks may requeue io_work until they are unhooked, and
	 * io_work unhooks the stdin port itself under in_lock; after this no
	 * callback can run. From then on io_work does nothing: it cannot arm
	 * the linger again.
	 */
	WRITE_ONCE(s->io_stopped, true);
	cancel_work_sync(&s->io_work);
	cancel_delayed_work_sync(&s->linger_work);
	cancel_delayed_work_sync(&s->retry_work);
	sbexec_port_unwatch(&s->port[SBEXEC_PORT_OUT]);
	sbexec_port_unwatch(&s->port[SBEXEC_PORT_ERR]);
	mutex_lock(&s->in_lock);
	sbexec_port_unwatch(&s->port[SBEXEC_PORT_IN]);
	mutex_unlock(&s->in_lock);
}

/**
 * sbexec_io_free - release a session's files and stdin buffer
 * @s: the session, io_work cancelled for good
 */
void sbexec_io_free(struct sbexec_session *s)
{
	unsigned int i;

	for (i = 0; i < SBEXEC_NR_PORTS; i++)
		if (s->port[i].file)
			fput(s->port[i].file);
	kvfree(s->in_buf);
}
