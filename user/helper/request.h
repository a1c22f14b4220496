/* SPDX-License-Identifier: GPL-2.0 */
/*
 * request.h - a decoded SBEXEC_UP_SPAWN request.
 *
 * All strings point into the message buffer the request was parsed from;
 * that buffer must outlive the request. Only the argv and env pointer
 * arrays are allocated (spawn_request_free() releases them).
 */
#ifndef SBEXEC_HELPER_REQUEST_H
#define SBEXEC_HELPER_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/sbexec.h>

#include "failure.h"

#define SPAWN_DEFAULT_ROWS	24
#define SPAWN_DEFAULT_COLS	80

struct spawn_rlimit {
	const char *name;	/* validated sbexec name, e.g. "nofile" */
	int resource;		/* RLIMIT_* */
	uint64_t soft;		/* ~0 = unlimited */
	uint64_t hard;
};

struct spawn_request {
	const char *cmd;
	/* argv[0] = cmd, argv[1..argc-1] = SBEXEC_A_ARG in order, NULL-ended */
	const char **argv;
	size_t argc;
	/* SBEXEC_A_ENV entries in order ("K=V", K non-empty), NULL-ended */
	const char **env;
	size_t envc;
	const char *cwd;	/* NULL: not given */
	const char *user;	/* NULL: not given */
	bool tty;
	bool direct_output;	/* SBEXEC_EXEC_F_DIRECT_OUTPUT (pipe mode) */
	uint16_t rows;		/* SPAWN_DEFAULT_ROWS when absent or 0 */
	uint16_t cols;		/* SPAWN_DEFAULT_COLS when absent or 0 */
	struct spawn_rlimit rlimits[SBEXEC_MAX_RLIMITS];
	size_t nr_rlimits;
};

/*
 * Parse the attributes (@data, @len: everything after the upcall header)
 * of a spawn request into @req (which it resets first). Returns 0, or a
 * negative errno with @f filled: -EINVAL for malformed or inconsistent
 * attributes, -E2BIG for a limit exceeded, -ENOMEM. On failure nothing
 * needs to be freed.
 */
int spawn_request_parse(struct spawn_request *req, const void *data,
			size_t len, struct spawn_failure *f);
void spawn_request_free(struct spawn_request *req);

#endif /* SBEXEC_HELPER_REQUEST_H */
