// SPDX-License-Identifier: GPL-2.0
/*
 * sbexec-fuzz: the op table, random numbers, the transmit buffer with the
 * one netlink attribute writer, timers, message descriptions, unexpected()
 * and counts.
 */
#include "fuzz.h"

/* ---- operations ---- */

const struct op_desc op_info[N_OPS] = {
	[OP_EXEC] = { "exec", 1000 },
	[OP_EXEC_OK] = { "exec-ok", 40 },
	[OP_STDIN] = { "stdin", 500 },
	[OP_CLOSE_STDIN] = { "close-stdin", 250 },
	[OP_RESIZE] = { "resize", 350 },
	[OP_SIGNAL] = { "signal", 350 },
	[OP_GET] = { "get", 450 },
	[OP_LIST] = { "list", 250 },
	[OP_EVENT_CMD] = { "event-cmd", 150 },
	[OP_UNKNOWN_CMD] = { "unknown-cmd", 150 },
	[OP_GENL_RAW] = { "genl-raw", 400 },
	[OP_OPEN] = { "open", 200 },
	[OP_CLOSE] = { "close", 150 },
	[OP_IOCTL] = { "ioctl", 600 },
	[OP_ATTACH] = { "attach", 600 },
	[OP_CONSUMED] = { "consumed", 400 },
	[OP_REGISTER] = { "register", 100 },
	[OP_READ] = { "read", 800 },
	[OP_WRITE] = { "write", 200 },
	[OP_POLL] = { "poll", 400 },
	[OP_MMAP] = { "mmap", 500 },
	[OP_MPROTECT] = { "mprotect", 300 },
	[OP_MUNMAP] = { "munmap", 150 },
	[OP_FORGE] = { "forge", 600 },
	[OP_ROUNDTRIP] = { "roundtrip", 3 },
};

/* ---- random numbers ---- */

uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t rnd64(struct rng *r)
{
	return splitmix(&r->s);
}

uint32_t rnd(struct rng *r, uint32_t n)
{
	return n ? (uint32_t)(rnd64(r) % n) : 0;
}

bool chance(struct rng *r, unsigned int pct)
{
	return rnd(r, 100) < pct;
}

void rnd_bytes(struct rng *r, void *p, size_t n)
{
	uint8_t *b = p;

	while (n) {
		uint64_t v = rnd64(r);
		size_t k = n < 8 ? n : 8;

		memcpy(b, &v, k);
		b += k;
		n -= k;
	}
}

uint32_t interesting_u32(struct rng *r)
{
	static const uint32_t v[] = {
		0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 63, 64, 65, 127, 128,
		255, 256, 4095, 4096, 4097, 65535, 65536, 0x7fffffff,
		0x80000000, 0xfffffffe, 0xffffffff,
	};

	return chance(r, 70) ? v[rnd(r, ARRAY_SIZE(v))] : (uint32_t)rnd64(r);
}

uint64_t interesting_u64(struct rng *r)
{
	static const uint64_t v[] = {
		0, 1, 2, 16, 1024, 4096, 1 << 20, 0x7fffffffffffffffULL,
		0x8000000000000000ULL, ~0ULL, ~0ULL - 1, 0xffffffffULL,
	};

	return chance(r, 70) ? v[rnd(r, ARRAY_SIZE(v))] : rnd64(r);
}

/* ---- a growable transmit buffer ---- */

void *buf_grow(struct buf *b, size_t n)
{
	void *at;

	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;

		while (cap < b->len + n)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (!b->p) {
			perror("sbexec-fuzz: realloc");
			exit(2);
		}
		b->cap = cap;
	}
	at = b->p + b->len;
	b->len += n;
	return at;
}

void buf_put(struct buf *b, const void *d, size_t n)
{
	memcpy(buf_grow(b, n), d, n);
}

void buf_fill(struct buf *b, int c, size_t n)
{
	memset(buf_grow(b, n), c, n);
}

void buf_pad4(struct buf *b)
{
	while (b->len & 3)
		*(uint8_t *)buf_grow(b, 1) = 0;
}

/*
 * The one netlink attribute writer: buf_nla_begin() appends the header
 * (returning its offset), the caller the payload, buf_nla_end() sets the
 * length (capped at 0xffff, so a nest may be oversized on purpose) and
 * pads to 4 bytes; buf_nla_put() is the three in one.
 */
size_t buf_nla_begin(struct buf *b, uint16_t type)
{
	size_t off = b->len;
	struct nlattr *a = buf_grow(b, NLA_HDRLEN);

	a->nla_type = type;
	a->nla_len = 0;
	return off;
}

void buf_nla_end(struct buf *b, size_t off)
{
	struct nlattr *a = (void *)(b->p + off);
	size_t len = b->len - off;

	a->nla_len = (uint16_t)(len > 0xffff ? 0xffff : len);
	buf_pad4(b);
}

void buf_nla_put(struct buf *b, uint16_t type, const void *d, size_t n)
{
	size_t off = buf_nla_begin(b, type);

	buf_put(b, d, n);
	buf_nla_end(b, off);
}

/* Append a zeroed netlink + generic netlink header; returns its offset. */
size_t buf_genl_hdr(struct buf *b)
{
	size_t off = b->len;

	buf_fill(b, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	return off;
}

/* ---- worker state: timers, descriptions, reports, counts ---- */

volatile sig_atomic_t alarmed;

void on_alarm(int sig)
{
	(void)sig;
	alarmed = 1;
}

/* Interrupt the next blocking system call after @ms (0: disarm). */
void guard(long ms)
{
	struct itimerval it = {
		.it_value = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 },
	};

	alarmed = 0;
	setitimer(ITIMER_REAL, &it, NULL);
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Append to the operation's description while it has room. */
static void vdesc(struct fuzz *f, const char *fmt, va_list ap)
{
	size_t n = strlen(f->desc);

	if (n >= sizeof(f->desc) - 1)
		return;
	vsnprintf(f->desc + n, sizeof(f->desc) - n, fmt, ap);
}

void desc(struct fuzz *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdesc(f, fmt, ap);
	va_end(ap);
}

/* desc() for a deliberate malformation */
void mut(struct fuzz *f, const char *fmt, ...)
{
	va_list ap;

	f->nmut++;
	va_start(ap, fmt);
	vdesc(f, fmt, ap);
	va_end(ap);
}

/* Stop every worker; the first report wins. */
void unexpected(struct fuzz *f, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	unsigned int i;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "sbexec-fuzz: UNEXPECTED (worker %u, message %" PRIu64
		", %s): %s\n", f->worker, f->idx, op_info[f->op].name, msg);
	if (__sync_bool_compare_and_swap(&f->sh->unexpected, 0, 1)) {
		n = (size_t)snprintf(f->sh->why, sizeof(f->sh->why),
				     "worker %u, message %" PRIu64 " (%s): %s\n"
				     "  this message: %s\n  the messages before it:\n",
				     f->worker, f->idx, op_info[f->op].name, msg,
				     f->desc);
		for (i = 0; i < HIST && n < sizeof(f->sh->why); i++) {
			const char *h = f->hist[(f->nhist + i) % HIST];

			if (h[0])
				n += (size_t)snprintf(f->sh->why + n,
						      sizeof(f->sh->why) - n,
						      "    %s\n", h);
		}
		if (n < sizeof(f->sh->why))
			snprintf(f->sh->why + n, sizeof(f->sh->why) - n,
				 "  replay: sbexec-fuzz --seed %" PRIu64
				 " --start %" PRIu64 " --count %" PRIu64 "\n",
				 f->seed, f->idx > 200 ? f->idx - 200 : 0,
				 f->idx > 200 ? (uint64_t)201 : f->idx + 1);
	}
	f->sh->stop = 1;
}

static unsigned int slot(int err)
{
	if (err < 0)
		return SLOT_NOREPLY;
	if (err >= ERRMAX)
		return SLOT_OTHER;
	return (unsigned int)err;
}

void count(struct fuzz *f, enum op op, int err)
{
	f->st->sent[op]++;
	f->st->res[op][slot(err)]++;
}

/* errno of a failed call, 0 when it succeeded */
int res_errno(long ret)
{
	return ret < 0 ? errno : 0;
}
