// SPDX-License-Identifier: GPL-2.0
/*
 * failure.c - classification and wording of spawn failures.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "failure.h"

uint32_t classify_spawn_errno(int err)
{
	switch (err) {
	case ENOENT:
		return SBEXEC_FAIL_NOT_FOUND;
	case ENOTDIR:
		return SBEXEC_FAIL_BAD_CWD;
	case EACCES:
	case EPERM:
		return SBEXEC_FAIL_PERMISSION_DENIED;
	case ENOEXEC:
	case EISDIR:
	case ETXTBSY:
		return SBEXEC_FAIL_NOT_EXECUTABLE;
	case E2BIG:
	case ELOOP:
	case ENAMETOOLONG:
	case EFAULT:
		return SBEXEC_FAIL_BAD_ARGS;
	case EMFILE:
	case ENFILE:
	case EAGAIN:
		return SBEXEC_FAIL_RESOURCE_LIMIT;
	case ENOMEM:
		return SBEXEC_FAIL_OUT_OF_MEMORY;
	default:
		return SBEXEC_FAIL_OTHER;
	}
}

uint32_t classify_failure(uint32_t stage, int err)
{
	switch (stage) {
	case SBEXEC_STAGE_CWD:
		return SBEXEC_FAIL_BAD_CWD;
	case SBEXEC_STAGE_USER:
		return SBEXEC_FAIL_USER_SETUP;
	case SBEXEC_STAGE_PTY:
		return SBEXEC_FAIL_PTY_SETUP;
	default:
		return classify_spawn_errno(err);
	}
}

const char *errno_name(int err)
{
	/*
	 * The reference's list: only these errnos are named (0, ESRCH, EINTR
	 * and the rest get NULL, so no SBEXEC_FAILURE_A_ERRNO_NAME is sent).
	 * The names are glibc's.
	 */
	static const int named[] = {
		E2BIG, EACCES, EAGAIN, EBUSY, EFAULT, EINVAL, EIO, EISDIR,
		ELOOP, EMFILE, ENAMETOOLONG, ENFILE, ENOENT, ENOEXEC, ENOMEM,
		ENOSYS, ENOTDIR, ENXIO, EPERM, ETXTBSY,
	};
	size_t i;

	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (named[i] == err)
			return strerrorname_np(err);
	return NULL;
}

void failure_set(struct spawn_failure *f, uint32_t stage, int err,
		 const char *fmt, ...)
{
	va_list ap;

	f->stage = stage;
	f->err = err;
	f->kind = classify_failure(stage, err);
	va_start(ap, fmt);
	vsnprintf(f->message, sizeof(f->message), fmt, ap);
	va_end(ap);
}

/* Escape one byte of quote_str() into @out (up to 4 bytes); returns n. */
static size_t quote_byte(unsigned char c, char *out)
{
	static const char hex[] = "0123456789abcdef";

	if (c == '"' || c == '\\') {
		out[0] = '\\';
		out[1] = (char)c;
		return 2;
	}
	if (c < 0x20 || c == 0x7f) {
		out[0] = '\\';
		out[1] = 'x';
		out[2] = hex[c >> 4];
		out[3] = hex[c & 15];
		return 4;
	}
	out[0] = (char)c;
	return 1;
}

void quote_str(char *buf, size_t size, const char *s)
{
	size_t o = 0, total = 2, n;
	const char *p;
	char tmp[4];

	if (size < 6) {
		if (size)
			buf[0] = '\0';
		return;
	}
	for (p = s; *p; p++)
		total += quote_byte((unsigned char)*p, tmp);
	buf[o++] = '"';
	for (p = s; *p; p++) {
		n = quote_byte((unsigned char)*p, tmp);
		/* Too long: stop where "...", '"' and the NUL still fit. */
		if (total >= size && o + n + 5 > size) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(buf + o, tmp, n);
		o += n;
	}
	buf[o++] = '"';
	buf[o] = '\0';
}
