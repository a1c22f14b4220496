// SPDX-License-Identifier: GPL-2.0
/*
 * sbexec-bench: run inside a guest with sbexec.ko loaded and sbexec-helper
 * running (bench/run does that through scripts/vm). Measures, side by side
 * in one run, sbexec, the floor (posix_spawn + pipes in this process) and
 * qemu-guest-agent, then prints a table and, between two marker lines, a
 * JSON object with every figure.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench.h"
#include "cmds.h"

#define JSON_BEGIN	"=== sbexec-bench JSON begin ==="
#define JSON_END	"=== sbexec-bench JSON end ==="
#define WARMUP_RUNS	5

struct opts {
	size_t runs, qga_runs, burst, idle;
	unsigned int threads, blocks, reps;
	uint64_t bytes;
	uint32_t small_ring;
	double qga_budget, qga_timeout, tp_budget, limit;
	size_t forks, fork_execs;
	unsigned int fork_rounds;
	double fork_budget;
	const char *module_ctl;
	const char *qga;
	bool no_qga;
	const char *only;	/* comma-separated parts, NULL for all */
	unsigned int repeat;	/* passes over the whole table (--repeat) */
	/* The pass being run: its number (0-based) and the whole bench's --limit. */
	unsigned int pass;
	double total_limit;
};

/* Seconds left before the time limit (--limit). */
static double time_left(const struct opts *o)
{
	return o->limit - elapsed_s();
}

/* "the bench's time limit (--limit S)", or this pass's share of it. */
static const char *limit_what(const struct opts *o, char *buf, size_t len)
{
	if (o->repeat > 1)
		snprintf(buf, len, "repeat %u's share of the bench's time limit (--limit %.0f)",
			 o->pass + 1, o->total_limit);
	else
		snprintf(buf, len, "the bench's time limit (--limit %.0f)", o->limit);
	return buf;
}

/* @want seconds, or what is left before the limit (less a margin) if less. */
static double left(const struct opts *o, double want)
{
	double l = time_left(o) - 10;

	if (l < want)
		want = l;
	return want < 10 ? 10 : want;
}

/* Whether part @name runs (--only). */
static bool part(const struct opts *o, const char *name)
{
	const char *p = o->only;
	size_t n = strlen(name);

	if (!p)
		return true;
	while (*p) {
		size_t len = strcspn(p, ",");

		if (len == n && !strncmp(p, name, n))
			return true;
		p += len;
		if (*p)
			p++;
	}
	return false;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sbexec-bench [options]   (inside a guest with sbexec loaded)\n"
		"  --runs N          round trips per method (default 1000)\n"
		"  --qga-runs N      qemu-ga round trips wanted (default 1000)\n"
		"  --qga-budget S    time box of qemu-ga's round trips: fewer runs when\n"
		"                    they take longer in all (default 60)\n"
		"  --blocks N        interleave the round trips in N blocks (default 20)\n"
		"  --bytes N         stdout bytes for the throughput cases (default 268435456)\n"
		"  --reps N          throughput repetitions per method; the median counts (default 5)\n"
		"  --tp-budget S     repeat the throughput rounds while they took less than S\n"
		"                    seconds in all (default 60)\n"
		"  --limit S         the bench ends within S seconds (default 850; scripts/vm\n"
		"                    --timeout 900 kills it at 870): a part that would not fit\n"
		"                    is not started, and its figures say so\n"
		"  --qga-timeout S   limit for one qemu-ga throughput run (default 240)\n"
		"  --burst N         sessions started at once (default 1000)\n"
		"  --threads T       threads starting them (default 4)\n"
		"  --idle N          idle sessions for the memory figures (default 150)\n"
		"  --small-ring B    RING_SIZE of the small-ring memory case (default 4096)\n"
		"  --forks N         fork cost: timed fork+_exit+waitpid per round (default 100)\n"
		"  --fork-execs N    fork cost: timed fork+exec %s+waitpid per round (default 8)\n"
		"  --fork-rounds N   fork cost: rounds per case; the median counts (default 5, at most %d)\n"
		"  --fork-budget S   fork cost: time box; no round starts that would end later (default 60)\n"
		"  --module-ctl PATH fork cost: PATH unload|load (bench/module-ctl) takes the module\n"
		"                    out for the floor and back; without it the floor is n/a\n"
		"  --qga PATH        qemu-ga binary (default /usr/sbin/qemu-ga)\n"
		"  --no-qga          skip qemu-guest-agent (its figures say so)\n"
		"  --only LIST       run only these parts: forks,memory,roundtrip,throughput,burst\n"
		"  --repeat R        run the whole table R times (at most %d) and report each\n"
		"                    figure's median and spread (min..max) over the repeats.\n"
		"                    Each repeat gets an equal share of what is left of --limit;\n"
		"                    with R > 1 the options not given default to per-repeat\n"
		"                    sizes: --burst, --reps, --fork-rounds divided by R and --runs,\n"
		"                    --qga-runs by 2R (rounded up), --qga-budget, --tp-budget,\n"
		"                    --fork-budget 60/R,\n"
		"                    --bytes the largest power of two MiB <= 256 MiB / R, and\n"
		"                    --limit 850 + 250 * (R - 1) (default 1)\n",
		CMD_TRUE, FORK_MAX_ROUNDS, BENCH_MAX_REPEAT);
}

static size_t div_up(size_t n, unsigned int d)
{
	return (n + d - 1) / d;
}

/*
 * --repeat R: the sizes not given on the command line become per-repeat
 * ones, so that R passes take about as long as R - 1 of today's 850 s more
 * a little (on a busy TCG host: 3 passes in about 25 minutes).
 */
static void per_repeat_defaults(struct opts *o, const bool *given)
{
	unsigned int r = o->repeat;
	uint64_t mib = 256;

	/* The round trips come last in a repeat: half as many, so they fit. */
	if (!given['r'])
		o->runs = div_up(o->runs, 2 * r);
	if (!given['R'])
		o->qga_runs = div_up(o->qga_runs, 2 * r);
	/* 1000 sessions took 250 to 300 s (floor + sbexec) on a busy host */
	if (!given['n'])
		o->burst = div_up(o->burst, r);
	if (!given['p'])
		o->reps = (unsigned int)div_up(o->reps, r);
	if (!given['O'])
		o->fork_rounds = (unsigned int)div_up(o->fork_rounds, r);
	if (!given['B'])
		o->qga_budget /= r;
	if (!given['P'])
		o->tp_budget /= r;
	if (!given['G'])
		o->fork_budget /= r;
	if (!given['b']) {
		while (mib > 1 && mib * r > 256)
			mib /= 2;
		o->bytes = mib << 20;
	}
	if (!given['L'])
		o->limit = 850 + 250.0 * (r - 1);
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "runs", required_argument, NULL, 'r' },
		{ "qga-runs", required_argument, NULL, 'R' },
		{ "qga-budget", required_argument, NULL, 'B' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "blocks", required_argument, NULL, 'k' },
		{ "reps", required_argument, NULL, 'p' },
		{ "tp-budget", required_argument, NULL, 'P' },
		{ "limit", required_argument, NULL, 'L' },
		{ "qga-timeout", required_argument, NULL, 'T' },
		{ "burst", required_argument, NULL, 'n' },
		{ "threads", required_argument, NULL, 't' },
		{ "idle", required_argument, NULL, 'i' },
		{ "small-ring", required_argument, NULL, 's' },
		{ "qga", required_argument, NULL, 'q' },
		{ "no-qga", no_argument, NULL, 'N' },
		{ "only", required_argument, NULL, 'o' },
		{ "forks", required_argument, NULL, 'F' },
		{ "fork-execs", required_argument, NULL, 'E' },
		{ "fork-rounds", required_argument, NULL, 'O' },
		{ "fork-budget", required_argument, NULL, 'G' },
		{ "module-ctl", required_argument, NULL, 'M' },
		{ "repeat", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool given[128] = { false };
	int c;

	*o = (struct opts){
		.runs = 1000, .qga_runs = 1000, .burst = 1000, .idle = 150,
		.threads = 4, .blocks = 20, .reps = 5, .bytes = 268435456ull, .small_ring = 4096,
		.qga_budget = 60, .qga_timeout = 240, .tp_budget = 60, .limit = 850,
		.qga = "/usr/sbin/qemu-ga",
		.forks = 100, .fork_execs = 8, .fork_rounds = 5, .fork_budget = 60,
		.repeat = 1,
	};
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (c > 0 && c < 128)
			given[c] = true;
		switch (c) {
		case 'r': o->runs = strtoul(optarg, NULL, 0); break;
		case 'R': o->qga_runs = strtoul(optarg, NULL, 0); break;
		case 'B': o->qga_budget = strtod(optarg, NULL); break;
		case 'b': o->bytes = strtoull(optarg, NULL, 0); break;
		case 'k': o->blocks = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'p': o->reps = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'P': o->tp_budget = strtod(optarg, NULL); break;
		case 'L': o->limit = strtod(optarg, NULL); break;
		case 'T': o->qga_timeout = strtod(optarg, NULL); break;
		case 'n': o->burst = strtoul(optarg, NULL, 0); break;
		case 't': o->threads = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'i': o->idle = strtoul(optarg, NULL, 0); break;
		case 's': o->small_ring = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'q': o->qga = optarg; break;
		case 'N': o->no_qga = true; break;
		case 'o': o->only = optarg; break;
		case 'F': o->forks = strtoul(optarg, NULL, 0); break;
		case 'E': o->fork_execs = strtoul(optarg, NULL, 0); break;
		case 'O': o->fork_rounds = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'G': o->fork_budget = strtod(optarg, NULL); break;
		case 'M': o->module_ctl = optarg; break;
		case 'x': o->repeat = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind != argc || !o->runs || !o->qga_runs || !o->burst || !o->idle ||
	    !o->bytes || !o->threads || !o->blocks || !o->reps || o->reps > XFER_MAX_REPS ||
	    !o->forks || !o->fork_execs || !o->fork_rounds || o->fork_rounds > FORK_MAX_ROUNDS ||
	    !o->repeat || o->repeat > BENCH_MAX_REPEAT) {
		usage(stderr);
		return -1;
	}
	if (o->repeat > 1)
		per_repeat_defaults(o, given);
	o->total_limit = o->limit;
	return 0;
}

/* One way of doing a round trip, measured in blocks interleaved with the others. */
struct lat_method {
	const char *name;
	int (*once)(uint64_t *ns, char *reason);
	struct latency *l;
	size_t target;
	double max_s;		/* > 0: time box: at most this long in all */
	uint64_t *ns;
	size_t done;
	double spent_s;
	bool active;
};

/*
 * Warm each method up (WARMUP_RUNS unmeasured runs, which also say how long
 * one run takes), then measure them in @blocks interleaved blocks, so that
 * a slow spell of the host (other guests, TCG) hits every method alike.
 * A method with a time box gets max_s / blocks seconds per block and stops
 * a block early when they are used up. No run starts after @stop_at
 * seconds: then fewer runs are measured, and the note says so.
 */
static void run_latencies(struct lat_method *m, size_t nm, unsigned int blocks,
			  double stop_at)
{
	bool stopped = false;
	size_t i, k;
	uint64_t x, t0;

	for (k = 0; k < nm; k++) {
		struct latency *l = m[k].l;

		m[k].active = false;
		if (!m[k].once)
			continue;
		memset(l, 0, sizeof(*l));
		l->target = m[k].target;
		m[k].ns = calloc(m[k].target, sizeof(uint64_t));
		if (!m[k].ns) {
			set_reason(l->reason, "out of memory");
			continue;
		}
		t0 = now_ns();
		for (i = 0; i < WARMUP_RUNS; i++)
			if (m[k].once(&x, l->reason))
				break;
		if (i < WARMUP_RUNS)
			continue;
		l->per_run_s = (double)(now_ns() - t0) / 1e9 / WARMUP_RUNS;
		m[k].active = true;
		progress("round trip %s: up to %zu runs, about %.0f ms each%s", m[k].name,
			 m[k].target, l->per_run_s * 1e3,
			 m[k].max_s > 0 ? " (time-boxed)" : "");
	}
	for (unsigned int b = 0; b < blocks && !stopped; b++) {
		/* Each block starts with the next method, so none always goes last. */
		for (size_t j = 0; j < nm && !stopped; j++) {
			k = (b + j) % nm;
			size_t to = m[k].target * (b + 1) / blocks;
			double box = m[k].max_s * (b + 1) / blocks;
			uint64_t start = now_ns();

			while (m[k].active && m[k].done < to) {
				char why[BENCH_REASON_LEN];

				if (m[k].max_s > 0 &&
				    m[k].spent_s + (double)(now_ns() - start) / 1e9 >= box)
					break;
				if (elapsed_s() > stop_at) {
					progress("round trips: stopped in block %u of %u at the time limit",
						 b + 1, blocks);
					stopped = true;
					break;
				}
				if (m[k].once(&m[k].ns[m[k].done], why)) {
					set_reason(m[k].l->reason, "run %zu: %s", m[k].done + 1, why);
					m[k].active = false;
					break;
				}
				m[k].done++;
			}
			m[k].spent_s += (double)(now_ns() - start) / 1e9;
		}
		if (!stopped)
			progress("round trips: block %u of %u done", b + 1, blocks);
	}
	for (k = 0; k < nm; k++) {
		struct latency *l = m[k].l;

		if (m[k].active && !m[k].done && stopped) {
			set_reason(l->reason, "stopped at the bench's time limit before its first run");
		} else if (m[k].active) {
			latency_from_samples(l, m[k].ns, m[k].done);
			if (m[k].done < m[k].target && m[k].max_s > 0 && !stopped)
				snprintf(l->note, sizeof(l->note),
					 "%zu of %zu runs: time box of %.0f s",
					 m[k].done, m[k].target, m[k].max_s);
			else if (m[k].done < m[k].target)
				snprintf(l->note, sizeof(l->note),
					 "%zu of %zu runs: stopped at the bench's time limit",
					 m[k].done, m[k].target);
		}
		free(m[k].ns);
		m[k].ns = NULL;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Throughput: up to @reps repetitions of each method, interleaved; each
 * method's result is its median repetition (every repetition must
 * succeed). The first round always runs, then @after_first (if any);
 * further rounds run while all rounds so far took less than @max_s
 * seconds and another one would end before @limit.
 */
static void run_xfers(struct xfer **out, void (**fn)(struct xfer *, uint64_t),
		      const char **names, size_t nm, unsigned int reps, uint64_t bytes,
		      double max_s, double limit,
		      void (*after_first)(struct results *, const struct opts *),
		      struct results *res, const struct opts *o)
{
	static struct xfer one[8][XFER_MAX_REPS];
	double t0 = elapsed_s();
	unsigned int r, done = 0;
	size_t k;

	if (reps > XFER_MAX_REPS)
		reps = XFER_MAX_REPS;
	for (r = 0; r < reps; r++) {
		double took;

		if (r == 1 && after_first) {
			double t1 = elapsed_s();

			after_first(res, o);
			after_first = NULL;
			t0 += elapsed_s() - t1;	/* not part of the rounds' time */
		}
		took = elapsed_s() - t0;
		if (r && took > max_s) {
			progress("throughput: %u round(s) took %.0f s; no more", r, took);
			break;
		}
		if (r && elapsed_s() + took / r > limit) {
			progress("throughput: another round would end past the time limit");
			break;
		}
		for (k = 0; k < nm; k++) {
			if (!fn[k] || (r && !one[k][r - 1].ok))
				continue;
			progress("throughput %s, repetition %u of %u", names[k], r + 1, reps);
			fn[k](&one[k][r], bytes);
		}
		done = r + 1;
	}
	if (after_first)	/* a single round */
		after_first(res, o);
	for (k = 0; k < nm; k++) {
		double secs[XFER_MAX_REPS];
		unsigned int got = 0;

		if (!fn[k])
			continue;
		for (r = 0; r < done && one[k][r].ok; r++)
			secs[got++] = one[k][r].seconds;
		if (got < done) {
			*out[k] = one[k][got];	/* the failed one, with its reason */
			continue;
		}
		qsort(secs, got, sizeof(secs[0]), cmp_double);
		for (r = 0; r < done; r++)
			if (one[k][r].seconds == secs[done / 2])
				break;
		*out[k] = one[k][r];
		out[k]->reps = done;
		out[k]->best_seconds = secs[0];
		for (r = 0; r < done; r++)
			out[k]->rep_seconds[r] = one[k][r].seconds;
	}
}

static void environment(struct results *r)
{
	struct utsname u;
	char buf[4096];
	const char *p;

	if (!uname(&u))
		snprintf(r->kernel, sizeof(r->kernel), "Linux %s", u.release);
	r->ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (read_small_file("/proc/meminfo", buf, sizeof(buf)) > 0 &&
	    (p = strstr(buf, "MemTotal:")))
		r->mem_total_kb = strtoll(p + strlen("MemTotal:"), NULL, 10);
	r->p_ring_size = sbx_param("ring_size");
	r->p_max_sessions = sbx_param("max_sessions");
	r->p_max_pending = sbx_param("max_pending");
	r->p_max_ring_memory_kb = sbx_param("max_ring_memory_kb");
}

static void mark_all_sbx(struct results *r, const char *why)
{
	struct latency *l = &r->rt_sbx;
	struct xfer *x[] = { &r->tp_read, &r->tp_mmap, &r->tp_read_direct, &r->tp_mmap_direct };

	set_reason(l->reason, "%s", why);
	for (size_t i = 0; i < 4; i++)
		set_reason(x[i]->reason, "%s", why);
	set_reason(r->burst_sbx.reason, "%s", why);
	set_reason(r->mem_sbx.reason, "%s", why);
	set_reason(r->mem_sbx_small.reason, "%s", why);
	for (size_t w = 0; w < FORK_NWORK; w++) {
		set_reason(r->fork[w][FORK_OUTSIDE].reason, "%s", why);
		set_reason(r->fork[w][FORK_INSIDE].reason, "%s", why);
	}
}

static void skip_latency(struct latency *l, const char *why)
{
	if (!l->ok && !l->reason[0])
		set_reason(l->reason, "%s", why);
}

static void skip_xfer(struct xfer *x, const char *why)
{
	if (!x->ok && !x->reason[0])
		set_reason(x->reason, "%s", why);
}

/* The figures of phase @phase that were not measured say @why. */
static void skip_phase(struct results *r, const char *phase, const char *why)
{
	if (!strcmp(phase, "memory")) {
		struct memcost *c[] = { &r->mem_floor, &r->mem_sbx, &r->mem_sbx_small };

		for (size_t i = 0; i < 3; i++)
			if (!c[i]->ok && !c[i]->reason[0])
				set_reason(c[i]->reason, "%s", why);
	} else if (!strcmp(phase, "roundtrip")) {
		skip_latency(&r->rt_floor, why);
		skip_latency(&r->rt_sbx, why);
		skip_latency(&r->rt_qga, why);
	} else if (!strcmp(phase, "throughput")) {
		skip_xfer(&r->tp_floor, why);
		skip_xfer(&r->tp_read, why);
		skip_xfer(&r->tp_mmap, why);
		skip_xfer(&r->tp_read_direct, why);
		skip_xfer(&r->tp_mmap_direct, why);
		skip_xfer(&r->tp_qga, why);
	} else if (!strcmp(phase, "forks")) {
		for (size_t w = 0; w < FORK_NWORK; w++)
			for (size_t c = 0; c < FORK_NCASES; c++)
				if (!r->fork[w][c].ok && !r->fork[w][c].reason[0])
					set_reason(r->fork[w][c].reason, "%s", why);
	} else if (!strcmp(phase, "burst")) {
		struct burst *b[] = { &r->burst_floor, &r->burst_sbx };

		for (size_t i = 0; i < 2; i++)
			if (!b[i]->ok && !b[i]->reason[0])
				set_reason(b[i]->reason, "%s", why);
	}
}

/*
 * Whether phase @phase runs: chosen (--only), and @need_s seconds (an
 * estimate from what was measured so far) fit before the time limit.
 * Otherwise its figures say why not.
 */
static bool phase_runs(struct results *r, const struct opts *o, const char *phase,
		       double need_s)
{
	char why[BENCH_REASON_LEN], what[160];

	if (!part(o, phase)) {
		skip_phase(r, phase, "skipped (--only)");
		return false;
	}
	if (elapsed_s() + need_s < o->limit)
		return true;
	set_reason(why, "not run: about %.0f s needed, %.0f s left of %s",
		   need_s, time_left(o), limit_what(o, what, sizeof(what)));
	progress("%s: %s", phase, why);
	skip_phase(r, phase, why);
	return false;
}

/*
 * 0. what the fork probe adds to a fork loop, outside and inside a
 * session, against the loop with the module not loaded (forks.c). First:
 * it unloads and loads the module (and restarts the helper), which the
 * other phases then find as fresh as at boot.
 */
static bool do_forks(struct results *r, const struct opts *o, bool have_sbx,
		     char *sbx_reason)
{
	struct fork_plan p = {
		.n = { o->forks, o->fork_execs },
		.rounds = o->fork_rounds,
		.module_ctl = o->module_ctl,
		.have_sbx = have_sbx,
		.stop_at = elapsed_s() + o->fork_budget,
	};

	if (p.stop_at > o->limit - 60)
		p.stop_at = o->limit - 60;
	return forks_run(r->fork, &p, sbx_reason);
}

/* 1. kernel memory per idle session, on a quiet system (no qemu-ga yet) */
static void do_memory(struct results *r, const struct opts *o, bool have_sbx)
{
	struct memcost warm;

	/*
	 * A first, unreported round grows the slab caches and the page cache
	 * (sleep, libc) to what N processes need: freed slab pages stay with
	 * their caches, so without it the first case measured would pay for
	 * memory the later ones reuse. Later repeats find them grown.
	 */
	if (!o->pass) {
		progress("idle memory: warm-up, %zu processes (not reported)", o->idle);
		floor_idle(&warm, o->idle);
	}
	progress("idle memory: floor, %zu processes", o->idle);
	floor_idle(&r->mem_floor, o->idle);
	if (!have_sbx)
		return;
	progress("idle memory: sbexec, %zu sessions, default ring", o->idle);
	sbx_idle(&r->mem_sbx, o->idle, 0);
	progress("idle memory: sbexec, %zu sessions, ring %u", o->idle, o->small_ring);
	sbx_idle(&r->mem_sbx_small, o->idle, o->small_ring);
}

/* 4. exec round trips of /bin/true, the three methods interleaved */
static void do_roundtrip(struct results *r, const struct opts *o, bool have_sbx,
			 bool have_qga, double stop_at)
{
	struct lat_method m[] = {
		{ .name = "floor", .once = floor_true_once, .l = &r->rt_floor,
		  .target = o->runs },
		{ .name = "sbexec", .once = have_sbx ? sbx_true_once : NULL,
		  .l = &r->rt_sbx, .target = o->runs },
		{ .name = "qemu-ga", .once = have_qga ? qga_true_once : NULL,
		  .l = &r->rt_qga, .target = o->qga_runs, .max_s = o->qga_budget },
	};

	run_latencies(m, 3, o->blocks, stop_at);
}

/* qemu-guest-agent's captured output: what it can hold, at 256 MiB and at its cap */
static void qga_xfers(struct results *r, const struct opts *o)
{
	char what[160];

	if (time_left(o) < 45) {
		set_reason(r->tp_qga.reason, "not run: %.0f s left of %s",
			   time_left(o), limit_what(o, what, sizeof(what)));
		return;
	}
	progress("throughput: qemu-ga, %llu bytes", (unsigned long long)o->bytes);
	qga_throughput(&r->tp_qga, o->bytes, left(o, o->qga_timeout));
	if (!r->tp_qga.ok && r->tp_qga.bytes && r->tp_qga.bytes < o->bytes) {
		uint64_t cap = r->tp_qga.bytes;

		/* What it can hold, against the floor at the same size. */
		progress("throughput at qemu-ga's cap (%llu bytes): floor, qemu-ga",
			 (unsigned long long)cap);
		floor_throughput(&r->tp_floor_cap, cap);
		qga_throughput(&r->tp_qga_cap, cap, left(o, o->qga_timeout));
	}
}

/*
 * 3. stdout throughput: one round of floor, read() and mmap(), the same
 * two with direct output (EXEC DIRECT_OUTPUT: no pipes), then qemu-ga,
 * then more rounds while --tp-budget and the time limit allow.
 */
static void do_throughput(struct results *r, const struct opts *o, bool have_sbx,
			  bool have_qga)
{
	struct xfer *out[] = {
		&r->tp_floor, &r->tp_read, &r->tp_mmap, &r->tp_read_direct, &r->tp_mmap_direct,
	};
	void (*fn[])(struct xfer *, uint64_t) = {
		floor_throughput,
		have_sbx ? sbx_throughput_read : NULL,
		have_sbx ? sbx_throughput_mmap : NULL,
		have_sbx ? sbx_throughput_read_direct : NULL,
		have_sbx ? sbx_throughput_mmap_direct : NULL,
	};
	const char *names[] = {
		"floor pipe", "sbexec read()", "sbexec mmap()",
		"sbexec read(), direct output", "sbexec mmap(), direct output",
	};
	const size_t nm = sizeof(out) / sizeof(out[0]);

	r->tp_qga.bytes_asked = o->bytes;
	run_xfers(out, fn, names, nm, o->reps, o->bytes, o->tp_budget, o->limit - 10,
		  have_qga ? qga_xfers : NULL, r, o);
}

/* 2. many sessions at once */
static void do_burst(struct results *r, const struct opts *o, bool have_sbx)
{
	progress("burst: floor, %zu x %s", o->burst, r->burst_cmd);
	floor_burst(&r->burst_floor, o->burst, o->threads);
	r->burst_sbx.sessions = o->burst;
	r->burst_sbx.threads = o->threads;
	if (!have_sbx)
		return;
	progress("burst: sbexec, %zu x %s", o->burst, r->burst_cmd);
	sbx_burst(&r->burst_sbx, o->burst, o->threads);
}

/* The fork figures all measured (without --module-ctl they cannot be). */
static bool forks_ok(const struct results *r, const struct opts *o)
{
	if (!o->module_ctl)
		return true;
	for (size_t w = 0; w < FORK_NWORK; w++)
		for (size_t c = 0; c < FORK_NCASES; c++)
			if (!r->fork[w][c].ok)
				return false;
	return true;
}

/* A failure that is not only the time limit's (see phase_runs, run_latencies). */
static bool failed(bool ok, const char *reason)
{
	return !ok && strncmp(reason, "not run", 7) && !strstr(reason, "time limit");
}

/*
 * Whether the run fails: a floor or sbexec figure measured in no repeat,
 * or failing in one for another reason than the time limit (a peer's
 * figures may fail).
 */
#define NFIGS 13	/* the figures run_failed() looks at */

static bool run_failed(const struct results *rep, unsigned int n, const struct opts *o)
{
	bool any[NFIGS] = { false };

	for (unsigned int k = 0; k < n; k++) {
		const struct results *r = &rep[k];
		const bool ok[NFIGS] = {
			r->rt_floor.ok, r->tp_floor.ok, r->burst_floor.ok, r->mem_floor.ok,
			r->rt_sbx.ok, r->tp_read.ok, r->tp_mmap.ok, r->tp_read_direct.ok,
			r->tp_mmap_direct.ok, r->burst_sbx.ok, r->mem_sbx.ok,
			r->mem_sbx_small.ok, forks_ok(r, o),
		};
		const char *why[NFIGS] = {
			r->rt_floor.reason, r->tp_floor.reason, r->burst_floor.reason,
			r->mem_floor.reason, r->rt_sbx.reason, r->tp_read.reason,
			r->tp_mmap.reason, r->tp_read_direct.reason, r->tp_mmap_direct.reason,
			r->burst_sbx.reason, r->mem_sbx.reason, r->mem_sbx_small.reason, "",
		};

		for (size_t i = 0; i < NFIGS; i++) {
			if (failed(ok[i], why[i]))
				return true;
			any[i] |= ok[i];
		}
	}
	for (size_t i = 0; i < NFIGS; i++)
		if (!any[i])
			return true;
	return false;
}

/*
 * One pass over the whole table into @r, within o->limit. *@have_sbx:
 * whether the sbexec handle is open (the fork cost reloads the module);
 * @why says why not.
 */
static void run_pass(struct results *r, const struct opts *o, bool *have_sbx, char *why)
{
	char qwhy[BENCH_REASON_LEN] = "";
	bool have_qga = false;

	snprintf(r->burst_cmd, sizeof(r->burst_cmd), "sleep %s", BURST_SLEEP_ARG);
	snprintf(r->qga_version, sizeof(r->qga_version), "not run");
	r->mem_floor.sessions = r->mem_sbx.sessions = r->mem_sbx_small.sessions = o->idle;
	r->burst_floor.sessions = o->burst;
	r->burst_floor.threads = o->threads;
	r->tp_floor.bytes_asked = o->bytes;
	r->mem_sbx_small.ring_size = o->small_ring;
	if (!*have_sbx)
		mark_all_sbx(r, why);
	for (size_t w = 0; w < FORK_NWORK; w++)
		for (size_t c = 0; c < FORK_NCASES; c++)
			r->fork[w][c].forks = w == FORK_WORK_EXIT ? o->forks : o->fork_execs;

	if (phase_runs(r, o, "forks", 0)) {
		bool was = *have_sbx;

		*have_sbx = do_forks(r, o, *have_sbx, why);
		if (was && !*have_sbx)
			mark_all_sbx(r, why);
	}
	environment(r);

	if (phase_runs(r, o, "memory", 0))
		do_memory(r, o, *have_sbx);
	if (o->no_qga) {
		snprintf(qwhy, sizeof(qwhy), "skipped (--no-qga)");
	} else if (part(o, "roundtrip") || part(o, "throughput")) {
		progress("starting qemu-ga");
		have_qga = !qga_start(o->qga, qwhy);
		if (have_qga)
			snprintf(r->qga_version, sizeof(r->qga_version), "%s", qga_version());
		else
			progress("qemu-ga unavailable: %s", qwhy);
	}
	if (!have_qga && qwhy[0]) {
		set_reason(r->rt_qga.reason, "%s", qwhy);
		set_reason(r->tp_qga.reason, "%s", qwhy);
	}
	/*
	 * The round trips come last: on a slow host they measure fewer runs
	 * (and say so) rather than leave other figures empty.
	 */
	if (phase_runs(r, o, "burst", 60))
		do_burst(r, o, *have_sbx);
	if (phase_runs(r, o, "throughput", 45))
		do_throughput(r, o, *have_sbx, have_qga);
	if (phase_runs(r, o, "roundtrip", 30))
		do_roundtrip(r, o, *have_sbx, have_qga, o->limit - 5);

	/* Each pass starts qemu-ga afresh, so that every one sees the same guest. */
	if (have_qga)
		qga_stop();
}

int main(int argc, char **argv)
{
	static struct results rep[BENCH_MAX_REPEAT];
	char why[BENCH_REASON_LEN] = "";
	bool have_sbx;
	struct opts o;
	int rc;

	if (argc > 1 && !strcmp(argv[1], "--fork-loop"))
		return fork_loop_main(argc, argv);
	if (parse(argc, argv, &o))
		return 2;
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	clock_start();
	rc = raise_nofile(65536);
	if (rc)
		progress("cannot raise RLIMIT_NOFILE: %s", strerror(-rc));
	have_sbx = !sbx_init(why);
	if (!have_sbx)
		progress("sbexec unavailable: %s", why);

	for (unsigned int k = 0; k < o.repeat; k++) {
		struct opts po = o;

		/* An equal share of what is left: an overrun is not carried on. */
		po.pass = k;
		po.limit = elapsed_s() + (o.limit - elapsed_s()) / (o.repeat - k);
		if (o.repeat > 1)
			progress("repeat %u of %u: until %.0f s", k + 1, o.repeat, po.limit);
		run_pass(&rep[k], &po, &have_sbx, why);
	}

	if (have_sbx)
		sbx_fini();
	rep[0].total_s = elapsed_s();
	progress("done");

	report_table(rep, o.repeat);
	printf("\n%s\n", JSON_BEGIN);
	report_json(rep, o.repeat);
	printf("%s\n", JSON_END);
	fflush(stdout);

	if (o.only)
		return 0;
	return run_failed(rep, o.repeat, &o) ? 1 : 0;
}
