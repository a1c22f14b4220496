// SPDX-License-Identifier: GPL-2.0
/*
 * sbexec-hostbench - `make bench`'s host-driven rows (bench/run runs it
 * through `scripts/vm --host`; see host.h for the three ports).
 *
 *  - exec round trip of /bin/true, request to exit record, p50 and p99:
 *    sbexec through sbexec-bridge beside qemu-ga (guest-exec plus
 *    guest-exec-status polled back to back), interleaved in blocks, each
 *    method time-boxed; ratio: sbexec over qemu-ga;
 *  - stdout throughput of `head -c N /dev/zero`: the raw virtio-serial
 *    link (the guest's feeder writes the bytes straight into its port),
 *    sbexec (stdout records through the bridge) and, at qemu-ga's capture
 *    cap (16 MiB), the raw link, sbexec and qemu-ga's captured output
 *    (base64 in its guest-exec-status reply); rounds of all of them, the
 *    order rotating, while the time box allows; ratio: time over the raw
 *    link's at the same size (1.00x is the link itself, higher is slower).
 *
 * --repeat N does all of that N times (each with 1/N of the time boxes);
 * the rows pool every run, and each ratio also comes as its median,
 * minimum and maximum over the N repeats.
 *
 * Output: the table on stdout, progress on stderr, the JSON object to
 * --json FILE. Exit status 0 when every row was measured, 1 when one was
 * not (its row says why), 2 on bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host.h"

#define WARMUP_RUNS	3
#define MAX_REPEAT	25
#define MAX_ROUNDS	9
#define MIB		(1024.0 * 1024.0)

struct opts {
	unsigned int repeat, blocks, max_rounds;
	size_t runs;
	uint64_t bytes, qga_cap;
	double rt_box, tp_box, timeout;
	const char *json;
	const char *bridge, *qga, *raw;
};

static uint64_t t_start;

void hb_progress(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "[%6.1f s] ", (double)(hb_now_ns() - t_start) / 1e9);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- round trips ---- */

enum { RT_SBX, RT_QGA, RT_N };
static const char *const rt_name[RT_N] = { "sbexec", "qga" };
static const char *const rt_label[RT_N] = {
	"sbexec: exec + attach + read, via the bridge",
	"qemu-guest-agent: guest-exec + status poll",
};

struct rt {
	int (*once)(uint64_t *ns, char *reason);
	bool available;			/* its link opened */
	char reason[HB_REASON_LEN];	/* why no figure (first failure) */
	uint64_t *ns;			/* every measured run, all repeats */
	size_t n, cap;
	size_t target;			/* runs wanted, all repeats */
	char note[HB_REASON_LEN];
	double p50, p99;		/* us, pooled */
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile @p of @n sorted samples, in us. */
static double pct(const uint64_t *ns, size_t n, double p)
{
	size_t k = (size_t)ceil(p / 100.0 * (double)n);

	if (k < 1)
		k = 1;
	return (double)ns[k - 1] / 1e3;
}

static double median_d(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int rt_push(struct rt *m, uint64_t ns)
{
	if (m->n == m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 256;
		uint64_t *p = realloc(m->ns, ncap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		m->ns = p;
		m->cap = ncap;
	}
	m->ns[m->n++] = ns;
	return 0;
}

/* Per repeat: each method's p50 and p99 of that repeat's runs. */
struct rt_rep {
	bool ok;
	double p50[RT_N], p99[RT_N];
};

/*
 * One repeat of the round trips: warm-up, then @o->blocks blocks, each
 * starting with the next method, every method getting box / blocks
 * seconds of each block and runs / blocks runs.
 */
static void rt_repeat(struct rt *m, const struct opts *o, struct rt_rep *rep)
{
	double box = o->rt_box / o->repeat;
	double spent[RT_N] = { 0 };
	size_t done[RT_N] = { 0 }, first[RT_N];
	bool active[RT_N];
	uint64_t x;

	memset(rep, 0, sizeof(*rep));
	for (int k = 0; k < RT_N; k++) {
		active[k] = m[k].available && !m[k].reason[0];
		first[k] = m[k].n;
		m[k].target += o->runs;
		for (int i = 0; i < WARMUP_RUNS && active[k]; i++) {
			if (m[k].once(&x, m[k].reason))
				active[k] = false;
		}
	}
	for (unsigned int b = 0; b < o->blocks; b++) {
		for (int j = 0; j < RT_N; j++) {
			int k = (int)((b + (unsigned int)j) % RT_N);
			size_t to = o->runs * (b + 1) / o->blocks;
			double until = box * (b + 1) / o->blocks;
			uint64_t t0 = hb_now_ns();

			while (active[k] && done[k] < to &&
			       spent[k] + (double)(hb_now_ns() - t0) / 1e9 < until) {
				char why[HB_REASON_LEN];

				if (m[k].once(&x, why)) {
					hb_reason(m[k].reason, "run %zu: %s", done[k] + 1, why);
					active[k] = false;
					break;
				}
				if (rt_push(&m[k], x)) {
					hb_reason(m[k].reason, "out of memory");
					active[k] = false;
					break;
				}
				done[k]++;
			}
			spent[k] += (double)(hb_now_ns() - t0) / 1e9;
		}
	}
	rep->ok = true;
	for (int k = 0; k < RT_N; k++) {
		size_t n = m[k].n - first[k];
		uint64_t *s;

		if (!active[k] || !n) {
			rep->ok = false;
			continue;
		}
		s = malloc(n * sizeof(*s));
		if (!s) {
			rep->ok = false;
			continue;
		}
		memcpy(s, m[k].ns + first[k], n * sizeof(*s));
		qsort(s, n, sizeof(*s), cmp_u64);
		rep->p50[k] = pct(s, n, 50);
		rep->p99[k] = pct(s, n, 99);
		free(s);
		hb_progress("round trip %s: %zu runs, p50 %.1f ms, p99 %.1f ms", rt_name[k], n,
			    rep->p50[k] / 1e3, rep->p99[k] / 1e3);
	}
}

/* ---- throughput ---- */

enum { TP_RAW, TP_SBX, TP_RAW_CAP, TP_SBX_CAP, TP_QGA_CAP, TP_N };
static const char *const tp_name[TP_N] = {
	"raw", "sbexec", "raw_at_qga_cap", "sbexec_at_qga_cap", "qga",
};
static const char *const tp_label[TP_N] = {
	"raw virtio-serial link: head -c > port",
	"sbexec: stdout records via the bridge",
	"raw virtio-serial link",
	"sbexec via the bridge",
	"qemu-guest-agent: captured output",
};
/* what each one's ratio is over */
static const int tp_base[TP_N] = { TP_RAW, TP_RAW, TP_RAW_CAP, TP_RAW_CAP, TP_RAW_CAP };

struct tp {
	bool used;			/* part of this run's table */
	bool available;
	uint64_t bytes;
	char reason[HB_REASON_LEN];
	double *secs;			/* every good run, all repeats */
	uint64_t *got;			/* the bytes each of those delivered */
	size_t n, cap;
	double median;			/* pooled */
	double best;
};

static void tp_one(struct tp *t, int k, const struct opts *o)
{
	struct hb_xfer x;
	double *p;

	if (!t->available || t->reason[0])
		return;
	switch (k) {
	case TP_RAW:
	case TP_RAW_CAP:
		hb_raw_xfer(&x, t->bytes, o->timeout);
		break;
	case TP_SBX:
	case TP_SBX_CAP:
		hb_sbx_xfer(&x, t->bytes, o->timeout);
		break;
	default:
		hb_qga_xfer(&x, t->bytes, o->timeout);
		break;
	}
	if (!x.ok) {
		hb_reason(t->reason, "%s", x.reason);
		hb_progress("throughput %s: %s", tp_name[k], x.reason);
		return;
	}
	hb_progress("throughput %s: %llu bytes in %.2f s (%.1f MiB/s)", tp_name[k],
		    (unsigned long long)x.bytes, x.seconds, (double)x.bytes / MIB / x.seconds);
	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 16;
		uint64_t *g;

		p = realloc(t->secs, ncap * sizeof(*p));
		if (p)
			t->secs = p;
		g = realloc(t->got, ncap * sizeof(*g));
		if (g)
			t->got = g;
		if (!p || !g) {
			hb_reason(t->reason, "out of memory");
			return;
		}
		t->cap = ncap;
	}
	t->got[t->n] = x.bytes;
	t->secs[t->n++] = x.seconds;
}

struct tp_rep {
	bool ok[TP_N];
	double median[TP_N];
	unsigned int rounds;
};

static void tp_repeat(struct tp *t, const struct opts *o, struct tp_rep *rep)
{
	double box = o->tp_box / o->repeat, spent = 0, last = 0;
	size_t first[TP_N];

	memset(rep, 0, sizeof(*rep));
	for (int k = 0; k < TP_N; k++)
		first[k] = t[k].n;
	for (unsigned int r = 0; r < o->max_rounds; r++) {
		uint64_t t0 = hb_now_ns();

		/* a round that would end after the time box does not start */
		if (r && spent + last > box)
			break;
		for (int j = 0; j < TP_N; j++) {
			int k = (int)((r + (unsigned int)j) % TP_N);

			if (t[k].used)
				tp_one(&t[k], k, o);
		}
		last = (double)(hb_now_ns() - t0) / 1e9;
		spent += last;
		rep->rounds++;
	}
	for (int k = 0; k < TP_N; k++) {
		size_t n = t[k].n - first[k];
		double v[MAX_ROUNDS];

		if (!t[k].used || !n || t[k].reason[0])
			continue;
		memcpy(v, t[k].secs + first[k], n * sizeof(*v));
		rep->median[k] = median_d(v, n);
		rep->ok[k] = true;
	}
}

/* ---- ratios over repeats ---- */

enum { R_RT_P50, R_RT_P99, R_TP, R_TP_CAP, R_TP_QGA_CAP, R_N };
static const char *const ratio_key[R_N] = {
	"roundtrip_p50_sbexec_over_qga", "roundtrip_p99_sbexec_over_qga",
	"throughput_sbexec_over_raw", "throughput_sbexec_over_raw_at_qga_cap",
	"throughput_qga_over_raw",
};
static const char *const ratio_label[R_N] = {
	"round trip p50, sbexec / qemu-ga", "round trip p99, sbexec / qemu-ga",
	"throughput, sbexec / raw link", "throughput at qemu-ga's cap, sbexec / raw link",
	"throughput, qemu-ga / raw link (at most its cap)",
};

struct ratio {
	bool used;
	double pooled;		/* from the pooled rows, 0: none */
	double v[MAX_REPEAT];	/* per repeat, 0: not measured that repeat */
	unsigned int n;		/* repeats with a value */
	double median, min, max;
};

static void ratio_finish(struct ratio *r, unsigned int repeats)
{
	double v[MAX_REPEAT];

	r->n = 0;
	for (unsigned int i = 0; i < repeats; i++)
		if (r->v[i] > 0)
			v[r->n++] = r->v[i];
	if (!r->n)
		return;
	r->median = median_d(v, r->n);
	r->min = v[0];
	r->max = v[r->n - 1];
}

/* ---- output ---- */

static void fmt_us(char *buf, size_t len, double us)
{
	if (us >= 1e6)
		snprintf(buf, len, "%.2f s", us / 1e6);
	else
		snprintf(buf, len, "%.2f ms", us / 1e3);
}

static void report_table(const struct rt *m, const struct tp *t, const struct ratio *ra,
			 const struct opts *o)
{
	char a[32], b[32];

	printf("\nhost-driven: from the host through QEMU virtio-serial ports (unix socket chardevs)\n");
	if (o->repeat > 1)
		printf("  (%u repeats; rows pool every run; ratios also as median and range over the repeats)\n",
		       o->repeat);
	printf("%-52s %11s %11s %6s %9s %9s\n", "exec round trip, /bin/true (request to exit)",
	       "p50", "p99", "runs", "p50 ratio", "p99 ratio");
	for (int k = RT_N - 1; k >= 0; k--) {
		printf("  %-50s", rt_label[k]);
		if (!m[k].n || m[k].reason[0]) {
			printf(" n/a (%s)\n", m[k].reason[0] ? m[k].reason : "no runs");
			continue;
		}
		fmt_us(a, sizeof(a), m[k].p50);
		fmt_us(b, sizeof(b), m[k].p99);
		printf(" %11s %11s %6zu", a, b, m[k].n);
		if (k == RT_QGA)
			printf("     1.00x     1.00x");
		else if (ra[R_RT_P50].pooled > 0)
			printf(" %8.2fx %8.2fx", ra[R_RT_P50].pooled, ra[R_RT_P99].pooled);
		if (m[k].note[0])
			printf("  %s", m[k].note);
		printf("\n");
	}
	for (int k = 0; k < TP_N; k++) {
		int base = tp_base[k];
		const struct ratio *r = k == TP_SBX ? &ra[R_TP] : k == TP_SBX_CAP ? &ra[R_TP_CAP] :
					k == TP_QGA_CAP ? &ra[R_TP_QGA_CAP] : NULL;

		if (!t[k].used)
			continue;
		if (k == TP_RAW || k == TP_RAW_CAP) {
			if (k == TP_RAW)
				printf("%-52s %11s %11s %6s %9s\n", "", "time", "throughput", "runs",
				       "ratio");
			printf("stdout %.2f MiB from head -c of /dev/zero%s\n",
			       (double)t[k].bytes / MIB,
			       k == TP_RAW_CAP ? ", at qemu-ga's capture cap" : "");
		}
		printf("  %-50s", tp_label[k]);
		if (!t[k].n || t[k].reason[0]) {
			printf(" n/a (%s)\n", t[k].reason[0] ? t[k].reason : "no runs");
			continue;
		}
		snprintf(a, sizeof(a), "%.2f s", t[k].median);
		snprintf(b, sizeof(b), "%.1f MiB/s", (double)t[k].bytes / MIB / t[k].median);
		printf(" %11s %11s %6zu", a, b, t[k].n);
		if (k == base)
			printf("     1.00x");
		else if (r && r->pooled > 0)
			printf(" %8.2fx", r->pooled);
		printf("\n");
	}
	if (!t[TP_RAW_CAP].used && t[TP_QGA_CAP].used)
		printf("  (qemu-ga's row asks for the same bytes: below its capture cap)\n");
	if (o->repeat > 1)
		printf("%-58s %7s  %s\n", "ratios (higher: the first is slower)", "pooled",
		       "repeats: median, range");
	else
		printf("ratios (higher: the first is slower)\n");
	for (int i = 0; i < R_N; i++) {
		if (!ra[i].used)
			continue;
		printf("  %-56s", ratio_label[i]);
		if (ra[i].pooled > 0)
			printf(" %7.2fx", ra[i].pooled);
		else
			printf("     n/a");
		if (o->repeat > 1 && ra[i].n)
			printf("  %u of %u: %.2fx, %.2fx..%.2fx", ra[i].n, o->repeat,
			       ra[i].median, ra[i].min, ra[i].max);
		printf("\n");
	}
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static int report_json(const struct rt *m, const struct tp *t, const struct ratio *ra,
		       const struct opts *o)
{
	FILE *f = fopen(o->json, "w");

	if (!f) {
		fprintf(stderr, "sbexec-hostbench: %s: %s\n", o->json, strerror(errno));
		return -1;
	}
	fprintf(f, "{\n  \"what\": \"from the host through QEMU virtio-serial ports of one virtio-serial-pci device, unix socket chardevs\",\n");
	fprintf(f, "  \"ports\": {\"sbexec\": \"org.sbexec.0 (sbexec-bridge)\", \"qga\": \"org.qemu.guest_agent.0 (qemu-ga -m virtio-serial)\", \"raw\": \"org.sbexec.raw (head -c N /dev/zero > port)\"},\n");
	fprintf(f, "  \"qga_version\": ");
	json_str(f, hb_qga_version());
	fprintf(f, ",\n  \"repeat\": %u,\n  \"roundtrip\": {\n", o->repeat);
	for (int k = 0; k < RT_N; k++) {
		fprintf(f, "    \"%s\": {\"ok\": %s, ", rt_name[k],
			m[k].n && !m[k].reason[0] ? "true" : "false");
		if (m[k].n && !m[k].reason[0])
			fprintf(f, "\"runs\": %zu, \"target\": %zu, \"p50_us\": %.1f, \"p99_us\": %.1f",
				m[k].n, m[k].target, m[k].p50, m[k].p99);
		else
			fprintf(f, "\"runs\": %zu", m[k].n);
		if (m[k].reason[0]) {
			fprintf(f, ", \"reason\": ");
			json_str(f, m[k].reason);
		}
		fprintf(f, "}%s\n", k + 1 < RT_N ? "," : "");
	}
	fprintf(f, "  },\n  \"throughput\": {\n");
	for (int k = 0, first = 1; k < TP_N; k++) {
		bool ok = t[k].n && !t[k].reason[0];

		if (!t[k].used)
			continue;
		fprintf(f, "%s    \"%s\": {\"ok\": %s, \"bytes\": %llu, \"runs\": %zu", first ? "" : ",\n",
			tp_name[k], ok ? "true" : "false", (unsigned long long)t[k].bytes, t[k].n);
		first = 0;
		if (ok)
			fprintf(f, ", \"seconds\": %.4f, \"best_seconds\": %.4f, \"mib_per_s\": %.2f",
				t[k].median, t[k].best, (double)t[k].bytes / MIB / t[k].median);
		fprintf(f, ", \"delivered_bytes\": [");
		for (size_t i = 0; i < t[k].n; i++)
			fprintf(f, "%s%llu", i ? ", " : "", (unsigned long long)t[k].got[i]);
		fprintf(f, "]");
		if (t[k].reason[0]) {
			fprintf(f, ", \"reason\": ");
			json_str(f, t[k].reason);
		}
		fprintf(f, "}");
	}
	fprintf(f, "\n  },\n  \"ratios\": {\n");
	for (int i = 0, first = 1; i < R_N; i++) {
		if (!ra[i].used)
			continue;
		fprintf(f, "%s    \"%s\": {", first ? "" : ",\n", ratio_key[i]);
		first = 0;
		if (ra[i].pooled > 0)
			fprintf(f, "\"value\": %.3f, ", ra[i].pooled);
		else
			fprintf(f, "\"value\": null, ");
		fprintf(f, "\"repeats\": [");
		for (unsigned int r = 0; r < o->repeat; r++) {
			if (ra[i].v[r] > 0)
				fprintf(f, "%s%.3f", r ? ", " : "", ra[i].v[r]);
			else
				fprintf(f, "%snull", r ? ", " : "");
		}
		fprintf(f, "]");
		if (ra[i].n)
			fprintf(f, ", \"median\": %.3f, \"min\": %.3f, \"max\": %.3f",
				ra[i].median, ra[i].min, ra[i].max);
		fprintf(f, "}");
	}
	fprintf(f, "\n  },\n  \"options\": {\"bytes\": %llu, \"qga_cap\": %llu, \"runs\": %zu, \"blocks\": %u, \"rt_box_s\": %.0f, \"tp_box_s\": %.0f, \"max_rounds\": %u},\n",
		(unsigned long long)o->bytes, (unsigned long long)o->qga_cap, o->runs, o->blocks,
		o->rt_box, o->tp_box, o->max_rounds);
	fprintf(f, "  \"total_s\": %.1f\n}\n", (double)(hb_now_ns() - t_start) / 1e9);
	if (fclose(f)) {
		fprintf(stderr, "sbexec-hostbench: %s: %s\n", o->json, strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- main ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sbexec-hostbench [options]\n"
		"Runs on the host (scripts/vm --host bench/sbexec-hostbench): needs\n"
		"SBEXEC_CONNECT=unix:PATH (the bridge's port), SBEXEC_QGA_SOCK and\n"
		"SBEXEC_RAW_SOCK (qemu-ga's and the raw port's unix sockets).\n"
		"  --repeat N      do everything N times (1..%d), each with 1/N of the\n"
		"                  time boxes; ratios as median and range over them (1)\n"
		"  --bytes N       throughput bytes (64 MiB)\n"
		"  --qga-cap N     qemu-ga's capture cap: its throughput size (16 MiB)\n"
		"  --runs N        round trips per method and repeat (200)\n"
		"  --blocks N      interleave the round trips in N blocks (10)\n"
		"  --rt-box S      seconds of round trips per method, all repeats (40)\n"
		"  --tp-box S      seconds of throughput rounds, all repeats (150);\n"
		"                  every repeat does at least one round\n"
		"  --rounds N      throughput rounds per repeat at most (1..%d, 5)\n"
		"  --timeout S     one transfer's limit (120)\n"
		"  --json FILE     write the JSON object there\n",
		MAX_REPEAT, MAX_ROUNDS);
}

static uint64_t parse_size(const char *s, bool *bad)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	if (*end == 'K' || *end == 'k')
		v <<= 10, end++;
	else if (*end == 'M' || *end == 'm')
		v <<= 20, end++;
	if (*end || !v)
		*bad = true;
	return v;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "repeat", required_argument, NULL, 'r' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "qga-cap", required_argument, NULL, 'c' },
		{ "runs", required_argument, NULL, 'n' },
		{ "blocks", required_argument, NULL, 'k' },
		{ "rt-box", required_argument, NULL, 'R' },
		{ "tp-box", required_argument, NULL, 'T' },
		{ "rounds", required_argument, NULL, 'o' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool bad = false;
	int c;

	*o = (struct opts){
		.repeat = 1, .blocks = 10, .max_rounds = 5, .runs = 200,
		.bytes = 64ull << 20, .qga_cap = 16ull << 20,
		.rt_box = 40, .tp_box = 150, .timeout = 120,
	};
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'r': o->repeat = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'b': o->bytes = parse_size(optarg, &bad); break;
		case 'c': o->qga_cap = parse_size(optarg, &bad); break;
		case 'n': o->runs = strtoul(optarg, NULL, 10); break;
		case 'k': o->blocks = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'R': o->rt_box = strtod(optarg, NULL); break;
		case 'T': o->tp_box = strtod(optarg, NULL); break;
		case 'o': o->max_rounds = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 't': o->timeout = strtod(optarg, NULL); break;
		case 'j': o->json = optarg; break;
		case 'h': usage(stdout); exit(0);
		default: return -1;
		}
	}
	if (bad || optind < argc || !o->repeat || o->repeat > MAX_REPEAT || !o->blocks ||
	    !o->runs || !o->max_rounds || o->max_rounds > MAX_ROUNDS || !(o->rt_box > 0) ||
	    !(o->tp_box > 0) || !(o->timeout > 0))
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct rt m[RT_N] = {
		[RT_SBX] = { .once = hb_sbx_true_once },
		[RT_QGA] = { .once = hb_qga_true_once },
	};
	struct tp t[TP_N] = { 0 };
	struct ratio ra[R_N] = { 0 };
	struct opts o;
	bool all_ok = true;
	char why[HB_REASON_LEN];

	t_start = hb_now_ns();
	if (parse_opts(argc, argv, &o)) {
		usage(stderr);
		return 2;
	}
	o.bridge = getenv("SBEXEC_CONNECT");
	o.qga = getenv("SBEXEC_QGA_SOCK");
	o.raw = getenv("SBEXEC_RAW_SOCK");

	/* the links */
	if (!o.bridge || !*o.bridge) {
		hb_reason(m[RT_SBX].reason, "SBEXEC_CONNECT not set (run through scripts/vm --host)");
	} else {
		m[RT_SBX].available = !hb_sbx_open(o.bridge, why);
		if (!m[RT_SBX].available)
			hb_reason(m[RT_SBX].reason, "%s", why);
	}
	if (!o.qga || !*o.qga) {
		hb_reason(m[RT_QGA].reason, "SBEXEC_QGA_SOCK not set (scripts/vm --host gives it)");
	} else if (!hb_qga_open(o.qga, 60, why)) {
		m[RT_QGA].available = true;
		hb_progress("qemu-ga %s answers on %s", hb_qga_version(), o.qga);
	} else {
		hb_reason(m[RT_QGA].reason, "%s", why);
	}
	t[TP_RAW].available = t[TP_RAW_CAP].available = true;
	if (!o.raw || !*o.raw) {
		hb_reason(t[TP_RAW].reason, "SBEXEC_RAW_SOCK not set (scripts/vm --host gives it)");
	} else if (hb_raw_open(o.raw, why)) {
		hb_reason(t[TP_RAW].reason, "%s", why);
	}
	strcpy(t[TP_RAW_CAP].reason, t[TP_RAW].reason);
	t[TP_SBX].available = t[TP_SBX_CAP].available = m[RT_SBX].available;
	strcpy(t[TP_SBX].reason, m[RT_SBX].reason);
	strcpy(t[TP_SBX_CAP].reason, m[RT_SBX].reason);
	t[TP_QGA_CAP].available = m[RT_QGA].available;
	strcpy(t[TP_QGA_CAP].reason, m[RT_QGA].reason);

	/* below qemu-ga's cap, everything at the same size: no cap rows */
	t[TP_RAW].used = t[TP_SBX].used = t[TP_QGA_CAP].used = true;
	t[TP_RAW].bytes = t[TP_SBX].bytes = o.bytes;
	if (o.bytes > o.qga_cap) {
		t[TP_RAW_CAP].used = t[TP_SBX_CAP].used = true;
		t[TP_RAW_CAP].bytes = t[TP_SBX_CAP].bytes = t[TP_QGA_CAP].bytes = o.qga_cap;
	} else {
		t[TP_QGA_CAP].bytes = o.bytes;
	}
	ra[R_RT_P50].used = ra[R_RT_P99].used = ra[R_TP].used = ra[R_TP_QGA_CAP].used = true;
	ra[R_TP_CAP].used = t[TP_SBX_CAP].used;

	hb_progress("%u repeat(s): round trips (up to %zu runs per method, %.0f s each), "
		    "throughput %llu bytes (qemu-ga: %llu), up to %u rounds",
		    o.repeat, o.runs, o.rt_box / o.repeat, (unsigned long long)o.bytes,
		    (unsigned long long)t[TP_QGA_CAP].bytes, o.max_rounds);
	for (unsigned int r = 0; r < o.repeat; r++) {
		struct rt_rep rr;
		struct tp_rep tr;
		int base;

		hb_progress("repeat %u of %u: round trips", r + 1, o.repeat);
		rt_repeat(m, &o, &rr);
		if (rr.ok && rr.p50[RT_QGA] > 0) {
			ra[R_RT_P50].v[r] = rr.p50[RT_SBX] / rr.p50[RT_QGA];
			ra[R_RT_P99].v[r] = rr.p99[RT_SBX] / rr.p99[RT_QGA];
		}
		hb_progress("repeat %u of %u: throughput", r + 1, o.repeat);
		tp_repeat(t, &o, &tr);
		base = t[TP_RAW_CAP].used ? TP_RAW_CAP : TP_RAW;
		if (tr.ok[TP_RAW] && tr.ok[TP_SBX])
			ra[R_TP].v[r] = tr.median[TP_SBX] / tr.median[TP_RAW];
		if (tr.ok[TP_RAW_CAP] && tr.ok[TP_SBX_CAP])
			ra[R_TP_CAP].v[r] = tr.median[TP_SBX_CAP] / tr.median[TP_RAW_CAP];
		if (tr.ok[base] && tr.ok[TP_QGA_CAP])
			ra[R_TP_QGA_CAP].v[r] = tr.median[TP_QGA_CAP] / tr.median[base];
	}

	/* pooled rows and their ratios */
	for (int k = 0; k < RT_N; k++) {
		if (m[k].n && !m[k].reason[0]) {
			qsort(m[k].ns, m[k].n, sizeof(*m[k].ns), cmp_u64);
			m[k].p50 = pct(m[k].ns, m[k].n, 50);
			m[k].p99 = pct(m[k].ns, m[k].n, 99);
			if (m[k].n < m[k].target)
				snprintf(m[k].note, sizeof(m[k].note), "%zu of %zu runs: time box of %.0f s",
					 m[k].n, m[k].target, o.rt_box);
		} else {
			all_ok = false;
		}
	}
	if (m[RT_SBX].p50 > 0 && m[RT_QGA].p50 > 0) {
		ra[R_RT_P50].pooled = m[RT_SBX].p50 / m[RT_QGA].p50;
		ra[R_RT_P99].pooled = m[RT_SBX].p99 / m[RT_QGA].p99;
	}
	for (int k = 0; k < TP_N; k++) {
		if (!t[k].used)
			continue;
		if (t[k].n && !t[k].reason[0]) {
			t[k].median = median_d(t[k].secs, t[k].n);
			t[k].best = t[k].secs[0];
		} else {
			all_ok = false;
		}
	}
	for (int k = 0; k < TP_N; k++) {
		int base = k == TP_QGA_CAP && !t[TP_RAW_CAP].used ? TP_RAW : tp_base[k];
		int i = k == TP_SBX ? R_TP : k == TP_SBX_CAP ? R_TP_CAP : k == TP_QGA_CAP ?
			R_TP_QGA_CAP : -1;

		if (i >= 0 && t[k].used && t[k].median > 0 && t[base].median > 0)
			ra[i].pooled = t[k].median / t[base].median;
	}
	for (int i = 0; i < R_N; i++)
		ratio_finish(&ra[i], o.repeat);

	report_table(m, t, ra, &o);
	if (o.json && report_json(m, t, ra, &o))
		all_ok = false;

	hb_sbx_close();
	hb_qga_close();
	hb_raw_close();
	for (int k = 0; k < RT_N; k++)
		free(m[k].ns);
	for (int k = 0; k < TP_N; k++) {
		free(t[k].secs);
		free(t[k].got);
	}
	return all_ok ? 0 : 1;
}
