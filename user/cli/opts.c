// SPDX-License-Identifier: GPL-2.0
/*
 * opts.c - parsing of option values: numbers, rlimits, signals.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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

/* The names the module knows (include/uapi/linux/sbexec.h). */
static const char *const rlimit_names[RLIM_NLIMITS] = { SBEXEC_RLIMIT_NAMES };

/* "cpu fsize ...": the known names, for messages. */
const char *rlimit_known_names(void)
{
	static char list[RLIM_NLIMITS * (SBEXEC_MAX_RLIMIT_NAME + 1)];
	size_t i, off = 0;

	if (list[0])
		return list;
	for (i = 0; i < RLIM_NLIMITS; i++)
		if (rlimit_names[i])
			off += (size_t)snprintf(list + off, sizeof(list) - off,
						"%s%s", off ? " " : "",
						rlimit_names[i]);
	return list;
}

static bool rlimit_name_known(const char *name)
{
	size_t i;

	for (i = 0; i < RLIM_NLIMITS; i++)
		if (rlimit_names[i] && !strcmp(name, rlimit_names[i]))
			return true;
	return false;
}

/*
 * "NAME=SOFT[:HARD]" with numbers or "unlimited"; SOFT alone means
 * SOFT:SOFT. @name receives a malloc()ed copy of NAME, which the caller
 * frees. On a refusal @why (of @why_len bytes) says what is wrong, naming
 * the part at fault: an unknown name, a value that is not a number, a
 * soft limit above the hard one.
 */
int parse_rlimit(const char *arg, char **name, uint64_t *soft,
		 uint64_t *hard, char *why, size_t why_len)
{
	char *copy, *eq, *colon;
	const char *bad;
	int err;

	copy = strdup(arg);
	if (!copy)
		return -ENOMEM;
	eq = strchr(copy, '=');
	if (!eq || eq == copy) {
		snprintf(why, why_len, "expected NAME=SOFT[:HARD]");
		free(copy);
		return -EINVAL;
	}
	*eq = '\0';
	if (!rlimit_name_known(copy)) {
		snprintf(why, why_len, "unknown rlimit name '%s' (known: %s)",
			 copy, rlimit_known_names());
		free(copy);
		return -EINVAL;
	}
	colon = strchr(eq + 1, ':');
	if (colon)
		*colon = '\0';
	bad = eq + 1;
	err = parse_limit(bad, soft);
	if (!err && colon) {
		bad = colon + 1;
		err = parse_limit(bad, hard);
	}
	if (!err && !colon)
		*hard = *soft;
	if (err) {
		if (err == -ERANGE)
			snprintf(why, why_len, "value '%s' for %s is too large (at most 18446744073709551615)",
				 bad, copy);
		else
			snprintf(why, why_len, "bad value '%s' for %s: expected a number or \"unlimited\"",
				 bad, copy);
		free(copy);
		return err;
	}
	if (*soft > *hard) {
		snprintf(why, why_len, "soft limit %s is above hard limit %s for %s",
			 eq + 1, colon + 1, copy);
		free(copy);
		return -EINVAL;
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
