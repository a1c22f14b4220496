// SPDX-License-Identifier: GPL-2.0
/*
 * sbexec-fuzz: /dev/sbexec: the record stream check, read, write, poll,
 * mmap, mprotect, munmap.
 */
#include "fuzz.h"

/* ---- /dev/sbexec: read, write, poll and the mappings ---- */

/*
 * Check the records in [@p, @p + @n) against @rd's expectations: whole
 * records, known streams, flags 0, gapless sequence numbers, nothing after
 * the exit record. Stdout bytes and the exit info go to @out / @exit when
 * given. Return: false (reported) on a malformed stream.
 */
bool take_records(struct fuzz *f, struct reader *rd, const uint8_t *p,
		  size_t n, struct sink *sk)
{
	size_t pos = 0;

	while (pos < n) {
		struct sbexec_record h;
		size_t tot;

		if (n - pos < sizeof(h)) {
			unexpected(f, "session %u: a partial record header (%zu bytes) after %zu bytes",
				   rd->id, n - pos, pos);
			return false;
		}
		memcpy(&h, p + pos, sizeof(h));
		tot = (sizeof(h) + h.len + SBEXEC_RECORD_ALIGN - 1) &
		      ~(size_t)(SBEXEC_RECORD_ALIGN - 1);
		if (h.len > rd->ring_size || tot > n - pos) {
			unexpected(f, "session %u: record seq %llu len %u does not fit in the %zu bytes left",
				   rd->id, (unsigned long long)h.seq, h.len, n - pos);
			return false;
		}
		if (h.stream < SBEXEC_STREAM_STDOUT || h.stream > SBEXEC_STREAM_EXIT ||
		    h.flags) {
			unexpected(f, "session %u: record seq %llu has stream %u flags %u",
				   rd->id, (unsigned long long)h.seq, h.stream, h.flags);
			return false;
		}
		if (rd->exit_seen) {
			unexpected(f, "session %u: record seq %llu after the exit record",
				   rd->id, (unsigned long long)h.seq);
			return false;
		}
		if (rd->want_seq >= 0 && h.seq != (uint64_t)rd->want_seq) {
			unexpected(f, "session %u: record seq %llu, want %lld (gap or repeat)",
				   rd->id, (unsigned long long)h.seq, (long long)rd->want_seq);
			return false;
		}
		rd->want_seq = (int64_t)h.seq + 1;
		if (h.stream == SBEXEC_STREAM_EXIT) {
			if (h.len != sizeof(struct sbexec_exit_info)) {
				unexpected(f, "session %u: exit record of %u bytes", rd->id, h.len);
				return false;
			}
			rd->exit_seen = true;
			if (sk) {
				memcpy(&sk->exit, p + pos + sizeof(h), sizeof(sk->exit));
				sk->have_exit = true;
			}
		} else if (sk && h.stream == SBEXEC_STREAM_STDERR) {
			sk->stderr_seen = true;
		} else if (sk) {
			if (sk->len + h.len > sk->cap) {
				unexpected(f, "session %u: more output than input (%zu + %u > %zu)",
					   rd->id, sk->len, h.len, sk->cap);
				return false;
			}
			memcpy(sk->buf + sk->len, p + pos + sizeof(h), h.len);
			sk->len += h.len;
		}
		pos += tot;
	}
	return true;
}

void op_read(struct fuzz *f, struct rng *r)
{
	static const size_t sizes[] = {
		0, 1, 8, 15, 16, 23, 24, 31, 32, 40, 64, 4096, 65536, 1 << 20,
	};
	bool want = chance(r, 80);
	struct reader *rd = want ? pick_reader(f, r) : NULL;
	int fd, e;
	size_t size = chance(r, 80) ? sizes[rnd(r, ARRAY_SIZE(sizes))] : rnd(r, 1 << 20);
	const char *what = "buffer";
	uint8_t *p = f->scratch;
	bool blocking;
	ssize_t n;

	if (want && !rd) {
		op_attach(f, r);	/* no reader yet: make one */
		return;
	}
	fd = rd ? rd->fd : plain_fd(f, r, NULL);
	if (fd < 0)
		return;
	if (rd && chance(r, 10))
		size = rd->ring_size;
	if (chance(r, 12))
		p = bad_ptr(f, r, size, &what);
	blocking = !(fcntl(fd, F_GETFL) & O_NONBLOCK);
	if (blocking)
		guard(10 + rnd(r, 50));
	n = read(fd, p, size);
	e = res_errno(n);
	guard(0);
	count(f, OP_READ, e);
	desc(f, " %s size=%zu ptr=%s%s -> %zd %s", rd ? "reader" : "unattached", size,
	     what, blocking ? " blocking" : "", n, errname(e));
	if (!rd) {
		if (n > 0)
			unexpected(f, "read() of an unattached file returned %zd bytes", n);
		return;
	}
	if (n <= 0)
		return;
	if (p != f->scratch && !(p >= f->edge && p + n <= f->edge + f->pg)) {
		unexpected(f, "read() into a %s pointer returned %zd bytes", what, n);
		return;
	}
	if (rd->shared) {
		/* The racer consumes too: only the framing can be checked. */
		rd->want_seq = -1;
		rd->exit_seen = false;
	}
	take_records(f, rd, p, (size_t)n, NULL);
}

void op_write(struct fuzz *f, struct rng *r)
{
	struct reader *rd;
	int fd = any_fd(f, r, &rd), e;
	size_t size = chance(r, 50) ? rnd(r, 64) : rnd(r, 1 << 20);
	const char *what = "buffer";
	void *p = f->scratch;
	ssize_t n;

	if (fd < 0)
		return;
	if (chance(r, 30))
		p = bad_ptr(f, r, size, &what);
	else if (size >= sizeof(struct sbexec_upcall_hdr) && chance(r, 50)) {
		/* Something shaped like a helper reply. */
		struct sbexec_upcall_hdr *h = p;

		rnd_bytes(r, p, size < 4096 ? size : 4096);
		h->len = (uint32_t)size;
		h->type = chance(r, 50) ? SBEXEC_UP_SPAWNED : SBEXEC_UP_FORKED;
		h->flags = 0;
		h->id = rnd(r, 1000);
	}
	n = write(fd, p, size);
	e = res_errno(n);
	count(f, OP_WRITE, e);
	desc(f, " %s size=%zu ptr=%s -> %zd %s", rd ? "reader" : "unattached", size,
	     what, n, errname(e));
	if (n > 0)
		unexpected(f, "write() of %zu bytes to a %s file returned %zd", size,
			   rd ? "reader" : "unattached", n);
}

void op_poll(struct fuzz *f, struct rng *r)
{
	static const short evs[] = {
		POLLIN, POLLOUT, POLLPRI, POLLIN | POLLOUT | POLLPRI, 0, POLLRDHUP,
	};
	struct reader *rd;
	struct pollfd pfd;
	int ret, e, timeout = chance(r, 90) ? 0 : 1 + (int)rnd(r, 20);

	pfd.fd = any_fd(f, r, &rd);
	pfd.events = evs[rnd(r, ARRAY_SIZE(evs))];
	pfd.revents = 0;
	if (pfd.fd < 0)
		return;
	ret = poll(&pfd, 1, timeout);
	e = res_errno(ret);
	count(f, OP_POLL, e);
	desc(f, " %s events=%#x -> %d revents=%#x", rd ? "reader" : "unattached",
	     pfd.events, ret, pfd.revents);
	if (!rd && ret >= 0 && !(pfd.revents & POLLERR))
		unexpected(f, "poll() of an unattached file: revents %#x, want POLLERR",
			   pfd.revents);
}

uint64_t ring_total_pages(const struct fuzz *f, const struct reader *rd)
{
	return 2 + 2 * (uint64_t)(rd->ring_size / (uint32_t)f->pg);
}

static void map_add(struct fuzz *f, struct rng *r, void *addr, size_t len,
		    uint64_t pgoff, bool shared)
{
	unsigned int i;
	struct mapping *m = NULL;

	for (i = 0; i < MAX_MAPS && !m; i++)
		if (!f->maps[i].addr)
			m = &f->maps[i];
	if (!m) {
		m = &f->maps[rnd(r, MAX_MAPS)];
		munmap(m->addr, m->len);
	}
	m->addr = addr;
	m->len = len;
	m->pgoff = pgoff;
	m->shared = shared;
	m->holes = false;
	m->split = false;
}

void op_mmap(struct fuzz *f, struct rng *r)
{
	bool want = chance(r, 90);
	struct reader *rd = want ? pick_reader(f, r) : NULL;
	int fd, prot, flags, e;
	uint64_t total = rd ? ring_total_pages(f, rd) : 4, pgoff, pages, i;
	size_t len;
	off_t off;
	uint8_t *addr;
	volatile uint8_t sink;

	if (want && !rd) {
		op_attach(f, r);
		return;
	}
	fd = rd ? rd->fd : plain_fd(f, r, NULL);
	if (fd < 0)
		return;
	switch (rnd(r, 10)) {
	case 0: pgoff = 0; break;
	case 1: pgoff = 1; break;
	case 2: pgoff = 2; break;
	case 3: pgoff = total - 1; break;
	case 4: pgoff = total; break;
	case 5: pgoff = total + 1; break;
	case 6: pgoff = rnd(r, (uint32_t)(2 * total)); break;
	case 7: pgoff = (1ULL << 30) + rnd(r, 1 << 20); break;
	case 8: pgoff = 2 + (total - 2) / 2; break;
	default: pgoff = rnd(r, (uint32_t)total); break;
	}
	switch (rnd(r, 8)) {
	case 0: pages = 1; break;
	case 1: pages = 2; break;
	case 2: pages = pgoff < total ? total - pgoff : 1; break;
	case 3: pages = (pgoff < total ? total - pgoff : 1) + 1; break;
	case 4: pages = 1 + rnd(r, (uint32_t)total); break;
	case 5: pages = 0; break;
	case 6: pages = 1ULL << 30; break;
	default: pages = (total - 2) / 2; break;
	}
	len = (size_t)(pages * (uint64_t)f->pg);
	if (len && chance(r, 10))
		len -= rnd(r, (uint32_t)f->pg - 1);
	off = (off_t)(pgoff * (uint64_t)f->pg);
	if (chance(r, 3))
		off += 1 + rnd(r, (uint32_t)f->pg - 1);
	prot = chance(r, 50) ? PROT_READ : (int)rnd(r, 8);
	flags = chance(r, 85) ? MAP_SHARED : MAP_PRIVATE;
	if (chance(r, 10))
		flags |= MAP_POPULATE;
	if (chance(r, 20)) {
		/* What a reader would do: the whole ring, read-only. */
		pgoff = 0;
		pages = total;
		len = (size_t)(pages * (uint64_t)f->pg);
		off = 0;
		prot = PROT_READ;
		flags = MAP_SHARED;
	}
	addr = mmap(NULL, len, prot, flags, fd, off);
	e = addr == MAP_FAILED ? errno : 0;
	count(f, OP_MMAP, e);
	desc(f, " %s pgoff=%llu len=%zu prot=%d flags=%#x (ring pages %llu) -> %s",
	     rd ? "reader" : "unattached", (unsigned long long)pgoff, len, prot, flags,
	     (unsigned long long)total, errname(e));
	if (addr == MAP_FAILED)
		return;
	pages = (len + (size_t)f->pg - 1) / (size_t)f->pg;
	if (!rd) {
		unexpected(f, "mmap() of an unattached file succeeded");
	} else if (off % f->pg) {
		unexpected(f, "mmap() at unaligned offset %lld succeeded", (long long)off);
	} else if (pgoff + pages > total) {
		unexpected(f, "mmap() of pages %llu..%llu of a %llu-page ring succeeded",
			   (unsigned long long)pgoff,
			   (unsigned long long)(pgoff + pages - 1),
			   (unsigned long long)total);
	} else if ((prot & PROT_WRITE) && (flags & MAP_SHARED) &&
		   (pgoff != 0 || pages != 1)) {
		unexpected(f, "a writable shared mapping of ring pages %llu..%llu succeeded",
			   (unsigned long long)pgoff,
			   (unsigned long long)(pgoff + pages - 1));
	} else if (prot & PROT_READ) {
		for (i = 0; i < pages; i++)
			sink = addr[i * (uint64_t)f->pg];
		(void)sink;
		if (pgoff <= 1 && pgoff + pages > 1) {
			const struct sbexec_ring_producer *pp =
				(const void *)(addr + (1 - pgoff) * (uint64_t)f->pg);

			if (pp->size != rd->ring_size)
				unexpected(f, "the mapped producer page says size %llu, ATTACH said %u",
					   (unsigned long long)pp->size, rd->ring_size);
		}
	}
	map_add(f, r, addr, len, pgoff, flags & MAP_SHARED);
}

static struct mapping *pick_map(struct fuzz *f, struct rng *r)
{
	unsigned int i, n = 0;
	struct mapping *c[MAX_MAPS];

	for (i = 0; i < MAX_MAPS; i++)
		if (f->maps[i].addr)
			c[n++] = &f->maps[i];
	return n ? c[rnd(r, n)] : NULL;
}

void op_mprotect(struct fuzz *f, struct rng *r)
{
	struct mapping *m = pick_map(f, r);
	uint64_t pages, start, n;
	int prot, ret, e;
	unsigned int i;

	/*
	 * Prefer mappings that start at the consumer page, and aim at the
	 * pages right after it, before a first mprotect() splits them off.
	 */
	for (i = 0; m && m->pgoff && i < 3; i++)
		m = pick_map(f, r);
	if (!m) {
		op_mmap(f, r);
		return;
	}
	pages = (m->len + (size_t)f->pg - 1) / (size_t)f->pg;
	start = chance(r, 40) ? rnd(r, 3) : rnd(r, (uint32_t)pages);
	if (start >= pages)
		start = 0;
	n = chance(r, 40) ? 1 : 1 + rnd(r, (uint32_t)(pages - start));
	prot = chance(r, 50) ? PROT_READ | PROT_WRITE : (int)rnd(r, 8);
	if (!m->pgoff && !m->split && pages > 2 && chance(r, 50)) {
		start = 1 + rnd(r, 2);
		n = 1;
		prot = PROT_READ | PROT_WRITE;
	}
	m->split = true;
	ret = mprotect(m->addr + start * (uint64_t)f->pg, (size_t)(n * (uint64_t)f->pg), prot);
	e = res_errno(ret);
	count(f, OP_MPROTECT, e);
	desc(f, " ring pages %llu..%llu of a %s mapping of %zu pages from page %llu, prot=%d -> %s",
	     (unsigned long long)(m->pgoff + start),
	     (unsigned long long)(m->pgoff + start + n - 1),
	     m->shared ? "shared" : "private", (size_t)pages,
	     (unsigned long long)m->pgoff, prot, errname(e));
	if (!ret && (prot & PROT_WRITE) && m->shared && !m->holes &&
	    (m->pgoff + start != 0 || n != 1))
		unexpected(f, "mprotect(PROT_WRITE) of ring pages %llu..%llu of a shared mapping (mapped from page %llu) succeeded: the producer page and record headers become writable by userspace",
			   (unsigned long long)(m->pgoff + start),
			   (unsigned long long)(m->pgoff + start + n - 1),
			   (unsigned long long)m->pgoff);
}

void op_munmap(struct fuzz *f, struct rng *r)
{
	struct mapping *m = pick_map(f, r);
	uint64_t pages, start, n;
	int ret;

	if (!m) {
		op_mmap(f, r);
		return;
	}
	if (chance(r, 70)) {
		ret = munmap(m->addr, m->len);
		memset(m, 0, sizeof(*m));
		desc(f, " whole");
	} else {
		pages = (m->len + (size_t)f->pg - 1) / (size_t)f->pg;
		start = rnd(r, (uint32_t)pages);
		n = 1 + rnd(r, (uint32_t)(pages - start));
		/*
		 * Unmap the pages and keep the range reserved until the whole
		 * entry goes, in one step: MAP_FIXED unmaps what was there
		 * (the same split and close of the module's VMA as munmap())
		 * under the same mmap lock. A munmap() followed by a
		 * placeholder would leave a moment in which the racer
		 * thread's mmap() could land in the hole and then be
		 * replaced under its feet.
		 */
		ret = mmap(m->addr + start * (uint64_t)f->pg, (size_t)(n * (uint64_t)f->pg),
			   PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
		      MAP_FAILED ? -1 : 0;
		if (ret) {
			perror("sbexec-fuzz: unmapping pages under a placeholder");
			exit(2);
		}
		m->holes = true;
		desc(f, " pages %llu+%llu", (unsigned long long)start, (unsigned long long)n);
	}
	count(f, OP_MUNMAP, res_errno(ret));
}
