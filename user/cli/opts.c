// SPDX-License-Identifier: GPL-2.0
/*
 * opts.c - parsing of option values: numbers, rlimits, signals.
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

/* A decimal number without sign, spaces or junk; -EINVAL / -ERANGE. */
static int parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

int parse_u32(const char *s, uint32_t *out)
{
	uint64_t v;
	int err = parse_u64(s, &v);

	if (err)
		return err;
	if (v > UINT32_MAX)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

static int parse_limit(const char *s, uint64_t *out)
{
	if (!strcmp(s, "unlimited") || !strcmp(s, "infinity")) {
		*out = SBEXEC_RLIM_INFINITY;
		return 0;
	}
	return parse_u64(s, out);
}

/*
 * "NAME=SOFT[:HARD]" with numbers or "unlimited"; SOFT alone means
 * SOFT:SOFT. @name receives a malloc()ed copy of NAME, which the caller
 * frees. The name itself is judged by the kernel, not here.
 */
int parse_rlimit(const char *arg, char **name, uint64_t *soft,
		 uint64_t *hard)
{
	char *copy, *eq, *colon;
	int err;

	copy = strdup(arg);
	if (!copy)
		return -ENOMEM;
	eq = strchr(copy, '=');
	if (!eq || eq == copy) {
		free(copy);
		return -EINVAL;
	}
	*eq = '\0';
	colon = strchr(eq + 1, ':');
	if (colon)
		*colon = '\0';
	err = parse_limit(eq + 1, soft);
	if (!err)
		err = colon ? parse_limit(colon + 1, hard) : 0;
	if (!err && !colon)
		*hard = *soft;
	if (err) {
		free(copy);
		return err;
	}
	*name = copy;
	return 0;
}

/* "15", "TERM" or "SIGTERM" (any case); -EINVAL when unknown. */
int parse_signal(const char *s)
{
	uint32_t n;
	int sig;

	if (isdigit((unsigned char)*s))
		return parse_u32(s, &n) || n > 64 ? -EINVAL : (int)n;
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (sig = 1; sig < NSIG; sig++) {
		const char *abbrev = sigabbrev_np(sig);

		if (abbrev && !strcasecmp(abbrev, s))
			return sig;
	}
	return -EINVAL;
}
