// SPDX-License-Identifier: GPL-2.0
/*
 * The reader side of a session: the one /dev/sbexec file attached to it
 * consumes the records of its ring, by read() or through its mmap() of the
 * ring (then telling the module with SBEXEC_IOC_CONSUMED or poll()), and
 * wakes io_work when it made room while io_work waited for some (see
 * sbexec_io_room_made()). Consumers are serialised by the session's
 * read_lock.
 */

#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "sbexec.h"

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
		sbexec_io_room_made(s);
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
		sbexec_io_room_made(s);
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
			sbexec_io_room_made(s);
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
