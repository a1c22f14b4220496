// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ring.c - the mapped reader: walk a session's output records in place,
 * in the style of the BPF ring buffer (tools/lib/bpf/ringbuf.c).
 *
 * Layout (SBEXEC_IOC_ATTACH in linux/sbexec.h): page 0 holds struct
 * sbexec_ring_consumer and is the only page this process may write; page
 * 1 holds struct sbexec_ring_producer and is followed by the ring data
 * mapped twice in a row, so a record never wraps in the mapping.
 *
 * Ordering: the module writes a record and then stores producer.pos with
 * release semantics; sbexec_ring_next() loads it with acquire semantics
 * before it reads any record below it. sbexec_ring_release() stores
 * consumer.pos with release semantics after the caller is done with the
 * records below it (pairs with the module's acquire load of that position
 * before it reuses the space), then tells the module with
 * SBEXEC_IOC_CONSUMED. The module validates that position and rewrites
 * the page with its own when it refuses it.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

int sbexec_ring_map(int fd, uint32_t ring_size, struct sbexec_ring_map *m)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t data_len;
	uint64_t pos, prod;
	void *cmap, *pmap;
	int err;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	if (pg <= 0 || !ring_size || ring_size % (unsigned long)pg ||
	    (ring_size & (ring_size - 1)))
		return -EINVAL;
	data_len = (size_t)pg + 2 * (size_t)ring_size;

	cmap = mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (cmap == MAP_FAILED)
		return -errno;
	pmap = mmap(NULL, data_len, PROT_READ, MAP_SHARED, fd, pg);
	if (pmap == MAP_FAILED) {
		err = -errno;
		munmap(cmap, (size_t)pg);
		return err;
	}

	m->fd = fd;
	m->ring_size = ring_size;
	m->page_size = (size_t)pg;
	m->data_map_len = data_len;
	m->consumer = cmap;
	m->producer = pmap;
	m->data = (const unsigned char *)pmap + pg;

	/* The module wrote its own consumer position into the page. */
	pos = __atomic_load_n(&m->consumer->pos, __ATOMIC_ACQUIRE);
	prod = __atomic_load_n(&m->producer->pos, __ATOMIC_ACQUIRE);
	if (__atomic_load_n(&m->producer->size, __ATOMIC_RELAXED) != ring_size ||
	    (pos | prod) % SBEXEC_RECORD_ALIGN || prod - pos > ring_size) {
		sbexec_ring_unmap(m);
		return -EPROTO;
	}
	m->pos = m->released = pos;
	m->prod = prod;
	return 0;
}

int sbexec_ring_next(struct sbexec_ring_map *m, const struct sbexec_record **rec,
		     const void **payload)
{
	struct sbexec_record_iter it;
	uint64_t prod;
	int ret;

	/*
	 * Nothing handed out is pending: the consumer page holds the
	 * position the module agreed to (ours, or where a read() left it).
	 */
	if (m->pos == m->released)
		m->pos = m->released =
			__atomic_load_n(&m->consumer->pos, __ATOMIC_RELAXED);

	/* Pairs with the module's store-release of producer.pos. */
	prod = __atomic_load_n(&m->producer->pos, __ATOMIC_ACQUIRE);
	m->prod = prod;
	if (prod == m->pos)
		return 0;
	/* Unsigned: a producer behind us is a huge distance too. */
	if ((prod | m->pos) % SBEXEC_RECORD_ALIGN || prod - m->pos > m->ring_size)
		return -EBADMSG;

	sbexec_record_iter_init(&it, m->data + (m->pos & (m->ring_size - 1)),
				(size_t)(prod - m->pos));
	ret = sbexec_record_next(&it, rec, payload);
	if (ret <= 0)
		return ret ? ret : -EBADMSG;
	m->pos += sbexec_record_size((*rec)->len);
	return 1;
}

/* Store the consumer position; the module takes it at its next look. */
static void sbx_ring_publish(struct sbexec_ring_map *m)
{
	if (m->pos == m->released)
		return;
	/* Pairs with the module's load-acquire of consumer.pos. */
	__atomic_store_n(&m->consumer->pos, m->pos, __ATOMIC_RELEASE);
	m->released = m->pos;
}

int sbexec_ring_release(struct sbexec_ring_map *m)
{
	if (m->pos == m->released)
		return 0;
	/* Pairs with the module's load-acquire of consumer.pos. */
	__atomic_store_n(&m->consumer->pos, m->pos, __ATOMIC_RELEASE);
	if (ioctl(m->fd, SBEXEC_IOC_CONSUMED) < 0)
		return -errno;
	m->released = m->pos;
	return 0;
}

int sbexec_ring_wait(struct sbexec_ring_map *m, int timeout_ms)
{
	struct pollfd pfd = { .fd = m->fd, .events = POLLIN };
	int n = poll(&pfd, 1, timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	if (n == 0)
		return 0;
	if (pfd.revents & POLLNVAL)
		return -EBADF;
	if (pfd.revents & POLLERR)
		return -EINVAL;
	if (pfd.revents & POLLIN)
		return 1;
	if (pfd.revents & POLLHUP)
		return -EPIPE;
	return 0;
}

void sbexec_ring_unmap(struct sbexec_ring_map *m)
{
	if (m->consumer)
		munmap(m->consumer, m->page_size);
	if (m->producer)
		munmap((void *)m->producer, m->data_map_len);
	memset(m, 0, sizeof(*m));
	m->fd = -1;
}

static int64_t ring_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sbexec_ring_collect(int fd, uint32_t ring_size, struct sbexec_output *o,
			int timeout_ms)
{
	int64_t deadline = timeout_ms >= 0 ? ring_now_ms() + timeout_ms : 0;
	const struct sbexec_record *rec;
	struct sbexec_ring_map m;
	bool hung_up = false;
	const void *payload;
	int err, ret;

	err = sbexec_ring_map(fd, ring_size, &m);
	if (err)
		return err;
	for (;;) {
		int wait = -1;

		while ((ret = sbexec_ring_next(&m, &rec, &payload)) > 0) {
			/* The record is contiguous: feed it as a buffer. */
			err = sbexec_output_feed(o, rec, sbexec_record_size(rec->len));
			if (err)
				goto out;
			/* Let the module refill while we go on. */
			if (m.pos - m.released >= m.ring_size / 2) {
				err = sbexec_ring_release(&m);
				if (err)
					goto out;
			}
		}
		if (ret < 0) {
			err = ret;
			goto out;
		}
		if (o->have_exit) {
			err = sbexec_ring_release(&m);
			break;
		}
		/*
		 * Caught up: the poll() below gives the module the position
		 * (as SBEXEC_IOC_CONSUMED would), one system call fewer per
		 * batch. A refused position is its POLLERR.
		 */
		sbx_ring_publish(&m);
		if (hung_up) {
			/* Everything consumed, and no exit record. */
			err = -EPROTO;
			goto out;
		}
		if (timeout_ms >= 0) {
			int64_t left = deadline - ring_now_ms();

			if (left <= 0) {
				err = -ETIMEDOUT;
				goto out;
			}
			wait = left > 60000 ? 60000 : (int)left;
		}
		ret = sbexec_ring_wait(&m, wait);
		if (ret == -EPIPE) {
			hung_up = true;	/* look once more, then give up */
		} else if (ret < 0) {
			err = ret;
			goto out;
		}
	}
out:
	sbexec_ring_unmap(&m);
	return err;
}
