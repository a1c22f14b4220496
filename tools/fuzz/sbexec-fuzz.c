// SPDX-License-Identifier: GPL-2.0
/*
 * sbexec-fuzz: random and malformed input against every sbexec operation.
 *
 * Targets only the "sbexec" generic netlink family (resolved through
 * nlctrl) and /dev/sbexec. Each "message" is one operation: a generic
 * netlink request (EXEC, STDIN, CLOSE_STDIN, RESIZE, SIGNAL, GET, LIST,
 * the event command numbers, unknown command numbers, raw garbage), or one
 * /dev/sbexec call (open, close, ioctl, ATTACH, CONSUMED, HELPER_REGISTER,
 * read, write, poll, mmap, mprotect, munmap, a forged consumer position),
 * or one checked end-to-end session (cat echoing random stdin through a
 * small ring, consumed with read() or the mapped ring). A racer thread per
 * worker works the same sessions at the same time (see struct racer).
 *
 * Reproducible from a seed: message N of worker W draws from a generator
 * seeded by (seed + W, N) only, so `--seed S --start N --count 1` rebuilds
 * message N (the session ids and open files it picks from depend on what
 * ran before it, so replay from somewhat earlier; --no-racer takes the
 * racer thread's timing out of a replay).
 *
 * What it never does: target another netlink family or device, signal a
 * process that is not a session it started (SIGNAL is only sent to ids it
 * got from its own EXECs or to ids >= 2^31, and never to a session that
 * existed when it started), set KEEP_RUNNING on more than --max-keep
 * sessions (which it kills and reads to their end before exiting), or run
 * anything but /bin/true, `sleep 0.1` and `cat` (random EXECs name only
 * true, paths that do not exist or are not executable, and garbage that
 * the module must refuse).
 *
 * It stops at the first unexpected condition: a kernel log line matching
 * the patterns (scripts/dmesg-patterns; --patterns), a change of
 * /proc/sys/kernel/tainted, the family or the device disappearing, a
 * second helper registration that succeeds, a well-formed EXEC that fails
 * (other than EAGAIN at a limit), a malformed record stream (sequence gap,
 * partial record, record after the exit record), a ring page other than
 * the consumer page that can be mapped or mprotect()ed writable, a forged
 * consumer position that is accepted when it cannot be a record boundary
 * (or refused when it is one), an echo session whose output differs from
 * its input, an operation that blocks for more than 40 s. Exit status: 0
 * clean, 1 unexpected condition, 2 usage or setup error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/sbexec.h>
#include <pthread.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define DEV_PATH	"/dev/sbexec"
#define NONEXISTENT	"/nonexistent-sbexec-fuzz/"

/* ---- operations and statistics ---- */

enum op {
	OP_EXEC, OP_EXEC_OK, OP_STDIN, OP_CLOSE_STDIN, OP_RESIZE, OP_SIGNAL,
	OP_GET, OP_LIST, OP_EVENT_CMD, OP_UNKNOWN_CMD, OP_GENL_RAW,
	OP_OPEN, OP_CLOSE, OP_IOCTL, OP_ATTACH, OP_CONSUMED, OP_REGISTER,
	OP_READ, OP_WRITE, OP_POLL, OP_MMAP, OP_MPROTECT, OP_MUNMAP,
	OP_FORGE, OP_ROUNDTRIP,
	N_OPS
};

static const struct {
	const char *name;
	unsigned int weight;	/* relative frequency */
} op_info[N_OPS] = {
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

/* Result slots: 0 success, 1..ERRMAX-1 an errno, then "other", "no reply". */
#define ERRMAX		134
#define SLOT_OTHER	ERRMAX
#define SLOT_NOREPLY	(ERRMAX + 1)
#define NSLOT		(ERRMAX + 2)

struct stats {
	uint64_t sent[N_OPS];
	uint64_t ns[N_OPS];	/* time spent, by the op that was drawn */
	uint64_t res[N_OPS][NSLOT];
	uint64_t racer_calls;	/* by the racer thread, not counted as messages */
};

/* Shared between the workers and the parent (MAP_SHARED). */
struct shared {
	volatile int stop;
	volatile int unexpected;
	char why[4096];
	struct stats st[];
};

struct opts {
	uint64_t seed;
	uint64_t count;
	uint64_t start;
	unsigned int seconds;
	unsigned int jobs;
	unsigned int max_keep;
	unsigned int session_timeout;
	unsigned int weight[N_OPS];
	const char *patterns;
	bool kmsg;
	bool racer;
	int verbose;
};

/* ---- random numbers ---- */

struct rng {
	uint64_t s;
};

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd64(struct rng *r)
{
	return splitmix(&r->s);
}

static uint32_t rnd(struct rng *r, uint32_t n)
{
	return n ? (uint32_t)(rnd64(r) % n) : 0;
}

static bool chance(struct rng *r, unsigned int pct)
{
	return rnd(r, 100) < pct;
}

static void rnd_bytes(struct rng *r, void *p, size_t n)
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

static uint32_t interesting_u32(struct rng *r)
{
	static const uint32_t v[] = {
		0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 63, 64, 65, 127, 128,
		255, 256, 4095, 4096, 4097, 65535, 65536, 0x7fffffff,
		0x80000000, 0xfffffffe, 0xffffffff,
	};

	return chance(r, 70) ? v[rnd(r, ARRAY_SIZE(v))] : (uint32_t)rnd64(r);
}

static uint64_t interesting_u64(struct rng *r)
{
	static const uint64_t v[] = {
		0, 1, 2, 16, 1024, 4096, 1 << 20, 0x7fffffffffffffffULL,
		0x8000000000000000ULL, ~0ULL, ~0ULL - 1, 0xffffffffULL,
	};

	return chance(r, 70) ? v[rnd(r, ARRAY_SIZE(v))] : rnd64(r);
}

/* ---- a growable transmit buffer ---- */

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void *buf_grow(struct buf *b, size_t n)
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

static void buf_put(struct buf *b, const void *d, size_t n)
{
	memcpy(buf_grow(b, n), d, n);
}

static void buf_fill(struct buf *b, int c, size_t n)
{
	memset(buf_grow(b, n), c, n);
}

static void buf_pad4(struct buf *b)
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
static size_t buf_nla_begin(struct buf *b, uint16_t type)
{
	size_t off = b->len;
	struct nlattr *a = buf_grow(b, NLA_HDRLEN);

	a->nla_type = type;
	a->nla_len = 0;
	return off;
}

static void buf_nla_end(struct buf *b, size_t off)
{
	struct nlattr *a = (void *)(b->p + off);
	size_t len = b->len - off;

	a->nla_len = (uint16_t)(len > 0xffff ? 0xffff : len);
	buf_pad4(b);
}

static void buf_nla_put(struct buf *b, uint16_t type, const void *d, size_t n)
{
	size_t off = buf_nla_begin(b, type);

	buf_put(b, d, n);
	buf_nla_end(b, off);
}

/* Append a zeroed netlink + generic netlink header; returns its offset. */
static size_t buf_genl_hdr(struct buf *b)
{
	size_t off = b->len;

	buf_fill(b, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	return off;
}

/* ---- worker state ---- */

#define MAX_IDS		64
#define MAX_KEEP	16
#define MAX_FOREIGN	4096
#define MAX_PLAIN	6
#define MAX_READERS	4
#define MAX_MAPS	16
#define MAX_PEND	8
#define MAX_ATTRS	2048
#define HIST		16
#define RXBUF		(256 * 1024)
#define OP_SLOW_NS	(40ULL * 1000000000ULL)

/* One genl message of the current send, waiting for its answer. */
struct pend {
	uint32_t seq;
	enum op op;
	bool answered;
	bool keep;	/* the request set KEEP_RUNNING */
	int err;	/* positive errno, 0 */
	uint32_t sid;	/* SESSION_ID of an EXEC reply */
};

/* An open /dev/sbexec file attached to a session. */
struct reader {
	int fd;
	uint32_t id;
	uint32_t ring_size;
	int64_t want_seq;	/* the seq the next record must have; -1 unknown */
	bool exit_seen;
	bool shared;	/* the racer thread has a dup: it reads and consumes too */
	struct sbexec_ring_consumer *cons;	/* mapped consumer page */
	const uint8_t *ring;	/* mapped producer page + data twice */
	size_t ring_len;
};

/* A mapping made by the mmap operation. */
struct mapping {
	uint8_t *addr;
	size_t len;
	uint64_t pgoff;
	bool shared;
	bool holes;	/* partly unmapped (the holes hold PROT_NONE placeholders) */
	bool split;	/* mprotect()ed: page 0 may be a VMA of its own now */
};

/*
 * The racer: a second thread per worker that works the same sessions at
 * the same time through its own netlink socket (STDIN, CLOSE_STDIN,
 * RESIZE, SIGNAL, GET, LIST) and through dup()s of some readers (read,
 * poll, CONSUMED, mmap, a written consumer position), to shake out races
 * with the main thread's requests, reads, forged positions and closes.
 * It owns its dup()s (so it never touches a descriptor the main thread
 * may have closed and reused) and blocks SIGALRM (the main thread's).
 */
#define RACER_FDS	4
#define RACER_IDS	8

struct racer {
	pthread_t th;
	pthread_mutex_t lock;	/* protects q, nq, ids, nids, tick */
	pthread_cond_t ticked;	/* tick moved */
	struct {
		int fd;
		uint32_t ring_size;
	} q[RACER_FDS];	/* handed over by the main thread */
	unsigned int nq;
	uint32_t ids[RACER_IDS];
	unsigned int nids, ids_pos;
	volatile int stop;
	uint64_t tick;	/* the main thread's message index */
	uint64_t seed;
	uint16_t fam;
	long pg;
	uint64_t calls;
	bool running;
};

struct fuzz {
	const struct opts *o;
	struct shared *sh;
	struct stats *st;
	unsigned int worker;
	uint64_t seed;
	long pg;
	unsigned int wsum;

	/* generic netlink */
	int nl, ev;
	uint16_t fam;
	uint32_t grp;
	uint32_t seq;
	uint32_t sock_msgs, sock_limit, sock_sessions;
	struct pend pend[MAX_PEND];
	unsigned int npend;
	struct buf tx;
	size_t attrs[MAX_ATTRS];
	unsigned int nattrs;
	bool in_exec;	/* building an EXEC: never produce a CMD attribute by accident */
	unsigned int nmut;	/* malformations in the message being built */
	bool private_ids;	/* ids tracked now are not given to the racer */
	uint8_t *rx;
	uint32_t *collect;	/* LIST ids go here while set */
	unsigned int ncollect;

	/* sessions */
	uint32_t ids[MAX_IDS];
	unsigned int nids, ids_pos;
	uint32_t last_id;
	uint32_t keep[MAX_KEEP];
	unsigned int nkeep, keep_tried;
	uint32_t foreign[MAX_FOREIGN];
	unsigned int nforeign;

	/* /dev/sbexec */
	int plain[MAX_PLAIN];
	struct reader rd[MAX_READERS];
	struct mapping maps[MAX_MAPS];
	uint8_t *none_page, *ro_page, *edge;	/* edge: rw page, then PROT_NONE */
	uint8_t *scratch;	/* 1 MiB read buffer */

	/* checks */
	int kmsg;
	regex_t *pats;
	unsigned int npats;
	char taint0[64];

	struct racer rc;

	/* the current message */
	uint64_t idx;
	enum op op;
	char desc[256];
	char hist[HIST][256];
	unsigned int nhist;
};

static volatile sig_atomic_t alarmed;

static void on_alarm(int sig)
{
	(void)sig;
	alarmed = 1;
}

/* Interrupt the next blocking system call after @ms (0: disarm). */
static void guard(long ms)
{
	struct itimerval it = {
		.it_value = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 },
	};

	alarmed = 0;
	setitimer(ITIMER_REAL, &it, NULL);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void desc(struct fuzz *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void desc(struct fuzz *f, const char *fmt, ...)
{
	size_t n = strlen(f->desc);
	va_list ap;

	if (n >= sizeof(f->desc) - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(f->desc + n, sizeof(f->desc) - n, fmt, ap);
	va_end(ap);
}

/* desc() for a deliberate malformation */
static void mut(struct fuzz *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void mut(struct fuzz *f, const char *fmt, ...)
{
	size_t n = strlen(f->desc);
	va_list ap;

	f->nmut++;
	if (n >= sizeof(f->desc) - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(f->desc + n, sizeof(f->desc) - n, fmt, ap);
	va_end(ap);
}

static void unexpected(struct fuzz *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Stop every worker; the first report wins. */
static void unexpected(struct fuzz *f, const char *fmt, ...)
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

static void count(struct fuzz *f, enum op op, int err)
{
	f->st->sent[op]++;
	f->st->res[op][slot(err)]++;
}

/* errno of a failed call, 0 when it succeeded */
static int res_errno(long ret)
{
	return ret < 0 ? errno : 0;
}

/* ---- generic netlink plumbing ---- */

static int nl_open(bool big)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int one = 1, sz = 4 << 20;

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	if (big) {
		/* Room for EXECs over 256 KiB and for dumps. */
		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)))
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		sz = 1 << 20;
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	}
	return fd;
}

static int nl_sendto(int fd, const void *p, size_t len)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	return (int)sendto(fd, p, len, 0, (struct sockaddr *)&sa, sizeof(sa));
}

static const struct nlattr *nla_next_ok(const uint8_t *p, size_t rem)
{
	const struct nlattr *a = (const void *)p;

	if (rem < NLA_HDRLEN || a->nla_len < NLA_HDRLEN || a->nla_len > rem)
		return NULL;
	return a;
}

#define for_each_nla(a, start, len) \
	for (size_t _o = 0, _l = (size_t)(len); \
	     ((a) = nla_next_ok((const uint8_t *)(start) + _o, _l - _o)); \
	     _o += NLA_ALIGN((a)->nla_len), _o = _o > _l ? _l : _o)

/*
 * Resolve the family id and the events group through nlctrl.
 * Return: 0, or -1 when the family is not there.
 */
static int nl_resolve(int fd, uint16_t *fam, uint32_t *grp)
{
	struct buf req = { 0 };
	struct nlmsghdr *rh;
	struct genlmsghdr *rg;
	static uint8_t rx[16384];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t deadline = now_ns() + 5000000000ULL;
	int sent;

	buf_genl_hdr(&req);
	buf_nla_put(&req, CTRL_ATTR_FAMILY_NAME, SBEXEC_GENL_NAME,
		    strlen(SBEXEC_GENL_NAME) + 1);
	rh = (void *)req.p;
	rg = (void *)(req.p + NLMSG_HDRLEN);
	rh->nlmsg_len = (uint32_t)req.len;
	rh->nlmsg_type = GENL_ID_CTRL;
	rh->nlmsg_flags = NLM_F_REQUEST;
	rh->nlmsg_seq = 1;
	rg->cmd = CTRL_CMD_GETFAMILY;
	rg->version = 1;
	sent = nl_sendto(fd, req.p, req.len);
	free(req.p);
	if (sent < 0)
		return -1;
	*fam = 0;
	*grp = 0;
	while (now_ns() < deadline) {
		ssize_t n;
		struct nlmsghdr *h;

		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		n = recv(fd, rx, sizeof(rx), MSG_DONTWAIT);
		if (n < 0)
			continue;
		for (h = (void *)rx; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			const struct nlattr *a, *g, *m;
			size_t alen;

			if (h->nlmsg_type == NLMSG_ERROR)
				return -1;
			if (h->nlmsg_type != GENL_ID_CTRL)
				continue;
			alen = h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
			for_each_nla(a, (uint8_t *)NLMSG_DATA(h) + GENL_HDRLEN, alen) {
				if ((a->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_FAMILY_ID)
					memcpy(fam, (const uint8_t *)a + NLA_HDRLEN, 2);
				if ((a->nla_type & NLA_TYPE_MASK) != CTRL_ATTR_MCAST_GROUPS)
					continue;
				for_each_nla(g, (const uint8_t *)a + NLA_HDRLEN,
					     a->nla_len - NLA_HDRLEN) {
					const char *name = NULL;
					uint32_t id = 0;

					for_each_nla(m, (const uint8_t *)g + NLA_HDRLEN,
						     g->nla_len - NLA_HDRLEN) {
						int t = m->nla_type & NLA_TYPE_MASK;

						if (t == CTRL_ATTR_MCAST_GRP_NAME)
							name = (const char *)m + NLA_HDRLEN;
						if (t == CTRL_ATTR_MCAST_GRP_ID)
							memcpy(&id, (const uint8_t *)m + NLA_HDRLEN, 4);
					}
					if (name && !strcmp(name, SBEXEC_MCGRP_EVENTS))
						*grp = id;
				}
			}
			return *fam ? 0 : -1;
		}
	}
	return -1;
}

static struct pend *pend_find(struct fuzz *f, uint32_t seq)
{
	unsigned int i;

	for (i = 0; i < f->npend; i++)
		if (f->pend[i].seq == seq)
			return &f->pend[i];
	return NULL;
}

static void nl_handle(struct fuzz *f, const struct nlmsghdr *h)
{
	struct pend *p = pend_find(f, h->nlmsg_seq);
	const struct genlmsghdr *g;
	const struct nlattr *a;
	uint32_t v;

	if (h->nlmsg_type == f->fam && f->collect &&
	    h->nlmsg_len >= NLMSG_HDRLEN + GENL_HDRLEN) {
		g = NLMSG_DATA(h);
		for_each_nla(a, (const uint8_t *)g + GENL_HDRLEN,
			     h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN) {
			if ((a->nla_type & NLA_TYPE_MASK) == SBEXEC_A_SESSION_ID &&
			    a->nla_len >= NLA_HDRLEN + 4 && f->ncollect < MAX_FOREIGN) {
				memcpy(&v, (const uint8_t *)a + NLA_HDRLEN, 4);
				f->collect[f->ncollect++] = v;
			}
		}
	}
	if (!p)
		return;
	if (h->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(h);

		p->answered = true;
		if (h->nlmsg_len >= NLMSG_HDRLEN + sizeof(int))
			p->err = -e->error;
		return;
	}
	if (h->nlmsg_type == NLMSG_DONE) {
		int err = 0;

		if (h->nlmsg_len >= NLMSG_HDRLEN + sizeof(int))
			memcpy(&err, NLMSG_DATA(h), sizeof(int));
		p->answered = true;
		p->err = -err;
		return;
	}
	if (h->nlmsg_type != f->fam || h->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return;
	p->answered = true;
	g = NLMSG_DATA(h);
	if (g->cmd != SBEXEC_CMD_EXEC)
		return;
	for_each_nla(a, (const uint8_t *)g + GENL_HDRLEN,
		     h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN) {
		if ((a->nla_type & NLA_TYPE_MASK) == SBEXEC_A_SESSION_ID &&
		    a->nla_len >= NLA_HDRLEN + 4)
			memcpy(&p->sid, (const uint8_t *)a + NLA_HDRLEN, 4);
	}
}

/* Read and parse whatever is queued on @fd, without blocking. */
static void nl_drain(struct fuzz *f, int fd)
{
	for (;;) {
		ssize_t n = recv(fd, f->rx, RXBUF, MSG_DONTWAIT);
		const struct nlmsghdr *h;

		if (n < 0) {
			if (errno == EINTR || errno == ENOBUFS)
				continue;
			return;
		}
		if (n == 0 || fd == f->ev)
			continue;
		for (h = (void *)f->rx; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n))
			nl_handle(f, h);
	}
}

static void track_id(struct fuzz *f, uint32_t id, bool keep)
{
	f->ids[f->ids_pos] = id;
	f->ids_pos = (f->ids_pos + 1) % MAX_IDS;
	if (f->nids < MAX_IDS)
		f->nids++;
	f->last_id = id;
	f->sock_sessions++;
	if (f->rc.running && !f->private_ids) {
		pthread_mutex_lock(&f->rc.lock);
		f->rc.ids[f->rc.ids_pos] = id;
		f->rc.ids_pos = (f->rc.ids_pos + 1) % RACER_IDS;
		if (f->rc.nids < RACER_IDS)
			f->rc.nids++;
		pthread_mutex_unlock(&f->rc.lock);
	}
	if (keep && f->nkeep < MAX_KEEP)
		f->keep[f->nkeep++] = id;
}

/*
 * Send what is in f->tx (the messages listed in f->pend), collect the
 * answers and count each message under its op. @ms bounds how long a doit
 * may block (STDIN waits while the session's stdin buffer is full); an
 * interrupted doit sends no ack. With @wait, keep reading for up to a
 * second until every message is answered (for clean requests).
 */
static void nl_xmit(struct fuzz *f, long ms, bool wait, bool counted)
{
	struct pollfd pfd = { .fd = f->nl, .events = POLLIN };
	unsigned int i, tries;
	int n, e;

	guard(ms);
	n = nl_sendto(f->nl, f->tx.p, f->tx.len);
	e = n < 0 ? errno : 0;
	guard(0);
	if (n < 0) {
		for (i = 0; i < f->npend; i++) {
			f->pend[i].answered = true;
			f->pend[i].err = e;
		}
	}
	nl_drain(f, f->nl);
	/* Doits answer before sendto() returns; only dumps need waiting for. */
	for (tries = 0; wait && !alarmed && tries < 20; tries++) {
		bool all = true;

		for (i = 0; i < f->npend; i++)
			all &= f->pend[i].answered;
		if (all)
			break;
		poll(&pfd, 1, 50);
		nl_drain(f, f->nl);
	}
	for (i = 0; i < f->npend; i++) {
		struct pend *p = &f->pend[i];

		if (p->sid && !p->err)
			track_id(f, p->sid, p->keep);
		if (counted)
			count(f, p->op, p->answered ? p->err : -1);
	}
	if (f->ev >= 0)
		nl_drain(f, f->ev);
	f->sock_msgs += f->npend;
}

static void tx_reset(struct fuzz *f)
{
	f->tx.len = 0;
	f->npend = 0;
	f->nattrs = 0;
}

/* Start a generic netlink message; returns its offset in f->tx. */
static size_t msg_start(struct fuzz *f, struct rng *r, enum op op, uint8_t cmd,
			uint16_t flags, bool clean)
{
	struct nlmsghdr h = { 0 };
	struct genlmsghdr g = { 0 };
	size_t off;
	struct pend *p;

	buf_pad4(&f->tx);
	off = f->tx.len;
	h.nlmsg_type = f->fam;
	h.nlmsg_flags = flags;
	h.nlmsg_seq = ++f->seq;
	g.cmd = cmd;
	g.version = SBEXEC_GENL_VERSION;
	if (!clean) {
		if (chance(r, 3))
			h.nlmsg_seq = (uint32_t)rnd64(r);
		if (chance(r, 3))
			h.nlmsg_pid = (uint32_t)rnd64(r);
		if (chance(r, 4))
			g.version = (uint8_t)rnd64(r);
		if (chance(r, 4))
			g.reserved = (uint16_t)rnd64(r);
	}
	buf_put(&f->tx, &h, sizeof(h));
	buf_put(&f->tx, &g, sizeof(g));
	if (f->npend < MAX_PEND) {
		p = &f->pend[f->npend++];
		memset(p, 0, sizeof(*p));
		p->seq = h.nlmsg_seq;
		p->op = op;
	}
	return off;
}

static void msg_end(struct fuzz *f, struct rng *r, size_t off, bool clean)
{
	struct nlmsghdr *h;
	uint32_t len;

	if (!clean && chance(r, 3)) {
		/* Trailing bytes without alignment padding. */
		size_t n = 1 + rnd(r, 3);

		rnd_bytes(r, buf_grow(&f->tx, n), n);
		mut(f, " unaligned-tail");
	}
	h = (void *)(f->tx.p + off);
	len = (uint32_t)(f->tx.len - off);
	if (!clean) {
		unsigned int m = rnd(r, 100);

		if (m < 3) {
			len += 1 + rnd(r, m ? 64 : 70000);
			mut(f, " nlmsg_len+%u", len - (uint32_t)(f->tx.len - off));
		} else if (m < 6) {
			len = rnd(r, len);
			mut(f, " nlmsg_len=%u/%zu", len, f->tx.len - off);
		}
	}
	h->nlmsg_len = len;
}

/* An attribute of the message being built, remembered for mutate_framing(). */
static size_t nla_begin(struct fuzz *f, uint16_t type)
{
	size_t off = buf_nla_begin(&f->tx, type);

	if (f->nattrs < MAX_ATTRS)
		f->attrs[f->nattrs++] = off;
	return off;
}

static void nla_finish(struct fuzz *f, size_t off)
{
	buf_nla_end(&f->tx, off);
}

static void put_attr(struct fuzz *f, uint16_t type, const void *d, size_t n)
{
	size_t off = nla_begin(f, type);

	buf_put(&f->tx, d, n);
	nla_finish(f, off);
}

/* An integer attribute, now and then of the wrong size. */
static void put_int(struct fuzz *f, struct rng *r, uint16_t type, uint64_t v,
		    size_t size, bool clean)
{
	static const size_t sizes[] = { 0, 1, 2, 3, 5, 6, 7, 8, 12, 16 };
	uint8_t b[16];
	size_t n = size;

	memcpy(b, &v, 8);
	rnd_bytes(r, b + 8, 8);
	if (!clean && chance(r, 8)) {
		do
			n = sizes[rnd(r, ARRAY_SIZE(sizes))];
		while (n == size);
		mut(f, " int%u:size%zu", type & NLA_TYPE_MASK, n);
	}
	put_attr(f, type, b, n);
}

static void put_flag(struct fuzz *f, struct rng *r, uint16_t type, bool clean)
{
	uint8_t b[8];
	size_t n = 0;

	if (!clean && chance(r, 10)) {
		n = 1 + rnd(r, 8);
		rnd_bytes(r, b, sizeof(b));
		mut(f, " flag%u:size%zu", type, n);
	}
	put_attr(f, type, b, n);
}

/*
 * A string attribute: usually @s with its NUL, else without the NUL, with
 * an embedded NUL, empty, zero-length, over @maxlen, exactly @maxlen, or
 * random bytes. @prefix starts the oversized and random variants (for CMD:
 * a path that cannot exist, so nothing is ever run by accident).
 */
static void put_str(struct fuzz *f, struct rng *r, uint16_t type, const char *s,
		    size_t maxlen, const char *prefix, bool clean)
{
	size_t len = strlen(s), off, n, plen = strlen(prefix);
	unsigned int m = clean ? 0 : rnd(r, 100);

	off = nla_begin(f, type);
	if (m < 72) {
		buf_put(&f->tx, s, len + 1);
	} else if (m < 77) {
		buf_put(&f->tx, len ? s : "x", len ? len : 1);
		mut(f, " str%u:no-nul", type);
	} else if (m < 82) {
		uint8_t *d;

		buf_put(&f->tx, len ? s : "x", len ? len : 1);
		buf_put(&f->tx, "", 1);
		d = f->tx.p + f->tx.len - 1 - (len ? len : 1);
		if (chance(r, 50)) {
			d[rnd(r, len ? (uint32_t)len : 1)] = 0;
		} else {
			/* NUL, then more text, then the final NUL */
			buf_put(&f->tx, "tail", 5);
		}
		mut(f, " str%u:embedded-nul", type);
	} else if (m < 85) {
		buf_put(&f->tx, "", 1);
		mut(f, " str%u:empty", type);
	} else if (m < 87) {
		mut(f, " str%u:zero-length", type);
	} else if (m < 95) {
		n = m < 92 ? maxlen + 1 + rnd(r, 16) : maxlen;
		if (n > 65530)
			n = 65530;
		if (n < plen)
			n = plen;
		buf_put(&f->tx, prefix, plen);
		buf_fill(&f->tx, 'A', n - plen);
		buf_put(&f->tx, "", 1);
		mut(f, " str%u:len%zu", type, n);
	} else {
		n = rnd(r, 64);
		buf_put(&f->tx, plen ? "\x01" : "", plen ? 1 : 0);
		rnd_bytes(r, buf_grow(&f->tx, n), n);
		if (chance(r, 50))
			buf_put(&f->tx, "", 1);
		mut(f, " str%u:random%zu", type, n);
	}
	nla_finish(f, off);
}

/* ---- message generators ---- */

static bool is_foreign(const struct fuzz *f, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < f->nforeign; i++)
		if (f->foreign[i] == id)
			return true;
	return false;
}

/*
 * A session id to aim at. @destructive ids (STDIN, CLOSE_STDIN, RESIZE,
 * SIGNAL, ATTACH) are our own sessions', 0, or >= 2^31, never a session
 * that existed before we started.
 */
static uint32_t pick_id(struct fuzz *f, struct rng *r, bool destructive)
{
	unsigned int m = rnd(r, 100);
	uint32_t id;

	if (m < 40 && f->nids)	/* the newest: most likely still alive */
		id = f->ids[(f->ids_pos + MAX_IDS - 1 - rnd(r, f->nids < 4 ? f->nids : 4)) % MAX_IDS];
	else if (m < 75 && f->nids)
		id = f->ids[rnd(r, f->nids)];
	else if (m < 82 && f->nkeep)
		id = f->keep[rnd(r, f->nkeep)];
	else if (m < 87)
		id = 0;
	else if (m < 94 || destructive)
		id = (destructive ? 0x80000000u : 0) | (uint32_t)rnd64(r);
	else
		id = f->last_id + rnd(r, 4);
	if (destructive && id && id < 0x80000000u && is_foreign(f, id))
		id = 0xfffffff0u;
	return id;
}

/* Every slot is filled on the architectures the module is built for. */
static const char *const rlimit_names[RLIM_NLIMITS] = { SBEXEC_RLIMIT_NAMES };

static const char *const bogus_rlimits[] = {
	"bogus", "CPU", "nofile\n", "", "nofilexxxxxxxxx", "as ", "rttimes",
};

static void gen_rlimit(struct fuzz *f, struct rng *r, bool clean)
{
	uint16_t type = SBEXEC_A_RLIMIT | NLA_F_NESTED;
	size_t off;
	uint64_t soft, hard;

	if (!clean && chance(r, 8))
		type &= (uint16_t)~NLA_F_NESTED;
	off = nla_begin(f, type);
	if (clean || chance(r, 92)) {
		const char *name = clean || chance(r, 85) ?
			rlimit_names[rnd(r, ARRAY_SIZE(rlimit_names))] :
			bogus_rlimits[rnd(r, ARRAY_SIZE(bogus_rlimits))];

		put_str(f, r, SBEXEC_RLIMIT_A_NAME, name,
			SBEXEC_MAX_RLIMIT_NAME, "", clean);
	}
	soft = interesting_u64(r);
	hard = interesting_u64(r);
	if (clean || chance(r, 70)) {
		if (soft > hard) {
			uint64_t t = soft;

			soft = hard;
			hard = t;
		}
	}
	if (clean || chance(r, 92))
		put_int(f, r, SBEXEC_RLIMIT_A_SOFT, soft, 8, clean);
	if (clean || chance(r, 92))
		put_int(f, r, SBEXEC_RLIMIT_A_HARD, hard, 8, clean);
	if (!clean && chance(r, 5))
		put_int(f, r, SBEXEC_RLIMIT_A_PAD, 0, 8, false);
	if (!clean && chance(r, 5))
		put_int(f, r, (uint16_t)(5 + rnd(r, 40)), rnd64(r), 4, false);
	if (!clean && chance(r, 4))
		put_int(f, r, SBEXEC_RLIMIT_A_SOFT, soft, 8, false);
	nla_finish(f, off);
}

/* A random attribute type; in an EXEC never CMD. */
static uint16_t junk_type(struct fuzz *f, struct rng *r)
{
	uint16_t t;

	do
		t = chance(r, 80) ? (uint16_t)rnd(r, SBEXEC_A_MAX + 4) :
				    (uint16_t)rnd64(r);
	while (f->in_exec && (t & NLA_TYPE_MASK) == SBEXEC_A_CMD);
	return t;
}

static void gen_junk(struct fuzz *f, struct rng *r)
{
	uint16_t t = junk_type(f, r);
	size_t n = chance(r, 50) ? 4 : rnd(r, 80);
	uint8_t b[80];

	rnd_bytes(r, b, sizeof(b));
	put_attr(f, t, b, n);
	mut(f, " junk%u:%zu", t, n);
}

/* Nests inside nests, @depth deep, with garbage at the bottom. */
static void gen_deep_nest(struct fuzz *f, struct rng *r, uint16_t type)
{
	unsigned int depth = 2 + rnd(r, chance(r, 80) ? 16 : 400), i;
	size_t offs[402];
	uint8_t b[16];

	for (i = 0; i < depth; i++) {
		uint16_t t = i ? (uint16_t)rnd(r, 8) : type;

		if (f->in_exec && t == SBEXEC_A_CMD)
			t = SBEXEC_A_RLIMIT;
		if (chance(r, 85))
			t |= NLA_F_NESTED;
		offs[i] = nla_begin(f, t);
	}
	if (chance(r, 50)) {
		rnd_bytes(r, b, sizeof(b));
		put_attr(f, (uint16_t)rnd(r, 6), b, rnd(r, 16));
	}
	while (i--)
		nla_finish(f, offs[i]);
	mut(f, " deep-nest%u:%u", type, depth);
}

static const char *const exec_cmds[] = {
	"/bin/true", "true", "/usr/bin/true", NONEXISTENT "x",
	"sbexec-fuzz-no-such-command", "/", "/dev/null", "/etc/hostname", ".",
	"/bin/true/", "./sbexec-fuzz-no-such", "/proc/self/fd/999",
};

static const char *const arg_dict[] = {
	"", "-", "--", "-n", "-c", "%s%s%s%n", "\xff\xfe", "\n", " ", "A",
	"x=y", "--help", "--version", "\x1b[2J", "$HOME", "*", "../..",
};

static const char *const env_dict[] = {
	"A=1", "PATH=/nonexistent", "HOME=/", "TERM=dumb", "=x", "NOEQUALS",
	"K=", "LANG=C", "A=2", "PATH=", "HOME=", "X==", "TERM=xterm-256color",
	"LD_PRELOAD=" NONEXISTENT "x.so", "\xff=\xfe",
};

static const char *const user_dict[] = {
	"root", "0", "0:0", "nobody", "65534", "65534:65534", "root:root",
	"sbexec-fuzz-nosuch", ":", "0:", ":0", " 0 ", "4294967295", "-1",
	"99999", "99999:99999", "root:sbexec-fuzz-nosuch", "nobody:nogroup",
	"root:", "a:b:c",
};

static const char *const cwd_dict[] = {
	"/", "/tmp", NONEXISTENT, "/etc/hostname", ".", "..", "/proc/self",
	"/dev", "relative/dir",
};

static void rnd_printable(struct rng *r, char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		s[i] = (char)(' ' + 1 + rnd(r, 94));
	s[n] = 0;
}

static void gen_args(struct fuzz *f, struct rng *r, uint16_t type, bool env)
{
	unsigned int m = rnd(r, 100), n, i;
	char s[80];

	if (m < 45)
		return;
	if (m < 80)
		n = 1 + rnd(r, 4);
	else if (m < 94)
		n = 5 + rnd(r, 60);
	else if (m < 97)
		n = 1018 + rnd(r, 12);	/* around SBEXEC_MAX_ARGS */
	else
		n = 3 + rnd(r, 3);	/* huge ones: over SBEXEC_MAX_ARGV_BYTES */
	desc(f, " %s*%u", env ? "env" : "arg", n);
	for (i = 0; i < n; i++) {
		if (m >= 97) {
			size_t len = 60000 + rnd(r, 5000), off;

			off = nla_begin(f, type);
			buf_put(&f->tx, env ? "BIG=" : "", env ? 4 : 0);
			buf_fill(&f->tx, 'B', len);
			buf_put(&f->tx, "", 1);
			nla_finish(f, off);
			continue;
		}
		if (m >= 94) {
			put_attr(f, type, env ? "A=1" : "a", env ? 4 : 2);
			continue;
		}
		if (chance(r, 50)) {
			const char *d = env ? env_dict[rnd(r, ARRAY_SIZE(env_dict))] :
					      arg_dict[rnd(r, ARRAY_SIZE(arg_dict))];

			put_str(f, r, type, d, SBEXEC_MAX_ARG_LEN, "", false);
		} else {
			size_t len = rnd(r, 40);

			rnd_printable(r, s, len);
			if (env && len > 2)
				s[rnd(r, (uint32_t)len)] = '=';
			put_str(f, r, type, s, SBEXEC_MAX_ARG_LEN, "", false);
		}
	}
}

static void gen_exec(struct fuzz *f, struct rng *r, struct pend *p)
{
	unsigned int i, n;
	uint32_t flags;

	f->in_exec = true;
	if (chance(r, 95)) {
		const char *c = exec_cmds[rnd(r, ARRAY_SIZE(exec_cmds))];

		desc(f, " cmd=%s", c);
		put_str(f, r, SBEXEC_A_CMD, c, SBEXEC_MAX_PATH_LEN, NONEXISTENT,
			false);
		if (chance(r, 3))
			put_str(f, r, SBEXEC_A_CMD, "/bin/true", SBEXEC_MAX_PATH_LEN,
				NONEXISTENT, false);
	}
	gen_args(f, r, SBEXEC_A_ARG, false);
	gen_args(f, r, SBEXEC_A_ENV, true);
	if (chance(r, 25))
		put_str(f, r, SBEXEC_A_CWD, cwd_dict[rnd(r, ARRAY_SIZE(cwd_dict))],
			SBEXEC_MAX_PATH_LEN, "/", false);
	if (chance(r, 25))
		put_str(f, r, SBEXEC_A_USER, user_dict[rnd(r, ARRAY_SIZE(user_dict))],
			SBEXEC_MAX_USER_LEN, "", false);
	if (chance(r, 15))
		put_flag(f, r, SBEXEC_A_TTY, false);
	if (chance(r, 15))
		put_int(f, r, SBEXEC_A_ROWS, interesting_u32(r), 2, false);
	if (chance(r, 15))
		put_int(f, r, SBEXEC_A_COLS, interesting_u32(r), 2, false);
	n = chance(r, 70) ? 0 : chance(r, 85) ? 1 + rnd(r, 3) : 15 + rnd(r, 4);
	for (i = 0; i < n; i++)
		gen_rlimit(f, r, false);
	if (chance(r, 10)) {
		flags = chance(r, 50) ? interesting_u32(r) : SBEXEC_EXEC_F_KEEP_RUNNING;
		/* KEEP_RUNNING only while the budget lasts, valid or not. */
		if (flags & SBEXEC_EXEC_F_KEEP_RUNNING) {
			if (f->keep_tried < f->o->max_keep) {
				f->keep_tried++;
				p->keep = true;
			} else {
				flags &= ~SBEXEC_EXEC_F_KEEP_RUNNING;
			}
		}
		desc(f, " flags=%#x", flags);
		put_int(f, r, SBEXEC_A_FLAGS, flags, 4, false);
	}
	if (chance(r, 15)) {
		static const uint32_t sizes[] = {
			0, 1, 4095, 4096, 4097, 65536, 1 << 20, 3 << 20,
			16 << 20, (16 << 20) + 1, 0xffffffff,
		};
		uint32_t rs = chance(r, 70) ? sizes[rnd(r, 6)] :
			      chance(r, 90) ? sizes[rnd(r, ARRAY_SIZE(sizes))] :
					      (uint32_t)rnd64(r);

		desc(f, " ring=%u", rs);
		put_int(f, r, SBEXEC_A_RING_SIZE, rs, 4, false);
	}
}

static size_t stdin_len(struct rng *r)
{
	unsigned int m = rnd(r, 100);

	if (m < 60)
		return 1 + rnd(r, 64);
	if (m < 85)
		return 65 + rnd(r, 4032);
	if (m < 94)
		return 4097 + rnd(r, SBEXEC_MAX_STDIN_CHUNK - 4096);
	if (m < 97)
		return SBEXEC_MAX_STDIN_CHUNK + rnd(r, 64);
	return 0;
}

static uint32_t pick_signal(struct rng *r)
{
	static const uint32_t sigs[] = {
		SIGHUP, SIGINT, SIGQUIT, SIGKILL, SIGUSR1, SIGPIPE, SIGTERM,
		SIGCONT, SIGSTOP, SIGTSTP, SIGWINCH, 32, 33, 34, 64, 0, 65, 128,
		0xffffffff, 0x80000001,
	};

	return chance(r, 80) ? sigs[rnd(r, ARRAY_SIZE(sigs))] : (uint32_t)rnd64(r);
}

/* Break the framing of one attribute of the message being built. */
static void mutate_framing(struct fuzz *f, struct rng *r)
{
	struct nlattr *a;
	size_t off, real;
	unsigned int i;

	if (!f->nattrs)
		return;
	off = f->attrs[rnd(r, f->nattrs)];
	if (off + NLA_HDRLEN > f->tx.len)
		return;
	a = (void *)(f->tx.p + off);
	real = a->nla_len;
	switch (rnd(r, 8)) {
	case 0:
		a->nla_len = (uint16_t)rnd(r, NLA_HDRLEN);
		break;
	case 1:
		a->nla_len = (uint16_t)(real + 1 + rnd(r, 64) > 0xffff ?
					0xffff : real + 1 + rnd(r, 64));
		break;
	case 2:
		a->nla_len = 0xffff;
		break;
	case 3:
		if (real > NLA_HDRLEN)
			a->nla_len = (uint16_t)(NLA_HDRLEN +
						rnd(r, (uint32_t)(real - NLA_HDRLEN)));
		break;
	case 4:
		a->nla_type ^= NLA_F_NESTED;
		break;
	case 5:
		a->nla_type ^= NLA_F_NET_BYTEORDER;
		break;
	case 6:
		a->nla_type = junk_type(f, r);
		break;
	default:
		/* Cut the message inside this attribute. */
		f->tx.len = off + rnd(r, (uint32_t)(real ? real : 1));
		for (i = 0; i < f->nattrs; i++)
			if (f->attrs[i] + NLA_HDRLEN > f->tx.len)
				f->attrs[i] = 0;
		mut(f, " cut@%zu", off);
		return;
	}
	mut(f, " nla@%zu:len%zu->%u,type%#x", off, real, a->nla_len, a->nla_type);
}

static void gen_body(struct fuzz *f, struct rng *r, enum op op, struct pend *p)
{
	size_t n;
	uint8_t *d;
	uint32_t id;

	switch (op) {
	case OP_EXEC:
		gen_exec(f, r, p);
		return;
	case OP_STDIN:
		if (chance(r, 92)) {
			id = pick_id(f, r, true);
			desc(f, " id=%u", id);
			put_int(f, r, SBEXEC_A_SESSION_ID, id, 4, false);
		}
		if (chance(r, 92)) {
			size_t off = nla_begin(f, SBEXEC_A_STDIN_DATA);

			n = stdin_len(r);
			d = buf_grow(&f->tx, n);
			rnd_bytes(r, d, n);
			nla_finish(f, off);
			desc(f, " data=%zu", n);
		}
		return;
	case OP_CLOSE_STDIN:
	case OP_RESIZE:
	case OP_SIGNAL:
		if (chance(r, 92)) {
			id = pick_id(f, r, true);
			desc(f, " id=%u", id);
			put_int(f, r, SBEXEC_A_SESSION_ID, id, 4, false);
		}
		if (op == OP_RESIZE) {
			if (chance(r, 92))
				put_int(f, r, SBEXEC_A_ROWS, interesting_u32(r), 2, false);
			if (chance(r, 92))
				put_int(f, r, SBEXEC_A_COLS, interesting_u32(r), 2, false);
		}
		if (op == OP_SIGNAL && chance(r, 92)) {
			uint32_t sig = pick_signal(r);

			desc(f, " sig=%u", sig);
			put_int(f, r, SBEXEC_A_SIGNAL, sig, 4, false);
		}
		return;
	case OP_GET:
	case OP_LIST:
		if (chance(r, op == OP_GET ? 92 : 30)) {
			id = pick_id(f, r, false);
			desc(f, " id=%u", id);
			put_int(f, r, SBEXEC_A_SESSION_ID, id, 4, false);
		}
		return;
	default:
		/* Event and unknown commands: any other command's attributes. */
		gen_body(f, r, (enum op)(OP_STDIN + rnd(r, OP_LIST - OP_STDIN + 1)), p);
		if (chance(r, 30))
			put_str(f, r, SBEXEC_A_CMD, NONEXISTENT "x", SBEXEC_MAX_PATH_LEN,
				NONEXISTENT, false);
		return;
	}
}

/* Append one fuzzed generic netlink message of @op to f->tx. */
static void gen_msg(struct fuzz *f, struct rng *r, enum op op)
{
	uint16_t flags = NLM_F_REQUEST | NLM_F_ACK;
	uint8_t cmd;
	size_t off;
	unsigned int i, n;

	switch (op) {
	case OP_EXEC: cmd = SBEXEC_CMD_EXEC; break;
	case OP_STDIN: cmd = SBEXEC_CMD_STDIN; break;
	case OP_CLOSE_STDIN: cmd = SBEXEC_CMD_CLOSE_STDIN; break;
	case OP_RESIZE: cmd = SBEXEC_CMD_RESIZE; break;
	case OP_SIGNAL: cmd = SBEXEC_CMD_SIGNAL; break;
	case OP_GET: cmd = SBEXEC_CMD_GET; break;
	case OP_LIST:
		cmd = SBEXEC_CMD_LIST;
		flags |= NLM_F_DUMP;
		break;
	case OP_EVENT_CMD:
		cmd = (uint8_t)(SBEXEC_CMD_EVENT_STARTED + rnd(r, 3));
		break;
	case OP_UNKNOWN_CMD:
		cmd = chance(r, 30) ? SBEXEC_CMD_UNSPEC :
		      (uint8_t)(SBEXEC_CMD_MAX + 1 + rnd(r, 255 - SBEXEC_CMD_MAX));
		break;
	default:	/* OP_GENL_RAW: anything but EXEC */
		do
			cmd = (uint8_t)rnd(r, 256);
		while (cmd == SBEXEC_CMD_EXEC);
		break;
	}
	if (chance(r, 3)) {
		flags = (uint16_t)rnd64(r);
		if (chance(r, 70))
			flags |= NLM_F_REQUEST;
	} else {
		if (chance(r, 4))
			flags &= (uint16_t)~NLM_F_ACK;
		if (chance(r, 3))
			flags |= NLM_F_ECHO;
		if (op != OP_LIST && chance(r, 2))
			flags |= NLM_F_DUMP;
		if (op == OP_LIST && chance(r, 5))
			flags &= (uint16_t)~NLM_F_DUMP;
	}
	if (op == OP_EXEC && (flags & NLM_F_DUMP) != NLM_F_DUMP)
		f->in_exec = true;
	off = msg_start(f, r, op, cmd, flags, false);
	desc(f, " [%s cmd=%u flags=%#x", op_info[op].name, cmd, flags);
	f->nattrs = 0;
	f->nmut = 0;
	if (op == OP_GENL_RAW) {
		n = chance(r, 50) ? rnd(r, 64) : rnd(r, 2048);
		rnd_bytes(r, buf_grow(&f->tx, n), n);
		desc(f, " raw=%u", n);
	} else {
		gen_body(f, r, op, &f->pend[f->npend - 1]);
		if (chance(r, 20))
			for (i = 1 + rnd(r, 3); i; i--)
				gen_junk(f, r);
		if (chance(r, 3))
			gen_deep_nest(f, r, chance(r, 50) ? SBEXEC_A_RLIMIT :
					junk_type(f, r) & NLA_TYPE_MASK);
		if (chance(r, 10))
			mutate_framing(f, r);
		/*
		 * An EXEC the module accepts costs a fork and exec in the
		 * helper (about 0.1 s under TCG): spoil most of the clean ones
		 * with an attribute type beyond SBEXEC_A_MAX.
		 */
		if (op == OP_EXEC && !f->nmut && chance(r, 80)) {
			uint32_t v = (uint32_t)rnd64(r);

			put_attr(f, (uint16_t)(SBEXEC_A_MAX + 1 + rnd(r, 3)), &v, 4);
			mut(f, " unknown-attr");
		}
	}
	msg_end(f, r, off, false);
	desc(f, " len=%zu]", f->tx.len - off);
	f->in_exec = false;
}

static void op_genl(struct fuzz *f, struct rng *r, enum op op)
{
	unsigned int extra = chance(r, 5) ? 1 + rnd(r, 3) : 0;

	tx_reset(f);
	gen_msg(f, r, op);
	while (extra--)
		gen_msg(f, r, (enum op)(OP_STDIN + rnd(r, OP_GENL_RAW - OP_STDIN + 1)));
	nl_xmit(f, 300, false, true);
}

/* A clean request: @build appends attributes; returns the answer's errno
 * (0, positive, or -1 for no answer) and the session id of an EXEC. */
static int nl_request(struct fuzz *f, uint8_t cmd, uint16_t flags,
		      void (*build)(struct fuzz *, const void *), const void *arg,
		      long ms, uint32_t *sid)
{
	struct rng none = { 0 };
	size_t off;

	tx_reset(f);
	off = msg_start(f, &none, OP_GET, cmd, flags, true);
	if (build)
		build(f, arg);
	msg_end(f, &none, off, true);
	nl_xmit(f, ms, true, false);
	if (sid)
		*sid = f->pend[0].sid;
	return f->pend[0].answered ? f->pend[0].err : -1;
}

struct id_arg {
	uint32_t id;
	uint32_t sig;
	const void *data;
	size_t len;
};

static void build_id(struct fuzz *f, const void *arg)
{
	const struct id_arg *a = arg;

	put_attr(f, SBEXEC_A_SESSION_ID, &a->id, 4);
	if (a->sig)
		put_attr(f, SBEXEC_A_SIGNAL, &a->sig, 4);
	if (a->data)
		put_attr(f, SBEXEC_A_STDIN_DATA, a->data, a->len);
}

static int nl_simple(struct fuzz *f, uint8_t cmd, uint32_t id, uint32_t sig,
		     const void *data, size_t len, long ms)
{
	struct id_arg a = { .id = id, .sig = sig, .data = data, .len = len };

	return nl_request(f, cmd, NLM_F_REQUEST | NLM_F_ACK, build_id, &a, ms, NULL);
}

static const char *errname(int e)
{
	static char b[16];
	const char *n;

	if (e == 0)
		return "ok";
	if (e < 0)
		return "no-reply";
	n = strerrorname_np(e);
	if (n)
		return n;
	snprintf(b, sizeof(b), "E%d", e);
	return b;
}

/* A well-formed EXEC of a harmless command; its id joins the pool. */
static void op_exec_ok(struct fuzz *f, struct rng *r)
{
	unsigned int t = rnd(r, 100);
	struct rng none = { 0 };
	const char *what;
	struct pend *p;
	uint32_t flags = 0;
	size_t off;

	tx_reset(f);
	off = msg_start(f, &none, OP_EXEC_OK, SBEXEC_CMD_EXEC,
			NLM_F_REQUEST | NLM_F_ACK, true);
	p = &f->pend[0];
	if (t < 45) {
		what = "/bin/true";
		put_attr(f, SBEXEC_A_CMD, what, strlen(what) + 1);
		if (chance(r, 30)) {
			put_attr(f, SBEXEC_A_TTY, NULL, 0);
			what = "/bin/true (tty)";
		}
		if (chance(r, 20)) {
			uint16_t rows = 24, cols = 80;

			put_attr(f, SBEXEC_A_ROWS, &rows, 2);
			put_attr(f, SBEXEC_A_COLS, &cols, 2);
		}
		if (chance(r, 20))
			put_attr(f, SBEXEC_A_ENV, "A=1", 4);
		if (chance(r, 10))
			put_attr(f, SBEXEC_A_USER, "nobody", 7);
		if (chance(r, 10))
			put_attr(f, SBEXEC_A_CWD, "/", 2);
		if (chance(r, 10)) {
			size_t n = nla_begin(f, SBEXEC_A_RLIMIT | NLA_F_NESTED);
			uint64_t v = 1024;

			put_attr(f, SBEXEC_RLIMIT_A_NAME, "nofile", 7);
			put_attr(f, SBEXEC_RLIMIT_A_SOFT, &v, 8);
			put_attr(f, SBEXEC_RLIMIT_A_HARD, &v, 8);
			nla_finish(f, n);
		}
	} else if (t < 70) {
		what = "sleep 0.1";
		put_attr(f, SBEXEC_A_CMD, "sleep", 6);
		put_attr(f, SBEXEC_A_ARG, "0.1", 4);
	} else {
		what = "cat";
		put_attr(f, SBEXEC_A_CMD, "cat", 4);
		if (chance(r, 20)) {
			put_attr(f, SBEXEC_A_TTY, NULL, 0);
			what = "cat (tty)";
		}
	}
	if (chance(r, 15)) {
		uint32_t rs = chance(r, 50) ? 4096 : 65536;

		put_attr(f, SBEXEC_A_RING_SIZE, &rs, 4);
	}
	if (t < 70 && f->keep_tried < f->o->max_keep && chance(r, 10)) {
		f->keep_tried++;
		flags = SBEXEC_EXEC_F_KEEP_RUNNING;
		put_attr(f, SBEXEC_A_FLAGS, &flags, 4);
		p->keep = true;
	}
	msg_end(f, &none, off, true);
	desc(f, " %s%s", what, flags ? " keep-running" : "");
	nl_xmit(f, 0, true, true);
	if (p->answered && p->err == EAGAIN)
		return;
	if (!p->answered)
		unexpected(f, "well-formed EXEC of %s got no answer", what);
	else if (p->err)
		unexpected(f, "well-formed EXEC of %s failed: %s", what, errname(p->err));
	else if (!p->sid)
		unexpected(f, "well-formed EXEC of %s: the reply has no SESSION_ID", what);
	else
		desc(f, " id=%u", p->sid);
}

/* ---- /dev/sbexec ---- */

static int dev_open(struct rng *r)
{
	int flags = O_RDWR | O_CLOEXEC;

	if (chance(r, 50))
		flags |= O_NONBLOCK;
	if (chance(r, 4))
		flags = (flags & ~O_ACCMODE) | (chance(r, 50) ? O_RDONLY : O_WRONLY);
	return open(DEV_PATH, flags);
}

static void dev_gone_check(struct fuzz *f, int e)
{
	if (e == ENOENT || e == ENODEV || e == ENXIO || e == EPERM || e == EACCES)
		unexpected(f, "open(" DEV_PATH "): %s", errname(e));
}

static void op_open(struct fuzz *f, struct rng *r)
{
	int fd = dev_open(r), e = res_errno(fd);
	unsigned int s = rnd(r, MAX_PLAIN);

	count(f, OP_OPEN, e);
	desc(f, " fd=%d %s", fd, errname(e));
	if (fd < 0) {
		dev_gone_check(f, e);
		return;
	}
	if (f->plain[s] >= 0)
		close(f->plain[s]);
	f->plain[s] = fd;
}

/* An unattached /dev/sbexec file from the pool (opened on demand). */
static int plain_fd(struct fuzz *f, struct rng *r, unsigned int *slot)
{
	unsigned int s = rnd(r, MAX_PLAIN);

	if (f->plain[s] < 0) {
		f->plain[s] = dev_open(r);
		if (f->plain[s] < 0)
			dev_gone_check(f, errno);
	}
	if (slot)
		*slot = s;
	return f->plain[s];
}

static struct reader *pick_reader(struct fuzz *f, struct rng *r)
{
	unsigned int i, n = 0;
	struct reader *c[MAX_READERS];

	for (i = 0; i < MAX_READERS; i++)
		if (f->rd[i].fd >= 0)
			c[n++] = &f->rd[i];
	return n ? c[rnd(r, n)] : NULL;
}

static struct reader *reader_for(struct fuzz *f, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < MAX_READERS; i++)
		if (f->rd[i].fd >= 0 && f->rd[i].id == id)
			return &f->rd[i];
	return NULL;
}

static void reader_close(struct fuzz *f, struct reader *rd)
{
	if (rd->cons)
		munmap(rd->cons, (size_t)f->pg);
	if (rd->ring)
		munmap((void *)rd->ring, rd->ring_len);
	if (rd->fd >= 0)
		close(rd->fd);
	memset(rd, 0, sizeof(*rd));
	rd->fd = -1;
	rd->want_seq = -1;
}

/* Any pool file: a reader (@rdp set) or an unattached one. */
static int any_fd(struct fuzz *f, struct rng *r, struct reader **rdp)
{
	struct reader *rd = chance(r, 65) ? pick_reader(f, r) : NULL;

	*rdp = rd;
	return rd ? rd->fd : plain_fd(f, r, NULL);
}

static void op_close(struct fuzz *f, struct rng *r)
{
	struct reader *rd;
	unsigned int s;
	int ret;

	if (chance(r, 50) && (rd = pick_reader(f, r))) {
		desc(f, " reader id=%u", rd->id);
		reader_close(f, rd);
		count(f, OP_CLOSE, 0);
		return;
	}
	s = rnd(r, MAX_PLAIN);
	ret = f->plain[s] >= 0 ? close(f->plain[s]) : 0;
	f->plain[s] = -1;
	count(f, OP_CLOSE, res_errno(ret));
}

/*
 * Pointers the kernel may write through that can never hit our own memory:
 * NULL, 1, kernel addresses, a PROT_NONE page, a read-only page, or one
 * that straddles the end of a writable page into a PROT_NONE one (@need
 * bytes: the first part fits).
 */
static void *bad_ptr(struct fuzz *f, struct rng *r, size_t need, const char **what)
{
	size_t k;

	switch (rnd(r, 8)) {
	case 0:
		*what = "NULL";
		return NULL;
	case 1:
		*what = "1";
		return (void *)1;
	case 2:
		*what = "kernel";
		return (void *)(uintptr_t)0xffffffff81000000ULL;
	case 3:
		*what = "high";
		return (void *)(uintptr_t)(0x8000000000000000ULL | rnd64(r));
	case 4:
		*what = "prot-none";
		return f->none_page;
	case 5:
		*what = "read-only";
		return f->ro_page;
	default:
		/* Within the writable page: k < need bytes fit before the hole. */
		if (need > (size_t)f->pg)
			need = (size_t)f->pg;
		k = need > 1 ? 1 + rnd(r, (uint32_t)need - 1) : 1;
		*what = "straddling";
		return f->edge + f->pg - k;
	}
}

/* Put @a where ATTACH will read it from (the read-only page too). */
static void stage_attach(struct fuzz *f, void *p, const struct sbexec_attach *a)
{
	size_t room;

	if (p == f->ro_page) {
		mprotect(f->ro_page, (size_t)f->pg, PROT_READ | PROT_WRITE);
		memcpy(f->ro_page, a, sizeof(*a));
		mprotect(f->ro_page, (size_t)f->pg, PROT_READ);
	} else if ((uint8_t *)p >= f->edge && (uint8_t *)p < f->edge + f->pg) {
		room = (size_t)(f->edge + f->pg - (uint8_t *)p);
		memcpy(p, a, room < sizeof(*a) ? room : sizeof(*a));
	}
}

static bool ring_size_ok(const struct fuzz *f, uint32_t s)
{
	return s >= (uint32_t)f->pg && !(s & (s - 1));
}

/* A file that just became a reader: into the reader pool. */
static void adopt_reader(struct fuzz *f, struct rng *r, int fd, int slot,
			 const struct sbexec_attach *a)
{
	struct reader *rd = NULL;
	unsigned int i;

	if (slot >= 0)
		f->plain[slot] = -1;
	for (i = 0; i < MAX_READERS && !rd; i++)
		if (f->rd[i].fd < 0)
			rd = &f->rd[i];
	if (!rd) {
		rd = &f->rd[rnd(r, MAX_READERS)];
		reader_close(f, rd);
	}
	rd->fd = fd;
	rd->id = a->session_id;
	rd->ring_size = a->ring_size;
	rd->want_seq = (int64_t)a->next_seq;
	rd->exit_seen = false;
	rd->shared = false;
	if (f->rc.running && chance(r, 40)) {
		int d = fcntl(fd, F_DUPFD_CLOEXEC, 3);

		pthread_mutex_lock(&f->rc.lock);
		if (d >= 0 && f->rc.nq < RACER_FDS) {
			f->rc.q[f->rc.nq].fd = d;
			f->rc.q[f->rc.nq++].ring_size = a->ring_size;
			rd->shared = true;
			d = -1;
		}
		pthread_mutex_unlock(&f->rc.lock);
		if (d >= 0)
			close(d);
	}
}

static void op_attach(struct fuzz *f, struct rng *r)
{
	struct sbexec_attach a = { 0 }, back;
	struct reader *on = NULL;
	const char *what = "valid";
	int fd, ret, e;
	unsigned int s = 0;
	void *p = &a;

	a.session_id = pick_id(f, r, true);
	if (chance(r, 8))
		a.flags = interesting_u32(r);
	if (chance(r, 8))
		a.reserved = interesting_u32(r);
	a.ring_size = (uint32_t)rnd64(r);
	a.next_seq = rnd64(r);
	if (chance(r, 10) && (on = pick_reader(f, r)))
		fd = on->fd;
	else
		fd = plain_fd(f, r, &s);
	if (fd < 0)
		return;
	if (chance(r, 15)) {
		p = bad_ptr(f, r, sizeof(a), &what);
		stage_attach(f, p, &a);
	}
	ret = ioctl(fd, SBEXEC_IOC_ATTACH, p);
	e = res_errno(ret);
	count(f, OP_ATTACH, e);
	desc(f, " id=%u flags=%#x reserved=%#x ptr=%s%s -> %s", a.session_id,
	     a.flags, a.reserved, what, on ? " (on a reader)" : "", errname(e));
	if (ret)
		return;
	if (on) {
		unexpected(f, "ATTACH succeeded on a file that is already the reader of session %u",
			   on->id);
		return;
	}
	if (a.flags || a.reserved) {
		unexpected(f, "ATTACH succeeded with flags %#x reserved %#x", a.flags,
			   a.reserved);
		return;
	}
	if (p != &a) {
		/* Only a straddling pointer with the whole struct readable can get here. */
		if ((uint8_t *)p < f->edge || (uint8_t *)p + sizeof(back) > f->edge + f->pg) {
			unexpected(f, "ATTACH through a %s pointer succeeded", what);
			return;
		}
		memcpy(&back, p, sizeof(back));
		a = back;
	}
	if (reader_for(f, a.session_id)) {
		unexpected(f, "a second reader attached to session %u", a.session_id);
		return;
	}
	if (!ring_size_ok(f, a.ring_size)) {
		unexpected(f, "ATTACH to session %u: ring_size %u is not a power of two pages",
			   a.session_id, a.ring_size);
		return;
	}
	desc(f, " ring=%u next_seq=%llu", a.ring_size, (unsigned long long)a.next_seq);
	adopt_reader(f, r, fd, (int)s, &a);
}

static void op_consumed(struct fuzz *f, struct rng *r)
{
	struct reader *rd;
	int fd = any_fd(f, r, &rd), ret, e;

	if (fd < 0)
		return;
	ret = ioctl(fd, SBEXEC_IOC_CONSUMED, (unsigned long)rnd64(r));
	e = res_errno(ret);
	count(f, OP_CONSUMED, e);
	desc(f, " %s -> %s", rd ? "reader" : "unattached", errname(e));
	if (!rd && e != EBADFD)
		unexpected(f, "CONSUMED on an unattached file: %s, want EBADFD", errname(e));
	if (rd && e && e != EINVAL)
		unexpected(f, "CONSUMED on a reader: %s, want 0 or EINVAL", errname(e));
}

/* Never kill or displace the real helper: every registration must fail. */
static void registered_anyway(struct fuzz *f, int fd)
{
	unsigned int i;

	for (i = 0; i < MAX_PLAIN; i++)
		if (f->plain[i] == fd)
			f->plain[i] = -1;
	close(fd);	/* unregisters us again at once */
	unexpected(f, "HELPER_REGISTER succeeded: sbexec-helper was not registered (did it die?)");
}

static void op_register(struct fuzz *f, struct rng *r)
{
	struct reader *rd;
	int fd = any_fd(f, r, &rd), ret, e;

	if (fd < 0)
		return;
	ret = ioctl(fd, SBEXEC_IOC_HELPER_REGISTER, (unsigned long)rnd64(r));
	e = res_errno(ret);
	count(f, OP_REGISTER, e);
	desc(f, " %s -> %s", rd ? "reader" : "unattached", errname(e));
	if (!ret)
		registered_anyway(f, fd);
	else if (e != EBUSY)
		unexpected(f, "a second HELPER_REGISTER failed with %s, want EBUSY", errname(e));
}

static unsigned int ioc_type(unsigned int cmd)
{
	return (cmd >> _IOC_TYPESHIFT) & _IOC_TYPEMASK;
}

/*
 * A random ioctl number: the real ones, near misses (other numbers, sizes,
 * directions of the sbexec magic), bit flips, anything. Numbers the VFS
 * handles itself for every file (FIONBIO, FIFREEZE, FICLONE, FIGETBSZ...:
 * types 0x00, 'T', 'X', 'f', 0x94) are moved to the sbexec magic.
 */
static unsigned int gen_ioctl_cmd(struct rng *r)
{
	static const unsigned int real[] = {
		SBEXEC_IOC_HELPER_REGISTER, SBEXEC_IOC_ATTACH, SBEXEC_IOC_CONSUMED,
	};
	static const unsigned int sizes[] = { 0, 1, 4, 8, 16, 23, 24, 25, 32, 4096 };
	unsigned int cmd, t;

	switch (rnd(r, 10)) {
	case 0:
	case 1:
		cmd = real[rnd(r, ARRAY_SIZE(real))];
		break;
	case 2:
	case 3:
	case 4:
		cmd = _IOC(rnd(r, 4), SBEXEC_IOC_MAGIC,
			   chance(r, 70) ? rnd(r, 8) : rnd(r, 256),
			   chance(r, 80) ? sizes[rnd(r, ARRAY_SIZE(sizes))] :
					   rnd(r, 1 << _IOC_SIZEBITS));
		break;
	case 5:
	case 6:
		cmd = real[rnd(r, ARRAY_SIZE(real))] ^ (1u << rnd(r, 32));
		break;
	default:
		cmd = (uint32_t)rnd64(r);
		break;
	}
	t = ioc_type(cmd);
	if (t == 0x00 || t == 'T' || t == 'X' || t == 'f' || t == 0x94)
		cmd = _IOC(_IOC_DIR(cmd), SBEXEC_IOC_MAGIC, 0x40 + rnd(r, 64),
			   _IOC_SIZE(cmd));
	return cmd;
}

static void op_ioctl(struct fuzz *f, struct rng *r)
{
	unsigned int cmd = gen_ioctl_cmd(r), i;
	struct sbexec_attach *a = (void *)f->scratch;
	const char *what = "buffer";
	struct reader *rd;
	int fd = any_fd(f, r, &rd), ret, e;
	void *p = f->scratch;

	if (fd < 0)
		return;
	rnd_bytes(r, f->scratch, 64);
	if (chance(r, 50)) {
		a->session_id = pick_id(f, r, true);
		a->flags = chance(r, 80) ? 0 : interesting_u32(r);
		a->reserved = chance(r, 80) ? 0 : interesting_u32(r);
	}
	if (chance(r, 30))
		p = bad_ptr(f, r, 32, &what);
	ret = ioctl(fd, cmd, p);
	e = res_errno(ret);
	count(f, OP_IOCTL, e);
	desc(f, " cmd=%#x ptr=%s on %s -> %s", cmd, what, rd ? "reader" : "unattached",
	     errname(e));
	if (ret)
		return;
	if (cmd == SBEXEC_IOC_HELPER_REGISTER) {
		registered_anyway(f, fd);
	} else if (cmd == SBEXEC_IOC_ATTACH) {
		/* Attached through a random buffer: not worth tracking. */
		for (i = 0; i < MAX_PLAIN; i++)
			if (f->plain[i] == fd)
				f->plain[i] = -1;
		if (rd)
			unexpected(f, "ATTACH succeeded on a reader");
		else
			close(fd);
	} else if (cmd != SBEXEC_IOC_CONSUMED) {
		unexpected(f, "unknown ioctl %#x succeeded", cmd);
	}
}

/*
 * Check the records in [@p, @p + @n) against @rd's expectations: whole
 * records, known streams, flags 0, gapless sequence numbers, nothing after
 * the exit record. Stdout bytes and the exit info go to @out / @exit when
 * given. Return: false (reported) on a malformed stream.
 */
struct sink {
	uint8_t *buf;
	size_t len, cap;
	bool stderr_seen;
	bool have_exit;
	struct sbexec_exit_info exit;
};

static bool take_records(struct fuzz *f, struct reader *rd, const uint8_t *p,
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

static void op_read(struct fuzz *f, struct rng *r)
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

static void op_write(struct fuzz *f, struct rng *r)
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

static void op_poll(struct fuzz *f, struct rng *r)
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

static uint64_t ring_total_pages(const struct fuzz *f, const struct reader *rd)
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

static void op_mmap(struct fuzz *f, struct rng *r)
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

static void op_mprotect(struct fuzz *f, struct rng *r)
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

static void op_munmap(struct fuzz *f, struct rng *r)
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

/* ---- the mapped ring ---- */

/*
 * Map @rd's consumer page (read-write) and its producer page plus data
 * (read-only). Return: 0, or an errno (EACCES for a file opened without
 * read or write access is normal; anything else is reported).
 */
static int ring_map(struct fuzz *f, struct reader *rd)
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

static uint64_t ring_prod(const struct reader *rd)
{
	const struct sbexec_ring_producer *pp = (const void *)rd->ring;

	return __atomic_load_n(&pp->pos, __ATOMIC_ACQUIRE);
}

static uint64_t ring_cons(const struct reader *rd)
{
	return __atomic_load_n(&rd->cons->pos, __ATOMIC_ACQUIRE);
}

/*
 * Walk the mapped records from @from to @to, checking each header and
 * that sequence numbers follow @rd->want_seq (when known). Boundaries
 * (including @to) go to @b (at most @max). Stdout and exit go to @sk.
 * Return: boundaries found, or -1 (reported).
 */
static long ring_walk(struct fuzz *f, struct reader *rd, uint64_t from, uint64_t to,
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
static void op_forge(struct fuzz *f, struct rng *r)
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

/* ---- a checked end-to-end session ---- */

struct exec_cat {
	uint32_t ring;
};

static void build_cat(struct fuzz *f, const void *arg)
{
	const struct exec_cat *c = arg;

	put_attr(f, SBEXEC_A_CMD, "cat", 4);
	if (c->ring)
		put_attr(f, SBEXEC_A_RING_SIZE, &c->ring, 4);
}

/*
 * EXEC cat, feed it random bytes through STDIN (retrying chunks that a
 * full stdin buffer interrupted), CLOSE_STDIN, and collect its output
 * through read() or the mapped ring: the output must be the input, on
 * stdout only, in gapless records, followed by exit code 0, EOF (or
 * EPOLLHUP), and the session must be gone once the reader closes.
 */
static void op_roundtrip(struct fuzz *f, struct rng *r)
{
	static const uint32_t rings[] = { 4096, 8192, 65536, 0 };
	static uint64_t b[64];
	struct exec_cat c = { .ring = rings[rnd(r, ARRAY_SIZE(rings))] };
	size_t total = 1 + rnd(r, chance(r, 70) ? 8192 : 98304), sent = 0, chunk;
	bool use_mmap = chance(r, 40), closed = false, done = false;
	uint64_t deadline = now_ns() + (uint64_t)f->o->session_timeout * 1000000000ULL;
	struct sbexec_attach a = { 0 };
	struct reader rd = { .fd = -1, .want_seq = 0 };
	struct sink sk = { 0 };
	uint8_t *in = malloc(total);
	uint32_t id = 0;
	int err, ret;
	ssize_t n;

	sk.buf = malloc(total);
	sk.cap = total;
	if (!in || !sk.buf) {
		perror("sbexec-fuzz: malloc");
		exit(2);
	}
	rnd_bytes(r, in, total);
	desc(f, " cat ring=%u bytes=%zu via %s", c.ring, total, use_mmap ? "mmap" : "read");
	f->private_ids = true;	/* the racer must not feed or signal this cat */
	err = nl_request(f, SBEXEC_CMD_EXEC, NLM_F_REQUEST | NLM_F_ACK, build_cat, &c, 0, &id);
	f->private_ids = false;
	if (err == EAGAIN) {
		count(f, OP_ROUNDTRIP, err);
		goto out;
	}
	if (err || !id) {
		unexpected(f, "roundtrip: EXEC cat: %s, id %u", errname(err), id);
		goto out;
	}
	desc(f, " id=%u", id);
	rd.fd = open(DEV_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	a.session_id = id;
	if (rd.fd < 0 || ioctl(rd.fd, SBEXEC_IOC_ATTACH, &a)) {
		unexpected(f, "roundtrip: ATTACH to fresh session %u: %s", id, errname(errno));
		goto out;
	}
	if (a.next_seq != 0 || !ring_size_ok(f, a.ring_size) ||
	    (c.ring && a.ring_size != c.ring)) {
		unexpected(f, "roundtrip: ATTACH to fresh session %u: next_seq %llu ring_size %u (asked %u)",
			   id, (unsigned long long)a.next_seq, a.ring_size, c.ring);
		goto out;
	}
	rd.id = id;
	rd.ring_size = a.ring_size;
	if (use_mmap && ring_map(f, &rd))
		goto out;

	while (!done) {
		bool progress = false;

		if (now_ns() > deadline) {
			unexpected(f, "roundtrip: session %u (cat, ring %u) not finished after %u s: %zu of %zu bytes sent, %zu received, stdin %s, exit record %s",
				   id, rd.ring_size, f->o->session_timeout, sent, total, sk.len,
				   closed ? "closed" : "open", rd.exit_seen ? "seen" : "not seen");
			goto out;
		}
		if (sent < total) {
			chunk = 1 + rnd(r, 16384);
			if (chunk > total - sent)
				chunk = total - sent;
			err = nl_simple(f, SBEXEC_CMD_STDIN, id, 0, in + sent, chunk, 200);
			if (err == 0) {
				sent += chunk;
				progress = true;
			} else if (err > 0) {
				unexpected(f, "roundtrip: STDIN of %zu bytes to session %u: %s",
					   chunk, id, errname(err));
				goto out;
			}
			/* No answer: interrupted while stdin was full; retry. */
		} else if (!closed) {
			err = nl_simple(f, SBEXEC_CMD_CLOSE_STDIN, id, 0, NULL, 0, 2000);
			if (err) {
				unexpected(f, "roundtrip: CLOSE_STDIN of session %u: %s", id, errname(err));
				goto out;
			}
			closed = true;
		}
		if (use_mmap) {
			uint64_t cons = ring_cons(&rd), prod = ring_prod(&rd), seq0;
			long nb;

			if (prod != cons) {
				nb = ring_walk(f, &rd, cons, prod, b, ARRAY_SIZE(b), &seq0, &sk);
				if (nb < 0)
					goto out;
				__atomic_store_n(&rd.cons->pos, prod, __ATOMIC_RELEASE);
				if (chance(r, 70)) {
					ret = ioctl(rd.fd, SBEXEC_IOC_CONSUMED);
				} else {
					struct pollfd pfd = { .fd = rd.fd, .events = POLLIN };

					ret = poll(&pfd, 1, 0) >= 0 && (pfd.revents & POLLERR) ? -1 : 0;
					errno = EINVAL;
				}
				if (ret) {
					unexpected(f, "roundtrip: session %u refused consumer position %llu (a record boundary): %s",
						   id, (unsigned long long)prod, errname(errno));
					goto out;
				}
				progress = true;
			} else if (rd.exit_seen) {
				struct pollfd pfd = { .fd = rd.fd, .events = POLLIN };

				if (poll(&pfd, 1, 100) > 0 && (pfd.revents & POLLHUP))
					done = true;
			}
		} else {
			size_t bs = chance(r, 50) ? 65536 + 64 : 16 + rnd(r, 8192);

			n = read(rd.fd, f->scratch, bs);
			if (n > 0) {
				if (!take_records(f, &rd, f->scratch, (size_t)n, &sk))
					goto out;
				progress = true;
			} else if (n == 0) {
				if (!rd.exit_seen) {
					unexpected(f, "roundtrip: session %u: EOF before the exit record", id);
					goto out;
				}
				done = true;
			} else if (errno != EAGAIN && errno != EMSGSIZE) {
				unexpected(f, "roundtrip: read() of session %u: %s", id, errname(errno));
				goto out;
			}
		}
		if (!progress && !done) {
			struct pollfd pfd = { .fd = rd.fd, .events = POLLIN };

			poll(&pfd, 1, 10);
		}
	}
	if (sk.len != total || memcmp(sk.buf, in, total)) {
		unexpected(f, "roundtrip: session %u: cat returned %zu bytes for %zu%s",
			   id, sk.len, total, sk.len == total ? " (different bytes)" : "");
		goto out;
	}
	if (sk.stderr_seen || !sk.have_exit || !sk.exit.exited || sk.exit.code) {
		unexpected(f, "roundtrip: session %u: stderr %s, exit exited=%u code=%u signal=%u",
			   id, sk.stderr_seen ? "written" : "empty", sk.exit.exited,
			   sk.exit.code, sk.exit.signal);
		goto out;
	}
	reader_close(f, &rd);
	err = nl_simple(f, SBEXEC_CMD_GET, id, 0, NULL, 0, 2000);
	if (err != ENOENT) {
		unexpected(f, "roundtrip: session %u still answers GET (%s) after its reader read the exit record and closed",
			   id, errname(err));
		goto out;
	}
	count(f, OP_ROUNDTRIP, 0);
out:
	if (rd.fd >= 0 || rd.cons || rd.ring)
		reader_close(f, &rd);
	free(in);
	free(sk.buf);
}

/* ---- kernel log and taint ---- */

static const char *const builtin_patterns[] = {
	"WARNING:", "BUG:", "kernel BUG at", "Oops", "general protection",
	"refcount_t", "list_add corruption", "list_del corruption",
	"sleeping function called from invalid context",
	"possible circular locking", "possible recursive locking",
	"inconsistent lock state", "KASAN", "UBSAN",
	"kmemleak: [0-9]+ new suspected memory leak", "unreferenced object 0x",
	"INFO: task .* blocked for more than", "rcu.*detected stall",
	"Kernel panic",
};

static int load_patterns(struct fuzz *f)
{
	char line[512];
	FILE *fp = NULL;
	unsigned int i = 0, cap = ARRAY_SIZE(builtin_patterns);

	if (f->o->patterns) {
		fp = fopen(f->o->patterns, "r");
		if (!fp) {
			fprintf(stderr, "sbexec-fuzz: %s: %s\n", f->o->patterns, strerror(errno));
			return -1;
		}
		cap = 256;
	}
	f->pats = calloc(cap, sizeof(*f->pats));
	if (!f->pats)
		return -1;
	for (;;) {
		const char *pat;

		if (fp) {
			size_t l;

			if (!fgets(line, sizeof(line), fp) || f->npats >= cap)
				break;
			l = strlen(line);
			while (l && (line[l - 1] == '\n' || line[l - 1] == '\r'))
				line[--l] = 0;
			if (!l || line[0] == '#')
				continue;
			pat = line;
		} else {
			if (i >= ARRAY_SIZE(builtin_patterns))
				break;
			pat = builtin_patterns[i++];
		}
		if (regcomp(&f->pats[f->npats], pat, REG_EXTENDED | REG_NOSUB)) {
			fprintf(stderr, "sbexec-fuzz: bad pattern: %s\n", pat);
			continue;
		}
		f->npats++;
	}
	if (fp)
		fclose(fp);
	return 0;
}

static void kmsg_check(struct fuzz *f)
{
	char line[8192];

	if (f->kmsg < 0)
		return;
	for (;;) {
		ssize_t n = read(f->kmsg, line, sizeof(line) - 1);
		char *msg, *end;
		unsigned int i;

		if (n < 0) {
			if (errno == EPIPE || errno == EINTR)
				continue;
			return;
		}
		line[n] = 0;
		msg = strchr(line, ';');
		if (!msg)
			continue;
		msg++;
		end = strchr(msg, '\n');
		if (end)
			*end = 0;
		for (i = 0; i < f->npats; i++) {
			if (!regexec(&f->pats[i], msg, 0, NULL, 0)) {
				unexpected(f, "kernel log: %s", msg);
				return;
			}
		}
	}
}

static void read_taint(char *buf, size_t len)
{
	int fd = open("/proc/sys/kernel/tainted", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, len - 1) : -1;

	buf[n > 0 ? n : 0] = 0;
	if (fd >= 0)
		close(fd);
}

static void taint_check(struct fuzz *f)
{
	char t[64];

	read_taint(t, sizeof(t));
	if (strcmp(t, f->taint0)) {
		size_t l = strlen(t);

		while (l && t[l - 1] == '\n')
			t[--l] = 0;
		unexpected(f, "the kernel's taint changed from %.*s to %s",
			   (int)strcspn(f->taint0, "\n"), f->taint0, t);
	}
}

/* ---- sockets ---- */

static int sock_reopen(struct fuzz *f, struct rng *r, bool events)
{
	uint16_t fam;
	uint32_t grp;

	if (f->nl >= 0)
		close(f->nl);	/* kills its kill-on-close sessions */
	f->nl = nl_open(true);
	if (f->nl < 0 || nl_resolve(f->nl, &fam, &grp)) {
		unexpected(f, "the sbexec generic netlink family is gone");
		return -1;
	}
	if (fam != f->fam)
		unexpected(f, "the sbexec family id changed from %u to %u", f->fam, fam);
	if (events) {
		if (f->ev >= 0)
			close(f->ev);
		f->ev = nl_open(false);
		if (f->ev >= 0 && (!grp || setsockopt(f->ev, SOL_NETLINK,
						      NETLINK_ADD_MEMBERSHIP,
						      &grp, sizeof(grp)))) {
			close(f->ev);
			f->ev = -1;
		}
	}
	f->sock_msgs = 0;
	f->sock_sessions = 0;
	f->sock_limit = 300 + rnd(r, 3000);
	return 0;
}

/* ---- the racer thread ---- */

/*
 * A clean request about session @id: racer_begin() starts it in @b with
 * SESSION_ID, the caller appends attributes, racer_send() sends it.
 */
static void racer_begin(struct buf *b, uint32_t id)
{
	b->len = 0;
	buf_genl_hdr(b);
	buf_nla_put(b, SBEXEC_A_SESSION_ID, &id, 4);
}

static void racer_send(int nl, struct buf *b, uint16_t fam, uint8_t cmd,
		       uint16_t flags)
{
	struct nlmsghdr *h = (void *)b->p;
	struct genlmsghdr *g = (void *)(b->p + NLMSG_HDRLEN);
	static _Thread_local uint8_t rx[65536];

	h->nlmsg_len = (uint32_t)b->len;
	h->nlmsg_type = fam;
	h->nlmsg_flags = flags;
	g->cmd = cmd;
	g->version = SBEXEC_GENL_VERSION;
	nl_sendto(nl, b->p, b->len);
	while (recv(nl, rx, sizeof(rx), MSG_DONTWAIT) > 0 || errno == ENOBUFS)
		;
}

static void racer_fd_op(struct racer *rc, struct rng *r, int fd, uint32_t ring,
			uint8_t *buf)
{
	static const size_t sizes[] = { 16, 24, 40, 4096, 65536 };
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t len = (size_t)(2 + 2 * (ring / (uint32_t)rc->pg)) * (size_t)rc->pg, i;
	volatile uint8_t sink;
	uint8_t *m;

	switch (rnd(r, 6)) {
	case 0:
		/* Only non-blocking files: the racer never waits. */
		if (fcntl(fd, F_GETFL) & O_NONBLOCK)
			(void)!read(fd, buf, sizes[rnd(r, ARRAY_SIZE(sizes))]);
		break;
	case 1:
		poll(&pfd, 1, 0);
		break;
	case 2:
		ioctl(fd, SBEXEC_IOC_CONSUMED);
		break;
	case 3:
		m = mmap(NULL, len - (size_t)rc->pg, PROT_READ, MAP_SHARED, fd, rc->pg);
		if (m != MAP_FAILED) {
			for (i = 0; i < len - (size_t)rc->pg; i += (size_t)rc->pg)
				sink = m[i];
			(void)sink;
			munmap(m, len - (size_t)rc->pg);
		}
		break;
	default:
		m = mmap(NULL, (size_t)rc->pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (m != MAP_FAILED) {
			struct sbexec_ring_consumer *c = (void *)m;
			uint64_t pos = c->pos + 8 * rnd(r, 8);

			if (chance(r, 20))
				pos = rnd64(r);
			__atomic_store_n(&c->pos, pos, __ATOMIC_RELEASE);
			if (chance(r, 50))
				ioctl(fd, SBEXEC_IOC_CONSUMED);
			else
				poll(&pfd, 1, 0);
			munmap(m, (size_t)rc->pg);
		}
		break;
	}
}

static void *racer_main(void *arg)
{
	static const uint32_t sigs[] = { SIGCONT, SIGWINCH, SIGUSR1, SIGTERM, SIGSTOP };
	struct racer *rc = arg;
	struct rng r = { .s = rc->seed };
	struct {
		int fd;
		uint32_t ring;
	} own[RACER_FDS];
	unsigned int nown = 0, i, burst = 0;
	uint64_t last = 0;
	uint8_t *buf = malloc(65536);
	struct buf tx = { 0 };
	sigset_t set;
	int nl = nl_open(false);

	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	while (!rc->stop && buf && nl >= 0) {
		uint32_t id = 0, v;
		bool have = false;

		/* A few calls per main-thread message, not a busy loop. */
		if (burst >= 4) {
			pthread_mutex_lock(&rc->lock);
			while (rc->tick == last && !rc->stop)
				pthread_cond_wait(&rc->ticked, &rc->lock);
			last = rc->tick;
			pthread_mutex_unlock(&rc->lock);
			burst = 0;
			continue;
		}
		burst++;

		pthread_mutex_lock(&rc->lock);
		while (rc->nq) {
			if (nown == RACER_FDS) {
				i = rnd(&r, nown);
				close(own[i].fd);
				own[i] = own[--nown];
			}
			rc->nq--;
			own[nown].fd = rc->q[rc->nq].fd;
			own[nown++].ring = rc->q[rc->nq].ring_size;
		}
		if (rc->nids) {
			id = rc->ids[rnd(&r, rc->nids)];
			have = true;
		}
		pthread_mutex_unlock(&rc->lock);
		rc->calls++;
		if (nown && chance(&r, 50)) {
			i = rnd(&r, nown);
			if (chance(&r, 3)) {
				close(own[i].fd);
				own[i] = own[--nown];
			} else {
				racer_fd_op(rc, &r, own[i].fd, own[i].ring, buf);
			}
			continue;
		}
		if (!have)
			continue;
		uint8_t cmd;
		uint16_t flags = NLM_F_REQUEST | NLM_F_ACK, rows, cols;

		racer_begin(&tx, id);
		switch (rnd(&r, 7)) {
		case 0:
			cmd = SBEXEC_CMD_STDIN;
			rnd_bytes(&r, buf, 64);
			buf_nla_put(&tx, SBEXEC_A_STDIN_DATA, buf, 1 + rnd(&r, 64));
			break;
		case 1:
			cmd = SBEXEC_CMD_CLOSE_STDIN;
			break;
		case 2:
			cmd = SBEXEC_CMD_RESIZE;
			rows = (uint16_t)(1 + rnd(&r, 100));
			cols = (uint16_t)(1 + rnd(&r, 300));
			buf_nla_put(&tx, SBEXEC_A_ROWS, &rows, 2);
			buf_nla_put(&tx, SBEXEC_A_COLS, &cols, 2);
			break;
		case 3:
			cmd = SBEXEC_CMD_SIGNAL;
			v = sigs[rnd(&r, ARRAY_SIZE(sigs))];
			buf_nla_put(&tx, SBEXEC_A_SIGNAL, &v, 4);
			break;
		case 4:
			cmd = SBEXEC_CMD_LIST;
			flags |= NLM_F_DUMP;
			break;
		default:
			cmd = SBEXEC_CMD_GET;
			break;
		}
		racer_send(nl, &tx, rc->fam, cmd, flags);
	}
	for (i = 0; i < nown; i++)
		close(own[i].fd);
	if (nl >= 0)
		close(nl);
	free(buf);
	free(tx.p);
	return NULL;
}

static void racer_start(struct fuzz *f)
{
	struct racer *rc = &f->rc;

	pthread_mutex_init(&rc->lock, NULL);
	pthread_cond_init(&rc->ticked, NULL);
	rc->seed = f->seed ^ 0x5ac3e7f00dULL;
	rc->fam = f->fam;
	rc->pg = f->pg;
	rc->running = !pthread_create(&rc->th, NULL, racer_main, rc);
}

static void racer_stop(struct fuzz *f)
{
	struct racer *rc = &f->rc;
	unsigned int i;

	if (!rc->running)
		return;
	pthread_mutex_lock(&rc->lock);
	rc->stop = 1;
	pthread_cond_signal(&rc->ticked);
	pthread_mutex_unlock(&rc->lock);
	pthread_join(rc->th, NULL);
	rc->running = false;
	for (i = 0; i < rc->nq; i++)
		close(rc->q[i].fd);
	rc->nq = 0;
	f->st->racer_calls = rc->calls;
}

/* ---- the worker ---- */

static enum op pick_op(struct fuzz *f, struct rng *r)
{
	uint32_t x = rnd(r, f->wsum);
	unsigned int i;

	for (i = 0; i < N_OPS; i++) {
		if (x < f->o->weight[i])
			return (enum op)i;
		x -= f->o->weight[i];
	}
	return OP_GET;
}

static void run_op(struct fuzz *f, struct rng *r, enum op op)
{
	switch (op) {
	case OP_EXEC_OK: op_exec_ok(f, r); break;
	case OP_OPEN: op_open(f, r); break;
	case OP_CLOSE: op_close(f, r); break;
	case OP_IOCTL: op_ioctl(f, r); break;
	case OP_ATTACH: op_attach(f, r); break;
	case OP_CONSUMED: op_consumed(f, r); break;
	case OP_REGISTER: op_register(f, r); break;
	case OP_READ: op_read(f, r); break;
	case OP_WRITE: op_write(f, r); break;
	case OP_POLL: op_poll(f, r); break;
	case OP_MMAP: op_mmap(f, r); break;
	case OP_MPROTECT: op_mprotect(f, r); break;
	case OP_MUNMAP: op_munmap(f, r); break;
	case OP_FORGE: op_forge(f, r); break;
	case OP_ROUNDTRIP: op_roundtrip(f, r); break;
	default: op_genl(f, r, op); break;
	}
}

static uint64_t sent_total(const struct stats *st)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < N_OPS; i++)
		n += st->sent[i];
	return n;
}

/* The ids of sessions that exist before we start: never touched. */
static void list_foreign(struct fuzz *f)
{
	f->collect = f->foreign;
	f->ncollect = 0;
	nl_request(f, SBEXEC_CMD_LIST, NLM_F_REQUEST | NLM_F_DUMP, NULL, NULL, 0, NULL);
	f->nforeign = f->ncollect;
	f->collect = NULL;
}

/* Kill our keep-running sessions and read each to its end. */
static void drain_keep(struct fuzz *f, uint32_t id)
{
	uint64_t deadline = now_ns() + (uint64_t)f->o->session_timeout * 1000000000ULL;
	struct sbexec_attach a = { .session_id = id };
	struct reader rd = { .fd = -1, .id = id, .want_seq = -1 };
	int tries, err;
	ssize_t n;

	nl_simple(f, SBEXEC_CMD_SIGNAL, id, SIGCONT, NULL, 0, 2000);
	nl_simple(f, SBEXEC_CMD_SIGNAL, id, SIGKILL, NULL, 0, 2000);
	rd.fd = open(DEV_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (rd.fd < 0) {
		dev_gone_check(f, errno);
		return;
	}
	for (tries = 0; ioctl(rd.fd, SBEXEC_IOC_ATTACH, &a); tries++) {
		if (errno == ENOENT || tries > 50) {
			if (errno != ENOENT)
				fprintf(stderr, "sbexec-fuzz: keep-running session %u: ATTACH: %s\n",
					id, errname(errno));
			close(rd.fd);
			return;
		}
		usleep(100000);
	}
	rd.ring_size = a.ring_size;
	rd.want_seq = (int64_t)a.next_seq;
	for (;;) {
		n = read(rd.fd, f->scratch, 1 << 20);
		if (n > 0) {
			if (!take_records(f, &rd, f->scratch, (size_t)n, NULL))
				break;
			continue;
		}
		if (n == 0)
			break;
		if (errno != EAGAIN || now_ns() > deadline) {
			unexpected(f, "keep-running session %u: no end after SIGKILL: %s",
				   id, errname(errno));
			break;
		}
		usleep(10000);
	}
	close(rd.fd);
	if (n != 0)
		return;
	err = nl_simple(f, SBEXEC_CMD_GET, id, 0, NULL, 0, 2000);
	if (err != ENOENT)
		unexpected(f, "keep-running session %u still answers GET (%s) after its reader read the exit record and closed",
			   id, errname(err));
}

static void cleanup(struct fuzz *f)
{
	unsigned int i;

	racer_stop(f);
	f->desc[0] = 0;
	desc(f, "cleanup");
	for (i = 0; i < MAX_MAPS; i++)
		if (f->maps[i].addr)
			munmap(f->maps[i].addr, f->maps[i].len);
	memset(f->maps, 0, sizeof(f->maps));
	for (i = 0; i < MAX_READERS; i++)
		if (f->rd[i].fd >= 0)
			reader_close(f, &f->rd[i]);
	for (i = 0; i < MAX_PLAIN; i++)
		if (f->plain[i] >= 0)
			close(f->plain[i]);
	for (i = 0; i < f->nkeep && f->nl >= 0; i++)
		drain_keep(f, f->keep[i]);
	if (f->nl >= 0)
		close(f->nl);
	if (f->ev >= 0)
		close(f->ev);
	f->nl = f->ev = -1;
}

static int setup(struct fuzz *f)
{
	struct rng r = { .s = f->seed };
	unsigned int i;
	int fd;

	f->pg = sysconf(_SC_PAGESIZE);
	f->nl = f->ev = f->kmsg = -1;
	f->fam = 0;
	for (i = 0; i < MAX_PLAIN; i++)
		f->plain[i] = -1;
	for (i = 0; i < MAX_READERS; i++) {
		f->rd[i].fd = -1;
		f->rd[i].want_seq = -1;
	}
	for (i = 0; i < N_OPS; i++)
		f->wsum += f->o->weight[i];
	f->rx = malloc(RXBUF);
	f->scratch = mmap(NULL, (2 << 20), PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	f->none_page = mmap(NULL, (size_t)f->pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	f->ro_page = mmap(NULL, (size_t)f->pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	f->edge = mmap(NULL, 2 * (size_t)f->pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!f->rx || f->scratch == MAP_FAILED || f->none_page == MAP_FAILED ||
	    f->ro_page == MAP_FAILED || f->edge == MAP_FAILED ||
	    mprotect(f->edge + f->pg, (size_t)f->pg, PROT_NONE)) {
		perror("sbexec-fuzz: setup");
		return -1;
	}
	if (f->o->kmsg) {
		if (load_patterns(f))
			return -1;
		f->kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (f->kmsg < 0)
			fprintf(stderr, "sbexec-fuzz: /dev/kmsg: %s (kernel log not watched)\n",
				strerror(errno));
		else
			lseek(f->kmsg, 0, SEEK_END);
	}
	read_taint(f->taint0, sizeof(f->taint0));

	f->nl = nl_open(true);
	if (f->nl < 0 || nl_resolve(f->nl, &f->fam, &f->grp)) {
		fprintf(stderr, "sbexec-fuzz: the \"%s\" generic netlink family is not there (sbexec.ko loaded?)\n",
			SBEXEC_GENL_NAME);
		return -1;
	}
	if (sock_reopen(f, &r, true))
		return -1;
	fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "sbexec-fuzz: %s: %s\n", DEV_PATH, strerror(errno));
		return -1;
	}
	if (!ioctl(fd, SBEXEC_IOC_HELPER_REGISTER)) {
		close(fd);
		fprintf(stderr, "sbexec-fuzz: no sbexec-helper is registered (start it first)\n");
		return -1;
	}
	if (errno != EBUSY) {
		fprintf(stderr, "sbexec-fuzz: HELPER_REGISTER: %s, want EBUSY\n", strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	list_foreign(f);
	if (f->o->racer)
		racer_start(f);
	return 0;
}

static int worker(const struct opts *o, struct shared *sh, unsigned int w)
{
	struct fuzz *f = calloc(1, sizeof(*f));
	uint64_t quota, start = now_ns(), last = start, t0, dt, i;

	if (!f)
		return 2;
	f->o = o;
	f->sh = sh;
	f->st = &sh->st[w];
	f->worker = w;
	f->seed = o->seed + w;
	if (setup(f))
		return 2;
	quota = o->count ? o->count / o->jobs + (w < o->count % o->jobs) : UINT64_MAX;
	if (w == 0)
		fprintf(stderr, "sbexec-fuzz: family %u, events group %u, %u sessions existed before (left alone)\n",
			f->fam, f->grp, f->nforeign);
	for (i = o->start; !sh->stop && sent_total(f->st) < quota; i++) {
		struct rng r;
		uint64_t x = f->seed ^ (i * 0xd1b54a32d192ed03ULL);
		enum op op;

		r.s = splitmix(&x);
		if (o->seconds && now_ns() - start > (uint64_t)o->seconds * 1000000000ULL)
			break;
		f->idx = i;
		if (f->rc.running && !(i & 7)) {
			/* Wake the racer every 8 messages: a wakeup costs. */
			pthread_mutex_lock(&f->rc.lock);
			f->rc.tick = i;
			pthread_cond_signal(&f->rc.ticked);
			pthread_mutex_unlock(&f->rc.lock);
		}
		if (f->sock_msgs >= f->sock_limit || f->sock_sessions >= 24) {
			if (sock_reopen(f, &r, chance(&r, 20)))
				break;
		}
		op = pick_op(f, &r);
		f->op = op;
		f->desc[0] = 0;
		desc(f, "#%" PRIu64 " %s", i, op_info[op].name);
		t0 = now_ns();
		run_op(f, &r, op);
		dt = now_ns() - t0;
		f->st->ns[op] += dt;
		if (dt > OP_SLOW_NS && op != OP_ROUNDTRIP)
			unexpected(f, "%s took %.1f s", op_info[op].name, (double)dt / 1e9);
		memcpy(f->hist[f->nhist++ % HIST], f->desc, sizeof(f->desc));
		if (o->verbose)
			fprintf(stderr, "[w%u] %s\n", w, f->desc);
		if (!(i & 15))
			kmsg_check(f);
		if (!(i & 255))
			taint_check(f);
		if (t0 - last > 10000000000ULL) {
			last = t0;
			fprintf(stderr, "sbexec-fuzz: [w%u] %" PRIu64 " messages, %.0f/s\n", w,
				sent_total(f->st),
				(double)sent_total(f->st) * 1e9 / (double)(t0 - start));
		}
	}
	cleanup(f);
	kmsg_check(f);
	taint_check(f);
	return sh->unexpected ? 1 : 0;
}

/* ---- summary and options ---- */

static void summary(const struct opts *o, struct shared *sh, double secs)
{
	struct stats tot = { 0 };
	uint64_t hist[NSLOT] = { 0 }, all = 0;
	unsigned int w, i, j, order[NSLOT];

	for (w = 0; w < o->jobs; w++)
		for (i = 0; i < N_OPS; i++) {
			tot.sent[i] += sh->st[w].sent[i];
			tot.ns[i] += sh->st[w].ns[i];
			for (j = 0; j < NSLOT; j++)
				tot.res[i][j] += sh->st[w].res[i][j];
		}
	for (i = 0; i < N_OPS; i++) {
		all += tot.sent[i];
		for (j = 0; j < NSLOT; j++)
			hist[j] += tot.res[i][j];
	}
	for (w = 0; w < o->jobs; w++)
		tot.racer_calls += sh->st[w].racer_calls;
	printf("sbexec-fuzz: seed %" PRIu64 ", %u job%s: %" PRIu64 " messages in %.1f s (%.0f messages/s)\n",
	       o->seed, o->jobs, o->jobs == 1 ? "" : "s", all, secs,
	       secs > 0 ? (double)all / secs : 0.0);
	if (tot.racer_calls)
		printf("racer threads: %" PRIu64 " more calls at the same time on the same sessions\n",
		       tot.racer_calls);
	printf("%-12s %9s %8s  results\n", "op", "sent", "ms");
	for (i = 0; i < N_OPS; i++) {
		printf("%-12s %9" PRIu64 " %8" PRIu64 " ", op_info[i].name, tot.sent[i],
		       tot.ns[i] / 1000000);
		for (j = 0; j < NSLOT; j++) {
			if (!tot.res[i][j])
				continue;
			printf(" %s:%" PRIu64, j == SLOT_OTHER ? "other" :
			       j == SLOT_NOREPLY ? "no-reply" : errname((int)j),
			       tot.res[i][j]);
		}
		printf("\n");
	}
	for (j = 0; j < NSLOT; j++)
		order[j] = j;
	for (i = 0; i < NSLOT; i++)
		for (j = i + 1; j < NSLOT; j++)
			if (hist[order[j]] > hist[order[i]]) {
				unsigned int t = order[i];

				order[i] = order[j];
				order[j] = t;
			}
	printf("errno histogram (all ops):\n");
	for (i = 0; i < NSLOT && hist[order[i]]; i++) {
		j = order[i];
		printf("  %-16s %9" PRIu64 "\n", j == SLOT_OTHER ? "other" :
		       j == SLOT_NOREPLY ? "no-reply" : errname((int)j), hist[j]);
	}
	if (sh->unexpected)
		printf("UNEXPECTED: %s", sh->why);
	else
		printf("no unexpected condition\n");
	fflush(stdout);
}

static void usage(FILE *fp)
{
	unsigned int i;

	fprintf(fp,
		"usage: sbexec-fuzz [options]\n"
		"  --seed N             random seed (default: from the clock; printed)\n"
		"  --count N            messages to send in all (default 100000; 0: no limit)\n"
		"  --seconds N          stop after N seconds (default: no limit)\n"
		"  --start N            first message index (to replay from near a finding)\n"
		"  --jobs N             parallel workers, worker W uses seed N+W (default 1)\n"
		"  --max-keep N         most KEEP_RUNNING sessions per worker (default 2)\n"
		"  --session-timeout S  how long a checked session may take (default 60)\n"
		"  --patterns FILE      kernel log patterns, one ERE a line (default: built in)\n"
		"  --no-kmsg            do not watch the kernel log\n"
		"  --no-racer           no second thread working the same sessions\n"
		"  --skip OP[,OP...]    leave these operations out\n"
		"  --only OP[,OP...]    only these operations\n"
		"  --weight OP=N        change an operation's weight\n"
		"  -v                   print every message\n"
		"operations (weight):");
	for (i = 0; i < N_OPS; i++)
		fprintf(fp, "%s %s(%u)", i % 6 ? "" : "\n ", op_info[i].name, op_info[i].weight);
	fprintf(fp, "\nexit status: 0 clean, 1 unexpected condition, 2 usage or setup error\n");
}

static int op_by_name(const char *s, size_t n)
{
	unsigned int i;

	for (i = 0; i < N_OPS; i++)
		if (strlen(op_info[i].name) == n && !strncmp(op_info[i].name, s, n))
			return (int)i;
	fprintf(stderr, "sbexec-fuzz: unknown operation %.*s\n", (int)n, s);
	return -1;
}

static int set_ops(struct opts *o, const char *list, bool only)
{
	unsigned int keep[N_OPS] = { 0 }, i;
	const char *p = list;

	while (*p) {
		size_t n = strcspn(p, ",");
		int op = op_by_name(p, n);

		if (op < 0)
			return -1;
		keep[op] = 1;
		p += n;
		if (*p)
			p++;
	}
	for (i = 0; i < N_OPS; i++)
		if (only ? !keep[i] : keep[i])
			o->weight[i] = 0;
	return 0;
}

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return !errno && end != s && !*end;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'c' },
		{ "seconds", required_argument, NULL, 'S' },
		{ "start", required_argument, NULL, 'b' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "max-keep", required_argument, NULL, 'k' },
		{ "session-timeout", required_argument, NULL, 't' },
		{ "patterns", required_argument, NULL, 'p' },
		{ "no-kmsg", no_argument, NULL, 'K' },
		{ "no-racer", no_argument, NULL, 'R' },
		{ "skip", required_argument, NULL, 'x' },
		{ "only", required_argument, NULL, 'o' },
		{ "weight", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct opts o = {
		.count = 100000, .jobs = 1, .max_keep = 2, .session_timeout = 60,
		.kmsg = true, .racer = true,
	};
	struct sigaction sa = { .sa_handler = on_alarm };
	struct shared *sh;
	uint64_t v, t0;
	pid_t pid;
	unsigned int i, w, wsum = 0;
	bool seeded = false;
	int c, rc = 0, status;
	size_t shsz;

	for (i = 0; i < N_OPS; i++)
		o.weight[i] = op_info[i].weight;
	while ((c = getopt_long(argc, argv, "vh", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			if (!parse_u64(optarg, &o.seed))
				goto bad;
			seeded = true;
			break;
		case 'c':
			if (!parse_u64(optarg, &o.count))
				goto bad;
			break;
		case 'S':
			if (!parse_u64(optarg, &v) || v > UINT_MAX)
				goto bad;
			o.seconds = (unsigned int)v;
			break;
		case 'b':
			if (!parse_u64(optarg, &o.start))
				goto bad;
			break;
		case 'j':
			if (!parse_u64(optarg, &v) || !v || v > 64)
				goto bad;
			o.jobs = (unsigned int)v;
			break;
		case 'k':
			if (!parse_u64(optarg, &v) || v > MAX_KEEP)
				goto bad;
			o.max_keep = (unsigned int)v;
			break;
		case 't':
			if (!parse_u64(optarg, &v) || !v || v > 86400)
				goto bad;
			o.session_timeout = (unsigned int)v;
			break;
		case 'p':
			o.patterns = optarg;
			break;
		case 'K':
			o.kmsg = false;
			break;
		case 'R':
			o.racer = false;
			break;
		case 'x':
		case 'o':
			if (set_ops(&o, optarg, c == 'o'))
				return 2;
			break;
		case 'w': {
			const char *eq = strchr(optarg, '=');
			int op = eq ? op_by_name(optarg, (size_t)(eq - optarg)) : -1;

			if (op < 0 || !parse_u64(eq + 1, &v) || v > 1000000)
				goto bad;
			o.weight[op] = (unsigned int)v;
			break;
		}
		case 'v':
			o.verbose++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc)
		goto bad;
	for (i = 0; i < N_OPS; i++)
		wsum += o.weight[i];
	if (!wsum) {
		fprintf(stderr, "sbexec-fuzz: every operation is left out\n");
		return 2;
	}
	if (!o.count && !o.seconds) {
		fprintf(stderr, "sbexec-fuzz: --count 0 needs --seconds\n");
		return 2;
	}
	if (!seeded)
		o.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20);
	printf("sbexec-fuzz: seed %" PRIu64 " (replay: sbexec-fuzz --seed %" PRIu64
	       " --count %" PRIu64 "%s%s)\n", o.seed, o.seed, o.count,
	       o.jobs > 1 ? " --jobs " : "", o.jobs > 1 ? "N" : "");
	fflush(stdout);

	sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART: interrupts */
	signal(SIGPIPE, SIG_IGN);
	shsz = sizeof(*sh) + o.jobs * sizeof(struct stats);
	sh = mmap(NULL, shsz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("sbexec-fuzz: mmap");
		return 2;
	}
	t0 = now_ns();
	if (o.jobs == 1) {
		rc = worker(&o, sh, 0);
	} else {
		for (w = 0; w < o.jobs; w++) {
			pid = fork();

			if (pid < 0) {
				perror("sbexec-fuzz: fork");
				sh->stop = 1;
				rc = 2;
				break;
			}
			if (!pid)
				_exit(worker(&o, sh, w));
		}
		while ((pid = wait(&status)) > 0) {
			int wrc = WIFEXITED(status) ? WEXITSTATUS(status) : 2;

			if (WIFSIGNALED(status)) {
				/* The fuzzer's own crash: say so, never "setup". */
				fprintf(stderr, "sbexec-fuzz: worker pid %d killed by signal %d (%s)\n",
					(int)pid, WTERMSIG(status), strsignal(WTERMSIG(status)));
				sh->unexpected = 1;
			}
			if (wrc > rc)
				rc = wrc;
			if (wrc)
				sh->stop = 1;
		}
	}
	if (rc == 2 && !sh->unexpected) {
		fprintf(stderr, "sbexec-fuzz: setup failed\n");
		return 2;
	}
	summary(&o, sh, (double)(now_ns() - t0) / 1e9);
	return sh->unexpected ? 1 : rc;
bad:
	usage(stderr);
	return 2;
}
