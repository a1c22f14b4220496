/* SPDX-License-Identifier: GPL-2.0 */
/*
 * util.h - helpers shared by the sbexec selftests: running a session to
 * its end, driving the helper daemon, running the CLI as a child.
 *
 * These run inside a guest as root with sbexec.ko loaded and the helper
 * started as `sbexec-helper --daemon --pidfile /run/sbexec-helper.pid`.
 */
#ifndef SBEXEC_SELFTEST_UTIL_H
#define SBEXEC_SELFTEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sbexec.h"

#define HELPER_PIDFILE	"/run/sbexec-helper.pid"

/* Limits for collecting a session's output, in milliseconds. */
#define COLLECT_MS	20000

/* FNV-1a, 64 bit: a checksum of @len bytes. */
uint64_t fnv1a64(const void *buf, size_t len);

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t mono_ms(void);

/* Pid in the helper's pidfile, or -1. */
pid_t helper_pid(void);

/* True when @pid exists and is not a zombie. */
bool pid_alive(pid_t pid);
/* The state letter of @pid from /proc/PID/stat, or 0 when it is gone. */
char proc_state(pid_t pid);
/* The parent of @pid from /proc/PID/stat, or -1. */
pid_t proc_ppid(pid_t pid);

/*
 * Read at most @size - 1 bytes of @path (a /proc file) into @buf and end
 * them with a NUL; the count, or -1 when it cannot be read or is empty.
 */
ssize_t read_small_file(const char *path, char *buf, size_t size);

/* Remove every '\r' from @b (a pty turns "\n" into "\r\n"). */
void strip_cr(struct sbexec_buf *b);

/* Number of sessions LIST shows, or a negative errno. */
int count_sessions(struct sbexec *h);

/*
 * SIGTERM the helper named by the pidfile and wait up to @timeout_ms for
 * it to be gone. Returns 0, -ESRCH when no helper was running, -ETIMEDOUT.
 */
int helper_stop(int timeout_ms);

/*
 * Start `sbexec-helper --daemon --pidfile HELPER_PIDFILE` and wait for it
 * to exit (it does once registered). Returns its exit status or -errno.
 */
int helper_start(void);

/* Restart the helper unless one is running; returns 0 when one runs. */
int helper_ensure(void);

/* Path of the sbexec CLI to test (SBEXEC_CLI, project build, PATH). */
const char *cli_path(void);

/* What a child process did. */
struct proc_result {
	int status;		/* wait status */
	bool timed_out;		/* killed after the timeout */
	struct sbexec_buf out;	/* its stdout */
	struct sbexec_buf err;	/* its stderr */
};

/* How run_proc() drives a child. */
struct proc_opts {
	const void *in;		/* bytes for its stdin (may be NULL) */
	size_t in_len;
	bool hold_stdin;	/* keep stdin open (no EOF) until it exits */
	int timeout_ms;		/* SIGKILL its process group after this */
	const char *marker;	/* once its stdout contains this ... */
	int sig;		/* ... send it this signal */
	int sig_times;		/* that many times, 200 ms apart (0: once) */
};

/*
 * Run @argv (argv[0] looked up in PATH) as @o says, collecting its stdout
 * and stderr. Returns 0 or -errno (spawn problems).
 */
int run_proc(const char *const argv[], const struct proc_opts *o,
	     struct proc_result *r);

void proc_result_free(struct proc_result *r);

/*
 * Kernels with formatted extack messages (6.2+, NL_SET_ERR_MSG_FMT) get
 * the module's detailed text, older ones its fixed fallback (the module's
 * compat.h): the one of @formatted and @fixed this kernel should send.
 */
const char *extack_want(const char *formatted, const char *fixed);

/* The longest extack message that arrives whole (80 bytes with the NUL). */
#define EXTACK_MAX	79

/* Count '\n' in @b (a one-line message has exactly one, at its end). */
size_t count_lines(const struct sbexec_buf *b);

/*
 * sbexec-bridge's protocol step 0 (sbexec_bridge.h), for the tests that
 * speak raw frames: write the host's sync preamble to @fd; 0 or -1.
 */
int bridge_sync_out(int fd);

/*
 * Drop input from @fd up to the bridge's sync tag (which comes before its
 * HELLO), waiting at most @timeout_ms for each byte; 0 or -1.
 */
int bridge_hunt(int fd, int timeout_ms);

#endif /* SBEXEC_SELFTEST_UTIL_H */
