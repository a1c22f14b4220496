/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sbexec-bench: side-by-side measurements of sbexec, the floor (posix_spawn
 * plus pipes in one process) and qemu-guest-agent, run inside the guest.
 *
 * Every figure comes from a measurement made in this run. A case that
 * cannot be measured carries a reason instead of a value ("n/a (...)").
 */
#ifndef SBEXEC_BENCH_H
#define SBEXEC_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#define BENCH_REASON_LEN 256
#define BENCH_MAX_REPEAT 9	/* --repeat */

/* ---- time, errors (util.c) ---- */

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t now_ns(void);
/* Seconds since clock_start(). */
double elapsed_s(void);
void clock_start(void);

/* Progress line on stderr, prefixed with the elapsed time. */
void progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* snprintf into a reason buffer (BENCH_REASON_LEN). */
void set_reason(char *reason, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- statistics (util.c) ---- */

struct latency {
	bool ok;
	char reason[BENCH_REASON_LEN];	/* why not ok */
	size_t n;			/* runs measured */
	size_t target;			/* runs wanted */
	double p50_us, p99_us, mean_us, min_us, max_us;
	double per_run_s;		/* calibration: seconds per run */
	char note[BENCH_REASON_LEN];	/* e.g. why n < target */
};

/* Fill @l's percentiles (nearest rank) from @ns[0..n). Sorts @ns. */
void latency_from_samples(struct latency *l, uint64_t *ns, size_t n);

/* ---- processes and pipes (util.c) ---- */

/* The environment every spawned command gets (as sbexec gives one). */
extern char *const bench_env[];

/*
 * A child with stdin, stdout and stderr on pipes (all O_CLOEXEC in the
 * parent). The parent's end of stdin is closed at once (EOF for the child).
 */
struct piped_child {
	pid_t pid;
	int out;	/* read end of stdout, -1 once at EOF */
	int err;	/* read end of stderr, -1 once at EOF */
};

/* posix_spawn @argv[0] (an absolute path). Return 0 or -errno. */
int spawn_piped(char *const argv[], struct piped_child *c);

/*
 * Read both pipes to EOF (counting stdout bytes into *out_bytes if not
 * NULL), close them, and waitpid. @buf/@len: scratch buffer.
 * Return: the wait status, or -errno.
 */
int drain_and_wait(struct piped_child *c, void *buf, size_t len,
		   uint64_t *out_bytes);

/* Raise RLIMIT_NOFILE to @want (soft and hard). Return 0 or -errno. */
int raise_nofile(rlim_t want);

/* Wait until /proc/PID/comm is @comm for every pid; 0, or -ETIMEDOUT. */
int wait_comm(const pid_t *pids, size_t n, const char *comm, double timeout_s);

/* Read a whole small file into @buf (NUL-terminated). Return length or -errno. */
ssize_t read_small_file(const char *path, char *buf, size_t len);

/* ---- kernel memory snapshots (mem.c) ---- */

struct slab_entry {
	char name[48];
	long long bytes;	/* num_objs * objsize */
};

struct memsnap {
	long long free_kb;	/* zoneinfo: free + per-CPU list pages */
	long long memfree_kb, slab_kb, sreclaim_kb, sunreclaim_kb;
	long long vmalloc_kb, pagetables_kb, kernelstack_kb;
	struct slab_entry *slabs;	/* from /proc/slabinfo, may be NULL */
	size_t nslabs;
};

/* Drop caches, settle, and read /proc/meminfo (+ /proc/slabinfo). */
int memsnap_take(struct memsnap *m, char *reason);
void memsnap_free(struct memsnap *m);

#define MEM_TOP_SLABS 5

struct memcost {
	bool ok;
	char reason[BENCH_REASON_LEN];
	size_t sessions;
	uint32_t ring_size;		/* sbexec cases: ring bytes asked for */
	double total_kib;		/* free memory decrease per session */
	double residual_kib;		/* still not free after cleanup, per session */
	bool have_residual;
	double slab_kib, vmalloc_kib, pagetables_kib, kernelstack_kib;
	struct slab_entry top[MEM_TOP_SLABS];	/* largest slab growths (total) */
	size_t ntop;
	bool have_slabinfo;
};

/* Per-session deltas of @after against @before for @n sessions. */
void memcost_from(struct memcost *c, const struct memsnap *before,
		  const struct memsnap *after, size_t n);
/* What had not come back once the sessions were gone (noise, or a leak). */
void memcost_residual(struct memcost *c, const struct memsnap *before,
		      const struct memsnap *final);

/* Wait until none of @pids is alive (gone or a zombie); 0 or -ETIMEDOUT. */
int wait_gone(const pid_t *pids, size_t n, double timeout_s);

/* ---- throughput and burst results ---- */

#define XFER_MAX_REPS 9

struct xfer {
	bool ok;
	char reason[BENCH_REASON_LEN];
	uint64_t bytes_asked;
	uint64_t bytes;		/* stdout bytes delivered to the reader */
	double seconds;		/* the median repetition's */
	char note[BENCH_REASON_LEN];
	unsigned int reps;	/* repetitions measured (0: a single run) */
	double best_seconds;	/* the fastest repetition's */
	double rep_seconds[XFER_MAX_REPS];
};

struct burst {
	bool ok;
	char reason[BENCH_REASON_LEN];
	size_t sessions;
	unsigned int threads;
	double seconds;		/* first start to last exit seen */
	double start_seconds;	/* until the last one was started */
};

/* ---- floor cases (floor.c) ---- */

/* One /bin/true round trip: spawn, read both pipes to EOF, waitpid. */
int floor_true_once(uint64_t *ns, char *reason);
void floor_throughput(struct xfer *x, uint64_t bytes);
void floor_burst(struct burst *b, size_t n, unsigned int threads);
void floor_idle(struct memcost *c, size_t n);

/* ---- sbexec cases (sbx.c) ---- */

int sbx_init(char *reason);
void sbx_fini(void);
/* Module parameter (from /sys/module/sbexec/parameters), or -1. */
long long sbx_param(const char *name);
int sbx_true_once(uint64_t *ns, char *reason);
void sbx_throughput_read(struct xfer *x, uint64_t bytes);
void sbx_throughput_mmap(struct xfer *x, uint64_t bytes);
/* The same with EXEC flag SBEXEC_EXEC_F_DIRECT_OUTPUT (no pipes). */
void sbx_throughput_read_direct(struct xfer *x, uint64_t bytes);
void sbx_throughput_mmap_direct(struct xfer *x, uint64_t bytes);
void sbx_burst(struct burst *b, size_t n, unsigned int threads);
/* @ring_size 0: the module default (not sent). */
void sbx_idle(struct memcost *c, size_t n, uint32_t ring_size);

/*
 * Run @cmd @argv as a session and collect it: its stdout (NUL-terminated,
 * cut to @len) into @out, the members its exit record counts into
 * *@members. Return 0, or -errno with @reason (also for an exit status
 * other than 0 and for forks refused at the member limit).
 */
int sbx_run_output(const char *cmd, const char *const *argv, char *out, size_t len,
		   uint32_t *members, char *reason);

/* ---- fork cost of the membership probe (forks.c) ---- */

#define FORK_MAX_ROUNDS 9

enum fork_work { FORK_WORK_EXIT, FORK_WORK_EXEC, FORK_NWORK };
enum fork_case { FORK_FLOOR, FORK_OUTSIDE, FORK_INSIDE, FORK_NCASES };
extern const char *const fork_work_name[FORK_NWORK];	/* "exit", "exec" */
extern const char *const fork_case_name[FORK_NCASES];

struct forkcost {
	bool ok;
	char reason[BENCH_REASON_LEN];
	size_t forks;			/* timed forks per round */
	unsigned int rounds;		/* rounds measured */
	double us;			/* median fork of the median round */
	double best_us;			/* median fork of the fastest round */
	double mean_us;			/* loop time / forks, the median round's */
	double round_us[FORK_MAX_ROUNDS];	/* each round's median fork */
	double round_mean_us[FORK_MAX_ROUNDS];	/* each round's loop time / forks */
	double ratio;			/* median of round_ratio (0: none) */
	double round_ratio[FORK_MAX_ROUNDS];	/* round_us / the floor's that round */
	uint32_t members;		/* inside: the exit record's member count */
	char note[BENCH_REASON_LEN];
};

struct fork_plan {
	size_t n[FORK_NWORK];		/* timed forks per round */
	unsigned int rounds;
	const char *module_ctl;		/* bench/module-ctl, or NULL: no floor */
	bool have_sbx;			/* sbx_init() succeeded */
	double stop_at;			/* no round starts that would end after this (elapsed_s) */
};

/*
 * `sbexec-bench --fork-loop exit|exec N`: the timed loop; prints the median
 * iteration's and the whole loop's nanoseconds.
 */
int fork_loop_main(int argc, char **argv);

/*
 * Measure @f (the three cases of both workloads) as @p says. Closes the
 * sbx handle while the module is unloaded and opens it again after.
 * Return: whether the handle is open at the end (if not, @sbx_reason
 * says why).
 */
bool forks_run(struct forkcost f[FORK_NWORK][FORK_NCASES], const struct fork_plan *p,
	       char *sbx_reason);

/* ---- qemu-guest-agent (qga.c) ---- */

int qga_start(const char *qga_path, char *reason);
void qga_stop(void);
const char *qga_version(void);
int qga_true_once(uint64_t *ns, char *reason);
/*
 * Run `head -c @bytes /dev/zero` through guest-exec with captured output;
 * x->bytes is what guest-exec-status handed back, decoded.
 */
void qga_throughput(struct xfer *x, uint64_t bytes, double timeout_s);

/* ---- output (report.c) ---- */

struct results {
	/* environment */
	char kernel[128];
	long ncpus;
	long long mem_total_kb;
	char qga_version[64];
	long long p_ring_size, p_max_sessions, p_max_pending, p_max_ring_memory_kb;
	double total_s;

	/* exec round trip */
	struct latency rt_floor, rt_sbx, rt_qga;

	/* stdout throughput */
	struct xfer tp_floor, tp_read, tp_mmap, tp_qga;
	struct xfer tp_read_direct, tp_mmap_direct;	/* EXEC DIRECT_OUTPUT */
	struct xfer tp_qga_cap, tp_floor_cap;	/* at what qga can hold */

	/* sessions at once */
	struct burst burst_floor, burst_sbx;
	char burst_cmd[64];

	/* idle memory */
	struct memcost mem_floor, mem_sbx, mem_sbx_small;

	/* fork cost of the membership probe, [work][case] */
	struct forkcost fork[FORK_NWORK][FORK_NCASES];
};

/*
 * @rep[0..@nrep): the passes of --repeat (total_s is in rep[0]). With more
 * than one, each figure is the median over the passes where it was
 * measured, with its spread (min..max) and every pass's value.
 */
void report_table(const struct results *rep, unsigned int nrep);
void report_json(const struct results *rep, unsigned int nrep);

#endif /* SBEXEC_BENCH_H */
