// SPDX-License-Identifier: GPL-2.0
/*
 * request.c - decode and re-validate an SBEXEC_UP_SPAWN request.
 *
 * The module has validated the request already; this parser checks every
 * bound again anyway, so a bug on either side ends in a clean failure
 * reply, never in an out-of-bounds access. Unknown attributes are skipped
 * (forward compatibility); unknown SBEXEC_A_FLAGS bits are refused.
 * A malformed request fails at stage UPCALL ("bad spawn request: ..."),
 * an unusable rlimit at stage RLIMIT ("setrlimit NAME: ...").
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attr.h"
#include "request.h"
#include "rlimit.h"

/* Fill @f for a malformed request (stage UPCALL); returns -@err. */
static int reject(struct spawn_failure *f, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int reject(struct spawn_failure *f, int err, const char *fmt, ...)
{
	char why[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	failure_set(f, SBEXEC_STAGE_UPCALL, err, "bad spawn request: %s", why);
	return -err;
}

static int parse_rlimit(struct spawn_rlimit *rl, const struct nlattr *nest,
			struct spawn_failure *f)
{
	bool have_soft = false, have_hard = false;
	const struct nlattr *a;
	struct attr_iter it;
	char q[64];
	int rc;

	memset(rl, 0, sizeof(*rl));
	attr_iter_nested(&it, nest);
	while ((rc = attr_next(&it, &a)) > 0) {
		switch (attr_type(a)) {
		case SBEXEC_RLIMIT_A_NAME:
			if (attr_get_str(a, SBEXEC_MAX_RLIMIT_NAME, &rl->name))
				return reject(f, EINVAL, "bad rlimit name");
			break;
		case SBEXEC_RLIMIT_A_SOFT:
			if (attr_get_u64(a, &rl->soft))
				return reject(f, EINVAL, "bad rlimit soft limit");
			have_soft = true;
			break;
		case SBEXEC_RLIMIT_A_HARD:
			if (attr_get_u64(a, &rl->hard))
				return reject(f, EINVAL, "bad rlimit hard limit");
			have_hard = true;
			break;
		default:	/* SBEXEC_RLIMIT_A_PAD and future attributes */
			break;
		}
	}
	if (rc < 0)
		return reject(f, EINVAL, "malformed rlimit nest");
	if (!rl->name || !have_soft || !have_hard)
		return reject(f, EINVAL, "rlimit needs name, soft and hard");
	rl->resource = rlimit_resource_by_name(rl->name);
	if (rl->resource < 0) {
		quote_str(q, sizeof(q), rl->name);
		failure_set(f, SBEXEC_STAGE_RLIMIT, EINVAL,
			    "setrlimit %s: unknown resource name", q);
		return -EINVAL;
	}
	if (rl->soft > rl->hard) {
		failure_set(f, SBEXEC_STAGE_RLIMIT, EINVAL,
			    "setrlimit %s: soft limit above hard limit",
			    rl->name);
		return -EINVAL;
	}
	return 0;
}

static int get_single_str(const struct nlattr *a, size_t max,
			  const char **dst, const char *what,
			  struct spawn_failure *f)
{
	int rc;

	if (*dst)
		return reject(f, EINVAL, "duplicate %s", what);
	rc = attr_get_str(a, max, dst);
	if (rc == -E2BIG)
		return reject(f, E2BIG, "%s too long", what);
	if (rc || !**dst)
		return reject(f, EINVAL, "bad %s", what);
	return 0;
}

static int get_list_str(const struct nlattr *a, size_t *count, size_t max,
			const char *what, struct spawn_failure *f)
{
	const char *s;
	int rc;

	rc = attr_get_str(a, SBEXEC_MAX_ARG_LEN, &s);
	if (rc == -E2BIG)
		return reject(f, E2BIG, "%s too long", what);
	if (rc)
		return reject(f, EINVAL, "bad %s", what);
	if (++*count > max)
		return reject(f, E2BIG, "too many %ss", what);
	return 0;
}

/* First pass: everything but ARG/ENV storage; counts ARG and ENV. */
static int parse_pass1(struct spawn_request *req, const void *data,
		       size_t len, struct spawn_failure *f)
{
	const struct nlattr *a;
	struct attr_iter it;
	uint32_t flags;
	int rc;

	attr_iter_init(&it, data, len);
	while ((rc = attr_next(&it, &a)) > 0) {
		rc = 0;
		switch (attr_type(a)) {
		case SBEXEC_A_CMD:
			rc = get_single_str(a, SBEXEC_MAX_PATH_LEN, &req->cmd,
					    "command", f);
			break;
		case SBEXEC_A_CWD:
			rc = get_single_str(a, SBEXEC_MAX_PATH_LEN, &req->cwd,
					    "cwd", f);
			break;
		case SBEXEC_A_USER:
			rc = get_single_str(a, SBEXEC_MAX_USER_LEN, &req->user,
					    "user", f);
			break;
		case SBEXEC_A_ARG:
			/* argc counts argv[0] too */
			rc = get_list_str(a, &req->argc, SBEXEC_MAX_ARGS + 1,
					  "argument", f);
			break;
		case SBEXEC_A_ENV:
			rc = get_list_str(a, &req->envc, SBEXEC_MAX_ENV,
					  "env entry", f);
			if (!rc) {
				const char *s = attr_data(a);

				if (s[0] == '=' || !strchr(s, '='))
					rc = reject(f, EINVAL,
						    "env entry is not KEY=VALUE");
			}
			break;
		case SBEXEC_A_TTY:
			if (attr_get_flag(a))
				return reject(f, EINVAL, "bad tty flag");
			req->tty = true;
			break;
		case SBEXEC_A_ROWS:
			if (attr_get_u16(a, &req->rows))
				return reject(f, EINVAL, "bad rows");
			break;
		case SBEXEC_A_COLS:
			if (attr_get_u16(a, &req->cols))
				return reject(f, EINVAL, "bad cols");
			break;
		case SBEXEC_A_RLIMIT:
			if (req->nr_rlimits == SBEXEC_MAX_RLIMITS)
				return reject(f, E2BIG, "too many rlimits");
			rc = parse_rlimit(&req->rlimits[req->nr_rlimits++], a,
					  f);
			break;
		case SBEXEC_A_FLAGS:
			if (attr_get_u32(a, &flags))
				return reject(f, EINVAL, "bad flags");
			if (flags & ~(uint32_t)SBEXEC_EXEC_F_ALL)
				return reject(f, EINVAL, "unknown flags 0x%x",
					      flags);
			req->direct_output =
				flags & SBEXEC_EXEC_F_DIRECT_OUTPUT;
			break;
		default:	/* SBEXEC_A_PAD and attributes of no concern */
			break;
		}
		if (rc)
			return rc;
	}
	if (rc < 0)
		return reject(f, EINVAL, "malformed attributes");
	if (!req->cmd)
		return reject(f, EINVAL, "no command");
	if (req->tty && req->direct_output)
		return reject(f, EINVAL, "direct output needs pipe mode");
	return 0;
}

/* Second pass: collect ARG and ENV pointers (already validated). */
static void parse_pass2(struct spawn_request *req, const void *data,
			size_t len)
{
	const struct nlattr *a;
	struct attr_iter it;
	size_t na = 1, ne = 0;

	req->argv[0] = req->cmd;
	attr_iter_init(&it, data, len);
	while (attr_next(&it, &a) > 0) {
		if (attr_type(a) == SBEXEC_A_ARG)
			req->argv[na++] = attr_data(a);
		else if (attr_type(a) == SBEXEC_A_ENV)
			req->env[ne++] = attr_data(a);
	}
	req->argv[na] = NULL;
	req->env[ne] = NULL;
}

int spawn_request_parse(struct spawn_request *req, const void *data,
			size_t len, struct spawn_failure *f)
{
	int rc;

	memset(req, 0, sizeof(*req));
	req->argc = 1;		/* argv[0] is the command */
	rc = parse_pass1(req, data, len, f);
	if (rc)
		goto fail;
	req->argv = calloc(req->argc + 1, sizeof(*req->argv));
	req->env = calloc(req->envc + 1, sizeof(*req->env));
	if (!req->argv || !req->env) {
		spawn_request_free(req);
		rc = reject(f, ENOMEM, "out of memory");
		goto fail;
	}
	parse_pass2(req, data, len);
	if (!req->rows)
		req->rows = SPAWN_DEFAULT_ROWS;
	if (!req->cols)
		req->cols = SPAWN_DEFAULT_COLS;
	return 0;
fail:
	memset(req, 0, sizeof(*req));
	return rc;
}

void spawn_request_free(struct spawn_request *req)
{
	free(req->argv);
	free(req->env);
	req->argv = NULL;
	req->env = NULL;
}
