/* SPDX-License-Identifier: GPL-2.0 */
/*
 * helper.h - the sbexec-helper daemon: device registration and main loop.
 */
#ifndef SBEXEC_HELPER_HELPER_H
#define SBEXEC_HELPER_HELPER_H

#include <stdbool.h>
#include <signal.h>

#define HELPER_DEFAULT_DEVICE	"/dev/sbexec"

/*
 * Spawns the helper runs at once (started, their child not executing yet;
 * each holds four or five fds), and requests it reads per wake-up.
 */
#define HELPER_MAX_INFLIGHT	64
#define HELPER_BATCH		8

struct helper_opts {
	const char *device;
	const char *pidfile;		/* NULL: none */
	const char *log;		/* NULL: stderr (/dev/null as daemon) */
	const char *default_user;	/* NULL: run as the helper's user */
	bool daemon;
	int verbose;
};

/*
 * Open @device and register as its helper. Returns the fd (O_CLOEXEC,
 * O_NONBLOCK) or
 * -1 after logging why (EBUSY: another helper; EPERM: no CAP_SYS_ADMIN).
 */
int helper_register(const char *device);

/*
 * Block SIGCHLD, SIGTERM, SIGINT and return a signalfd for them, or -1.
 * Also ignores SIGPIPE.
 */
int helper_signalfd(void);

/* Write "<pid>\n" to @path atomically (temp file + rename); 0 or -1. */
int helper_write_pidfile(const char *path);

/*
 * Serve spawn requests on @devfd until SIGTERM/SIGINT (exit code 0), the
 * module shutting the channel down (0), or a fatal error (1).
 */
int helper_run(int devfd, int sigfd, const struct helper_opts *o);

#endif /* SBEXEC_HELPER_HELPER_H */
