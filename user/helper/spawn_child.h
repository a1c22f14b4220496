/* SPDX-License-Identifier: GPL-2.0 */
/*
 * spawn_child.h - what the forked child gets, and what it reports back.
 * Internal to spawn.c and spawn_child.c.
 */
#ifndef SBEXEC_HELPER_SPAWN_CHILD_H
#define SBEXEC_HELPER_SPAWN_CHILD_H

#include <stdbool.h>
#include <stdint.h>

#include "request.h"
#include "user.h"

/* Everything the child needs, prepared before fork (no allocation after). */
struct spawn_plan {
	const struct spawn_request *req;
	char **envp;
	char **cands;			/* exec candidates, NULL-ended */
	const struct resolved_user *user;	/* NULL: no user switch */
	int stdio[3];			/* fds to become the child's 0, 1, 2 */
	int ctty;			/* tty mode: the slave, else -1 */
	int err_fd;			/* write end of the error pipe */
	int gate_fd;			/* read end of the gate pipe, or -1 */
	int gate_peer;			/* its write end (the child closes it) */
};

/* The child step that failed. */
enum spawn_step {
	STEP_SIGNALS = 1,
	STEP_SETSID,
	STEP_CTTY,
	STEP_DUP2,
	STEP_CHDIR,
	STEP_SETRLIMIT,
	STEP_NO_NEW_PRIVS,
	STEP_AMBIENT,
	STEP_CAPGET,
	STEP_CAPSET,
	STEP_CAPBSET,
	STEP_SETGROUPS,
	STEP_SETGID,
	STEP_SETUID,
	STEP_EXEC,
};

/* Written once to the error pipe by a failing child. */
struct spawn_report {
	int32_t step;		/* enum spawn_step */
	int32_t err;		/* errno */
	int32_t index;		/* STEP_SETRLIMIT: index into req->rlimits */
	int32_t pad;
};

/* Runs in the forked child; never returns (exec or _exit(127)). */
void spawn_child(const struct spawn_plan *plan) __attribute__((noreturn));

#endif /* SBEXEC_HELPER_SPAWN_CHILD_H */
