// SPDX-License-Identifier: GPL-2.0
/*
 * ring_test.c - the data plane: output rings, backpressure, the mapped
 * reader, reattaching, forged consumer positions, mapping permissions,
 * one reader per session, LIST, and the ring size limit.
 *
 * The sessions' output comes from this very program: run with
 * RING_TEST_GEN=BYTES:SEED[:PROGRESS] in its environment it writes BYTES
 * bytes of a pattern that the reader recomputes (word i of the stream is
 * (i + SEED) * K, little endian) in writes of varying sizes, then one line
 * "gen BYTES SUM" on stderr (SUM: the stream checksum below over what it
 * wrote), and exits 0. PROGRESS names a file it maps and keeps its count
 * of written bytes (and its stdout pipe's capacity) in. With
 * RING_TEST_PACE=SIZE[xCOUNT],... it first makes those writes, each one
 * only after reading a byte from stdin, so that each becomes one record,
 * and reads one more byte before it goes on. RING_TEST_PIPE_SZ=BYTES sets
 * its stdout pipe's capacity first.
 *
 * Runs as root in the test guest with sbexec.ko loaded and the helper up.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "util.h"

#define GEN_ENV		"RING_TEST_GEN"
#define PACE_ENV	"RING_TEST_PACE"
#define PIPE_SZ_ENV	"RING_TEST_PIPE_SZ"
#define PAT_K		0x9E3779B97F4A7C15ULL
#define MIB		(1024ULL * 1024)

/* ---- the pattern and the stream checksum ---- */

static inline uint64_t pat_word(uint64_t i, uint64_t seed)
{
	return (i + seed) * PAT_K;
}

/* The pattern's bytes [off, off + len) into @buf. */
static void pat_fill(unsigned char *buf, uint64_t off, size_t len, uint64_t seed)
{
	while (len && (off & 7)) {
		*buf++ = (unsigned char)(pat_word(off >> 3, seed) >> ((off & 7) * 8));
		off++;
		len--;
	}
	while (len >= 8) {
		uint64_t w = pat_word(off >> 3, seed);

		memcpy(buf, &w, 8);	/* x86: little endian */
		buf += 8;
		off += 8;
		len -= 8;
	}
	while (len) {
		*buf++ = (unsigned char)(pat_word(off >> 3, seed) >> ((off & 7) * 8));
		off++;
		len--;
	}
}

/* A checksum over a byte stream fed in pieces of any size. */
struct ssum {
	uint64_t h;
	uint64_t n;
	unsigned char carry[8];
	unsigned int nc;
};

static inline uint64_t ssum_mix(uint64_t h, uint64_t w)
{
	h ^= w;
	h *= 0x100000001b3ULL;
	return h ^ (h >> 31);
}

static void ssum_init(struct ssum *s)
{
	memset(s, 0, sizeof(*s));
	s->h = 0xcbf29ce484222325ULL;
}

static void ssum_add(struct ssum *s, const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t w;

	s->n += len;
	while (len && s->nc) {
		s->carry[s->nc++] = *p++;
		len--;
		if (s->nc == 8) {
			memcpy(&w, s->carry, 8);
			s->h = ssum_mix(s->h, w);
			s->nc = 0;
		}
	}
	while (len >= 8) {
		memcpy(&w, p, 8);
		s->h = ssum_mix(s->h, w);
		p += 8;
		len -= 8;
	}
	while (len--)
		s->carry[s->nc++] = *p++;
}

static uint64_t ssum_final(const struct ssum *s)
{
	uint64_t w = 0, h = s->h;

	memcpy(&w, s->carry, s->nc);
	h = ssum_mix(h, w ^ ((uint64_t)s->nc << 56));
	return ssum_mix(h, s->n);
}

/* ---- the generator (runs as a session's process) ---- */

/* Shared with the test through the PROGRESS file. */
struct gen_progress {
	uint64_t written;	/* stdout bytes write() accepted so far */
	uint64_t pipe_size;	/* F_GETPIPE_SZ of stdout */
	uint64_t done;
};

/* Write all of @p; count what each write() accepted in @pr->written. */
static void gen_write_all(int fd, const unsigned char *p, size_t len,
			  struct gen_progress *pr)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(3);
		p += n;
		len -= (size_t)n;
		if (pr)
			__atomic_add_fetch(&pr->written, (uint64_t)n, __ATOMIC_RELEASE);
	}
}

__attribute__((constructor)) static void gen_main(void)
{
	/* Write sizes, cycled: odd ones make records of all sizes. */
	static const size_t sizes[] = { 1, 4093, 65536, 7, 100003, 32768, 513, 131072 };
	static unsigned char buf[131072];
	const char *spec = getenv(GEN_ENV);
	struct gen_progress *pr = NULL;
	unsigned long long total, seed;
	char path[PATH_MAX] = "", line[128];
	const char *pace;
	bool paced;
	char x;
	uint64_t off = 0;
	struct rusage ru;
	struct ssum sum;
	unsigned int i = 0;
	int fd;

	if (!spec)
		return;
	if (sscanf(spec, "%llu:%llu:%4095s", &total, &seed, path) < 2)
		_exit(2);
	/* RING_TEST_PIPE_SZ=BYTES: a stdout pipe of that capacity. */
	spec = getenv(PIPE_SZ_ENV);
	if (spec && *spec && fcntl(1, F_SETPIPE_SZ, atoi(spec)) < 0)
		_exit(2);
	if (path[0]) {
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			_exit(2);
		pr = mmap(NULL, sizeof(*pr), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		close(fd);
		if (pr == MAP_FAILED)
			_exit(2);
		__atomic_store_n(&pr->pipe_size, (uint64_t)fcntl(1, F_GETPIPE_SZ),
				 __ATOMIC_RELEASE);
	}
	ssum_init(&sum);
	/*
	 * The paced prologue: one write per byte read from stdin, and one
	 * more byte before the rest.
	 */
	pace = getenv(PACE_ENV);
	paced = pace && *pace;
	for (; pace && *pace; pace += *pace == ',') {
		unsigned long size, count = 1;
		char *end;

		size = strtoul(pace, &end, 10);
		if (*end == 'x')
			count = strtoul(end + 1, &end, 10);
		if (end == pace || size > sizeof(buf) || size > total - off)
			_exit(2);
		pace = end;
		while (count--) {
			if (read(0, &x, 1) != 1)
				_exit(4);
			pat_fill(buf, off, size, seed);
			gen_write_all(1, buf, size, pr);
			ssum_add(&sum, buf, size);
			off += size;
		}
	}
	if (paced && read(0, &x, 1) != 1)
		_exit(4);
	while (off < total) {
		size_t n = sizes[i++ % (sizeof(sizes) / sizeof(sizes[0]))];

		if (n > total - off)
			n = (size_t)(total - off);
		pat_fill(buf, off, n, seed);
		gen_write_all(1, buf, n, pr);
		ssum_add(&sum, buf, n);
		off += n;
	}
	getrusage(RUSAGE_SELF, &ru);
	snprintf(line, sizeof(line), "gen %" PRIu64 " %016" PRIx64 " cpu %ld.%03ld+%ld.%03ld s\n",
		 off, ssum_final(&sum), (long)ru.ru_utime.tv_sec,
		 (long)ru.ru_utime.tv_usec / 1000, (long)ru.ru_stime.tv_sec,
		 (long)ru.ru_stime.tv_usec / 1000);
	gen_write_all(2, (const unsigned char *)line, strlen(line), NULL);
	if (pr)
		__atomic_store_n(&pr->done, 1, __ATOMIC_RELEASE);
	_exit(0);
}

/* ---- checking what a reader gets ---- */

/*
 * One session's records as a reader sees them: stdout checked byte by
 * byte against the pattern and summed, stderr kept (the generator's last
 * line), the sequence numbers gapless.
 */
struct checker {
	uint64_t seed;
	uint64_t off;		/* stdout bytes so far */
	uint64_t next_seq;
	uint64_t records;
	uint64_t bad_off;	/* first wrong stdout byte, or UINT64_MAX */
	uint64_t bad_seq;	/* first unexpected sequence number */
	bool seq_bad;
	bool have_exit;
	bool after_exit;	/* a record came after the exit record */
	struct sbexec_exit_info exit;
	struct ssum sum;
	char err[256];
	size_t err_len;
	unsigned char scratch[1 << 17];
};

static struct checker *checker_new(uint64_t seed)
{
	struct checker *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->seed = seed;
	c->bad_off = UINT64_MAX;
	ssum_init(&c->sum);
	return c;
}

static void check_note_bad(struct checker *c, const unsigned char *p, size_t len)
{
	unsigned char want[8];
	size_t i;

	if (c->bad_off != UINT64_MAX)
		return;
	pat_fill(want, c->off, len, c->seed);
	for (i = 0; i < len && want[i] == p[i]; i++)
		;
	if (i < len)
		c->bad_off = c->off + i;
}

/*
 * Compare with the pattern and add to the sum in one pass: whole stream
 * words at a time (the sum's carry is empty at a word boundary, since it
 * has seen exactly the @c->off bytes before).
 */
static void check_stdout(struct checker *c, const unsigned char *p, size_t len)
{
	uint64_t w;

	while (len && (c->off & 7)) {
		check_note_bad(c, p, 1);
		ssum_add(&c->sum, p, 1);
		c->off++;
		p++;
		len--;
	}
	while (len >= 8) {
		memcpy(&w, p, 8);
		if (w != pat_word(c->off >> 3, c->seed))
			check_note_bad(c, p, 8);
		c->sum.h = ssum_mix(c->sum.h, w);
		c->sum.n += 8;
		c->off += 8;
		p += 8;
		len -= 8;
	}
	if (len) {
		check_note_bad(c, p, len);
		ssum_add(&c->sum, p, len);
		c->off += len;
	}
}

/* Stdout bytes [0, @bytes) were checked elsewhere: count them in. */
static void check_skip(struct checker *c, uint64_t bytes)
{
	while (c->off < bytes) {
		size_t n = bytes - c->off < sizeof(c->scratch) ?
			   (size_t)(bytes - c->off) : sizeof(c->scratch);

		pat_fill(c->scratch, c->off, n, c->seed);
		check_stdout(c, c->scratch, n);
	}
}

static void check_record(struct checker *c, const struct sbexec_record *rec,
			 const void *payload)
{
	if (rec->seq != c->next_seq && !c->seq_bad) {
		c->seq_bad = true;
		c->bad_seq = rec->seq;
	}
	if (c->have_exit)
		c->after_exit = true;
	c->next_seq = rec->seq + 1;
	c->records++;
	switch (rec->stream) {
	case SBEXEC_STREAM_STDOUT:
		check_stdout(c, payload, rec->len);
		break;
	case SBEXEC_STREAM_STDERR: {
		size_t n = rec->len;

		if (n > sizeof(c->err) - 1 - c->err_len)
			n = sizeof(c->err) - 1 - c->err_len;
		memcpy(c->err + c->err_len, payload, n);
		c->err_len += n;
		c->err[c->err_len] = '\0';
		break;
	}
	case SBEXEC_STREAM_EXIT:
		memcpy(&c->exit, payload, sizeof(c->exit));
		c->have_exit = true;
		break;
	}
}

/* Walk a read() buffer; -EBADMSG when it is malformed. */
static int check_buf(struct checker *c, const void *buf, size_t len)
{
	struct sbexec_record_iter it;
	const struct sbexec_record *rec;
	const void *payload;
	int ret;

	sbexec_record_iter_init(&it, buf, len);
	while ((ret = sbexec_record_next(&it, &rec, &payload)) > 0)
		check_record(c, rec, payload);
	return ret;
}

/* The whole stream arrived intact: @total bytes, exit 0, sums agree. */
#define EXPECT_STREAM_COMPLETE(c, total) do {				\
	unsigned long long _n = 0;					\
	char _sum[32] = "";						\
	char _mine[32];							\
	EXPECT_EQ(UINT64_MAX, (c)->bad_off)				\
		TH_LOG("first wrong stdout byte at offset %" PRIu64, (c)->bad_off); \
	EXPECT_FALSE((c)->seq_bad)					\
		TH_LOG("sequence broken: got %" PRIu64, (c)->bad_seq);	\
	EXPECT_FALSE((c)->after_exit);					\
	EXPECT_EQ((uint64_t)(total), (c)->off);				\
	ASSERT_TRUE((c)->have_exit);					\
	EXPECT_EQ(1U, (c)->exit.exited);				\
	EXPECT_EQ(0U, (c)->exit.code) TH_LOG("stderr: %s", (c)->err);	\
	snprintf(_mine, sizeof(_mine), "%016" PRIx64, ssum_final(&(c)->sum)); \
	EXPECT_EQ(2, sscanf((c)->err, "gen %llu %31s", &_n, _sum))	\
		TH_LOG("stderr: %s", (c)->err);				\
	EXPECT_EQ((unsigned long long)(total), _n);			\
	EXPECT_STREQ(_sum, _mine);					\
} while (0)

/* ---- small helpers ---- */

/*
 * RING_TEST_ONLY=WORD runs only the tests whose name contains WORD (the
 * harness of linux-source-6.1 has no filter of its own).
 */
#define ONLY() do {							\
	const char *_only = getenv("RING_TEST_ONLY");			\
	if (_only && *_only && !strstr(_metadata->name, _only))		\
		SKIP(return, "not selected by RING_TEST_ONLY");		\
} while (0)

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static const char *self_exe(void)
{
	static char path[PATH_MAX];
	ssize_t n;

	if (path[0])
		return path;
	n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	if (n <= 0)
		return "/proc/self/exe";
	path[n] = '\0';
	return path;
}

/* Start a generator session: @total bytes; @progress file or NULL. */
static int exec_gen_paced(struct sbexec *h, uint64_t total, uint64_t seed,
			  uint32_t ring_size, uint32_t flags, const char *progress,
			  const char *pace, struct sbexec_exec_result *res)
{
	char env0[PATH_MAX + 64], env1[256];
	const char *env[] = { env0, pace ? env1 : NULL, NULL };
	struct sbexec_exec_req req = {
		.cmd = self_exe(), .env = env, .ring_size = ring_size,
		.flags = flags,
	};

	snprintf(env0, sizeof(env0), GEN_ENV "=%" PRIu64 ":%" PRIu64 "%s%s",
		 total, seed, progress ? ":" : "", progress ? progress : "");
	snprintf(env1, sizeof(env1), PACE_ENV "=%s", pace ? pace : "");
	return sbexec_exec(h, &req, res);
}

static int exec_gen(struct sbexec *h, uint64_t total, uint64_t seed,
		    uint32_t ring_size, uint32_t flags, const char *progress,
		    struct sbexec_exec_result *res)
{
	return exec_gen_paced(h, total, seed, ring_size, flags, progress, NULL, res);
}

/*
 * KiB of free pages parked on the per-CPU lists (/proc/zoneinfo's "count:"
 * lines): MemAvailable leaves them out, and 6.12 keeps tens of MiB of
 * just-freed pages there, which would read as memory taken.
 */
static long long pcp_free_kb(void)
{
	FILE *f = fopen("/proc/zoneinfo", "re");
	long long pages = 0, v;
	char line[256];

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " count: %lld", &v) == 1)
			pages += v;
	fclose(f);
	return pages * (sysconf(_SC_PAGESIZE) / 1024);
}

/*
 * Slab + VmallocUsed from /proc/meminfo, in KiB; -1 on error. *avail_kb:
 * MemAvailable plus the per-CPU free lists.
 */
static long long kernel_mem_kb(long long *avail_kb)
{
	char line[256];
	long long slab = -1, vm = -1, v;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Slab: %lld", &v) == 1)
			slab = v;
		else if (sscanf(line, "VmallocUsed: %lld", &v) == 1)
			vm = v;
		else if (avail_kb && sscanf(line, "MemAvailable: %lld", &v) == 1)
			*avail_kb = v;
	}
	fclose(f);
	if (avail_kb && *avail_kb >= 0)
		*avail_kb += pcp_free_kb();
	return slab < 0 || vm < 0 ? -1 : slab + vm;
}

/* Bytes waiting in the pipe that is @pid's fd @fd (FIONREAD); -errno. */
static long long pipe_fill(pid_t pid, int fd)
{
	char path[64];
	int pfd, n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, fd);
	pfd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (pfd < 0)
		return -errno;
	if (ioctl(pfd, FIONREAD, &n) < 0)
		n = -errno;
	close(pfd);
	return n;
}

/* The syscall @pid is blocked in, from /proc/PID/syscall: nr and arg0. */
static int blocked_syscall(pid_t pid, long *nr, unsigned long *arg0)
{
	char path[64], buf[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	if (sscanf(buf, "%ld 0x%lx", nr, arg0) != 2)
		return -EPROTO;
	return 0;
}

static int read_sysfs_u64(const char *path, unsigned long long *v)
{
	FILE *f = fopen(path, "re");
	int ok;

	if (!f)
		return -errno;
	ok = fscanf(f, "%llu", v) == 1;
	fclose(f);
	return ok ? 0 : -EPROTO;
}

static long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

/* Read @fd to its end into @c (read() only). */
static int drain_read(int fd, struct checker *c, int timeout_ms)
{
	int64_t deadline = mono_ms() + timeout_ms;
	static unsigned char buf[1 << 18];
	ssize_t n;
	int err;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (mono_ms() > deadline)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		n = sbexec_read_records(fd, buf, sizeof(buf));
		if (n == 0)
			return c->have_exit ? 0 : -EPROTO;
		if (n == -EAGAIN)
			continue;
		if (n < 0)
			return (int)n;
		err = check_buf(c, buf, (size_t)n);
		if (err)
			return err;
	}
}

/* ---- fixture ---- */

FIXTURE(ring) {
	struct sbexec *h;
	struct sbexec_exec_result res;
	struct checker *c;
	int fd;
	char progress[64];
};

FIXTURE_SETUP(ring)
{
	int err = sbexec_open(&self->h);

	self->fd = -1;
	self->c = NULL;
	self->progress[0] = '\0';
	ASSERT_EQ(0, err) TH_LOG("sbexec_open: %s", sbexec_open_error(err));
}

FIXTURE_TEARDOWN(ring)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->progress[0])
		unlink(self->progress);
	free(self->c);
	sbexec_close(self->h);
}

/* ---- 1 GiB through a 64 KiB ring to a slow reader ---- */

#define BIG_RING	65536
#define BIG_PAUSES	4
/* Slab + VmallocUsed may not grow by more than this during the run. */
#define BIG_MEM_BOUND_KB	(4 * 1024)

/* RING_TEST_BIG_MIB overrides the size (to measure). */
static uint64_t big_bytes(void)
{
	const char *e = getenv("RING_TEST_BIG_MIB");

	return (e && *e ? strtoull(e, NULL, 10) : 1024) * MIB;
}

struct big_state {
	struct gen_progress *pr;
	uint64_t stdout_seen;
	long long mem0, mem_max, avail0, avail_min;
	int pauses_blocked;
};

static void big_mem_sample(struct big_state *b)
{
	long long avail = -1, m = kernel_mem_kb(&avail);

	if (m > b->mem_max)
		b->mem_max = m;
	if (avail >= 0 && avail < b->avail_min)
		b->avail_min = avail;
}

TEST_F_TIMEOUT(ring, gib_through_64k_ring_to_slow_reader, 420)
{
	uint64_t total = big_bytes(), seed = 0x5eed;
	static unsigned char buf[256 * 1024];
	struct big_state b = { .avail_min = LLONG_MAX };
	struct sbexec_attach a;
	int64_t t0 = mono_ms(), t_slow = 0, deadline = t0 + 400 * 1000;
	uint64_t slow_until = 16 * MIB, next_pause = 2 * MIB, next_sample = 0;
	unsigned long small_reads = 0, big_reads = 0, pauses = 0;
	struct rusage ru;
	int fd, err;

	ONLY();
	/* The generator's progress, shared through a file in /tmp. */
	snprintf(self->progress, sizeof(self->progress), "/tmp/ring_test.%d", (int)getpid());
	fd = open(self->progress, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, sizeof(*b.pr)));
	b.pr = mmap(NULL, sizeof(*b.pr), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	ASSERT_NE(MAP_FAILED, b.pr);

	self->c = checker_new(seed);
	ASSERT_NE(NULL, self->c);
	b.mem0 = kernel_mem_kb(&b.avail0);
	ASSERT_LT(0, b.mem0);
	b.mem_max = b.mem0;

	err = exec_gen(self->h, total, seed, BIG_RING, 0, self->progress, &self->res);
	ASSERT_EQ(0, err) TH_LOG("exec: %s", sbexec_strerror_last(self->h));
	self->fd = sbexec_attach_info(self->h, self->res.session_id, &a);
	ASSERT_LE(0, self->fd) TH_LOG("attach: %s", sbexec_strerror_last(self->h));
	ASSERT_EQ((uint32_t)BIG_RING, a.ring_size);
	ASSERT_EQ(0ULL, (unsigned long long)a.next_seq);

	while (!self->c->have_exit) {
		bool slow = self->c->off < slow_until;
		struct pollfd pfd = { .fd = self->fd, .events = POLLIN };
		ssize_t n;

		ASSERT_LT(mono_ms(), deadline) TH_LOG("stuck at %" PRIu64 " bytes",
						      self->c->off);
		if (slow && self->c->off >= next_pause && pauses < BIG_PAUSES) {
			struct sbexec_session_info i1, i2;
			uint64_t w1, w2, psz;
			long long in_pipe;
			unsigned long arg0 = 0;
			long nr = -1;
			int tries;

			/*
			 * The reader pauses: the ring fills, the module stops
			 * reading, the pipe fills, and the writer blocks. Wait
			 * until the module's count is still for 300 ms.
			 */
			pauses++;
			next_pause += 4 * MIB;
			for (tries = 0; tries < 20; tries++) {
				sleep_ms(200);
				ASSERT_EQ(0, sbexec_get(self->h, self->res.session_id, &i1));
				w1 = __atomic_load_n(&b.pr->written, __ATOMIC_ACQUIRE);
				sleep_ms(300);
				ASSERT_EQ(0, sbexec_get(self->h, self->res.session_id, &i2));
				w2 = __atomic_load_n(&b.pr->written, __ATOMIC_ACQUIRE);
				if (i1.bytes_out == i2.bytes_out && w1 == w2)
					break;
			}
			psz = __atomic_load_n(&b.pr->pipe_size, __ATOMIC_ACQUIRE);
			in_pipe = pipe_fill((pid_t)self->res.pid, 1);
			big_mem_sample(&b);
			TH_LOG("pause %lu at %" PRIu64 " consumed: module read %" PRIu64
			       ", %lld more in the pipe (capacity %" PRIu64 "), writer's completed writes %" PRIu64,
			       pauses, self->c->off, i2.bytes_out, in_pipe, psz, w2);
			EXPECT_EQ(i1.bytes_out, i2.bytes_out);
			EXPECT_EQ(w1, w2);
			/* At most one ring of output waits in the module ... */
			EXPECT_LE(i2.bytes_out, self->c->off + BIG_RING);
			/* ... and at most a pipe more in the writer's pipe ... */
			EXPECT_GT(psz, 0ULL);
			EXPECT_LE(0, in_pipe);
			EXPECT_LE((uint64_t)in_pipe, psz);
			/* ... which is all the writer wrote: it cannot go on. */
			EXPECT_LE(w2, i2.bytes_out + (uint64_t)in_pipe);
			EXPECT_LE(w2, self->c->off + BIG_RING + psz);
			EXPECT_LT(w2, total);
			/* The writer is blocked in write(1, ...). */
			EXPECT_EQ(0, blocked_syscall((pid_t)self->res.pid, &nr, &arg0));
			EXPECT_EQ(1, nr) TH_LOG("writer in syscall %ld", nr);
			EXPECT_EQ(1UL, arg0);
			if (i1.bytes_out == i2.bytes_out && w1 == w2 && nr == 1)
				b.pauses_blocked++;
		}
		if (self->c->off >= next_sample) {
			big_mem_sample(&b);
			next_sample += 32 * MIB;
		}
		if (!slow && !t_slow)
			t_slow = mono_ms();

		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		/*
		 * Slow: small reads, short sleeps. A 4 KiB read gets -EMSGSIZE
		 * when the next record is larger, and that record is then read
		 * with a ring-sized buffer (the module makes records as large
		 * as the room a read freed, so under backpressure most are
		 * large). Fast: a ring at a time, no sleeps.
		 */
		if (slow) {
			n = sbexec_read_records(self->fd, buf, 4096);
			if (n == -EMSGSIZE) {
				/* The next record is larger: take it alone. */
				n = sbexec_read_records(self->fd, buf, BIG_RING);
				big_reads++;
			} else {
				small_reads++;
			}
		} else {
			n = sbexec_read_records(self->fd, buf, sizeof(buf));
		}
		ASSERT_LT(0, n) TH_LOG("read: %zd at %" PRIu64, n, self->c->off);
		ASSERT_EQ(0, check_buf(self->c, buf, (size_t)n));
		if (slow)
			usleep(1000);
	}
	big_mem_sample(&b);

	TH_LOG("%" PRIu64 " MiB in %.1f s (slow phase %.1f s for %" PRIu64
	       " MiB: %lu small, %lu large reads), %" PRIu64 " records",
	       (uint64_t)(total / MIB), (mono_ms() - t0) / 1000.0,
	       (t_slow - t0) / 1000.0, (uint64_t)(slow_until / MIB), small_reads, big_reads, self->c->records);
	getrusage(RUSAGE_SELF, &ru);
	TH_LOG("reader cpu %ld.%03ld+%ld.%03ld s; generator: %s",
	       (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec / 1000,
	       (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec / 1000, self->c->err);
	TH_LOG("Slab+VmallocUsed: %lld KiB at the start, at most +%lld KiB; MemAvailable (+ per-CPU lists) at most -%lld KiB",
	       b.mem0, b.mem_max - b.mem0, b.avail0 - b.avail_min);
	EXPECT_STREAM_COMPLETE(self->c, total);
	EXPECT_EQ(BIG_PAUSES, b.pauses_blocked);
	EXPECT_LE(b.mem_max - b.mem0, BIG_MEM_BOUND_KB);
	/* An unbounded queue would hold most of the 1 GiB. */
	EXPECT_LE(b.avail0 - b.avail_min, 64 * 1024);
	munmap(b.pr, sizeof(*b.pr));
}

/* ---- wrap-around through the mapped ring ---- */

TEST_F_TIMEOUT(ring, wraparound_through_mmap, 180)
{
	const uint64_t total = 4 * MIB, seed = 77;
	const uint32_t ring = 16384;
	const struct sbexec_record *rec;
	struct sbexec_ring_map m;
	struct sbexec_attach a;
	const void *payload;
	unsigned long straddle = 0, hdr_straddle = 0, releases = 0;
	int64_t deadline = mono_ms() + 150 * 1000;
	unsigned int batch = 0, i;
	int ret;

	ONLY();
	self->c = checker_new(seed);
	ASSERT_NE(NULL, self->c);
	/*
	 * 16 records of 1016 bytes and one of 120 end 8 bytes before the end
	 * of the ring: the next record's header straddles it.
	 */
	ASSERT_EQ(0, exec_gen_paced(self->h, total, seed, ring, 0, NULL,
				    "1000x16,104", &self->res))
		TH_LOG("exec: %s", sbexec_strerror_last(self->h));
	self->fd = sbexec_attach_info(self->h, self->res.session_id, &a);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(ring, a.ring_size);
	ASSERT_EQ(0, sbexec_ring_map(self->fd, a.ring_size, &m));
	ASSERT_EQ(ring, m.producer->size);

	for (i = 0; i < 17; i++) {
		ASSERT_EQ(0, sbexec_stdin(self->h, self->res.session_id, "x", 1));
		while ((ret = sbexec_ring_next(&m, &rec, &payload)) == 0) {
			ASSERT_LT(mono_ms(), deadline);
			ASSERT_LE(0, sbexec_ring_wait(&m, 1000));
		}
		ASSERT_EQ(1, ret);
		ASSERT_EQ(i < 16 ? 1000U : 104U, rec->len);
		check_record(self->c, rec, payload);
		ASSERT_EQ(0, sbexec_ring_release(&m));
	}
	ASSERT_EQ((uint64_t)ring - 8, m.released);
	ASSERT_EQ(0, sbexec_stdin(self->h, self->res.session_id, "x", 1));

	while (!self->c->have_exit) {
		ASSERT_LT(mono_ms(), deadline);
		ret = sbexec_ring_next(&m, &rec, &payload);
		ASSERT_LE(0, ret) TH_LOG("ring_next at %" PRIu64, m.pos);
		if (ret == 0) {
			ASSERT_EQ(0, sbexec_ring_release(&m));
			ret = sbexec_ring_wait(&m, 1000);
			ASSERT_LE(0, ret) TH_LOG("wait: %d", ret);
			continue;
		}
		{
			uint64_t start = m.pos - sbexec_record_size(rec->len);
			uint64_t in_ring = start & (ring - 1);

			/* The record lies in the first copy and runs on. */
			EXPECT_EQ((const unsigned char *)rec, m.data + in_ring);
			if (in_ring + sbexec_record_size(rec->len) > ring)
				straddle++;
			if (in_ring + sizeof(*rec) > ring)
				hdr_straddle++;
		}
		check_record(self->c, rec, payload);
		/* Release after 1, 2, 3, 4, 1, ... records. */
		if (++batch > releases % 4) {
			ASSERT_EQ(0, sbexec_ring_release(&m));
			releases++;
			batch = 0;
		}
	}
	ASSERT_EQ(0, sbexec_ring_release(&m));
	/* Everything consumed: hang-up, and the consumer page says where. */
	EXPECT_EQ(-EPIPE, sbexec_ring_wait(&m, 5000));
	EXPECT_EQ(m.producer->pos, m.consumer->pos);
	TH_LOG("%" PRIu64 " records, %" PRIu64 " wraps, %lu straddling the end (%lu headers), %lu releases",
	       self->c->records, (uint64_t)(m.producer->pos / ring), straddle, hdr_straddle, releases);
	EXPECT_LE(total / ring, m.released / ring);
	sbexec_ring_unmap(&m);
	EXPECT_STREAM_COMPLETE(self->c, total);
	EXPECT_LT(0UL, straddle);
	EXPECT_LT(0UL, hdr_straddle);
	/* read() after the end: 0. */
	EXPECT_EQ(0, sbexec_read_records(self->fd, (char[64]){ 0 }, 64));
}

/* ---- rings are paid for as they fill ---- */

/* MemFree plus the per-CPU free lists, in KiB; -1 on error. */
static long long free_kb(void)
{
	char line[256];
	long long v, free = -1;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemFree: %lld", &v) == 1)
			free = v;
	fclose(f);
	return free < 0 ? -1 : free + pcp_free_kb();
}

#define IDLE_SESSIONS	32
/* A default ring may cost an idle session this much more than a 4 KiB one. */
#define IDLE_EXTRA_BOUND_KB	16

/*
 * Free memory that @n idle sessions (`sleep`, ring of @ring_size bytes, 0:
 * the default) take, in KiB per session, into *@kb; they are killed and
 * forgotten afterwards. 0, or -1 when a session cannot be started.
 */
static int idle_cost_kb(unsigned int n, uint32_t ring_size, double *kb)
{
	const char *const argv[] = { "600", NULL };
	struct sbexec_exec_req req = {
		.cmd = "/bin/sleep", .argv = argv, .ring_size = ring_size,
	};
	struct sbexec_exec_result res;
	long long before, after;
	struct sbexec *h;
	unsigned int i;

	if (sbexec_open(&h))
		return -1;
	sleep_ms(500);
	before = free_kb();
	for (i = 0; i < n; i++) {
		if (sbexec_exec(h, &req, &res)) {
			sbexec_close(h);
			return -1;
		}
	}
	sleep_ms(500);
	after = free_kb();
	/* Kill-on-close: closing the handle ends and forgets them. */
	sbexec_close(h);
	sleep_ms(1000);
	*kb = (double)(before - after) / n;
	return 0;
}

/*
 * An idle session's ring costs its meta pages and one data page, whatever
 * its size: measured against sessions with a one-page ring, whose idle
 * cost is the same pages (before rings were allocated as they fill, the
 * default 256 KiB ring cost 63 pages more than that).
 */
TEST_F_TIMEOUT(ring, idle_default_ring_costs_a_few_pages, 600)
{
	double warm, small, def, def2;

	ONLY();
	/* Warm-up: the kernel's first-use allocations go here. */
	ASSERT_EQ(0, idle_cost_kb(IDLE_SESSIONS, 0, &warm));
	ASSERT_EQ(0, idle_cost_kb(IDLE_SESSIONS, 4096, &small));
	ASSERT_EQ(0, idle_cost_kb(IDLE_SESSIONS, 0, &def));
	TH_LOG("idle session: %.1f KiB with a 4 KiB ring, %.1f KiB with the default ring",
	       small, def);
	if (def - small > IDLE_EXTRA_BOUND_KB) {
		/* The host's noise: measure once more before failing. */
		ASSERT_EQ(0, idle_cost_kb(IDLE_SESSIONS, 0, &def2));
		TH_LOG("again: %.1f KiB with the default ring", def2);
		if (def2 < def)
			def = def2;
	}
	EXPECT_GE(IDLE_EXTRA_BOUND_KB, def - small)
		TH_LOG("a default ring costs an idle session %.1f KiB more than a 4 KiB one",
		       def - small);
}

/*
 * A default ring grows from its first pages to its full size as output
 * arrives, with a mapped reader that touched pages the ring did not have
 * yet (they read as zeroes, then show the records written there later),
 * fills to its full size while nobody reads, and wraps, losing nothing.
 */
TEST_F_TIMEOUT(ring, grows_as_output_arrives, 180)
{
	const uint64_t total = 2 * MIB, seed = 4242;
	const struct sbexec_record *rec;
	struct gen_progress *pr;
	struct sbexec_ring_map m;
	struct sbexec_attach a;
	const void *payload;
	int64_t deadline = mono_ms() + 150 * 1000;
	uint64_t ring, w, unread;
	long long in_pipe = 0;
	unsigned long off;
	int fd, ret, still = 0;

	ONLY();
	snprintf(self->progress, sizeof(self->progress), "/tmp/ring_test.%d", (int)getpid());
	fd = open(self->progress, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, sizeof(*pr)));
	pr = mmap(NULL, sizeof(*pr), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	ASSERT_NE(MAP_FAILED, pr);
	self->c = checker_new(seed);
	ASSERT_NE(NULL, self->c);

	/* One record of 1000 bytes first, then the rest at once. */
	ASSERT_EQ(0, exec_gen_paced(self->h, total, seed, 0, 0, self->progress,
				    "1000", &self->res))
		TH_LOG("exec: %s", sbexec_strerror_last(self->h));
	self->fd = sbexec_attach_info(self->h, self->res.session_id, &a);
	ASSERT_LE(0, self->fd);
	ring = a.ring_size;
	ASSERT_LE((uint64_t)16 * page_size(), ring);
	ASSERT_EQ(0, sbexec_ring_map(self->fd, a.ring_size, &m));

	/* Pages the ring has no use for yet: a reader sees zeroes. */
	for (off = ring / 2; off < 2 * ring; off += ring / 2)
		EXPECT_EQ(0, ((volatile const unsigned char *)m.data)[off + 8])
			TH_LOG("data byte %lu before any output", off + 8);

	ASSERT_EQ(0, sbexec_stdin(self->h, self->res.session_id, "x", 1));
	while ((ret = sbexec_ring_next(&m, &rec, &payload)) == 0) {
		ASSERT_LT(mono_ms(), deadline);
		ASSERT_LE(0, sbexec_ring_wait(&m, 1000));
	}
	ASSERT_EQ(1, ret);
	ASSERT_EQ(1000U, rec->len);
	check_record(self->c, rec, payload);
	ASSERT_EQ(0, sbexec_ring_release(&m));

	/* The rest, unread until the ring is full and the writer blocked. */
	ASSERT_EQ(0, sbexec_stdin(self->h, self->res.session_id, "x", 1));
	w = 0;
	while (still < 10) {
		uint64_t now = __atomic_load_n(&pr->written, __ATOMIC_ACQUIRE);

		ASSERT_LT(mono_ms(), deadline) TH_LOG("the writer never blocked");
		still = now == w ? still + 1 : 0;
		w = now;
		sleep_ms(200);
	}
	in_pipe = pipe_fill(self->res.pid, 1);
	unread = __atomic_load_n(&m.producer->pos, __ATOMIC_ACQUIRE) - m.released;
	TH_LOG("writer blocked after %" PRIu64 " bytes: %" PRIu64 " in the ring of %" PRIu64 ", %lld in the pipe",
	       w, unread, ring, in_pipe);
	EXPECT_GT(in_pipe, 0);
	EXPECT_LT(w, total);
	/* Full: less room left than the smallest record needs. */
	EXPECT_GT(unread + 2 * sizeof(struct sbexec_record), ring);

	while (!self->c->have_exit) {
		ASSERT_LT(mono_ms(), deadline);
		ret = sbexec_ring_next(&m, &rec, &payload);
		ASSERT_LE(0, ret) TH_LOG("ring_next at %" PRIu64, m.pos);
		if (ret == 0) {
			ASSERT_EQ(0, sbexec_ring_release(&m));
			ASSERT_LE(0, sbexec_ring_wait(&m, 1000));
			continue;
		}
		check_record(self->c, rec, payload);
	}
	ASSERT_EQ(0, sbexec_ring_release(&m));
	EXPECT_EQ(-EPIPE, sbexec_ring_wait(&m, 5000));
	TH_LOG("%" PRIu64 " records, %" PRIu64 " wraps", self->c->records,
	       (uint64_t)(m.producer->pos / ring));
	EXPECT_LE(total / ring, m.producer->pos / ring);
	sbexec_ring_unmap(&m);
	munmap(pr, sizeof(*pr));
	EXPECT_STREAM_COMPLETE(self->c, total);
}

/* ---- a reader leaves, another one continues ---- */

/*
 * Child: attach to @id, read() records until @bytes of stdout arrived,
 * write "LAST_SEQ STDOUT_BYTES" to @out, and exit without closing.
 */
static void partial_reader(uint32_t id, uint64_t bytes, uint64_t seed, int out)
{
	struct sbexec_attach a;
	static unsigned char buf[1 << 17];
	struct checker *c = checker_new(seed);
	char line[64];
	int fd;

	fd = sbexec_attach_info(NULL, id, &a);
	if (fd < 0 || !c || a.next_seq != 0)
		_exit(10);
	while (c->off < bytes) {
		ssize_t n = sbexec_read_records(fd, buf, sizeof(buf));

		if (n <= 0 || check_buf(c, buf, (size_t)n) || c->bad_off != UINT64_MAX ||
		    c->seq_bad || c->have_exit)
			_exit(11);
	}
	snprintf(line, sizeof(line), "%" PRIu64 " %" PRIu64 "\n", c->next_seq - 1, c->off);
	if (write(out, line, strlen(line)) != (ssize_t)strlen(line))
		_exit(12);
	_exit(0);	/* the kernel closes the reader */
}

TEST_F_TIMEOUT(ring, reader_exits_and_another_continues, 180)
{
	const uint64_t total = 3 * MIB, seed = 99;
	const struct sbexec_record *rec;
	unsigned long long last_seq = 0, seen = 0;
	struct sbexec_session_info si;
	struct sbexec_ring_map m;
	struct sbexec_attach a;
	struct sbexec *h2;
	const void *payload;
	uint64_t released_seq, peeked = 0;
	char line[64] = "";
	int pfd[2], status, ret, tries;
	pid_t pid;
	ssize_t n;

	ONLY();
	/* Started through a second handle that goes away at once. */
	ASSERT_EQ(0, sbexec_open(&h2));
	ASSERT_EQ(0, exec_gen(h2, total, seed, 16384, SBEXEC_EXEC_F_KEEP_RUNNING,
			      NULL, &self->res)) TH_LOG("exec: %s", sbexec_strerror_last(h2));
	sbexec_close(h2);

	/* Reader 1: a process that reads 1 MiB and exits. */
	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(pfd[0]);
		partial_reader(self->res.session_id, MIB, seed, pfd[1]);
	}
	close(pfd[1]);
	n = read(pfd[0], line, sizeof(line) - 1);
	close(pfd[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_LT(0, n);
	line[n] = '\0';
	ASSERT_EQ(2, sscanf(line, "%llu %llu", &last_seq, &seen));
	TH_LOG("reader 1 stopped after seq %llu, %llu bytes", last_seq, seen);

	/* The session lives on (keep-running) and still runs. */
	ASSERT_EQ(0, sbexec_get(self->h, self->res.session_id, &si))
		TH_LOG("%s", sbexec_strerror_last(self->h));

	/* Reader 2: mapped; releases some records, looks at more, leaves. */
	self->fd = sbexec_attach_info(self->h, self->res.session_id, &a);
	ASSERT_LE(0, self->fd) TH_LOG("%s", sbexec_strerror_last(self->h));
	EXPECT_EQ(last_seq + 1, a.next_seq);
	self->c = checker_new(seed);
	ASSERT_NE(NULL, self->c);
	check_skip(self->c, seen);	/* reader 1 checked those */
	self->c->next_seq = a.next_seq;
	ASSERT_EQ(0, sbexec_ring_map(self->fd, a.ring_size, &m));
	while (self->c->off < seen + 512 * 1024) {
		ret = sbexec_ring_next(&m, &rec, &payload);
		ASSERT_LE(0, ret);
		if (ret == 0) {
			ASSERT_EQ(0, sbexec_ring_release(&m));
			ASSERT_LE(0, sbexec_ring_wait(&m, 5000));
			continue;
		}
		check_record(self->c, rec, payload);
	}
	ASSERT_EQ(0, sbexec_ring_release(&m));
	released_seq = self->c->next_seq;
	seen = self->c->off;
	/*
	 * Handed out but not released: not consumed. (Only what is there:
	 * the ring may hold a single record, and waiting for more without
	 * releasing it would wait forever.)
	 */
	for (tries = 0; tries < 500; tries++) {
		if (__atomic_load_n(&m.producer->pos, __ATOMIC_ACQUIRE) != m.pos)
			break;
		sleep_ms(10);
	}
	while ((ret = sbexec_ring_next(&m, &rec, &payload)) > 0) {
		EXPECT_EQ(released_seq + peeked, rec->seq);
		peeked++;
	}
	ASSERT_EQ(0, ret);
	ASSERT_LT(0ULL, (unsigned long long)peeked);
	TH_LOG("reader 2 released up to seq %" PRIu64 ", left %" PRIu64 " records handed out",
	       released_seq - 1, peeked);
	sbexec_ring_unmap(&m);
	close(self->fd);
	self->fd = -1;

	/* Reader 3: continues right after the last released record. */
	self->fd = sbexec_attach_info(self->h, self->res.session_id, &a);
	ASSERT_LE(0, self->fd) TH_LOG("%s", sbexec_strerror_last(self->h));
	EXPECT_EQ(released_seq, a.next_seq);
	self->c->next_seq = a.next_seq;
	ASSERT_EQ(seen, self->c->off);
	ASSERT_EQ(0, drain_read(self->fd, self->c, 120000));
	EXPECT_STREAM_COMPLETE(self->c, total);
	close(self->fd);
	self->fd = -1;

	/* Read to its end and closed: a kept session is gone. */
	EXPECT_EQ(-ENOENT, sbexec_get(self->h, self->res.session_id, &si));
}

/* ---- forged consumer positions ---- */

/* Store @pos as the consumer position and ask the module to take it. */
static int forge(struct sbexec_ring_map *m, uint64_t pos)
{
	__atomic_store_n(&m->consumer->pos, pos, __ATOMIC_RELEASE);
	return ioctl(m->fd, SBEXEC_IOC_CONSUMED) < 0 ? -errno : 0;
}

TEST_F_TIMEOUT(ring, forged_consumer_position_is_refused, 180)
{
	const uint64_t total = 2 * MIB, seed = 4242;
	const uint32_t ring = 16384;
	const struct sbexec_record *rec, *next;
	static unsigned char buf[1 << 16];
	struct sbexec_ring_map m;
	struct sbexec_attach a;
	struct pollfd pfd;
	const void *payload;
	uint64_t cons, prod = 0, first_size, next_size, bad[8];
	unsigned int i, turn = 0;
	int64_t deadline;
	int ret, tries;
	ssize_t n;

	ONLY();
	self->c = checker_new(seed);
	ASSERT_NE(NULL, self->c);
	ASSERT_EQ(0, exec_gen(self->h, total, seed, ring, 0, NULL, &self->res));
	self->fd = sbexec_attach_info(self->h, self->res.session_id, &a);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, sbexec_ring_map(self->fd, a.ring_size, &m));

	/* Wait until the ring holds more than one record and is full-ish. */
	for (tries = 0; tries < 200; tries++) {
		prod = __atomic_load_n(&m.producer->pos, __ATOMIC_ACQUIRE);
		if (prod > 2 * 1024)
			break;
		sleep_ms(20);
	}
	/* Take one record legitimately, so there is a position behind us. */
	ASSERT_EQ(1, sbexec_ring_next(&m, &rec, &payload));
	first_size = sbexec_record_size(rec->len);
	check_record(self->c, rec, payload);
	ASSERT_EQ(0, sbexec_ring_release(&m));
	cons = m.released;
	ASSERT_EQ(cons, first_size);
	ASSERT_EQ(cons, m.consumer->pos);

	/* The module refills behind us: wait for an unread record. */
	for (tries = 0; tries < 500; tries++) {
		prod = __atomic_load_n(&m.producer->pos, __ATOMIC_ACQUIRE);
		if (prod > cons)
			break;
		sleep_ms(10);
	}
	ASSERT_LT(cons, prod) TH_LOG("need an unread record");
	/* The next record's header, to forge a position inside it. */
	next = (const void *)(m.data + (cons & (ring - 1)));
	next_size = sbexec_record_size(next->len);
	bad[0] = prod + 8;		/* beyond producer.pos */
	bad[1] = cons + ring + 8;	/* more than a ring ahead */
	bad[2] = UINT64_MAX - 7;	/* far ahead */
	bad[3] = cons - 8;		/* backwards */
	bad[4] = 0;			/* back to the start */
	bad[5] = cons + 8;		/* inside the next header */
	bad[6] = cons + next_size - 8;	/* inside its payload */
	bad[7] = cons + 3;		/* not even aligned */
	TH_LOG("consumer %" PRIu64 ", producer %" PRIu64 ", next record %" PRIu64 " bytes",
	       cons, prod, next_size);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, forge(&m, bad[i])) TH_LOG("forged %" PRIu64, bad[i]);
		EXPECT_EQ(cons, __atomic_load_n(&m.consumer->pos, __ATOMIC_ACQUIRE))
			TH_LOG("page not restored after %" PRIu64, bad[i]);
	}

	/* poll() refuses it too: POLLERR, page rewritten. */
	__atomic_store_n(&m.consumer->pos, prod + 64, __ATOMIC_RELEASE);
	pfd = (struct pollfd){ .fd = self->fd, .events = POLLIN };
	EXPECT_EQ(1, poll(&pfd, 1, 1000));
	EXPECT_TRUE(pfd.revents & POLLERR) TH_LOG("revents 0x%x", pfd.revents);
	EXPECT_EQ(cons, m.consumer->pos);

	/* read() with a forged page: ignored, reads from the module's place. */
	__atomic_store_n(&m.consumer->pos, cons + 8, __ATOMIC_RELEASE);
	n = sbexec_read_records(self->fd, buf, sizeof(buf));
	ASSERT_LT(0, n);
	ASSERT_EQ(0, check_buf(self->c, buf, (size_t)n));
	EXPECT_EQ(cons + (uint64_t)n, m.consumer->pos);
	EXPECT_EQ(UINT64_MAX, self->c->bad_off);

	/*
	 * A reader that leaves with a forged position in the page: the
	 * module refuses it at detach, and the next reader starts right.
	 */
	__atomic_store_n(&m.consumer->pos, m.consumer->pos + 8, __ATOMIC_RELEASE);
	sbexec_ring_unmap(&m);
	close(self->fd);
	self->fd = -1;

	/* Rest of the stream: mapped and read() in turns, byte-exact. */
	self->fd = sbexec_attach_info(self->h, self->res.session_id, &a);
	ASSERT_LE(0, self->fd);
	EXPECT_EQ(self->c->next_seq, a.next_seq);
	ASSERT_EQ(0, sbexec_ring_map(self->fd, a.ring_size, &m));
	deadline = mono_ms() + 120 * 1000;
	while (!self->c->have_exit) {
		ASSERT_LT(mono_ms(), deadline);
		if (turn++ % 2) {
			ret = sbexec_ring_next(&m, &rec, &payload);
			ASSERT_LE(0, ret);
			if (ret) {
				check_record(self->c, rec, payload);
				/* One more forgery now and then. */
				if (turn % 16 == 1) {
					uint64_t keep = m.released;

					EXPECT_EQ(-EINVAL, forge(&m, m.pos + 4));
					EXPECT_EQ(keep, m.consumer->pos);
				}
				ASSERT_EQ(0, sbexec_ring_release(&m));
				continue;
			}
		} else {
			pfd = (struct pollfd){ .fd = self->fd, .events = POLLIN };
			if (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN)) {
				n = sbexec_read_records(self->fd, buf, sizeof(buf));
				ASSERT_LT(0, n);
				ASSERT_EQ(0, check_buf(self->c, buf, (size_t)n));
				continue;
			}
		}
		ASSERT_LE(0, sbexec_ring_wait(&m, 1000));
	}
	sbexec_ring_unmap(&m);
	EXPECT_STREAM_COMPLETE(self->c, total);
}

/* ---- what may be mapped, and how ---- */

TEST(mmap_permissions)
{
	const char *const argv[] = { "-c", "echo hi; sleep 20", NULL };
	struct sbexec_exec_req req = { .cmd = "/bin/sh", .argv = argv, .ring_size = 16384 };
	struct sbexec_exec_result res;
	struct sbexec_attach a;
	struct sbexec *h;
	long pg = page_size();
	size_t all, npages;
	void *p;
	int fd, raw;

	ONLY();
	ASSERT_EQ(0, sbexec_open(&h));
	ASSERT_EQ(0, sbexec_exec(h, &req, &res));

	/* Not attached yet: nothing to map. */
	raw = open(SBEXEC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, raw);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, pg, PROT_READ, MAP_SHARED, raw, 0));
	EXPECT_EQ(EBADFD, errno);
	close(raw);

	fd = sbexec_attach_info(h, res.session_id, &a);
	ASSERT_LE(0, fd);
	npages = 2 + 2 * a.ring_size / pg;
	all = npages * pg;

	/* The consumer page alone may be writable. */
	p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	munmap(p, pg);

	/* Writable anything else: EPERM. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, pg));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 2 * pg));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, all, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 2 * pg));
	EXPECT_EQ(EPERM, errno);

	/* Read-only data, then mprotect to writable: refused. */
	p = mmap(NULL, all - pg, PROT_READ, MAP_SHARED, fd, pg);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, mprotect(p, all - pg, PROT_READ | PROT_WRITE));
	EXPECT_EQ(-1, mprotect(p, pg, PROT_READ | PROT_WRITE));
	EXPECT_EQ(-1, mprotect((char *)p + pg, pg, PROT_READ | PROT_WRITE));
	EXPECT_EQ(-1, mprotect((char *)p + 2 * pg, pg, PROT_READ | PROT_WRITE));
	munmap(p, all - pg);

	/*
	 * The whole area read-only, then one page of it writable: only the
	 * consumer page may become so, not the producer page or data that
	 * share the mapping.
	 */
	p = mmap(NULL, all, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, mprotect((char *)p + pg, pg, PROT_READ | PROT_WRITE))
		TH_LOG("the producer page became writable");
	EXPECT_EQ(-1, mprotect((char *)p + 2 * pg, pg, PROT_READ | PROT_WRITE))
		TH_LOG("a data page became writable");
	EXPECT_EQ(0, mprotect(p, pg, PROT_READ | PROT_WRITE));
	munmap(p, all);

	/* A read-only consumer page may become writable. */
	p = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, mprotect(p, pg, PROT_READ | PROT_WRITE));
	munmap(p, pg);

	/* Beyond the ring: EINVAL. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, all));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, all + pg, PROT_READ, MAP_SHARED, fd, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 2 * pg, PROT_READ, MAP_SHARED, fd, all - pg));
	EXPECT_EQ(EINVAL, errno);
	/* The exact extent works. */
	p = mmap(NULL, all, PROT_READ, MAP_SHARED, fd, 0);
	EXPECT_NE(MAP_FAILED, p);
	if (p != MAP_FAILED)
		munmap(p, all);

	close(fd);
	sbexec_signal(h, res.session_id, SIGKILL);
	sbexec_close(h);
}

/* ---- one reader per session ---- */

/*
 * Open a handle, start `echo one; read x; echo two` and attach its one
 * reader (a second attach is refused meanwhile); the reader, or -1 with
 * the failed check logged.
 */
static int one_two_reader(struct __test_metadata *_metadata,
			  struct sbexec **h, struct sbexec_exec_result *res)
{
	const char *const argv[] = { "-c", "echo one; read x; echo two", NULL };
	struct sbexec_exec_req req = { .cmd = "/bin/sh", .argv = argv };
	struct sbexec_attach a;
	int fd, rc;

	rc = sbexec_open(h);
	EXPECT_EQ(0, rc);
	if (rc)
		return -1;
	rc = sbexec_exec(*h, &req, res);
	EXPECT_EQ(0, rc);
	if (rc)
		return -1;
	fd = sbexec_attach_info(*h, res->session_id, &a);
	EXPECT_LE(0, fd);
	if (fd < 0)
		return -1;
	EXPECT_EQ(-EBUSY, sbexec_attach_info(*h, res->session_id, &a));
	return fd;
}

TEST(second_reader_is_busy)
{
	struct sbexec_exec_result res;
	struct sbexec_attach a;
	struct sbexec_output o = { 0 };
	struct sbexec *h;
	int fd1, raw;

	ONLY();
	fd1 = one_two_reader(_metadata, &h, &res);
	ASSERT_LE(0, fd1);

	/* Through the raw ioctl too, and the file stays unattached. */
	raw = open(SBEXEC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, raw);
	memset(&a, 0, sizeof(a));
	a.session_id = res.session_id;
	EXPECT_EQ(-1, ioctl(raw, SBEXEC_IOC_ATTACH, &a));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(-1, read(raw, (char[64]){ 0 }, 64));
	EXPECT_EQ(EBADFD, errno);

	/* The first reader is undisturbed and gets everything. */
	ASSERT_EQ(0, sbexec_close_stdin(h, res.session_id));
	EXPECT_EQ(0, sbexec_collect(fd1, &o, COLLECT_MS));
	EXPECT_STREQ("one\ntwo\n", o.out.data ? o.out.data : "");
	EXPECT_EQ(1U, o.exit.exited);
	sbexec_output_free(&o);

	close(raw);
	close(fd1);
	sbexec_close(h);
}

TEST(reader_after_first_closed)
{
	struct sbexec_exec_result res;
	struct sbexec_attach a;
	struct sbexec_output o = { 0 };
	struct sbexec *h;
	int fd1, fd2;

	ONLY();
	fd1 = one_two_reader(_metadata, &h, &res);
	ASSERT_LE(0, fd1);
	close(fd1);

	/* Once the first is gone a second may attach and gets everything. */
	fd2 = sbexec_attach_info(h, res.session_id, &a);
	ASSERT_LE(0, fd2) TH_LOG("%s", sbexec_strerror_last(h));
	EXPECT_EQ(0ULL, (unsigned long long)a.next_seq);
	ASSERT_EQ(0, sbexec_stdin(h, res.session_id, "\n", 1));
	EXPECT_EQ(0, sbexec_collect(fd2, &o, COLLECT_MS));
	EXPECT_STREQ("one\ntwo\n", o.out.data ? o.out.data : "");
	sbexec_output_free(&o);
	close(fd2);
	sbexec_close(h);
}

/* ---- a record takes what the pipe holds ---- */

/*
 * The generator writes 1 MiB in writes of all sizes into a 1 MiB pipe and
 * exits before anything is read: the 256 KiB ring is full and the rest
 * waits in the pipe. From then on a record takes what the pipe holds up to
 * 64 KiB: the only shorter stdout records are the one the ring's room cut
 * at each refill (a refill needs a read) and the stream's last.
 */
TEST_F_TIMEOUT(ring, records_take_what_the_pipe_holds, 180)
{
	const uint64_t total = 1 * MIB, seed = 4242;
	const uint32_t ring = 262144;
	static unsigned char buf[1 << 20];
	char env0[PATH_MAX + 64];
	const char *env[] = { env0, PIPE_SZ_ENV "=1048576", NULL };
	struct sbexec_exec_req req = { .cmd = self_exe(), .env = env,
				       .ring_size = ring };
	struct sbexec_session_info info;
	unsigned long reads = 0, recs = 0, full = 0, longest = 0;
	uint64_t taken;
	int64_t deadline = mono_ms() + 150 * 1000;

	ONLY();
	self->c = checker_new(seed);
	ASSERT_NE(NULL, self->c);
	snprintf(env0, sizeof(env0), GEN_ENV "=%" PRIu64 ":%" PRIu64, total, seed);
	ASSERT_EQ(0, sbexec_exec(self->h, &req, &self->res))
		TH_LOG("exec: %s", sbexec_strerror_last(self->h));
	self->fd = sbexec_attach(self->h, self->res.session_id);
	ASSERT_LE(0, self->fd);

	/* Everything is written (ring and pipe hold it) and the writer gone. */
	do {
		ASSERT_LT(mono_ms(), deadline);
		sleep_ms(100);
		ASSERT_EQ(0, sbexec_get(self->h, self->res.session_id, &info));
	} while (!info.has_exit);
	sleep_ms(300);
	ASSERT_EQ(0, sbexec_get(self->h, self->res.session_id, &info));
	taken = info.bytes_out;
	/* At most a ring's worth was taken: the rest waits in the pipe. */
	ASSERT_GE((uint64_t)ring, taken);

	while (!self->c->have_exit) {
		struct pollfd pfd = { .fd = self->fd, .events = POLLIN };
		const struct sbexec_record *rec;
		struct sbexec_record_iter it;
		const void *payload;
		ssize_t n;

		ASSERT_LT(mono_ms(), deadline);
		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		n = sbexec_read_records(self->fd, buf, sizeof(buf));
		ASSERT_LT(0, n);
		sbexec_record_iter_init(&it, buf, (size_t)n);
		while (reads && sbexec_record_next(&it, &rec, &payload) > 0) {
			if (rec->stream != SBEXEC_STREAM_STDOUT)
				continue;
			recs++;
			full += rec->len == 65536;
			if (rec->len > longest)
				longest = rec->len;
		}
		reads++;
		ASSERT_EQ(0, check_buf(self->c, buf, (size_t)n));
	}
	TH_LOG("%" PRIu64 " bytes in the ring first, then %lu stdout records (%lu of 64 KiB) in %lu reads",
	       taken, recs, full, reads - 1);
	EXPECT_STREAM_COMPLETE(self->c, total);
	EXPECT_EQ(65536UL, longest);
	/* One short record per refill after the first read, and the last. */
	EXPECT_LE(recs - full, reads);
	EXPECT_GE((long long)full,
		  (long long)((total - taken) / 65536) - (long long)reads);
}

/* ---- the exit record waits for room, and wakes the reader ---- */

/*
 * A 4 KiB ring that 4064 bytes of stdout fill to the brim (one record of
 * 16 + 4064 bytes, or more records taking more room): the process has
 * exited, but its exit record does not fit until the reader consumes.
 * Then it must come, and wake a reader blocked in poll() (or, mapped, in
 * sbexec_ring_wait()) without any further prompting; after it, EPOLLHUP.
 */
static void exit_waits_for_room(struct __test_metadata *_metadata, bool mapped)
{
	const char *const argv[] = { "-c", "head -c 4064 /dev/zero", NULL };
	struct sbexec_exec_req req = { .cmd = "/bin/sh", .argv = argv,
				       .ring_size = 4096 };
	struct sbexec_session_info info;
	struct sbexec_exec_result res;
	const struct sbexec_record *rec;
	struct sbexec_ring_map m;
	struct sbexec_attach a;
	struct pollfd pfd;
	static unsigned char buf[8192];
	uint64_t out = 0, seq = 0;
	bool have_exit = false;
	int64_t deadline;
	const void *payload;
	struct sbexec *h;
	int fd, ret;

	ASSERT_EQ(0, sbexec_open(&h));
	ASSERT_EQ(0, sbexec_exec(h, &req, &res)) TH_LOG("%s", sbexec_strerror_last(h));
	fd = sbexec_attach_info(h, res.session_id, &a);
	ASSERT_LE(0, fd) TH_LOG("%s", sbexec_strerror_last(h));
	ASSERT_EQ(4096U, a.ring_size);

	/* The process exits; its output is in; the record cannot follow. */
	deadline = mono_ms() + COLLECT_MS;
	do {
		ASSERT_LT(mono_ms(), deadline);
		sleep_ms(50);
		ASSERT_EQ(0, sbexec_get(h, res.session_id, &info));
	} while (!info.has_exit || info.bytes_out < 4064);
	sleep_ms(300);
	ASSERT_EQ(0, sbexec_get(h, res.session_id, &info));
	EXPECT_EQ(4064ULL, (unsigned long long)info.bytes_out);
	EXPECT_EQ((uint32_t)SBEXEC_STATE_EXITED, info.state)
		TH_LOG("the exit record was queued in a full 4 KiB ring");

	/* Consume the output once: nothing else may prompt the module. */
	if (mapped) {
		ASSERT_EQ(0, sbexec_ring_map(fd, a.ring_size, &m));
		while ((ret = sbexec_ring_next(&m, &rec, &payload)) > 0) {
			ASSERT_EQ(seq++, rec->seq);
			ASSERT_EQ(SBEXEC_STREAM_STDOUT, rec->stream);
			out += rec->len;
		}
		ASSERT_EQ(0, ret);
		ASSERT_EQ(0, sbexec_ring_release(&m));
	} else {
		ssize_t n = sbexec_read_records(fd, buf, sizeof(buf));
		struct sbexec_record_iter it;

		ASSERT_LT(0, n);
		sbexec_record_iter_init(&it, buf, (size_t)n);
		while ((ret = sbexec_record_next(&it, &rec, &payload)) > 0) {
			ASSERT_EQ(seq++, rec->seq);
			ASSERT_EQ(SBEXEC_STREAM_STDOUT, rec->stream);
			out += rec->len;
		}
		ASSERT_EQ(0, ret);
	}
	ASSERT_EQ(4064ULL, (unsigned long long)out);

	/* The exit record comes and wakes the waiting reader. */
	if (mapped) {
		while (!have_exit) {
			ret = sbexec_ring_next(&m, &rec, &payload);
			ASSERT_LE(0, ret);
			if (!ret) {
				ASSERT_LT(mono_ms(), deadline);
				ASSERT_LE(0, sbexec_ring_wait(&m, 1000));
				continue;
			}
			ASSERT_EQ(seq++, rec->seq);
			ASSERT_EQ(SBEXEC_STREAM_EXIT, rec->stream);
			have_exit = true;
		}
		ASSERT_EQ(0, sbexec_ring_release(&m));
		EXPECT_EQ(-EPIPE, sbexec_ring_wait(&m, 1000));
		sbexec_ring_unmap(&m);
	} else {
		struct sbexec_record_iter it;
		ssize_t n;

		pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
		ASSERT_EQ(1, poll(&pfd, 1, COLLECT_MS));
		EXPECT_EQ(POLLIN, pfd.revents & (POLLIN | POLLHUP | POLLERR));
		n = sbexec_read_records(fd, buf, sizeof(buf));
		ASSERT_LT(0, n);
		sbexec_record_iter_init(&it, buf, (size_t)n);
		ASSERT_EQ(1, sbexec_record_next(&it, &rec, &payload));
		EXPECT_EQ(seq, rec->seq);
		EXPECT_EQ(SBEXEC_STREAM_EXIT, rec->stream);
		EXPECT_EQ(1U, ((const struct sbexec_exit_info *)payload)->exited);
		EXPECT_EQ(0, sbexec_record_next(&it, &rec, &payload));
		pfd.revents = 0;
		ASSERT_EQ(1, poll(&pfd, 1, 1000));
		EXPECT_EQ(POLLHUP, pfd.revents & (POLLIN | POLLHUP | POLLERR));
		EXPECT_EQ(0, sbexec_read_records(fd, buf, sizeof(buf)));
	}
	ASSERT_EQ(0, sbexec_get(h, res.session_id, &info));
	EXPECT_EQ((uint32_t)SBEXEC_STATE_DONE, info.state);
	close(fd);
	sbexec_close(h);
}

TEST(exit_record_waits_for_room_then_wakes_poll)
{
	ONLY();
	exit_waits_for_room(_metadata, false);
}

TEST(exit_record_waits_for_room_then_wakes_mapped_reader)
{
	ONLY();
	exit_waits_for_room(_metadata, true);
}

/*
 * A reader blocked in poll() before any output or exit: the exit record
 * alone wakes it (POLLIN), then POLLHUP.
 */
TEST(poll_wakes_with_the_exit_record)
{
	const char *const argv[] = { "0.5", NULL };
	struct sbexec_exec_req req = { .cmd = "/bin/sleep", .argv = argv };
	struct sbexec_exec_result res;
	const struct sbexec_record *rec;
	struct sbexec_record_iter it;
	static unsigned char buf[4096];
	struct pollfd pfd;
	const void *payload;
	struct sbexec *h;
	int64_t t0;
	ssize_t n;
	int fd;

	ONLY();
	ASSERT_EQ(0, sbexec_open(&h));
	ASSERT_EQ(0, sbexec_exec(h, &req, &res)) TH_LOG("%s", sbexec_strerror_last(h));
	fd = sbexec_attach(h, res.session_id);
	ASSERT_LE(0, fd);
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	t0 = mono_ms();
	ASSERT_EQ(1, poll(&pfd, 1, COLLECT_MS));
	EXPECT_EQ(POLLIN, pfd.revents & (POLLIN | POLLHUP | POLLERR));
	TH_LOG("woken after %lld ms", (long long)(mono_ms() - t0));
	n = sbexec_read_records(fd, buf, sizeof(buf));
	ASSERT_LT(0, n);
	sbexec_record_iter_init(&it, buf, (size_t)n);
	ASSERT_EQ(1, sbexec_record_next(&it, &rec, &payload));
	EXPECT_EQ(0ULL, (unsigned long long)rec->seq);
	EXPECT_EQ(SBEXEC_STREAM_EXIT, rec->stream);
	pfd.revents = 0;
	ASSERT_EQ(1, poll(&pfd, 1, 1000));
	EXPECT_EQ(POLLHUP, pfd.revents & (POLLIN | POLLHUP | POLLERR));
	close(fd);
	sbexec_close(h);
}

/* ---- LIST shows what was started ---- */

struct want {
	uint32_t id;
	struct sbexec_session_info info;
	bool seen;
};

struct wants {
	struct want w[4];
	int n;
	int total;
};

static int list_cb(const struct sbexec_session_info *si, void *arg)
{
	struct wants *ws = arg;

	ws->total++;
	for (int i = 0; i < ws->n; i++)
		if (ws->w[i].id == si->session_id) {
			ws->w[i].info = *si;
			ws->w[i].seen = true;
		}
	return 0;
}

TEST(list_shows_started_sessions)
{
	const char *const sleep_argv[] = { "30", NULL };
	const char *const sh_argv[] = { "-c", "echo hello; exit 7", NULL };
	struct sbexec_exec_req reqs[3] = {
		{ .cmd = "/bin/sleep", .argv = sleep_argv, .user = "nobody",
		  .ring_size = 16384, .flags = SBEXEC_EXEC_F_KEEP_RUNNING },
		{ .cmd = "/bin/sleep", .argv = sleep_argv, .tty = true, .rows = 24,
		  .cols = 80 },
		{ .cmd = "/bin/sh", .argv = sh_argv, .ring_size = 5000 },
	};
	struct sbexec_exec_result res[3];
	static struct wants ws;
	struct sbexec_session_info si;
	struct sbexec_output o = { 0 };
	unsigned long long def = 0, r;
	struct sbexec *h;
	int64_t deadline;
	int i, fd;

	ONLY();
	ASSERT_EQ(0, sbexec_open(&h));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, sbexec_exec(h, &reqs[i], &res[i]))
			TH_LOG("exec %d: %s", i, sbexec_strerror_last(h));
		ws.w[i].id = res[i].session_id;
	}
	ws.n = 3;
	/* Wait until the third has exited and its exit record is queued. */
	deadline = mono_ms() + 20000;
	do {
		ASSERT_EQ(0, sbexec_get(h, res[2].session_id, &si));
		if (si.state == SBEXEC_STATE_DONE)
			break;
		usleep(20000);
	} while (mono_ms() < deadline);

	ASSERT_EQ(0, sbexec_list(h, list_cb, &ws));
	EXPECT_LE(3, ws.total);
	for (i = 0; i < 3; i++) {
		const struct sbexec_session_info *in = &ws.w[i].info;

		ASSERT_TRUE(ws.w[i].seen) TH_LOG("session %u missing", ws.w[i].id);
		EXPECT_EQ(res[i].session_id, in->session_id);
		EXPECT_EQ(res[i].pid, in->pid);
		EXPECT_STREQ(reqs[i].cmd, in->cmd);
		EXPECT_STREQ(reqs[i].user ? reqs[i].user : "", in->user);
		EXPECT_EQ(reqs[i].tty, in->tty);
		EXPECT_EQ(reqs[i].flags, in->flags);
		TH_LOG("id %u pid %u cmd %s user '%s' state %s tty %d flags %u ring %u out %" PRIu64 " age %" PRIu64 " ms",
		       in->session_id, in->pid, in->cmd, in->user,
		       sbexec_state_name(in->state), in->tty, in->flags, in->ring_size,
		       in->bytes_out, in->age_ms);
	}
	EXPECT_EQ(16384U, ws.w[0].info.ring_size);
	EXPECT_EQ((uint32_t)SBEXEC_STATE_RUNNING, ws.w[0].info.state);
	EXPECT_FALSE(ws.w[0].info.has_exit);
	EXPECT_EQ((uint32_t)SBEXEC_STATE_RUNNING, ws.w[1].info.state);
	/* The default ring: the module parameter, a power of two pages. */
	ASSERT_EQ(0, read_sysfs_u64("/sys/module/sbexec/parameters/ring_size", &def));
	for (r = (unsigned long long)page_size(); r < def; r *= 2)
		;
	EXPECT_EQ(r, ws.w[1].info.ring_size);
	/* 5000 bytes: rounded up to a power of two pages. */
	EXPECT_EQ(8192U, ws.w[2].info.ring_size);
	EXPECT_EQ((uint32_t)SBEXEC_STATE_DONE, ws.w[2].info.state);
	EXPECT_TRUE(ws.w[2].info.has_exit);
	EXPECT_EQ(1U, ws.w[2].info.exit.exited);
	EXPECT_EQ(7U, ws.w[2].info.exit.code);
	EXPECT_EQ(6ULL, (unsigned long long)ws.w[2].info.bytes_out);

	/* A reader: the kept session ends once its exit record was read. */
	fd = sbexec_attach(h, res[0].session_id);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, sbexec_signal(h, res[0].session_id, SIGKILL));
	EXPECT_EQ(0, sbexec_collect(fd, &o, COLLECT_MS));
	sbexec_output_free(&o);
	close(fd);
	EXPECT_EQ(-ENOENT, sbexec_get(h, res[0].session_id, &si));
	/* The others end with the handle (kill-on-close). */
	sbexec_close(h);
}

/* ---- the ring size limit ---- */

static int count_cb(const struct sbexec_session_info *si, void *arg)
{
	(void)si;
	(*(int *)arg)++;
	return 0;
}

TEST(ring_size_above_max_is_refused)
{
	const char *const argv[] = { "hi", NULL };
	struct sbexec_exec_req req = { .cmd = "/bin/echo", .argv = argv };
	struct sbexec_exec_result res;
	struct sbexec_output o = { 0 };
	unsigned long long max = 0;
	struct sbexec_attach a;
	struct sbexec *h;
	int before = 0, after = 0, err, fd;
	uint32_t sizes[2];
	unsigned int i;

	ONLY();
	ASSERT_EQ(0, read_sysfs_u64("/sys/module/sbexec/parameters/max_ring_size", &max));
	ASSERT_LT(0ULL, max);
	ASSERT_GT(0xffffffffULL, max);
	ASSERT_EQ(0, sbexec_open(&h));

	sizes[0] = (uint32_t)max + 1;
	sizes[1] = UINT32_MAX;
	for (i = 0; i < 2; i++) {
		before = after = 0;
		ASSERT_EQ(0, sbexec_list(h, count_cb, &before));
		req.ring_size = sizes[i];
		err = sbexec_exec(h, &req, &res);
		/* An integer out of its range (uapi header): ERANGE. */
		EXPECT_EQ(-ERANGE, err);
		EXPECT_EQ((uint32_t)SBEXEC_FAIL_NONE, res.failure.kind);
		EXPECT_EQ(0U, res.session_id);
		ASSERT_NE(NULL, sbexec_last_extack(h));
		EXPECT_NE(NULL, strstr(sbexec_last_extack(h), "max_ring_size"))
			TH_LOG("extack: %s", sbexec_last_extack(h));
		EXPECT_NE(NULL, sbexec_last_bad_attr(h));
		if (sbexec_last_bad_attr(h))
			EXPECT_STREQ("SBEXEC_A_RING_SIZE", sbexec_last_bad_attr(h));
		TH_LOG("RING_SIZE %u: %s", sizes[i], sbexec_strerror_last(h));
		ASSERT_EQ(0, sbexec_list(h, count_cb, &after));
		EXPECT_EQ(before, after);
	}

	/* The maximum itself is fine. */
	req.ring_size = (uint32_t)max;
	ASSERT_EQ(0, sbexec_exec(h, &req, &res)) TH_LOG("%s", sbexec_strerror_last(h));
	fd = sbexec_attach_info(h, res.session_id, &a);
	ASSERT_LE(0, fd);
	EXPECT_LE(max, a.ring_size);
	EXPECT_EQ(0, sbexec_ring_collect(fd, a.ring_size, &o, COLLECT_MS));
	EXPECT_STREQ("hi\n", o.out.data ? o.out.data : "");
	sbexec_output_free(&o);
	close(fd);
	sbexec_close(h);
}

TEST_HARNESS_MAIN
