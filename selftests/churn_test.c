// SPDX-License-Identifier: GPL-2.0
/*
 * churn_test.c - many sessions started and finished in one guest (issue 5,
 * item 8): kernel memory and the session table return to where they were.
 *
 * SBEXEC_CHURN_SESSIONS sessions (default 10000) run churn_true (static,
 * exits 0; every FORK_EVERY-th session's first forks one child that exits
 * at once and waits for it; `/bin/sh -c '/bin/true & wait'` or `exit 0`
 * when churn_true is missing) with stdin closed, in batches of
 * CHURN_BATCH: the batch is started, then each session is attached and
 * read to its exit record, which must say "exited 0" with no output and
 * 2 members for a forking session (the leader and its child: the fork
 * probe's member allocation, not only the leader's), else 1; closing the
 * reader then removes the session. FORK_EVERY is 1 up to 2000 sessions
 * and 4 above (2500 forking sessions of 10000: a leaked member each would
 * be 4x the member check's tolerance, for a quarter of the fork's time).
 * Before the churn a warm-up of WARMUP sessions fills the slab caches,
 * per-cpu stacks and the like, and a baseline is taken; after it the
 * sessions LIST shows must be exactly those of before (none, when the
 * table was empty), and Slab, SUnreclaim and VmallocUsed (/proc/meminfo),
 * plus the total of /proc/slabinfo when it is readable, must be back within
 * the tolerance below, and so must the objects in use of the member cache
 * (kernel/members.c's sbexec_member, read from /sys/kernel/slab, which
 * names the cache even when SLUB merged it into another of its size).
 *
 * The count: under TCG (scripts/vm, 2 vCPUs, on a 2-core host) a session
 * of the static churn_true took about 20 ms before it forked a member
 * (2000 in 38 s with another guest busy on the host) and takes about
 * 30 ms with it (10000 in 307 s, two other guests busy), so make check
 * runs all 10000 in about 5 minutes. make check-debug runs 1000 (scripts/check sets
 * SBEXEC_CHURN_SESSIONS there): under KASAN and kmemleak a session costs
 * several times more, and kmemleak finds a leak per session without the
 * count.
 *
 * Tolerance: max(1 MiB, 2% of the baseline) per figure (the guest has about
 * 17 MiB of slab and 6.5 MiB of vmalloc, so 1 MiB applies). Measured
 * drift after 1000, 2000 and 10000 sessions: +116..+312 KiB of slab and
 * -16..+32 KiB of vmalloc, not growing with the count, and no slab cache
 * gaining objects in proportion to it (after 10000: pid +111 objects,
 * cred_jar +105, the rest less; with a member forked per session, after
 * 10000: +392 KiB of slab, pid +136 objects, member objects +0): partly filled slabs, per-cpu caches, the
 * 9p root's dentries, the helper. 1 MiB is 3x the worst of it. What a session
 * allocates and could leak: the session (about 1 KiB, kmalloc), its cmd
 * string, the upcall and its message (about 1 KiB and a page), the ring
 * (64 pages vmap()ed, plus its page arrays, about 1.5 KiB of kmalloc) and
 * its files (pipes). A ring's pages show in neither Slab nor VmallocUsed,
 * but its page arrays do (15 MiB after 10000 leaked rings), and
 * unload_test checks MemFree for the pages themselves. The bound catches
 * any per-session leak above ~105 bytes with the default 10000 sessions
 * (the cmd string and pipe inodes too), and above ~1 KiB with the 1000 of
 * make check-debug, where kmemleak also looks. Caches are dropped
 * (vm.drop_caches=3) before each sample so reclaimable slab neither hides
 * nor fakes a change, and the final sample is retried for a few seconds:
 * freed sessions go through an RCU grace period and a work item first.
 *
 * Member tolerance: MEMBER_TOL_SLABS slabs' worth of objects per CPU
 * (objs_per_slab from sysfs; 73 for the 56-byte member, so 584 objects on
 * 2 CPUs): the objects in use that SLUB reports count every object of the
 * per-CPU slab and per-CPU partial slabs, free or not, so they move by up
 * to a few slabs per CPU without any leak (and the cache may be shared
 * with another of the same size). A member leaked per session is
 * SBEXEC_CHURN_SESSIONS objects, far above that for 1000 and 10000; a
 * member left in the module's table at all also fails the WARN_ON at
 * rmmod that scripts/vm looks for in dmesg.
 *
 * Runs as root in the test guest with sbexec.ko loaded and the helper up.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "util.h"

#define CHURN_DEFAULT	10000
#define CHURN_BATCH	50
#define WARMUP		100
#define KIB		1024LL
#define MIB		(1024LL * 1024)
#define TOL_MIN		MIB
#define TOL_PCT		2
#define SETTLE_MS	10000
#define MEMBER_SLAB	"/sys/kernel/slab/sbexec_member"
#define MEMBER_TOL_SLABS 4

struct cache;

struct mem {
	long long slab;		/* bytes */
	long long sunreclaim;
	long long vmalloc;
	long long slabinfo;	/* -1: /proc/slabinfo not readable */
	long long members;	/* member cache objects in use, -1: unknown */
	struct cache *caches;	/* its lines */
	int n_caches;
};

static long long meminfo_field(const char *text, const char *name)
{
	const char *p = strstr(text, name);
	long long kb;

	if (!p || sscanf(p + strlen(name), " %lld", &kb) != 1)
		return -1;
	return kb * KIB;
}

static int read_file(const char *path, char *buf, size_t len)
{
	size_t off = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (off + 1 < len && (n = read(fd, buf + off, len - 1 - off)) > 0)
		off += (size_t)n;
	close(fd);
	buf[off] = '\0';
	return 0;
}

#define MAX_CACHES	512

/* One /proc/slabinfo line: a cache and its bytes (num_objs * objsize). */
struct cache {
	char name[64];
	long long bytes;
	long long active;	/* active_objs */
};

/*
 * /proc/slabinfo into @c (up to MAX_CACHES entries, count in *@n); the
 * total of every cache's bytes, or -1 when it is not readable.
 */
static long long slabinfo_read(struct cache *c, int *n)
{
	char line[512];
	long long total = 0;
	FILE *f = fopen("/proc/slabinfo", "re");

	*n = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char name[64];
		long long active, num, size;

		if (line[0] == '#' || !strncmp(line, "slabinfo", 8))
			continue;
		if (sscanf(line, "%63s %lld %lld %lld", name, &active, &num, &size) != 4)
			continue;
		total += num * size;
		if (*n < MAX_CACHES) {
			snprintf(c[*n].name, sizeof(c[*n].name), "%s", name);
			c[*n].bytes = num * size;
			c[*n].active = active;
			(*n)++;
		}
	}
	fclose(f);
	return total;
}

/*
 * The leading number of a /sys/kernel/slab file ("objects" is "N" or
 * "N N0=..."), or -1 when it cannot be read (no SLUB sysfs, no module).
 */
static long long slab_sysfs(const char *path)
{
	char buf[256];
	long long v;

	if (read_file(path, buf, sizeof(buf)) || sscanf(buf, "%lld", &v) != 1)
		return -1;
	return v;
}

/* How many more member objects in use than the baseline are noise. */
static long long member_tolerance(void)
{
	long long per_slab = slab_sysfs(MEMBER_SLAB "/objs_per_slab");
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (per_slab <= 0)
		per_slab = 64;
	return MEMBER_TOL_SLABS * per_slab * (cpus > 0 ? cpus : 1);
}

static void drop_caches(void)
{
	int fd;

	sync();
	fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, "3\n", 2) < 0) {
		/* Best effort: without it reclaimable slab is only noisier. */
	}
	close(fd);
}

static int sample(struct mem *m)
{
	static char text[8192];
	int err;

	drop_caches();
	err = read_file("/proc/meminfo", text, sizeof(text));
	if (err)
		return err;
	m->slab = meminfo_field(text, "\nSlab:");
	m->sunreclaim = meminfo_field(text, "\nSUnreclaim:");
	m->vmalloc = meminfo_field(text, "\nVmallocUsed:");
	m->slabinfo = slabinfo_read(m->caches, &m->n_caches);
	m->members = slab_sysfs(MEMBER_SLAB "/objects");
	return m->slab < 0 || m->sunreclaim < 0 || m->vmalloc < 0 ? -EPROTO : 0;
}

static long long tolerance(long long base)
{
	long long pct = base * TOL_PCT / 100;

	return pct > TOL_MIN ? pct : TOL_MIN;
}

/* Every figure of @now is at most its tolerance above @base. */
static bool within(const struct mem *base, const struct mem *now)
{
	return now->slab - base->slab <= tolerance(base->slab) &&
	       now->sunreclaim - base->sunreclaim <= tolerance(base->sunreclaim) &&
	       now->vmalloc - base->vmalloc <= tolerance(base->vmalloc) &&
	       (base->slabinfo < 0 || now->slabinfo < 0 ||
		now->slabinfo - base->slabinfo <= tolerance(base->slabinfo)) &&
	       (base->members < 0 || now->members < 0 ||
		now->members - base->members <= member_tolerance());
}

static void log_mem(struct __test_metadata *_metadata, const char *what,
		    const struct mem *m, const struct mem *base)
{
	if (!base) {
		TH_LOG("%s: Slab %lld KiB, SUnreclaim %lld KiB, VmallocUsed %lld KiB, slabinfo %lld KiB, member objects %lld",
		       what, m->slab / KIB, m->sunreclaim / KIB, m->vmalloc / KIB,
		       m->slabinfo < 0 ? -1 : m->slabinfo / KIB, m->members);
		return;
	}
	if (base->members >= 0 && m->members >= 0)
		TH_LOG("%s: member objects in use %lld, %+lld (tolerance %lld)",
		       what, m->members, m->members - base->members,
		       member_tolerance());
	TH_LOG("%s: Slab %+lld KiB, SUnreclaim %+lld KiB, VmallocUsed %+lld KiB, slabinfo %+lld KiB (tolerance %lld/%lld/%lld/%lld KiB)",
	       what, (m->slab - base->slab) / KIB,
	       (m->sunreclaim - base->sunreclaim) / KIB,
	       (m->vmalloc - base->vmalloc) / KIB,
	       base->slabinfo < 0 ? 0 : (m->slabinfo - base->slabinfo) / KIB,
	       tolerance(base->slab) / KIB, tolerance(base->sunreclaim) / KIB,
	       tolerance(base->vmalloc) / KIB,
	       base->slabinfo < 0 ? 0 : tolerance(base->slabinfo) / KIB);
}

/* The caches that grew by 16 KiB or more since @base. */
static void log_growers(struct __test_metadata *_metadata, const struct mem *base,
			const struct mem *now)
{
	int i, j;

	for (i = 0; i < now->n_caches; i++) {
		long long before = 0, objs = 0;

		for (j = 0; j < base->n_caches; j++) {
			if (!strcmp(base->caches[j].name, now->caches[i].name)) {
				before = base->caches[j].bytes;
				objs = base->caches[j].active;
			}
		}
		if (now->caches[i].bytes - before >= 16 * KIB)
			TH_LOG("  slab cache %s: %+lld KiB, %+lld active objects",
			       now->caches[i].name, (now->caches[i].bytes - before) / KIB,
			       now->caches[i].active - objs);
	}
}

struct ids {
	uint32_t *v;
	size_t n, cap;
};

static int collect_id(const struct sbexec_session_info *si, void *arg)
{
	struct ids *ids = arg;

	if (ids->n == ids->cap) {
		size_t cap = ids->cap ? ids->cap * 2 : 64;
		uint32_t *v = realloc(ids->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		ids->v = v;
		ids->cap = cap;
	}
	ids->v[ids->n++] = si->session_id;
	return 0;
}

/* Session ids LIST shows, into @ids (emptied first); 0 or -errno. */
static int list_ids(struct sbexec *h, struct ids *ids)
{
	ids->n = 0;
	return sbexec_list(h, collect_id, ids);
}

/*
 * The command the sessions run, a leader that forks one child and waits
 * for it: churn_true next to this program (static, cheap to exec), else
 * /bin/sh -c '/bin/true & wait'.
 */
static struct sbexec_exec_req churn_req(bool fork)
{
	static const char *const sh_fork[] = { "-c", "/bin/true & wait", NULL };
	static const char *const sh_plain[] = { "-c", "exit 0", NULL };
	static const char *const fork_argv[] = { "fork", NULL };
	static char path[4096];
	static bool have_path;
	char *slash;
	ssize_t n;

	if (!path[0]) {
		n = readlink("/proc/self/exe", path, sizeof(path) - sizeof("churn_true"));
		slash = n > 0 ? memrchr(path, '/', (size_t)n) : NULL;
		if (slash) {
			strcpy(slash + 1, "churn_true");
			have_path = !access(path, X_OK);
		}
		if (!have_path)
			snprintf(path, sizeof(path), "/bin/sh");
	}
	if (have_path)
		return (struct sbexec_exec_req){ .cmd = path,
						 .argv = fork ? fork_argv : NULL };
	return (struct sbexec_exec_req){ .cmd = path,
					 .argv = fork ? sh_fork : sh_plain };
}

/* Every fork_every-th session forks; churn_seq counts sessions started. */
static int fork_every = 1;
static unsigned long churn_seq;

/*
 * Start @n sessions of churn_req() with stdin closed, then read each to its
 * exit record. Returns 0, or -errno with a message in @why.
 */
static int run_batch(struct sbexec *h, int n, char *why, size_t whylen)
{
	struct sbexec_exec_result res;
	uint32_t ids[CHURN_BATCH];
	bool forked[CHURN_BATCH];
	int i, err, fd;

	for (i = 0; i < n; i++) {
		struct sbexec_exec_req req;

		forked[i] = churn_seq++ % (unsigned long)fork_every == 0;
		req = churn_req(forked[i]);
		err = sbexec_exec(h, &req, &res);
		if (err) {
			snprintf(why, whylen, "exec: %s", sbexec_strerror_last(h));
			goto out_kill;
		}
		ids[i] = res.session_id;
		err = sbexec_close_stdin(h, ids[i]);
		/* /bin/true may be gone (stdin released) already. */
		if (err && err != -EPIPE && err != -ENOENT) {
			snprintf(why, whylen, "close stdin: %s", sbexec_strerror_last(h));
			i++;
			goto out_kill;
		}
	}
	for (i = 0; i < n; i++) {
		struct sbexec_output o = { 0 };

		fd = sbexec_attach(h, ids[i]);
		if (fd < 0) {
			snprintf(why, whylen, "attach %u: %s", ids[i], sbexec_strerror_last(h));
			return fd;
		}
		err = sbexec_collect(fd, &o, COLLECT_MS);
		close(fd);
		if (!err && (!o.have_exit || !o.exit.exited || o.exit.code ||
			     o.out.len || o.err.len ||
			     o.exit.members != (forked[i] ? 2U : 1U)))
			err = -EPROTO;
		if (err) {
			snprintf(why, whylen, "session %u: %s (exit %u/%u, %u members, %zu+%zu bytes out)",
				 ids[i], strerror(-err), o.exit.exited, o.exit.code,
				 o.exit.members, o.out.len, o.err.len);
			sbexec_output_free(&o);
			return err;
		}
		sbexec_output_free(&o);
	}
	return 0;

out_kill:
	/* Started ones are kill-on-close: the fixture's close removes them. */
	return err;
}

static int run_many(struct sbexec *h, int n, char *why, size_t whylen)
{
	int done = 0, err;

	while (done < n) {
		int b = n - done < CHURN_BATCH ? n - done : CHURN_BATCH;

		err = run_batch(h, b, why, whylen);
		if (err)
			return err;
		done += b;
	}
	return 0;
}

static int churn_count(void)
{
	const char *env = getenv("SBEXEC_CHURN_SESSIONS");
	long n;

	if (!env || !*env)
		return CHURN_DEFAULT;
	n = strtol(env, NULL, 10);
	return n > 0 && n <= 10000000 ? (int)n : CHURN_DEFAULT;
}

FIXTURE(churn) {
	struct sbexec *h;
	struct ids before, after;
	struct mem base, now;
};

FIXTURE_SETUP(churn)
{
	int err = sbexec_open(&self->h);

	memset(&self->before, 0, sizeof(self->before));
	memset(&self->after, 0, sizeof(self->after));
	memset(&self->base, 0, sizeof(self->base));
	memset(&self->now, 0, sizeof(self->now));
	self->base.caches = calloc(MAX_CACHES, sizeof(struct cache));
	self->now.caches = calloc(MAX_CACHES, sizeof(struct cache));
	ASSERT_NE(NULL, self->base.caches);
	ASSERT_NE(NULL, self->now.caches);
	ASSERT_EQ(0, err) TH_LOG("sbexec_open: %s", sbexec_open_error(err));
}

FIXTURE_TEARDOWN(churn)
{
	free(self->before.v);
	free(self->after.v);
	free(self->base.caches);
	free(self->now.caches);
	sbexec_close(self->h);
}

/* The same ids, in the same (id) order. */
static bool same_ids(const struct ids *a, const struct ids *b)
{
	return a->n == b->n && (!a->n || !memcmp(a->v, b->v, a->n * sizeof(*a->v)));
}

/*
 * LIST (into self->after) until the table holds the sessions it held
 * before the test, for up to SETTLE_MS; whether it does.
 */
static bool table_as_before(struct __test_metadata *_metadata,
			    FIXTURE_DATA(churn) *self)
{
	int64_t deadline = mono_ms() + SETTLE_MS;

	do {
		ASSERT_EQ(0, list_ids(self->h, &self->after));
	} while (!same_ids(&self->before, &self->after) && mono_ms() < deadline &&
		 !usleep(50000));
	return same_ids(&self->before, &self->after);
}

/*
 * The harness timeout is only a backstop (every exec, attach and collect
 * has a timeout of its own): it must let SBEXEC_CHURN_SESSIONS=10000 finish
 * under TCG, about 20 minutes.
 */
TEST_F_TIMEOUT(churn, sessions_leave_nothing_behind, 3600)
{
	struct mem *base = &self->base, *now = &self->now;
	int n = churn_count();
	int64_t t0, ms, deadline;
	char why[768] = "";
	int err;

	ASSERT_EQ(0, list_ids(self->h, &self->before)) TH_LOG("LIST: %s",
		sbexec_strerror_last(self->h));
	if (self->before.n)
		TH_LOG("%zu sessions of earlier tests are in the table; they must stay as they are",
		       self->before.n);

	err = run_many(self->h, WARMUP, why, sizeof(why));
	ASSERT_EQ(0, err) TH_LOG("warm-up: %s", why);
	/* The warm-up's sessions are gone from the table... */
	ASSERT_TRUE(table_as_before(_metadata, self)) TH_LOG("%zu sessions after the warm-up, %zu before",
		self->after.n, self->before.n);
	/* ... and freed after a grace period: then take the baseline. */
	usleep(500000);
	ASSERT_EQ(0, sample(base));
	log_mem(_metadata, "baseline", base, NULL);

	fork_every = n <= 2000 ? 1 : 4;
	t0 = mono_ms();
	err = run_many(self->h, n, why, sizeof(why));
	ms = mono_ms() - t0;
	ASSERT_EQ(0, err) TH_LOG("churn: %s", why);
	TH_LOG("%d sessions in %lld ms: %.1f sessions/s", n, (long long)ms,
	       ms ? n * 1000.0 / (double)ms : 0.0);

	EXPECT_TRUE(table_as_before(_metadata, self)) TH_LOG("LIST shows %zu sessions after the churn, %zu before",
		self->after.n, self->before.n);
	if (!self->before.n)
		EXPECT_EQ(0U, self->after.n);

	deadline = mono_ms() + SETTLE_MS;
	do {
		usleep(250000);
		ASSERT_EQ(0, sample(now));
	} while (!within(base, now) && mono_ms() < deadline);
	log_mem(_metadata, "after the churn", now, base);
	log_growers(_metadata, base, now);
	EXPECT_LE(now->slab - base->slab, tolerance(base->slab));
	EXPECT_LE(now->sunreclaim - base->sunreclaim, tolerance(base->sunreclaim));
	EXPECT_LE(now->vmalloc - base->vmalloc, tolerance(base->vmalloc));
	if (base->slabinfo >= 0 && now->slabinfo >= 0)
		EXPECT_LE(now->slabinfo - base->slabinfo, tolerance(base->slabinfo));
	if (base->members >= 0 && now->members >= 0) {
		EXPECT_LE(now->members - base->members, member_tolerance());
	} else {
		TH_LOG("no %s/objects: the member cache's objects are not checked",
		       MEMBER_SLAB);
	}

	/* The module still runs a session after all that. */
	err = run_batch(self->h, 1, why, sizeof(why));
	EXPECT_EQ(0, err) TH_LOG("%s", why);
}

TEST_HARNESS_MAIN
