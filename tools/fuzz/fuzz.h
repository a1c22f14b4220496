/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sbexec-fuzz internals, shared by the files of tools/fuzz/ (main.c
 * describes the tool). One concern a file:
 *
 *   util.c     the op table, random numbers, the transmit buffer with the one
 *              netlink attribute writer, timers, message descriptions,
 *              unexpected() and counts
 *   netlink.c  generic netlink plumbing: sockets, the nlctrl lookup, sending
 *              and collecting answers, message framing and the attribute
 *              helpers
 *   gen.c      message generators: random and malformed generic netlink
 *              requests, clean requests, a well-formed EXEC that must succeed
 *   dev.c      /dev/sbexec: open, close, ATTACH, CONSUMED, HELPER_REGISTER,
 *              ioctl
 *   dev_io.c   /dev/sbexec: the record stream check, read, write, poll, mmap,
 *              mprotect, munmap
 *   ring.c     the mapped ring: mapping it, walking its records, forged
 *              consumer positions
 *   session.c  a checked end-to-end session (cat echoing random stdin)
 *   checks.c   the kernel log patterns and the taint flags
 *   racer.c    the racer thread
 *   bridge.c   --bridge: frames at a running sbexec-bridge over AF_VSOCK
 *   worker.c   sockets and the worker: picking and running operations, setup,
 *              cleanup
 *   main.c     summary, options and main()
 *
 * A new operation: add it to enum op and op_info (util.c), write its
 * op_NAME(f, r) in the file of its concern, declare it below and call it
 * from run_op() (worker.c). Everything a file shares is declared here;
 * the rest stays static in its file.
 */
#ifndef SBEXEC_FUZZ_H
#define SBEXEC_FUZZ_H

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

/* An operation's name (--skip, --only, --weight, the summary) and weight. */
struct op_desc {
	const char *name;
	unsigned int weight;	/* relative frequency */
};

extern const struct op_desc op_info[N_OPS];

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
	/* --bridge: frames sent by kind, and what the links did */
	uint64_t frames[16];
	uint64_t frames_ns[16];	/* time spent, by kind */
	uint64_t br_connects, br_errors, br_eofs, br_timeouts, br_checks, br_kept;
};

/* --bridge: the kinds of frames sent (names in bridge.c). */
#define N_BK	14

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
	/* --bridge vsock:CID:PORT: send frames to sbexec-bridge instead */
	bool bridge;
	unsigned int bridge_cid, bridge_port;
	int bridge_pid;		/* --bridge-pid: must stay alive (0: not checked) */
	unsigned int bridge_check;	/* a health check every N frames */
};

/* ---- random numbers ---- */

struct rng {
	uint64_t s;
};

/* ---- a growable transmit buffer ---- */

struct buf {
	uint8_t *p;
	size_t len, cap;
};

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

/* Set by the SIGALRM handler of guard(). */
extern volatile sig_atomic_t alarmed;

/* What take_records() collects from a record stream. */
struct sink {
	uint8_t *buf;
	size_t len, cap;
	bool stderr_seen;
	bool have_exit;
	struct sbexec_exit_info exit;
};

/* util.c */

uint64_t splitmix(uint64_t *x);
uint64_t rnd64(struct rng *r);
uint32_t rnd(struct rng *r, uint32_t n);
bool chance(struct rng *r, unsigned int pct);
void rnd_bytes(struct rng *r, void *p, size_t n);
uint32_t interesting_u32(struct rng *r);
uint64_t interesting_u64(struct rng *r);
void *buf_grow(struct buf *b, size_t n);
void buf_put(struct buf *b, const void *d, size_t n);
void buf_fill(struct buf *b, int c, size_t n);
void buf_pad4(struct buf *b);
size_t buf_nla_begin(struct buf *b, uint16_t type);
void buf_nla_end(struct buf *b, size_t off);
void buf_nla_put(struct buf *b, uint16_t type, const void *d, size_t n);
size_t buf_genl_hdr(struct buf *b);
void on_alarm(int sig);
void guard(long ms);
uint64_t now_ns(void);
void desc(struct fuzz *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void mut(struct fuzz *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void unexpected(struct fuzz *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void count(struct fuzz *f, enum op op, int err);
int res_errno(long ret);

/* netlink.c */

int nl_open(bool big);
int nl_sendto(int fd, const void *p, size_t len);
int nl_resolve(int fd, uint16_t *fam, uint32_t *grp);
void nl_xmit(struct fuzz *f, long ms, bool wait, bool counted);
void nl_take(struct fuzz *f, const void *p, size_t n);
void nl_settle(struct fuzz *f, bool counted);
void tx_reset(struct fuzz *f);
size_t msg_start(struct fuzz *f, struct rng *r, enum op op, uint8_t cmd,
		 uint16_t flags, bool clean);
void msg_end(struct fuzz *f, struct rng *r, size_t off, bool clean);
size_t nla_begin(struct fuzz *f, uint16_t type);
void nla_finish(struct fuzz *f, size_t off);
void put_attr(struct fuzz *f, uint16_t type, const void *d, size_t n);
void put_int(struct fuzz *f, struct rng *r, uint16_t type, uint64_t v,
	     size_t size, bool clean);
void put_flag(struct fuzz *f, struct rng *r, uint16_t type, bool clean);
void put_str(struct fuzz *f, struct rng *r, uint16_t type, const char *s,
	     size_t maxlen, const char *prefix, bool clean);

/* gen.c */

uint32_t pick_id(struct fuzz *f, struct rng *r, bool destructive);
void mutate_framing(struct fuzz *f, struct rng *r);
void gen_one(struct fuzz *f, struct rng *r, enum op op);
void op_genl(struct fuzz *f, struct rng *r, enum op op);
int nl_request(struct fuzz *f, uint8_t cmd, uint16_t flags,
	       void (*build)(struct fuzz *, const void *), const void *arg,
	       long ms, uint32_t *sid);
int nl_simple(struct fuzz *f, uint8_t cmd, uint32_t id, uint32_t sig,
	      const void *data, size_t len, long ms);
const char *errname(int e);
void op_exec_ok(struct fuzz *f, struct rng *r);

/* dev.c */

void dev_gone_check(struct fuzz *f, int e);
void op_open(struct fuzz *f, struct rng *r);
int plain_fd(struct fuzz *f, struct rng *r, unsigned int *slot);
struct reader *pick_reader(struct fuzz *f, struct rng *r);
void reader_close(struct fuzz *f, struct reader *rd);
int any_fd(struct fuzz *f, struct rng *r, struct reader **rdp);
void op_close(struct fuzz *f, struct rng *r);
void *bad_ptr(struct fuzz *f, struct rng *r, size_t need, const char **what);
bool ring_size_ok(const struct fuzz *f, uint32_t s);
void op_attach(struct fuzz *f, struct rng *r);
void op_consumed(struct fuzz *f, struct rng *r);
void op_register(struct fuzz *f, struct rng *r);
void op_ioctl(struct fuzz *f, struct rng *r);

/* dev_io.c */

bool take_records(struct fuzz *f, struct reader *rd, const uint8_t *p,
		  size_t n, struct sink *sk);
void op_read(struct fuzz *f, struct rng *r);
void op_write(struct fuzz *f, struct rng *r);
void op_poll(struct fuzz *f, struct rng *r);
uint64_t ring_total_pages(const struct fuzz *f, const struct reader *rd);
void op_mmap(struct fuzz *f, struct rng *r);
void op_mprotect(struct fuzz *f, struct rng *r);
void op_munmap(struct fuzz *f, struct rng *r);

/* ring.c */

int ring_map(struct fuzz *f, struct reader *rd);
uint64_t ring_prod(const struct reader *rd);
uint64_t ring_cons(const struct reader *rd);
long ring_walk(struct fuzz *f, struct reader *rd, uint64_t from, uint64_t to,
	       uint64_t *b, long max, uint64_t *first_seq, struct sink *sk);
void op_forge(struct fuzz *f, struct rng *r);

/* session.c */

void op_roundtrip(struct fuzz *f, struct rng *r);

/* checks.c */

int load_patterns(struct fuzz *f);
void kmsg_check(struct fuzz *f);
void read_taint(char *buf, size_t len);
void taint_check(struct fuzz *f);

/* racer.c */

void racer_start(struct fuzz *f);
void racer_stop(struct fuzz *f);

/* bridge.c */

extern const char *const bk_names[N_BK];
void bridge_loop(struct fuzz *f, uint64_t quota);
void bridge_summary(const struct opts *o, const struct stats *tot);

/* worker.c */

int worker(const struct opts *o, struct shared *sh, unsigned int w);

#endif /* SBEXEC_FUZZ_H */
