/* SPDX-License-Identifier: GPL-2.0 */
/*
 * upcall.h - one SBEXEC_UP_SPAWN request in, one SBEXEC_UP_SPAWNED out.
 *
 * Reply attributes (all u32 unless noted), after a struct
 * sbexec_upcall_hdr {len, SBEXEC_UP_SPAWNED, 0, id}:
 *  success, pipe mode: SBEXEC_UA_PID, SBEXEC_UA_STDIN_FD,
 *	SBEXEC_UA_STDOUT_FD, SBEXEC_UA_STDERR_FD;
 *  success, tty mode: SBEXEC_UA_PID, SBEXEC_UA_PTY_FD;
 *  failure: SBEXEC_UA_FAILURE (NLA_F_NESTED) with SBEXEC_FAILURE_A_KIND,
 *	SBEXEC_FAILURE_A_ERRNO, SBEXEC_FAILURE_A_ERRNO_NAME (string, only
 *	when known), SBEXEC_FAILURE_A_MESSAGE (string), SBEXEC_FAILURE_A_STAGE.
 * Before that, while the child waits at its gate: {len, SBEXEC_UP_FORKED,
 * 0, id} with SBEXEC_UA_PID.
 */
#ifndef SBEXEC_HELPER_UPCALL_H
#define SBEXEC_HELPER_UPCALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/sbexec.h>

#include "failure.h"
#include "spawn.h"

struct upcall_outcome {
	uint64_t id;
	bool spawned;			/* res holds a live child and fds */
	struct spawn_result res;
	struct spawn_failure failure;	/* when !spawned */
	size_t reply_len;
	unsigned char reply[SBEXEC_UPCALL_MAX_REPLY];
};

/* Encode a success reply for @res; -EMSGSIZE if @cap is too small. */
int upcall_encode_spawned(void *buf, size_t cap, uint64_t id,
			  const struct spawn_result *res, size_t *len);
/* Encode a failure reply for @f; -EMSGSIZE if @cap is too small. */
int upcall_encode_failure(void *buf, size_t cap, uint64_t id,
			  const struct spawn_failure *f, size_t *len);

/* Encode an SBEXEC_UP_FORKED message for @pid; -EMSGSIZE if @cap is small. */
int upcall_encode_forked(void *buf, size_t cap, uint64_t id, pid_t pid,
			 size_t *len);

/*
 * Handle one message read from the device (@msg, @n bytes): check the
 * header, parse the request, spawn, and encode the reply into @out.
 * With @devfd >= 0 the child's pid is written there as SBEXEC_UP_FORKED
 * while the child waits at its gate (see spawn_session_hooked()).
 * Returns 0 when @out holds a reply to write (success or failure), -1
 * when the message is too short to carry an id (nothing can be answered).
 * When out->spawned, the caller owns out->res (fds and the child).
 */
int upcall_handle(const void *msg, size_t n, const char *default_user,
		  int devfd, struct upcall_outcome *out);

/*
 * upcall_handle() in two halves, for a helper that serves several requests
 * at once: upcall_start() parses the request and starts its child (through
 * the gate). Returns -1 as upcall_handle() does; 0 with *@inflight NULL
 * when @out holds a (failure) reply already; 0 with *@inflight set when the
 * child runs towards its execve(). Then, once upcall_inflight_fd() polls
 * readable (or at any time: it then blocks), upcall_finish() frees
 * @inflight and encodes @out's reply as upcall_handle() would (0, or -1
 * when no reply could be encoded: nothing is left running then).
 * Until upcall_finish(), the child upcall_inflight_pid() must not be
 * reaped: the module resolves its pid when the success reply arrives.
 */
struct upcall_inflight;

int upcall_start(const void *msg, size_t n, const char *default_user,
		 int devfd, struct upcall_outcome *out,
		 struct upcall_inflight **inflight);
int upcall_inflight_fd(const struct upcall_inflight *in);
pid_t upcall_inflight_pid(const struct upcall_inflight *in);
uint64_t upcall_inflight_id(const struct upcall_inflight *in);
int upcall_finish(struct upcall_inflight *in, struct upcall_outcome *out);

#endif /* SBEXEC_HELPER_UPCALL_H */
