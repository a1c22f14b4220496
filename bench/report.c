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
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "cmds.h"

#define MIB (1024.0 * 1024.0)

/* ---- table ---- */

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

static const char *fmt_ratio(char *buf, size_t n, double v, double floor, bool ok)
{
	if (!ok || !(floor > 0) || !isfinite(v / floor))
		snprintf(buf, n, "-");
	else
		snprintf(buf, n, "%.2fx", v / floor);
	return buf;
}

static void row_na(const char *label, const char *reason)
{
	printf("  %-44s n/a (%s)\n", label, reason);
}

static void lat_row(const char *label, const struct latency *l,
		    const struct latency *floor)
{
	char p50[32], p99[32], r50[16], r99[16];

	if (!l->ok) {
		row_na(label, l->reason);
		return;
	}
	printf("  %-44s %12s %12s %6zu %9s %9s%s%s\n", label,
	       fmt_us(p50, sizeof(p50), l->p50_us), fmt_us(p99, sizeof(p99), l->p99_us),
	       l->n,
	       fmt_ratio(r50, sizeof(r50), l->p50_us, floor->p50_us, floor->ok),
	       fmt_ratio(r99, sizeof(r99), l->p99_us, floor->p99_us, floor->ok),
	       l->note[0] ? "  " : "", l->note);
}

static double mibs(const struct xfer *x)
{
	return x->seconds > 0 ? (double)x->bytes / MIB / x->seconds : 0;
}

static void xfer_row(const char *label, const struct xfer *x, const struct xfer *floor)
{
	char t[32], r[16], med[64] = "";

	if (!x->ok) {
		row_na(label, x->reason);
		return;
	}
	if (x->reps > 1)
		snprintf(med, sizeof(med), "median of %u, best %.2f s", x->reps,
			 x->best_seconds);
	printf("  %-44s %12s %8.1f MiB/s %9s%s%s%s%s\n", label,
	       fmt_us(t, sizeof(t), x->seconds * 1e6), mibs(x),
	       fmt_ratio(r, sizeof(r), x->seconds, floor->seconds, floor->ok),
	       med[0] ? "  " : "", med, x->note[0] ? "; " : "", x->note);
}

static void burst_row(const char *label, const struct burst *b, const struct burst *floor)
{
	char t[32], s[32], r[16];

	if (!b->ok) {
		row_na(label, b->reason);
		return;
	}
	printf("  %-44s %12s %12s %9s\n", label,
	       fmt_us(t, sizeof(t), b->seconds * 1e6),
	       fmt_us(s, sizeof(s), b->start_seconds * 1e6),
	       fmt_ratio(r, sizeof(r), b->seconds, floor->seconds, floor->ok));
}

static void mem_row(const char *label, const struct memcost *c, const struct memcost *floor)
{
	char r[16];

	if (!c->ok) {
		row_na(label, c->reason);
		return;
	}
	printf("  %-44s %8.1f KiB %8.1f KiB %8.1f KiB %9s", label,
	       c->total_kib, c->slab_kib, c->vmalloc_kib,
	       fmt_ratio(r, sizeof(r), c->total_kib, floor->total_kib, floor->ok));
	if (c->have_residual)
		printf("  %+.1f KiB left after cleanup", c->residual_kib);
	printf("\n");
}

static void mem_top(const char *label, const struct memcost *c)
{
	if (!c->ok || !c->ntop)
		return;
	printf("    %s slab growth:", label);
	for (size_t i = 0; i < c->ntop; i++)
		printf("%s %s %.1f KiB", i ? "," : "", c->top[i].name,
		       (double)c->top[i].bytes / 1024.0 / (double)c->sessions);
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

static void fork_row(const char *label, const struct forkcost *f,
		     const struct forkcost *floor)
{
	char t[32], b[32], r[16] = "-", extra[BENCH_REASON_LEN + 96] = "";

	if (!f->ok) {
		row_na(label, f->reason);
		return;
	}
	if (f->ratio > 0)
		snprintf(r, sizeof(r), "%.2fx", f->ratio);
	if (f != floor && f->ratio > 0) {
		double lo = f->round_ratio[0], hi = lo;

		for (unsigned int i = 1; i < f->rounds; i++) {
			lo = f->round_ratio[i] < lo ? f->round_ratio[i] : lo;
			hi = f->round_ratio[i] > hi ? f->round_ratio[i] : hi;
		}
		snprintf(extra, sizeof(extra), "  rounds %.2fx..%.2fx", lo, hi);
	}
	if (f->note[0])
		snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra), "%s%s",
			 extra[0] ? "; " : "  ", f->note);
	printf("  %-44s %12s %12s %6u %9s%s\n", label,
	       fmt_fork_us(t, sizeof(t), f->us), fmt_fork_us(b, sizeof(b), f->best_us),
	       f->rounds, r, extra);
}

static void fork_rows(const struct results *r)
{
	static const char *const work_label[FORK_NWORK] = {
		"fork + _exit + waitpid", "fork + exec " CMD_TRUE " + waitpid",
	};
	char lbl[96];

	for (size_t w = 0; w < FORK_NWORK; w++) {
		const struct forkcost *f = r->fork[w];

		snprintf(lbl, sizeof(lbl), "fork loop, %zu x %s", f[FORK_FLOOR].forks,
			 work_label[w]);
		printf("%-46s %12s %12s %6s %9s\n", lbl, "per fork", "best round",
		       "rounds", "ratio");
		fork_row("floor: sbexec.ko not loaded", &f[FORK_FLOOR], &f[FORK_FLOOR]);
		fork_row("sbexec loaded, outside any session", &f[FORK_OUTSIDE], &f[FORK_FLOOR]);
		if (f[FORK_INSIDE].ok)
			snprintf(lbl, sizeof(lbl), "sbexec: inside a session (%u members)",
				 f[FORK_INSIDE].members);
		else
			snprintf(lbl, sizeof(lbl), "sbexec: inside a session");
		fork_row(lbl, &f[FORK_INSIDE], &f[FORK_FLOOR]);
	}
	printf("    per fork = the median iteration (timed in the looping process, pinned to one CPU)\n"
	       "    of the median round; best round = the lowest round's. ratio = median over the\n"
	       "    rounds of per fork / the floor's in the same round. Floor: the same loop with\n"
	       "    sbexec.ko not loaded (no fork probe); rounds alternate between module out and in.\n");
}

void report_table(const struct results *r)
{
	char lbl[96];

	printf("sbexec bench: guest %s, %ld CPUs, %lld MiB, QEMU TCG; qemu-ga %s\n",
	       r->kernel, r->ncpus, r->mem_total_kb / 1024, r->qga_version);
	printf("module: ring_size=%lld max_sessions=%lld max_pending=%lld max_ring_memory_kb=%lld\n",
	       r->p_ring_size, r->p_max_sessions, r->p_max_pending, r->p_max_ring_memory_kb);
	printf("ratio = cost relative to the floor (time or memory); 1.00x is the floor, higher is worse.\n");
	printf("Under TCG absolute times mean little; the ratios are the result. Bench took %.0f s.\n\n",
	       r->total_s);

	printf("%-46s %12s %12s %6s %9s %9s\n", "exec round trip, " CMD_TRUE " (request to exit)",
	       "p50", "p99", "runs", "p50 ratio", "p99 ratio");
	lat_row("floor: posix_spawn + pipes + waitpid", &r->rt_floor, &r->rt_floor);
	lat_row("sbexec: libsbexec exec + attach + read", &r->rt_sbx, &r->rt_floor);
	lat_row("qemu-guest-agent: guest-exec + status poll", &r->rt_qga, &r->rt_floor);
	printf("\n");

	snprintf(lbl, sizeof(lbl), "stdout %.0f MiB from head -c of /dev/zero",
		 (double)r->tp_floor.bytes_asked / MIB);
	printf("%-46s %12s %14s %9s\n", lbl, "time", "throughput", "ratio");
	xfer_row("floor: pipe into the reader (posix_spawn)", &r->tp_floor, &r->tp_floor);
	xfer_row("sbexec: read()", &r->tp_read, &r->tp_floor);
	xfer_row("sbexec: mmap()", &r->tp_mmap, &r->tp_floor);
	xfer_row("qemu-guest-agent: captured output", &r->tp_qga, &r->tp_floor);
	if (r->tp_qga_cap.bytes_asked) {
		snprintf(lbl, sizeof(lbl), "at qemu-ga's cap, %.2f MiB: floor pipe",
			 (double)r->tp_qga_cap.bytes_asked / MIB);
		xfer_row(lbl, &r->tp_floor_cap, &r->tp_floor_cap);
		snprintf(lbl, sizeof(lbl), "at qemu-ga's cap, %.2f MiB: qemu-ga",
			 (double)r->tp_qga_cap.bytes_asked / MIB);
		xfer_row(lbl, &r->tp_qga_cap, &r->tp_floor_cap);
	}
	printf("\n");

	snprintf(lbl, sizeof(lbl), "%zu sessions at once (%s, %u threads)",
		 r->burst_floor.sessions, r->burst_cmd, r->burst_floor.threads);
	printf("%-46s %12s %12s %9s\n", lbl, "all exited", "all started", "ratio");
	burst_row("floor: posix_spawn + pipes", &r->burst_floor, &r->burst_floor);
	burst_row("sbexec: libsbexec, then attach + read each", &r->burst_sbx, &r->burst_floor);
	printf("\n");

	snprintf(lbl, sizeof(lbl), "memory per idle session (N=%zu, sleep)", r->mem_floor.sessions);
	printf("%-46s %12s %12s %12s %9s\n", lbl, "free memory", "Slab", "VmallocUsed", "ratio");
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
	if (r->mem_floor.ok && r->mem_sbx.ok && r->mem_sbx_small.ok)
		printf("    sbexec over the floor: %.1f KiB (default ring), %.1f KiB (small ring) per session\n",
		       r->mem_sbx.total_kib - r->mem_floor.total_kib,
		       r->mem_sbx_small.total_kib - r->mem_floor.total_kib);
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

static void jarray(const char *key, const double *v, unsigned int n)
{
	jkey(key);
	putchar('[');
	for (unsigned int i = 0; i < n; i++)
		printf("%s%.6g", i ? ", " : "", v[i]);
	putchar(']');
}

static void jratio(const char *key, double v, double floor, bool floor_ok)
{
	if (floor_ok && floor > 0)
		jnum(key, v / floor);
	else
		jnum(key, NAN);
}

static void jlat(const char *key, const struct latency *l, const struct latency *floor)
{
	jopen(key);
	jbool("ok", l->ok);
	if (!l->ok) {
		jstr("error", l->reason);
	} else {
		jint("runs", (long long)l->n);
		jnum("p50_us", l->p50_us);
		jnum("p99_us", l->p99_us);
		jnum("mean_us", l->mean_us);
		jnum("min_us", l->min_us);
		jnum("max_us", l->max_us);
		jratio("p50_vs_floor", l->p50_us, floor->p50_us, floor->ok);
		jratio("p99_vs_floor", l->p99_us, floor->p99_us, floor->ok);
	}
	jint("runs_wanted", (long long)l->target);
	if (l->per_run_s > 0)
		jnum("calibrated_s_per_run", l->per_run_s);
	if (l->note[0])
		jstr("note", l->note);
	jclose();
}

static void jxfer(const char *key, const struct xfer *x, const struct xfer *floor)
{
	jopen(key);
	jbool("ok", x->ok);
	jint("bytes_asked", (long long)x->bytes_asked);
	jint("bytes_delivered", (long long)x->bytes);
	if (x->seconds > 0)
		jnum("seconds", x->seconds);
	if (!x->ok) {
		jstr("error", x->reason);
	} else {
		jnum("mib_per_s", mibs(x));
		jratio("time_vs_floor", x->seconds, floor->seconds, floor->ok);
		if (x->reps > 1) {
			jnum("best_seconds", x->best_seconds);
			jratio("best_time_vs_floor_best", x->best_seconds,
			       floor->best_seconds, floor->ok && floor->reps > 1);
			jarray("repetition_seconds", x->rep_seconds, x->reps);
		}
	}
	if (x->note[0])
		jstr("note", x->note);
	jclose();
}

static void jburst(const char *key, const struct burst *b, const struct burst *floor)
{
	jopen(key);
	jbool("ok", b->ok);
	if (!b->ok)
		jstr("error", b->reason);
	jint("sessions", (long long)b->sessions);
	jint("threads", b->threads);
	jnum("seconds_until_all_exited", b->seconds);
	jnum("seconds_until_all_started", b->start_seconds);
	if (b->ok)
		jratio("time_vs_floor", b->seconds, floor->seconds, floor->ok);
	jclose();
}

static void jmem(const char *key, const struct memcost *c, const struct memcost *floor)
{
	jopen(key);
	jbool("ok", c->ok);
	jint("sessions", (long long)c->sessions);
	if (c->ring_size)
		jint("ring_size_asked", c->ring_size);
	if (!c->ok) {
		jstr("error", c->reason);
	} else {
		jnum("free_kib_per_session", c->total_kib);
		if (c->have_residual)
			jnum("not_freed_after_cleanup_kib_per_session", c->residual_kib);
		jnum("slab_kib_per_session", c->slab_kib);
		jnum("vmalloc_kib_per_session", c->vmalloc_kib);
		jnum("pagetables_kib_per_session", c->pagetables_kib);
		jnum("kernelstack_kib_per_session", c->kernelstack_kib);
		jratio("free_vs_floor", c->total_kib, floor->total_kib, floor->ok);
		if (c != floor && floor->ok)
			jnum("free_over_floor_kib", c->total_kib - floor->total_kib);
		if (c->ntop) {
			jopen("top_slab_growth_kib_per_session");
			for (size_t i = 0; i < c->ntop; i++)
				jnum(c->top[i].name, (double)c->top[i].bytes / 1024.0 /
						     (double)c->sessions);
			jclose();
		}
	}
	jclose();
}

static void jfork(const char *key, const struct forkcost *f, const struct forkcost *floor)
{
	double us[FORK_MAX_ROUNDS];

	jopen(key);
	jbool("ok", f->ok);
	if (!f->ok) {
		jstr("error", f->reason);
	} else {
		jint("rounds", f->rounds);
		jnum("median_fork_us", f->us);
		jnum("best_round_median_fork_us", f->best_us);
		jnum("mean_fork_us", f->mean_us);
		memcpy(us, f->round_us, sizeof(us));
		jarray("round_median_fork_us", us, f->rounds);
		memcpy(us, f->round_mean_us, sizeof(us));
		jarray("round_mean_fork_us", us, f->rounds);
		jnum("time_vs_floor", f->ratio > 0 ? f->ratio : NAN);
		if (f != floor && f->ratio > 0) {
			memcpy(us, f->round_ratio, sizeof(us));
			jarray("round_time_vs_floor", us, f->rounds);
		}
		if (f != floor && floor->ok) {
			jratio("median_vs_floor_median", f->us, floor->us, floor->ok);
			jnum("over_floor_median_fork_us", f->us - floor->us);
			jratio("mean_vs_floor_mean", f->mean_us, floor->mean_us, floor->ok);
			jratio("best_vs_floor_best", f->best_us, floor->best_us, floor->ok);
		}
		if (f->members)
			jint("members_in_exit_record", f->members);
	}
	if (f->note[0])
		jstr("note", f->note);
	jclose();
}

void report_json(const struct results *r)
{
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
	jstr("ratio", "cost relative to the floor: time/floor time, memory/floor memory; 1 = floor, higher = worse");
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
	jxfer("qemu_guest_agent", &r->tp_qga, &r->tp_floor);
	if (r->tp_qga_cap.bytes_asked) {
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
