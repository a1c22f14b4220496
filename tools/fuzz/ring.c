// SPDX-License-Identifier: GPL-2.0
/*
 * sbexec-fuzz: the mapped ring: mapping it, walking its records, forged
 * consumer positions.
 */
#include "fuzz.h"

/* ---- the mapped ring ---- */

/*
 * Map @rd's consumer page (read-write) and its producer page plus data
 * (read-only). Return: 0, or an errno (EACCES for a file opened without
 * read or write access is normal; anything else is reported).
 */
int ring_map(struct fuzz *f, struct reader *rd)
{
	void *p;
	int e;

	if (!rd->cons) {
		p = mmap(NULL, (size_t)f->pg, PROT_READ | PROT_WRITE, MAP_SHARED, rd->fd, 0);
		if (p == MAP_FAILED) {
			e = errno;
			if (e != EACCES)
				unexpected(f, "mapping the consumer page of session %u read-write: %s",
					   rd->id, errname(e));
			return e;
		}
		rd->cons = p;
	}
	if (!rd->ring) {
		rd->ring_len = (size_t)(ring_total_pages(f, rd) - 1) * (size_t)f->pg;
		p = mmap(NULL, rd->ring_len, PROT_READ, MAP_SHARED, rd->fd, f->pg);
		if (p == MAP_FAILED) {
			e = errno;
			if (e != EACCES)
				unexpected(f, "mapping the ring of session %u (%zu bytes): %s",
					   rd->id, rd->ring_len, errname(e));
			return e;
		}
		rd->ring = p;
	}
	return 0;
}

uint64_t ring_prod(const struct reader *rd)
{
	const struct sbexec_ring_producer *pp = (const void *)rd->ring;

	return __atomic_load_n(&pp->pos, __ATOMIC_ACQUIRE);
}

uint64_t ring_cons(const struct reader *rd)
{
	return __atomic_load_n(&rd->cons->pos, __ATOMIC_ACQUIRE);
}

/*
 * Walk the mapped records from @from to @to, checking each header and
 * that sequence numbers follow @rd->want_seq (when known). Boundaries
 * (including @to) go to @b (at most @max). Stdout and exit go to @sk.
 * Return: boundaries found, or -1 (reported).
 */
long ring_walk(struct fuzz *f, struct reader *rd, uint64_t from, uint64_t to,
	       uint64_t *b, long max, uint64_t *first_seq, struct sink *sk)
{
	const uint8_t *data = rd->ring + f->pg;
	uint64_t size = rd->ring_size, pos = from;
	long n = 0;

	*first_seq = UINT64_MAX;
	while (pos < to) {
		const struct sbexec_record *h = (const void *)(data + (pos & (size - 1)));
		size_t tot = (sizeof(*h) + h->len + SBEXEC_RECORD_ALIGN - 1) &
			     ~(size_t)(SBEXEC_RECORD_ALIGN - 1);

		if (n < max)
			b[n++] = pos;
		if (*first_seq == UINT64_MAX)
			*first_seq = h->seq;
		if (tot > to - pos) {
			unexpected(f, "session %u: mapped record at %llu (len %u) runs past the producer position %llu",
				   rd->id, (unsigned long long)pos, h->len,
				   (unsigned long long)to);
			return -1;
		}
		/* The ring is mapped twice in a row: a record never wraps. */
		if (!take_records(f, rd, (const uint8_t *)h, tot, sk))
			return -1;
		pos += tot;
	}
	if (n < max)
		b[n++] = pos;
	return n;
}

static bool is_boundary(const uint64_t *b, long n, uint64_t v)
{
	long i;

	for (i = 0; i < n; i++)
		if (b[i] == v)
			return true;
	return false;
}

#define MAX_BOUNDS 16384

/*
 * Write a forged position into the mapped consumer page, then let the
 * module look at it (CONSUMED, poll() or read()). A position that cannot
 * be a record boundary must be refused and the page rewritten with the
 * module's position; a real boundary must be accepted.
 */
void op_forge(struct fuzz *f, struct rng *r)
{
	static uint64_t b[MAX_BOUNDS];
	struct reader *rd = pick_reader(f, r);
	uint64_t c0, prod, size, forged, seq0, after, seq_at;
	long nb, i;
	int e, ret, valid;	/* 1 valid, 0 invalid, -1 cannot tell */
	unsigned int how;
	const char *trig;
	struct pollfd pfd;
	ssize_t n;

	if (!rd) {
		op_attach(f, r);
		return;
	}
	e = ring_map(f, rd);
	if (e) {
		count(f, OP_FORGE, e);
		return;
	}
	if (rd->shared) {
		/* The racer consumes too: no position can be checked. */
		c0 = ring_cons(rd);
		prod = ring_prod(rd);
		forged = chance(r, 40) ? prod : chance(r, 50) ? c0 + 8 * rnd(r, 64) : rnd64(r);
		__atomic_store_n(&rd->cons->pos, forged, __ATOMIC_RELEASE);
		ret = ioctl(rd->fd, SBEXEC_IOC_CONSUMED);
		e = res_errno(ret);
		count(f, OP_FORGE, e);
		desc(f, " shared session %u c0=%llu prod=%llu forged=%llu -> %s", rd->id,
		     (unsigned long long)c0, (unsigned long long)prod,
		     (unsigned long long)forged, errname(e));
		if (e && e != EINVAL)
			unexpected(f, "CONSUMED after forging: %s", errname(e));
		rd->want_seq = -1;
		return;
	}
	size = rd->ring_size;
	ret = ioctl(rd->fd, SBEXEC_IOC_CONSUMED);
	if (ret && errno != EINVAL) {
		unexpected(f, "CONSUMED on a reader: %s", errname(errno));
		return;
	}
	c0 = ring_cons(rd);
	prod = ring_prod(rd);
	if (((const struct sbexec_ring_producer *)rd->ring)->size != size) {
		unexpected(f, "session %u: producer page size %llu, ring is %llu", rd->id,
			   (unsigned long long)((const struct sbexec_ring_producer *)rd->ring)->size,
			   (unsigned long long)size);
		return;
	}
	if (prod < c0 || prod - c0 > size || (c0 & 7) || (prod & 7)) {
		unexpected(f, "session %u: consumer %llu and producer %llu do not make sense (ring %llu)",
			   rd->id, (unsigned long long)c0, (unsigned long long)prod,
			   (unsigned long long)size);
		return;
	}
	nb = ring_walk(f, rd, c0, prod, b, MAX_BOUNDS, &seq0, NULL);
	if (nb < 0)
		return;
	/* ring_walk advanced want_seq past every record: undo, it only looked. */
	if (seq0 != UINT64_MAX) {
		rd->want_seq = (int64_t)seq0;
		rd->exit_seen = false;
	}

	how = rnd(r, 100);
	if (how < 30)
		forged = b[rnd(r, (uint32_t)nb)];
	else if (how < 45)
		forged = b[rnd(r, (uint32_t)nb)] + 1 + rnd(r, 7);
	else if (how < 55)
		forged = c0 >= 8 ? c0 - 8 * (1 + rnd(r, (uint32_t)(c0 / 8 < 64 ? c0 / 8 : 64))) :
				   UINT64_MAX;
	else if (how < 65)
		forged = b[rnd(r, (uint32_t)nb)] + 8 * (1 + rnd(r, 2));
	else if (how < 75)
		forged = prod + 8 * rnd(r, (uint32_t)(size / 8 + 4));
	else if (how < 85)
		forged = rnd64(r);
	else if (how < 90)
		forged = chance(r, 50) ? UINT64_MAX : c0 + size + 8;
	else
		forged = c0;

	if (forged <= prod && forged >= c0 && nb < MAX_BOUNDS)
		valid = is_boundary(b, nb, forged);
	else if (forged & 7 || forged < c0 || forged > c0 + size)
		valid = 0;
	else
		valid = -1;	/* beyond the producer: depends on what comes */
	seq_at = UINT64_MAX;
	for (i = 0; i < nb && seq0 != UINT64_MAX; i++)
		if (b[i] == forged)
			seq_at = seq0 + (uint64_t)i;

	__atomic_store_n(&rd->cons->pos, forged, __ATOMIC_RELEASE);
	how = rnd(r, 10);
	if (how < 6) {
		trig = "CONSUMED";
		ret = ioctl(rd->fd, SBEXEC_IOC_CONSUMED);
		e = res_errno(ret);
	} else if (how < 8) {
		trig = "poll";
		pfd.fd = rd->fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		ret = poll(&pfd, 1, 0);
		e = ret < 0 ? errno : (pfd.revents & POLLERR) ? EINVAL : 0;
	} else {
		trig = "read";
		/* read() adopts the page first, then reads from there. */
		if (valid == 0)
			rd->want_seq = seq0 != UINT64_MAX ? (int64_t)seq0 : rd->want_seq;
		else if (valid == 1 && seq_at != UINT64_MAX)
			rd->want_seq = (int64_t)seq_at;
		else
			rd->want_seq = -1;
		if (valid == 1 && forged == prod)
			rd->want_seq = -1;	/* the next seq is whatever comes */
		rd->exit_seen = false;
		guard(20);
		n = read(rd->fd, f->scratch, 1 << 20);
		e = res_errno(n);
		guard(0);
		count(f, OP_FORGE, e);
		desc(f, " session %u c0=%llu prod=%llu forged=%llu (%s) via read -> %zd %s",
		     rd->id, (unsigned long long)c0, (unsigned long long)prod,
		     (unsigned long long)forged,
		     valid == 1 ? "boundary" : valid ? "unknown" : "invalid", n, errname(e));
		if (n > 0)
			take_records(f, rd, f->scratch, (size_t)n, NULL);
		return;
	}
	count(f, OP_FORGE, e);
	after = ring_cons(rd);
	desc(f, " session %u c0=%llu prod=%llu forged=%llu (%s) via %s -> %s, page %llu",
	     rd->id, (unsigned long long)c0, (unsigned long long)prod,
	     (unsigned long long)forged,
	     valid == 1 ? "boundary" : valid ? "unknown" : "invalid", trig, errname(e),
	     (unsigned long long)after);
	if (e && e != EINVAL) {
		unexpected(f, "%s after forging the consumer position: %s", trig, errname(e));
		return;
	}
	if (valid == 0 && !e && forged != c0) {
		unexpected(f, "session %u: forged consumer position %llu accepted by %s (module had %llu, producer %llu, ring %llu)",
			   rd->id, (unsigned long long)forged, trig, (unsigned long long)c0,
			   (unsigned long long)prod, (unsigned long long)size);
		return;
	}
	if (valid == 1 && e) {
		unexpected(f, "session %u: consumer position %llu, a record boundary in [%llu, %llu], refused by %s",
			   rd->id, (unsigned long long)forged, (unsigned long long)c0,
			   (unsigned long long)prod, trig);
		return;
	}
	if (e && after != c0) {
		unexpected(f, "session %u: a refused consumer position left %llu in the page, want %llu",
			   rd->id, (unsigned long long)after, (unsigned long long)c0);
		return;
	}
	if (!e && after != forged) {
		unexpected(f, "session %u: an accepted consumer position %llu reads back as %llu",
			   rd->id, (unsigned long long)forged, (unsigned long long)after);
		return;
	}
	if (!e && forged != c0) {
		/* Records were skipped: the next one is the one at @forged. */
		rd->want_seq = seq_at != UINT64_MAX && forged != prod ? (int64_t)seq_at : -1;
		rd->exit_seen = false;
	}
}
