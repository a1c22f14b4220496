// SPDX-License-Identifier: GPL-2.0
/*
 * rlimit.c - map sbexec rlimit names to RLIMIT_* resources.
 */
#include <string.h>
#include <sys/resource.h>

#include <linux/sbexec.h>

#include "rlimit.h"

static const char *const rlimit_names[RLIM_NLIMITS] = { SBEXEC_RLIMIT_NAMES };

int rlimit_resource_by_name(const char *name)
{
	int i;

	for (i = 0; i < RLIM_NLIMITS; i++)
		if (rlimit_names[i] && strcmp(rlimit_names[i], name) == 0)
			return i;
	return -1;
}
