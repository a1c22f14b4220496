// SPDX-License-Identifier: GPL-2.0
/*
 * forks.c - what the module's sched_process_fork probe (kernel/members.c)
 * adds to a fork-heavy workload.
 *
 * The workload is a fresh sbexec-bench process started as
 * `sbexec-bench --fork-loop WORK N`: after a few unmeasured forks it times
 * N iterations of fork() + _exit(0) + waitpid() (WORK "exit") or of
 * fork() + execve(/bin/true) + waitpid() (WORK "exec") with
 * CLOCK_MONOTONIC, each on its own, and prints the median iteration's and
 * the whole loop's nanoseconds on stdout. Only the loop is timed, so how
 * the process was started does not count; the median iteration is the
 * round's figure because it is the one a busy host (other guests taking
 * the CPU for a while) moves least. It runs three ways:
 *   floor    posix_spawn()ed with sbexec.ko not loaded (no probe at all)
 *   outside  posix_spawn()ed with the module loaded: each fork pays the
 *            probe's xarray lookup of the parent, which finds nothing
 *   inside   as a session's command (libsbexec): each fork pays the
 *            lookup, a member allocation and its link into the session,
 *            and each exit the member's unlink and RCU-deferred free
 * The module is unloaded and loaded again through --module-ctl (bench/
 * module-ctl: the helper stopped, rmmod; modprobe, the helper started),
 * and the cases are measured in rounds whose order alternates (floor
 * first, then the loaded cases, then the loaded cases first...), so that a
 * slow spell of the host hits every case alike and each round needs one
 * module transition. A case's time is its median round's; its ratio is
 * the median over the rounds of its time / the floor's in that round.
 */
#include <errno.h>
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "cmds.h"

#define FORK_WARMUP	10

const char *const fork_work_name[FORK_NWORK] = { "exit", "exec" };
const char *const fork_case_name[FORK_NCASES] = { "floor", "outside", "inside" };

/* One iteration of @w; 0, or -errno (or -EPROTO for a bad child status). */
static int fork_once(enum fork_work w)
{
	char *const argv[] = { (char *)CMD_TRUE, NULL };
	pid_t pid;
	int st;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		if (w == FORK_WORK_EXEC)
			execve(CMD_TRUE, argv, bench_env);
		_exit(w == FORK_WORK_EXEC ? 127 : 0);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : -EPROTO;
}

int fork_loop_main(int argc, char **argv)
{
	struct latency l = { 0 };
	enum fork_work w;
	unsigned long n, i;
	uint64_t t0, t1, *ns;
	cpu_set_t one;
	int rc;

	if (argc != 4)
		goto usage;
	for (w = 0; w < FORK_NWORK; w++)
		if (!strcmp(argv[2], fork_work_name[w]))
			break;
	n = strtoul(argv[3], NULL, 0);
	if (w == FORK_NWORK || !n || n > 10000000)
		goto usage;
	ns = calloc(n, sizeof(*ns));
	if (!ns) {
		fprintf(stderr, "fork-loop: out of memory\n");
		return 1;
	}
	/*
	 * One CPU for the loop and its children: no wake-up of the other
	 * vCPU per iteration, whose latency under TCG on a busy host is
	 * the host's, not the guest's.
	 */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu() > 0 ? sched_getcpu() : 0, &one);
	sched_setaffinity(0, sizeof(one), &one);
	for (i = 0; i < FORK_WARMUP; i++) {
		rc = fork_once(w);
		if (rc)
			goto fail;
	}
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		uint64_t s = now_ns();

		rc = fork_once(w);
		if (rc)
			goto fail;
		ns[i] = now_ns() - s;
	}
	t1 = now_ns();
	latency_from_samples(&l, ns, n);
	printf("%.0f %llu\n", l.p50_us * 1e3, (unsigned long long)(t1 - t0));
	free(ns);
	return 0;

fail:
	fprintf(stderr, "fork-loop %s: iteration %lu: %s\n", argv[2], i + 1,
		rc == -EPROTO ? "child failed" : strerror(-rc));
	return 1;
usage:
	fprintf(stderr, "usage: sbexec-bench --fork-loop exit|exec N\n");
	return 2;
}

/* This program's path, for the loop's process. */
static const char *self_path(char *reason)
{
	static char path[4096];
	ssize_t n;

	if (path[0])
		return path;
	n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	if (n <= 0) {
		set_reason(reason, "readlink /proc/self/exe: %s", strerror(errno));
		path[0] = '\0';
		return NULL;
	}
	path[n] = '\0';
	return path;
}

/*
 * The loop's output, "P50_NS TOTAL_NS": the median iteration and the mean
 * (the whole loop over @n), in microseconds.
 */
static int parse_ns(const char *out, size_t n, double us[2], char *reason)
{
	unsigned long long p50, total;
	char nl;

	if (sscanf(out, "%llu %llu%c", &p50, &total, &nl) != 3 || nl != '\n' ||
	    !p50 || !total) {
		set_reason(reason, "fork loop printed \"%.40s\"", out);
		return -EPROTO;
	}
	us[0] = (double)p50 / 1e3;
	us[1] = (double)total / 1e3 / (double)n;
	return 0;
}

/* One round in a posix_spawn()ed process (floor and outside). */
static int spawned_round(enum fork_work w, size_t n, double us[2], char *reason)
{
	char count[32], out[256], errbuf[4096];
	const char *self = self_path(reason);
	char *argv[] = { (char *)self, "--fork-loop", (char *)fork_work_name[w], count, NULL };
	struct piped_child c;
	size_t got = 0;
	ssize_t r;
	int rc, st;

	if (!self)
		return -ENOENT;
	snprintf(count, sizeof(count), "%zu", n);
	rc = spawn_piped(argv, &c);
	if (rc) {
		set_reason(reason, "posix_spawn %s: %s", self, strerror(-rc));
		return rc;
	}
	while ((r = read(c.out, out + got, sizeof(out) - 1 - got)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || (got += (size_t)r) == sizeof(out) - 1)
			break;
	}
	out[got] = '\0';
	close(c.out);
	c.out = -1;
	st = drain_and_wait(&c, errbuf, sizeof(errbuf), NULL);
	if (st < 0) {
		set_reason(reason, "reading the loop's pipes: %s", strerror(-st));
		return st;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		set_reason(reason, "fork loop ended with wait status 0x%x", st);
		return -EPROTO;
	}
	return parse_ns(out, n, us, reason);
}

/* One round as a session's command (inside). */
static int session_round(enum fork_work w, size_t n, double us[2], uint32_t *members,
			 char *reason)
{
	char count[32], out[256];
	const char *self = self_path(reason);
	const char *argv[] = { "--fork-loop", fork_work_name[w], count, NULL };
	int rc;

	if (!self)
		return -ENOENT;
	snprintf(count, sizeof(count), "%zu", n);
	rc = sbx_run_output(self, argv, out, sizeof(out), members, reason);
	if (rc)
		return rc;
	rc = parse_ns(out, n, us, reason);
	if (rc)
		return rc;
	/* The leader, its warm-up forks and the measured ones: all members. */
	if (*members != n + FORK_WARMUP + 1) {
		set_reason(reason, "the exit record counts %u members, not %zu",
			   *members, n + FORK_WARMUP + 1);
		return -EPROTO;
	}
	return 0;
}

/* Run @ctl @verb (bench/module-ctl unload|load); 0, or -1 with @reason. */
static int module_ctl(const char *ctl, const char *verb, char *reason)
{
	char *argv[] = { (char *)ctl, (char *)verb, NULL };
	extern char **environ;
	pid_t pid;
	int rc, st;

	rc = posix_spawn(&pid, ctl, NULL, NULL, argv, environ);
	if (rc) {
		set_reason(reason, "%s %s: %s", ctl, verb, strerror(rc));
		return -1;
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			set_reason(reason, "waitpid: %s", strerror(errno));
			return -1;
		}
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		set_reason(reason, "%s %s failed (wait status 0x%x; its message is on stderr)",
			   ctl, verb, st);
		return -1;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median of @v[0..n) (n > 0; the mean of the middle two for even n). Sorts @v. */
static double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(v[0]), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One round of case @c: both workloads; a failed case measures no more. */
static void measure_case(struct forkcost f[FORK_NWORK][FORK_NCASES],
			 enum fork_case c, const struct fork_plan *p)
{
	for (enum fork_work w = 0; w < FORK_NWORK; w++) {
		struct forkcost *x = &f[w][c];
		uint32_t members = 0;
		double us[2];
		int rc;

		if (x->reason[0] || x->rounds >= FORK_MAX_ROUNDS)
			continue;
		progress("fork cost: %s, %s, round %u: %zu forks", fork_work_name[w],
			 fork_case_name[c], x->rounds + 1, p->n[w]);
		if (c == FORK_INSIDE)
			rc = session_round(w, p->n[w], us, &members, x->reason);
		else
			rc = spawned_round(w, p->n[w], us, x->reason);
		if (rc)
			continue;
		x->round_mean_us[x->rounds] = us[1];
		x->round_us[x->rounds++] = us[0];
		x->members = members;
	}
}

static void fail_cases(struct forkcost f[FORK_NWORK][FORK_NCASES], bool floor,
		       bool loaded, const char *why)
{
	for (enum fork_work w = 0; w < FORK_NWORK; w++)
		for (enum fork_case c = 0; c < FORK_NCASES; c++)
			if (((c == FORK_FLOOR && floor) || (c != FORK_FLOOR && loaded)) &&
			    !f[w][c].reason[0])
				set_reason(f[w][c].reason, "%s", why);
}

bool forks_run(struct forkcost f[FORK_NWORK][FORK_NCASES], const struct fork_plan *p,
	       char *sbx_reason)
{
	bool loaded = true, sbx_open = p->have_sbx, floor_ok = !!p->module_ctl;
	char why[BENCH_REASON_LEN];
	double t0 = elapsed_s(), t;
	unsigned int r;

	memset(f, 0, sizeof(struct forkcost) * FORK_NWORK * FORK_NCASES);
	for (enum fork_work w = 0; w < FORK_NWORK; w++)
		for (enum fork_case c = 0; c < FORK_NCASES; c++)
			f[w][c].forks = p->n[w];
	if (!p->module_ctl)
		fail_cases(f, true, false, "no --module-ctl: the module cannot be unloaded for the floor");
	if (!p->have_sbx)
		fail_cases(f, false, true, sbx_reason);

	for (r = 0; r < p->rounds && r < FORK_MAX_ROUNDS; r++) {
		/* Every case gets the same rounds: a round starts only if it fits. */
		t = elapsed_s();
		if (r && t + (t - t0) / r > p->stop_at) {
			progress("fork cost: %u round(s) took %.0f s; no more (time box)", r, t - t0);
			break;
		}
		/* Even rounds: the loaded cases, then the floor; odd: the reverse. */
		for (int half = 0; half < 2; half++) {
			bool want_floor = (r % 2 == 0) == (half == 1);

			if (want_floor && floor_ok) {
				if (sbx_open) {
					sbx_fini();
					sbx_open = false;
				}
				if (loaded && module_ctl(p->module_ctl, "unload", why)) {
					fail_cases(f, true, false, why);
					floor_ok = false;
					/* The helper may be gone: load (start) again. */
					loaded = false;
				} else {
					loaded = false;
					measure_case(f, FORK_FLOOR, p);
				}
			} else if (!want_floor && p->have_sbx) {
				if (!loaded) {
					if (module_ctl(p->module_ctl, "load", why))
						goto reload_failed;
					loaded = true;
				}
				if (!sbx_open) {
					if (sbx_init(why))
						goto reload_failed;
					sbx_open = true;
				}
				/* The session first in odd rounds. */
				measure_case(f, r % 2 ? FORK_INSIDE : FORK_OUTSIDE, p);
				measure_case(f, r % 2 ? FORK_OUTSIDE : FORK_INSIDE, p);
			}
		}
	}
	/* Leave the module loaded, with the helper and our handle, as found. */
	if (!loaded) {
		if (module_ctl(p->module_ctl, "load", why))
			goto reload_failed;
		loaded = true;
	}
	if (p->have_sbx && !sbx_open) {
		if (sbx_init(why))
			goto reload_failed;
		sbx_open = true;
	}
	goto summary;

reload_failed:
	progress("fork cost: loading sbexec again failed: %s", why);
	set_reason(sbx_reason, "reloading the module after the fork floor failed: %s", why);
	fail_cases(f, false, true, sbx_reason);
	sbx_open = false;

summary:
	for (enum fork_work w = 0; w < FORK_NWORK; w++) {
		for (enum fork_case c = 0; c < FORK_NCASES; c++) {
			struct forkcost *x = &f[w][c];
			double s[FORK_MAX_ROUNDS];

			if (x->reason[0] && !x->rounds)
				continue;
			if (x->reason[0]) {
				/* A later round failed: the figure is not kept. */
				x->rounds = 0;
				continue;
			}
			if (!x->rounds) {
				set_reason(x->reason, "stopped at the bench's time limit before its first round");
				continue;
			}
			memcpy(s, x->round_us, sizeof(s));
			x->us = median(s, x->rounds);
			x->best_us = s[0];
			memcpy(s, x->round_mean_us, sizeof(s));
			x->mean_us = median(s, x->rounds);
			x->ok = true;
			if (x->rounds < p->rounds)
				snprintf(x->note, sizeof(x->note), "%u of %u rounds: time box of %.0f s",
					 x->rounds, p->rounds, p->stop_at - t0);
		}
	}
	/*
	 * The ratios pair each round with the floor's in the same round
	 * (measured seconds apart), so that the host's load drifting over
	 * the phase cancels; the median round ratio counts.
	 */
	for (enum fork_work w = 0; w < FORK_NWORK; w++) {
		struct forkcost *fl = &f[w][FORK_FLOOR];

		fl->ratio = fl->ok ? 1 : 0;
		for (enum fork_case c = FORK_OUTSIDE; c < FORK_NCASES; c++) {
			struct forkcost *x = &f[w][c];
			double s[FORK_MAX_ROUNDS];

			if (!x->ok || !fl->ok || x->rounds != fl->rounds)
				continue;
			for (r = 0; r < x->rounds; r++)
				x->round_ratio[r] = x->round_us[r] / fl->round_us[r];
			memcpy(s, x->round_ratio, sizeof(s));
			x->ratio = median(s, x->rounds);
		}
	}
	return sbx_open;
}
