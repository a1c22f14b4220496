// SPDX-License-Identifier: GPL-2.0
/*
 * report.c - the fixed-width table and the JSON object.
 *
 * Ratios are cost relative to the floor: time / floor time for latencies,
 * throughput runs and the burst, bytes / floor bytes for memory. 1.00x is
 * the floor; higher is slower or bigger.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "cmds.h"

#define MIB (1024.0 * 1024.0)

/* ---- the repeats (--repeat) ---- */

/*
 * Every row and JSON object below is handed pointers into R[0]; at()
 * finds the same field in another repeat's results.
 */
static const struct results *R;
static unsigned int NR;

static const void *at(const void *p, unsigned int k)
{
	return (const char *)&R[k] + ((const char *)p - (const char *)&R[0]);
}

static bool ok_in(const bool *ok, unsigned int k)
{
	return *(const bool *)at(ok, k);
}

/* Whether the figure whose ok flag is @ok was measured in some repeat. */
static bool any_ok(const bool *ok)
{
	for (unsigned int k = 0; k < NR; k++)
		if (ok_in(ok, k))
			return true;
	return false;
}

/* @p in the first repeat where *@ok, else in R[0]. */
static const void *first_ok(const void *p, const bool *ok)
{
	for (unsigned int k = 0; k < NR; k++)
		if (ok_in(ok, k))
			return at(p, k);
	return p;
}

/* The reason of the first repeat where the figure was not measured. */
static const char *first_reason(const bool *ok, const char *reason)
{
	for (unsigned int k = 0; k < NR; k++) {
		const char *why = at(reason, k);

		if (!ok_in(ok, k))
			return why[0] ? why : "not measured";
	}
	return "";
}

/* One figure over the repeats: each repeat's value (if any), median, spread. */
struct fig {
	unsigned int n;				/* repeats with a value */
	bool have[BENCH_MAX_REPEAT];
	double v[BENCH_MAX_REPEAT];
	double med, min, max;			/* NAN if n is 0 */
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void fig_put(struct fig *f, unsigned int k, double v)
{
	if (!isfinite(v))
		return;
	f->have[k] = true;
	f->v[k] = v;
}

static void fig_done(struct fig *f)
{
	double s[BENCH_MAX_REPEAT];
	unsigned int m = 0;

	for (unsigned int k = 0; k < NR; k++)
		if (f->have[k])
			s[m++] = f->v[k];
	f->n = m;
	if (!m) {
		f->med = f->min = f->max = NAN;
		return;
	}
	qsort(s, m, sizeof(s[0]), cmp_double);
	f->med = m % 2 ? s[m / 2] : (s[m / 2 - 1] + s[m / 2]) / 2;
	f->min = s[0];
	f->max = s[m - 1];
}

/* *@v (a double in R[0]) in every repeat where *@ok. */
static void fig_val(struct fig *f, const bool *ok, const double *v)
{
	memset(f, 0, sizeof(*f));
	for (unsigned int k = 0; k < NR; k++)
		if (ok_in(ok, k))
			fig_put(f, k, *(const double *)at(v, k));
	fig_done(f);
}

/* The same, only where the value is above 0 (0: none). */
static void fig_pos(struct fig *f, const bool *ok, const double *v)
{
	fig_val(f, ok, v);
	for (unsigned int k = 0; k < NR; k++)
		if (f->have[k] && !(f->v[k] > 0))
			f->have[k] = false;
	fig_done(f);
}

/* *@v / *@fv in every repeat where both are measured and *@fv > 0. */
static void fig_ratio(struct fig *f, const bool *ok, const double *v,
		      const bool *fok, const double *fv)
{
	memset(f, 0, sizeof(*f));
	for (unsigned int k = 0; k < NR; k++) {
		double d = *(const double *)at(fv, k);

		if (ok_in(ok, k) && ok_in(fok, k) && d > 0)
			fig_put(f, k, *(const double *)at(v, k) / d);
	}
	fig_done(f);
}

/* The sum of @f's values (counts of all repeats together). */
static double fig_sum(const struct fig *f)
{
	double sum = 0;

	for (unsigned int k = 0; k < NR; k++)
		if (f->have[k])
			sum += f->v[k];
	return sum;
}

/* @get(@x, @floor) of each repeat (NAN: none). */
static void fig_fn(struct fig *f, double (*get)(const void *x, const void *floor),
		   const void *x, const void *floor)
{
	memset(f, 0, sizeof(*f));
	for (unsigned int k = 0; k < NR; k++)
		fig_put(f, k, get(at(x, k), floor ? at(floor, k) : NULL));
	fig_done(f);
}

static void append(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void append(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

/*
 * What a row adds after its figures: its note, and with repeats each
 * repeat's count (@what: "runs", "rounds"...; @count NULL: none), the
 * repeats that did not measure it and their notes (@note NULL: none).
 */
static void row_extra(char *buf, size_t len, const bool *ok, const char *reason,
		      const char *note, const char *what,
		      double (*count)(const void *x, const void *unused), const void *x)
{
	bool same = true;

	buf[0] = '\0';
	if (NR == 1) {
		snprintf(buf, len, "%s", note ? note : "");
		return;
	}
	if (count) {
		append(buf, len, "%s ", what);
		for (unsigned int k = 0; k < NR; k++) {
			if (ok_in(ok, k))
				append(buf, len, "%s%.0f", k ? "+" : "", count(at(x, k), NULL));
			else
				append(buf, len, "%s-", k ? "+" : "");
		}
	}
	for (unsigned int k = 1; k < NR; k++)
		if (ok_in(ok, k) != ok_in(ok, 0) || (note && strcmp(at(note, k), note)))
			same = false;
	if (same && note && note[0]) {
		append(buf, len, "%s%s", buf[0] ? "; " : "", note);
		return;
	}
	for (unsigned int k = 0; k < NR; k++) {
		const char *n = note ? at(note, k) : "";

		const char *why = at(reason, k);

		if (!ok_in(ok, k) && strstr(why, "time limit"))	/* the long form is in the JSON */
			append(buf, len, "%srepeat %u: n/a (not run: its share of the time limit)",
			       buf[0] ? "; " : "", k + 1);
		else if (!ok_in(ok, k))
			append(buf, len, "%srepeat %u: n/a (%s)", buf[0] ? "; " : "", k + 1,
			       why[0] ? why : "not measured");
		else if (n[0])
			append(buf, len, "%srepeat %u: %s", buf[0] ? "; " : "", k + 1, n);
	}
}

/* ---- table ---- */

/* Width of a ratio column: with repeats it holds the spread too. */
static int rw(void)
{
	return NR > 1 ? 20 : 9;
}

static const char *fmt_us(char *buf, size_t n, double us)
{
	if (us < 1000)
		snprintf(buf, n, "%.0f us", us);
	else if (us < 1e6)
		snprintf(buf, n, "%.2f ms", us / 1e3);
	else
		snprintf(buf, n, "%.2f s", us / 1e6);
	return buf;
}

/* "1.19x", with repeats "1.19x (0.95..1.40)" (the median, min..max). */
static const char *fmt_ratio(char *buf, size_t n, const struct fig *f)
{
	if (!f->n)
		snprintf(buf, n, "-");
	else if (f->min == f->max)
		snprintf(buf, n, "%.2fx", f->med);
	else
		snprintf(buf, n, "%.2fx (%.2f..%.2f)", f->med, f->min, f->max);
	return buf;
}

static void row_na(const char *label, const char *reason)
{
	printf("  %-44s n/a (%s)\n", label, reason);
}

static double lat_runs(const void *x, const void *unused)
{
	(void)unused;
	const struct latency *l = x;

	return l->ok ? (double)l->n : NAN;
}

static void lat_row(const char *label, const struct latency *l,
		    const struct latency *floor)
{
	char p50[32], p99[32], r50[48], r99[48], extra[4 * BENCH_REASON_LEN];
	struct fig f50, f99, q50, q99, runs;

	if (!any_ok(&l->ok)) {
		row_na(label, first_reason(&l->ok, l->reason));
		return;
	}
	fig_val(&f50, &l->ok, &l->p50_us);
	fig_val(&f99, &l->ok, &l->p99_us);
	fig_ratio(&q50, &l->ok, &l->p50_us, &floor->ok, &floor->p50_us);
	fig_ratio(&q99, &l->ok, &l->p99_us, &floor->ok, &floor->p99_us);
	fig_fn(&runs, lat_runs, l, NULL);
	row_extra(extra, sizeof(extra), &l->ok, l->reason, l->note, "runs", lat_runs, l);
	printf("  %-44s %12s %12s %6.0f %*s %*s%s%s\n", label,
	       fmt_us(p50, sizeof(p50), f50.med), fmt_us(p99, sizeof(p99), f99.med),
	       fig_sum(&runs),	/* the runs of all repeats */
	       rw(), fmt_ratio(r50, sizeof(r50), &q50),
	       rw(), fmt_ratio(r99, sizeof(r99), &q99),
	       extra[0] ? "  " : "", extra);
}

static double mibs(const struct xfer *x)
{
	return x->seconds > 0 ? (double)x->bytes / MIB / x->seconds : 0;
}

static double xfer_reps(const void *x, const void *unused)
{
	(void)unused;
	const struct xfer *t = x;

	if (!t->ok)
		return NAN;
	return t->reps ? t->reps : 1;	/* 0: a single run */
}

/* The fastest repetition of a repeat (its only one if it had one). */
static double xfer_best(const void *p, const void *unused)
{
	const struct xfer *x = p;

	(void)unused;
	if (!x->ok)
		return NAN;
	return x->reps > 1 ? x->best_seconds : x->seconds;
}

static void xfer_row(const char *label, const struct xfer *x, const struct xfer *floor)
{
	char t[32], r[48], med[64] = "", extra[4 * BENCH_REASON_LEN];
	const struct xfer *x0 = first_ok(x, &x->ok);
	struct fig secs, ratio, best;

	if (!any_ok(&x->ok)) {
		row_na(label, first_reason(&x->ok, x->reason));
		return;
	}
	fig_val(&secs, &x->ok, &x->seconds);
	fig_ratio(&ratio, &x->ok, &x->seconds, &floor->ok, &floor->seconds);
	fig_fn(&best, xfer_best, x, NULL);
	if (NR == 1 && x->reps > 1)
		snprintf(med, sizeof(med), "median of %u, best %.2f s", x->reps,
			 x->best_seconds);
	else if (NR > 1)
		snprintf(med, sizeof(med), "best %.2f s", best.min);
	row_extra(extra, sizeof(extra), &x->ok, x->reason, x->note, "reps", xfer_reps, x);
	printf("  %-44s %12s %8.1f MiB/s %*s%s%s%s%s\n", label,
	       fmt_us(t, sizeof(t), secs.med * 1e6),
	       secs.med > 0 ? (double)x0->bytes / MIB / secs.med : 0,
	       rw(), fmt_ratio(r, sizeof(r), &ratio),
	       med[0] ? "  " : "", med, extra[0] ? "; " : "", extra);
}

static void burst_row(const char *label, const struct burst *b, const struct burst *floor)
{
	char t[32], s[32], r[48], extra[4 * BENCH_REASON_LEN];
	struct fig all, started, ratio;

	if (!any_ok(&b->ok)) {
		row_na(label, first_reason(&b->ok, b->reason));
		return;
	}
	fig_val(&all, &b->ok, &b->seconds);
	fig_val(&started, &b->ok, &b->start_seconds);
	fig_ratio(&ratio, &b->ok, &b->seconds, &floor->ok, &floor->seconds);
	row_extra(extra, sizeof(extra), &b->ok, b->reason, NULL, NULL, NULL, NULL);
	printf("  %-44s %12s %12s %*s%s%s\n", label,
	       fmt_us(t, sizeof(t), all.med * 1e6),
	       fmt_us(s, sizeof(s), started.med * 1e6),
	       rw(), fmt_ratio(r, sizeof(r), &ratio), extra[0] ? "  " : "", extra);
}

static void mem_row(const char *label, const struct memcost *c, const struct memcost *floor)
{
	char r[48], extra[4 * BENCH_REASON_LEN];
	struct fig total, slab, vmalloc, ratio, residual;

	if (!any_ok(&c->ok)) {
		row_na(label, first_reason(&c->ok, c->reason));
		return;
	}
	fig_val(&total, &c->ok, &c->total_kib);
	fig_val(&slab, &c->ok, &c->slab_kib);
	fig_val(&vmalloc, &c->ok, &c->vmalloc_kib);
	fig_ratio(&ratio, &c->ok, &c->total_kib, &floor->ok, &floor->total_kib);
	fig_val(&residual, &c->have_residual, &c->residual_kib);
	printf("  %-44s %8.1f KiB %8.1f KiB %8.1f KiB %*s", label,
	       total.med, slab.med, vmalloc.med, rw(), fmt_ratio(r, sizeof(r), &ratio));
	if (residual.n)
		printf("  %+.1f KiB left after cleanup", residual.med);
	row_extra(extra, sizeof(extra), &c->ok, c->reason, NULL, NULL, NULL, NULL);
	if (extra[0])
		printf("; %s", extra);
	printf("\n");
}

static void mem_top(const char *label, const struct memcost *c)
{
	const struct memcost *c0 = first_ok(c, &c->ok);
	unsigned int k = (unsigned int)(((const char *)c0 - (const char *)c) / sizeof(R[0]));

	if (!c0->ok || !c0->ntop)
		return;
	printf("    %s slab growth", label);
	if (NR > 1)
		printf(" (repeat %u)", k + 1);
	printf(":");
	for (size_t i = 0; i < c0->ntop; i++)
		printf("%s %s %.1f KiB", i ? "," : "", c0->top[i].name,
		       (double)c0->top[i].bytes / 1024.0 / (double)c0->sessions);
	printf(" (per session)\n");
}

static const char *fmt_fork_us(char *buf, size_t n, double us)
{
	if (us < 1000)
		snprintf(buf, n, "%.1f us", us);
	else
		snprintf(buf, n, "%.3f ms", us / 1e3);
	return buf;
}

static double fork_rounds(const void *x, const void *unused)
{
	(void)unused;
	const struct forkcost *f = x;

	return f->ok ? f->rounds : NAN;
}

static void fork_row(const char *label, const struct forkcost *f,
		     const struct forkcost *floor)
{
	char t[32], b[32], r[48], extra[5 * BENCH_REASON_LEN] = "", more[4 * BENCH_REASON_LEN];
	struct fig us, best, ratio, rounds;
	double lo = INFINITY, hi = -INFINITY;

	if (!any_ok(&f->ok)) {
		row_na(label, first_reason(&f->ok, f->reason));
		return;
	}
	fig_val(&us, &f->ok, &f->us);
	fig_val(&best, &f->ok, &f->best_us);
	fig_pos(&ratio, &f->ok, &f->ratio);
	fig_fn(&rounds, fork_rounds, f, NULL);
	if (f != floor && ratio.n) {
		for (unsigned int k = 0; k < NR; k++) {
			const struct forkcost *x = at(f, k);

			if (!x->ok || !(x->ratio > 0))
				continue;
			for (unsigned int i = 0; i < x->rounds; i++) {
				lo = x->round_ratio[i] < lo ? x->round_ratio[i] : lo;
				hi = x->round_ratio[i] > hi ? x->round_ratio[i] : hi;
			}
		}
		snprintf(extra, sizeof(extra), "  %s %.2fx..%.2fx",
			 NR > 1 ? "all rounds" : "rounds", lo, hi);
	}
	row_extra(more, sizeof(more), &f->ok, f->reason, f->note, "rounds", fork_rounds, f);
	if (more[0])
		append(extra, sizeof(extra), "%s%s", extra[0] ? "; " : "  ", more);
	printf("  %-44s %12s %12s %6.0f %*s%s\n", label,
	       fmt_fork_us(t, sizeof(t), us.med), fmt_fork_us(b, sizeof(b), best.min),
	       fig_sum(&rounds), rw(), fmt_ratio(r, sizeof(r), &ratio), extra);
}

static void fork_rows(const struct results *r)
{
	static const char *const work_label[FORK_NWORK] = {
		"fork + _exit + waitpid", "fork + exec " CMD_TRUE " + waitpid",
	};
	char lbl[96];

	for (size_t w = 0; w < FORK_NWORK; w++) {
		const struct forkcost *f = r->fork[w];
		const struct forkcost *in = first_ok(&f[FORK_INSIDE], &f[FORK_INSIDE].ok);

		snprintf(lbl, sizeof(lbl), "fork loop, %zu x %s", f[FORK_FLOOR].forks,
			 work_label[w]);
		printf("%-46s %12s %12s %6s %*s\n", lbl, "per fork", "best round",
		       "rounds", rw(), "ratio");
		fork_row("floor: sbexec.ko not loaded", &f[FORK_FLOOR], &f[FORK_FLOOR]);
		fork_row("sbexec loaded, outside any session", &f[FORK_OUTSIDE], &f[FORK_FLOOR]);
		if (in->ok)
			snprintf(lbl, sizeof(lbl), "sbexec: inside a session (%u members)",
				 in->members);
		else
			snprintf(lbl, sizeof(lbl), "sbexec: inside a session");
		fork_row(lbl, &f[FORK_INSIDE], &f[FORK_FLOOR]);
	}
	printf("    per fork = the median iteration (timed in the looping process, pinned to one CPU)\n"
	       "    of the median round; best round = the lowest round's. ratio = median over the\n"
	       "    rounds of per fork / the floor's in the same round. Floor: the same loop with\n"
	       "    sbexec.ko not loaded (no fork probe); rounds alternate between module out and in.\n");
}

/* The first repeat where the qemu-ga cap rows were measured (or -1). */
static int cap_repeat(void)
{
	for (unsigned int k = 0; k < NR; k++)
		if (R[k].tp_qga_cap.bytes_asked)
			return (int)k;
	return -1;
}

void report_table(const struct results *rep, unsigned int nrep)
{
	const struct results *r = rep;
	struct fig mf, ms, mss;
	char lbl[96];
	int cap;

	R = rep;
	NR = nrep;
	cap = cap_repeat();
	printf("sbexec bench: guest %s, %ld CPUs, %lld MiB, QEMU TCG; qemu-ga %s\n",
	       r->kernel, r->ncpus, r->mem_total_kb / 1024, r->qga_version);
	printf("module: ring_size=%lld max_sessions=%lld max_pending=%lld max_ring_memory_kb=%lld\n",
	       r->p_ring_size, r->p_max_sessions, r->p_max_pending, r->p_max_ring_memory_kb);
	printf("ratio = cost relative to the floor (time or memory); 1.00x is the floor, higher is worse.\n");
	printf("Under TCG absolute times mean little; the ratios are the result. Bench took %.0f s.\n",
	       r->total_s);
	if (NR > 1)
		printf("%u repeats of the whole table in this boot: each figure is the median over the repeats\n"
		       "that measured it, each ratio the median (min..max) of the repeats' own ratios; the\n"
		       "runs and rounds columns count all repeats, the notes each repeat's (a+b+c).\n",
		       NR);
	printf("\n");

	printf("%-46s %12s %12s %6s %*s %*s\n", "exec round trip, " CMD_TRUE " (request to exit)",
	       "p50", "p99", "runs", rw(), "p50 ratio", rw(), "p99 ratio");
	lat_row("floor: posix_spawn + pipes + waitpid", &r->rt_floor, &r->rt_floor);
	lat_row("sbexec: libsbexec exec + attach + read", &r->rt_sbx, &r->rt_floor);
	lat_row("qemu-guest-agent: guest-exec + status poll", &r->rt_qga, &r->rt_floor);
	printf("\n");

	snprintf(lbl, sizeof(lbl), "stdout %.0f MiB from head -c of /dev/zero",
		 (double)r->tp_floor.bytes_asked / MIB);
	printf("%-46s %12s %14s %*s\n", lbl, "time", "throughput", rw(), "ratio");
	xfer_row("floor: pipe into the reader (posix_spawn)", &r->tp_floor, &r->tp_floor);
	xfer_row("sbexec: read()", &r->tp_read, &r->tp_floor);
	xfer_row("sbexec: mmap()", &r->tp_mmap, &r->tp_floor);
	xfer_row("sbexec: read(), direct output", &r->tp_read_direct, &r->tp_floor);
	xfer_row("sbexec: mmap(), direct output", &r->tp_mmap_direct, &r->tp_floor);
	xfer_row("qemu-guest-agent: captured output", &r->tp_qga, &r->tp_floor);
	if (cap >= 0) {
		snprintf(lbl, sizeof(lbl), "at qemu-ga's cap, %.2f MiB: floor pipe",
			 (double)rep[cap].tp_qga_cap.bytes_asked / MIB);
		xfer_row(lbl, &r->tp_floor_cap, &r->tp_floor_cap);
		snprintf(lbl, sizeof(lbl), "at qemu-ga's cap, %.2f MiB: qemu-ga",
			 (double)rep[cap].tp_qga_cap.bytes_asked / MIB);
		xfer_row(lbl, &r->tp_qga_cap, &r->tp_floor_cap);
	}
	printf("\n");

	snprintf(lbl, sizeof(lbl), "%zu sessions at once (%s, %u threads)",
		 r->burst_floor.sessions, r->burst_cmd, r->burst_floor.threads);
	printf("%-46s %12s %12s %*s\n", lbl, "all exited", "all started", rw(), "ratio");
	burst_row("floor: posix_spawn + pipes", &r->burst_floor, &r->burst_floor);
	burst_row("sbexec: libsbexec, then attach + read each", &r->burst_sbx, &r->burst_floor);
	printf("\n");

	snprintf(lbl, sizeof(lbl), "memory per idle session (N=%zu, sleep)", r->mem_floor.sessions);
	printf("%-46s %12s %12s %12s %*s\n", lbl, "free memory", "Slab", "VmallocUsed",
	       rw(), "ratio");
	mem_row("floor: process + 3 pipes", &r->mem_floor, &r->mem_floor);
	snprintf(lbl, sizeof(lbl), "sbexec, ring %lld KiB (module default)", r->p_ring_size / 1024);
	mem_row(lbl, &r->mem_sbx, &r->mem_floor);
	if (r->mem_sbx_small.ring_size % 1024)
		snprintf(lbl, sizeof(lbl), "sbexec, ring %u bytes (EXEC RING_SIZE)",
			 r->mem_sbx_small.ring_size);
	else
		snprintf(lbl, sizeof(lbl), "sbexec, ring %u KiB (EXEC RING_SIZE)",
			 r->mem_sbx_small.ring_size / 1024);
	mem_row(lbl, &r->mem_sbx_small, &r->mem_floor);
	fig_val(&mf, &r->mem_floor.ok, &r->mem_floor.total_kib);
	fig_val(&ms, &r->mem_sbx.ok, &r->mem_sbx.total_kib);
	fig_val(&mss, &r->mem_sbx_small.ok, &r->mem_sbx_small.total_kib);
	if (mf.n && ms.n && mss.n)
		printf("    sbexec over the floor: %.1f KiB (default ring), %.1f KiB (small ring) per session\n",
		       ms.med - mf.med, mss.med - mf.med);
	mem_top("floor", &r->mem_floor);
	mem_top("sbexec default ring", &r->mem_sbx);
	mem_top("sbexec small ring", &r->mem_sbx_small);
	printf("    free memory = decrease of free pages (buddy + per-CPU lists, /proc/zoneinfo) per session:\n"
	       "    process, pipes, slab, ring pages, page tables. Ring pages are alloc_page()d and vmap()ed,\n"
	       "    so they show in free memory, not in VmallocUsed (which counts the kernel stacks).\n");
	printf("\n");
	fork_rows(r);
}

/* ---- JSON ---- */

static int jdepth;
static bool jfirst[16] = { true };

static void jindent(void)
{
	for (int i = 0; i < jdepth; i++)
		fputs("  ", stdout);
}

static void jstr_raw(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void jkey(const char *key)
{
	if (!jfirst[jdepth])
		putchar(',');
	putchar('\n');
	jfirst[jdepth] = false;
	jindent();
	if (key) {
		jstr_raw(key);
		fputs(": ", stdout);
	}
}

static void jopen(const char *key)
{
	jkey(key);
	putchar('{');
	jdepth++;
	jfirst[jdepth] = true;
}

static void jclose(void)
{
	jdepth--;
	putchar('\n');
	jindent();
	putchar('}');
}

static void jnum(const char *key, double v)
{
	jkey(key);
	if (isfinite(v))
		printf("%.6g", v);
	else
		fputs("null", stdout);
}

static void jint(const char *key, long long v)
{
	jkey(key);
	printf("%lld", v);
}

static void jstr(const char *key, const char *v)
{
	jkey(key);
	jstr_raw(v);
}

static void jbool(const char *key, bool v)
{
	jkey(key);
	fputs(v ? "true" : "false", stdout);
}

/*
 * With repeats each object is written three times: its figures as medians
 * (the keys a single run has), then under "repeats" each repeat's value of
 * every figure (null where not measured) and under "spread" each figure's
 * median, min and max. The other keys are written once.
 */
enum jmode { J_MED, J_REP, J_SPR };
static enum jmode jm;

static bool jmed(void)
{
	return jm == J_MED;
}

static void jfig(const char *key, const struct fig *f)
{
	switch (jm) {
	case J_MED:
		jnum(key, f->n ? f->med : NAN);
		break;
	case J_REP:
		jkey(key);
		putchar('[');
		for (unsigned int k = 0; k < NR; k++) {
			fputs(k ? ", " : "", stdout);
			if (f->have[k])
				printf("%.6g", f->v[k]);
			else
				fputs("null", stdout);
		}
		putchar(']');
		break;
	case J_SPR:
		jopen(key);
		jnum("median", f->med);
		jnum("min", f->min);
		jnum("max", f->max);
		jclose();
		break;
	}
}

/* A count: all repeats' together as the single value, else like jfig. */
static void jcount(const char *key, const struct fig *f)
{
	if (jmed())
		jint(key, (long long)fig_sum(f));
	else
		jfig(key, f);
}

static void jval(const char *key, const bool *ok, const double *v)
{
	struct fig f;

	fig_val(&f, ok, v);
	jfig(key, &f);
}

static void jrat(const char *key, const bool *ok, const double *v, const bool *fok,
		 const double *fv)
{
	struct fig f;

	fig_ratio(&f, ok, v, fok, fv);
	jfig(key, &f);
}

/* The repeats that did not measure a figure that others did, and why. */
static void jfailed(const bool *ok, const char *reason)
{
	if (NR == 1 || !jmed() || !any_ok(ok))
		return;
	for (unsigned int k = 0; k < NR; k++) {
		if (ok_in(ok, k))
			continue;
		jkey("failed_repeats");
		putchar('[');
		for (unsigned int i = k, first = 1; i < NR; i++) {
			if (ok_in(ok, i))
				continue;
			printf("%s{\"repeat\": %u, \"error\": ", first ? "" : ", ", i + 1);
			jstr_raw(at(reason, i));
			putchar('}');
			first = 0;
		}
		putchar(']');
		return;
	}
}

/* A note: the same in every repeat, or each repeat's. */
static void jnote(const bool *ok, const char *note)
{
	char buf[4 * BENCH_REASON_LEN] = "";
	bool same = true;

	if (!jmed())
		return;
	for (unsigned int k = 1; k < NR; k++)
		if (strcmp(at(note, k), note))
			same = false;
	if (same) {
		if (note[0])
			jstr("note", note);
		return;
	}
	for (unsigned int k = 0; k < NR; k++)
		if (ok_in(ok, k) && ((const char *)at(note, k))[0])
			append(buf, sizeof(buf), "%srepeat %u: %s", buf[0] ? "; " : "", k + 1,
			       (const char *)at(note, k));
	if (buf[0])
		jstr("note", buf);
}

/* Object @key: @body(@x, @floor) as medians, then per repeat and spread. */
static void jobj(const char *key, void (*body)(const void *, const void *),
		 const void *x, const void *floor, const bool *ok)
{
	jopen(key);
	jm = J_MED;
	body(x, floor);
	if (NR > 1 && any_ok(ok)) {
		jm = J_REP;
		jopen("repeats");
		body(x, floor);
		jclose();
		jm = J_SPR;
		jopen("spread");
		body(x, floor);
		jclose();
		jm = J_MED;
	}
	jclose();
}

static void jlat_body(const void *p, const void *fp)
{
	const struct latency *l = p, *floor = fp;
	const struct latency *l0 = first_ok(l, &l->ok);
	bool ok = any_ok(&l->ok);
	struct fig runs;

	if (jmed())
		jbool("ok", ok);
	if (!ok) {
		jstr("error", l->reason);
	} else {
		fig_fn(&runs, lat_runs, l, NULL);
		jcount("runs", &runs);
		jval("p50_us", &l->ok, &l->p50_us);
		jval("p99_us", &l->ok, &l->p99_us);
		jval("mean_us", &l->ok, &l->mean_us);
		jval("min_us", &l->ok, &l->min_us);
		jval("max_us", &l->ok, &l->max_us);
		jrat("p50_vs_floor", &l->ok, &l->p50_us, &floor->ok, &floor->p50_us);
		jrat("p99_vs_floor", &l->ok, &l->p99_us, &floor->ok, &floor->p99_us);
	}
	if (!jmed())
		return;
	jint("runs_wanted", (long long)l0->target);
	if (l0->per_run_s > 0)
		jnum("calibrated_s_per_run", l0->per_run_s);
	jnote(&l->ok, l->note);
	jfailed(&l->ok, l->reason);
}

static void jlat(const char *key, const struct latency *l, const struct latency *floor)
{
	jobj(key, jlat_body, l, floor, &l->ok);
}

static double xfer_mibs(const void *p, const void *unused)
{
	const struct xfer *x = p;

	(void)unused;
	return x->ok ? mibs(x) : NAN;
}

static double xfer_best_ratio(const void *p, const void *fp)
{
	const struct xfer *x = p, *f = fp;

	if (!x->ok || x->reps <= 1 || !f->ok || f->reps <= 1 || !(f->best_seconds > 0))
		return NAN;
	return x->best_seconds / f->best_seconds;
}

static double xfer_best_s(const void *p, const void *unused)
{
	const struct xfer *x = p;

	(void)unused;
	return x->ok && x->reps > 1 ? x->best_seconds : NAN;
}

static void jxfer_body(const void *p, const void *fp)
{
	const struct xfer *x = p, *floor = fp;
	const struct xfer *x0 = first_ok(x, &x->ok);
	bool ok = any_ok(&x->ok), multi = false;
	struct fig f;

	for (unsigned int k = 0; k < NR; k++)
		multi |= ((const struct xfer *)at(x, k))->ok &&
			 ((const struct xfer *)at(x, k))->reps > 1;
	if (jmed()) {
		jbool("ok", ok);
		jint("bytes_asked", (long long)x0->bytes_asked);
		jint("bytes_delivered", (long long)x0->bytes);
	}
	if (ok)
		jval("seconds", &x->ok, &x->seconds);
	else if (x->seconds > 0)
		jnum("seconds", x->seconds);
	if (!ok) {
		jstr("error", x->reason);
	} else {
		fig_fn(&f, xfer_mibs, x, NULL);
		jfig("mib_per_s", &f);
		jrat("time_vs_floor", &x->ok, &x->seconds, &floor->ok, &floor->seconds);
		if (multi) {
			fig_fn(&f, xfer_best_s, x, NULL);
			jfig("best_seconds", &f);
			fig_fn(&f, xfer_best_ratio, x, floor);
			jfig("best_time_vs_floor_best", &f);
			if (jmed()) {
				/* Every repetition of every repeat, in order. */
				jkey("repetition_seconds");
				putchar('[');
				for (unsigned int k = 0, i = 0; k < NR; k++) {
					const struct xfer *y = at(x, k);

					for (unsigned int j = 0; y->ok && j < y->reps; j++)
						printf("%s%.6g", i++ ? ", " : "", y->rep_seconds[j]);
				}
				putchar(']');
			}
		}
	}
	if (!jmed())
		return;
	jnote(&x->ok, x->note);
	jfailed(&x->ok, x->reason);
}

static void jxfer(const char *key, const struct xfer *x, const struct xfer *floor)
{
	jobj(key, jxfer_body, x, floor, &x->ok);
}

static void jburst_body(const void *p, const void *fp)
{
	const struct burst *b = p, *floor = fp;
	bool ok = any_ok(&b->ok);

	if (jmed()) {
		jbool("ok", ok);
		if (!ok)
			jstr("error", b->reason);
		jint("sessions", (long long)b->sessions);
		jint("threads", b->threads);
	}
	if (ok) {
		jval("seconds_until_all_exited", &b->ok, &b->seconds);
		jval("seconds_until_all_started", &b->ok, &b->start_seconds);
		jrat("time_vs_floor", &b->ok, &b->seconds, &floor->ok, &floor->seconds);
	} else {
		jnum("seconds_until_all_exited", b->seconds);
		jnum("seconds_until_all_started", b->start_seconds);
	}
	jfailed(&b->ok, b->reason);
}

static void jburst(const char *key, const struct burst *b, const struct burst *floor)
{
	jobj(key, jburst_body, b, floor, &b->ok);
}

static double mem_over(const void *p, const void *fp)
{
	const struct memcost *c = p, *f = fp;

	return c->ok && f->ok ? c->total_kib - f->total_kib : NAN;
}

static void jmem_body(const void *p, const void *fp)
{
	const struct memcost *c = p, *floor = fp;
	const struct memcost *c0 = first_ok(c, &c->ok);
	bool ok = any_ok(&c->ok);
	struct fig f;

	if (jmed()) {
		jbool("ok", ok);
		jint("sessions", (long long)c->sessions);
		if (c->ring_size)
			jint("ring_size_asked", c->ring_size);
	}
	if (!ok) {
		jstr("error", c->reason);
		return;
	}
	jval("free_kib_per_session", &c->ok, &c->total_kib);
	if (any_ok(&c->have_residual))
		jval("not_freed_after_cleanup_kib_per_session", &c->have_residual,
		     &c->residual_kib);
	jval("slab_kib_per_session", &c->ok, &c->slab_kib);
	jval("vmalloc_kib_per_session", &c->ok, &c->vmalloc_kib);
	jval("pagetables_kib_per_session", &c->ok, &c->pagetables_kib);
	jval("kernelstack_kib_per_session", &c->ok, &c->kernelstack_kib);
	jrat("free_vs_floor", &c->ok, &c->total_kib, &floor->ok, &floor->total_kib);
	if (c != floor && any_ok(&floor->ok)) {
		fig_fn(&f, mem_over, c, floor);
		jfig("free_over_floor_kib", &f);
	}
	if (jmed() && c0->ntop) {
		jopen("top_slab_growth_kib_per_session");
		for (size_t i = 0; i < c0->ntop; i++)
			jnum(c0->top[i].name, (double)c0->top[i].bytes / 1024.0 /
					      (double)c0->sessions);
		jclose();
	}
	jfailed(&c->ok, c->reason);
}

static void jmem(const char *key, const struct memcost *c, const struct memcost *floor)
{
	jobj(key, jmem_body, c, floor, &c->ok);
}

/* Every round of every repeat where the figure was measured, in order. */
static void jrounds(const char *key, const struct forkcost *f, size_t off)
{
	jkey(key);
	putchar('[');
	for (unsigned int k = 0, i = 0; k < NR; k++) {
		const struct forkcost *x = at(f, k);
		const double *v = (const double *)((const char *)x + off);

		for (unsigned int j = 0; x->ok && j < x->rounds; j++)
			printf("%s%.6g", i++ ? ", " : "", v[j]);
	}
	putchar(']');
}

static double fork_over(const void *p, const void *fp)
{
	const struct forkcost *x = p, *f = fp;

	return x->ok && f->ok ? x->us - f->us : NAN;
}

static double fork_members(const void *p, const void *unused)
{
	const struct forkcost *x = p;

	(void)unused;
	return x->ok && x->members ? x->members : NAN;
}

static void jfork_body(const void *p, const void *fp)
{
	const struct forkcost *f = p, *floor = fp;
	bool ok = any_ok(&f->ok);
	struct fig g;

	if (jmed())
		jbool("ok", ok);
	if (!ok) {
		jstr("error", f->reason);
	} else {
		fig_fn(&g, fork_rounds, f, NULL);
		jcount("rounds", &g);
		jval("median_fork_us", &f->ok, &f->us);
		jval("best_round_median_fork_us", &f->ok, &f->best_us);
		jval("mean_fork_us", &f->ok, &f->mean_us);
		if (jmed()) {
			jrounds("round_median_fork_us", f, offsetof(struct forkcost, round_us));
			jrounds("round_mean_fork_us", f, offsetof(struct forkcost, round_mean_us));
		}
		fig_pos(&g, &f->ok, &f->ratio);
		jfig("time_vs_floor", &g);
		if (f != floor && g.n && jmed())
			jrounds("round_time_vs_floor", f, offsetof(struct forkcost, round_ratio));
		if (f != floor && any_ok(&floor->ok)) {
			jrat("median_vs_floor_median", &f->ok, &f->us, &floor->ok, &floor->us);
			fig_fn(&g, fork_over, f, floor);
			jfig("over_floor_median_fork_us", &g);
			jrat("mean_vs_floor_mean", &f->ok, &f->mean_us, &floor->ok, &floor->mean_us);
			jrat("best_vs_floor_best", &f->ok, &f->best_us, &floor->ok, &floor->best_us);
		}
		fig_fn(&g, fork_members, f, NULL);
		if (g.n) {
			if (jmed())
				jint("members_in_exit_record",
				     ((const struct forkcost *)first_ok(f, &f->ok))->members);
			else
				jfig("members_in_exit_record", &g);
		}
	}
	if (!jmed())
		return;
	jnote(&f->ok, f->note);
	jfailed(&f->ok, f->reason);
}

static void jfork(const char *key, const struct forkcost *f, const struct forkcost *floor)
{
	jobj(key, jfork_body, f, floor, &f->ok);
}

void report_json(const struct results *rep, unsigned int nrep)
{
	const struct results *r = rep;
	int cap;

	R = rep;
	NR = nrep;
	cap = cap_repeat();
	fputs("{", stdout);
	jdepth = 1;
	jfirst[1] = true;
	jopen("env");
	jstr("kernel", r->kernel);
	jint("cpus", r->ncpus);
	jint("mem_total_kib", r->mem_total_kb);
	jstr("accel", "tcg");
	jstr("qemu_ga_version", r->qga_version);
	jint("param_ring_size", r->p_ring_size);
	jint("param_max_sessions", r->p_max_sessions);
	jint("param_max_pending", r->p_max_pending);
	jint("param_max_ring_memory_kb", r->p_max_ring_memory_kb);
	jnum("bench_seconds", r->total_s);
	jint("repeats", nrep);
	jstr("ratio", "cost relative to the floor: time/floor time, memory/floor memory; 1 = floor, higher = worse");
	if (nrep > 1)
		jstr("repeats_method", "the whole table measured this many times in one boot; each figure's key holds the median over the repeats that measured it (ratios: the median of each repeat's own ratio; runs and rounds: all repeats together), its \"repeats\" object each repeat's value (null: not measured) and its \"spread\" object median, min and max");
	jclose();

	jopen("exec_roundtrip_true");
	jstr("command", CMD_TRUE);
	jlat("floor_posix_spawn", &r->rt_floor, &r->rt_floor);
	jlat("sbexec_libsbexec", &r->rt_sbx, &r->rt_floor);
	jlat("qemu_guest_agent", &r->rt_qga, &r->rt_floor);
	jclose();

	jopen("stdout_throughput");
	jint("bytes", (long long)r->tp_floor.bytes_asked);
	jxfer("floor_pipe", &r->tp_floor, &r->tp_floor);
	jxfer("sbexec_read", &r->tp_read, &r->tp_floor);
	jxfer("sbexec_mmap", &r->tp_mmap, &r->tp_floor);
	jxfer("sbexec_read_direct_output", &r->tp_read_direct, &r->tp_floor);
	jxfer("sbexec_mmap_direct_output", &r->tp_mmap_direct, &r->tp_floor);
	jxfer("qemu_guest_agent", &r->tp_qga, &r->tp_floor);
	if (cap >= 0) {
		jxfer("floor_pipe_at_qga_cap", &r->tp_floor_cap, &r->tp_floor_cap);
		jxfer("qemu_guest_agent_at_cap", &r->tp_qga_cap, &r->tp_floor_cap);
	}
	jclose();

	jopen("sessions_at_once");
	jstr("command", r->burst_cmd);
	jburst("floor_posix_spawn", &r->burst_floor, &r->burst_floor);
	jburst("sbexec_libsbexec", &r->burst_sbx, &r->burst_floor);
	jclose();

	jopen("idle_session_memory");
	jstr("command", CMD_SLEEP " " IDLE_SLEEP_ARG);
	jstr("method", "drop_caches, then free pages from /proc/zoneinfo (buddy + per-CPU lists), Slab, VmallocUsed, PageTables, KernelStack from /proc/meminfo and /proc/slabinfo, before and after starting N sessions, and again after they are gone");
	jmem("floor_posix_spawn", &r->mem_floor, &r->mem_floor);
	jmem("sbexec_default_ring", &r->mem_sbx, &r->mem_floor);
	jmem("sbexec_small_ring", &r->mem_sbx_small, &r->mem_floor);
	jclose();

	jopen("fork_cost");
	jstr("method", "a fresh sbexec-bench process times each of N iterations of the loop (after 10 untimed ones) with CLOCK_MONOTONIC; a round's figure is its median iteration (the mean is kept too); floor: posix_spawn()ed with sbexec.ko not loaded; outside: posix_spawn()ed with it loaded; inside: as a session's command. Rounds alternate between the module unloaded and loaded (bench/module-ctl); the median round counts");
	for (size_t w = 0; w < FORK_NWORK; w++) {
		const struct forkcost *f = r->fork[w];

		jopen(w == FORK_WORK_EXIT ? "fork_exit_waitpid" : "fork_exec_true_waitpid");
		jint("forks_per_round", (long long)f[FORK_FLOOR].forks);
		jfork("floor_module_not_loaded", &f[FORK_FLOOR], &f[FORK_FLOOR]);
		jfork("sbexec_loaded_outside_session", &f[FORK_OUTSIDE], &f[FORK_FLOOR]);
		jfork("sbexec_inside_session", &f[FORK_INSIDE], &f[FORK_FLOOR]);
		jclose();
	}
	jclose();

	fputs("\n}\n", stdout);
}
