// SPDX-License-Identifier: GPL-2.0
/*
 * rlimit.c - map sbexec rlimit names to RLIMIT_* resources.
 */
#include <string.h>
#include <sys/resource.h>

#include "rlimit.h"

static const struct {
	const char *name;
	int resource;
} rlimit_names[] = {
	{ "cpu", RLIMIT_CPU },
	{ "fsize", RLIMIT_FSIZE },
	{ "data", RLIMIT_DATA },
	{ "stack", RLIMIT_STACK },
	{ "core", RLIMIT_CORE },
	{ "rss", RLIMIT_RSS },
	{ "nproc", RLIMIT_NPROC },
	{ "nofile", RLIMIT_NOFILE },
	{ "memlock", RLIMIT_MEMLOCK },
	{ "as", RLIMIT_AS },
	{ "locks", RLIMIT_LOCKS },
	{ "sigpending", RLIMIT_SIGPENDING },
	{ "msgqueue", RLIMIT_MSGQUEUE },
	{ "nice", RLIMIT_NICE },
	{ "rtprio", RLIMIT_RTPRIO },
	{ "rttime", RLIMIT_RTTIME },
};

int rlimit_resource_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(rlimit_names) / sizeof(rlimit_names[0]); i++)
		if (strcmp(rlimit_names[i].name, name) == 0)
			return rlimit_names[i].resource;
	return -1;
}
