/* SPDX-License-Identifier: GPL-2.0 */
/*
 * failure.h - typed spawn failures, as the reference agent reports them.
 *
 * A spawn failure carries a kind (enum sbexec_fail_kind), the errno that
 * caused it (0 when none applies), the stage it happened in (enum
 * sbexec_fail_stage) and a message a person can act on. The kind follows
 * from the stage: CWD is always BAD_CWD, USER always USER_SETUP, PTY always
 * PTY_SETUP; every other stage (fork, rlimit, privileges, exec, upcall)
 * classifies the errno with classify_spawn_errno().
 */
#ifndef SBEXEC_HELPER_FAILURE_H
#define SBEXEC_HELPER_FAILURE_H

#include <stddef.h>
#include <stdint.h>
#include <linux/sbexec.h>

struct spawn_failure {
	uint32_t kind;		/* enum sbexec_fail_kind */
	uint32_t stage;		/* enum sbexec_fail_stage */
	int err;		/* positive errno, 0 when none applies */
	char message[SBEXEC_MAX_MESSAGE_LEN + 1];
};

/* Reference classify_spawn_errno(): errno -> enum sbexec_fail_kind. */
uint32_t classify_spawn_errno(int err);
/* Kind for a failure at @stage with @err (see the comment above). */
uint32_t classify_failure(uint32_t stage, int err);
/*
 * Reference errno_name(): the symbolic name (glibc's strerrorname_np()) of
 * an errno in its list, or NULL for any other.
 */
const char *errno_name(int err);

/*
 * Fill @f: stage, errno, kind by classify_failure(), and the message from
 * the printf-style format (truncated to SBEXEC_MAX_MESSAGE_LEN bytes).
 */
void failure_set(struct spawn_failure *f, uint32_t stage, int err,
		 const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Write @s into @buf (size @size, always NUL-terminated) as a double-quoted
 * string: '"' and '\\' are escaped, control bytes become \xNN, and a
 * string that does not fit ends in "...". Names commands and paths in
 * messages (@size must be at least 6, else @buf is left empty).
 */
void quote_str(char *buf, size_t size, const char *s);

#endif /* SBEXEC_HELPER_FAILURE_H */
