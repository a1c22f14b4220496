// SPDX-License-Identifier: GPL-2.0
/*
 * log.c - log lines on stderr (the test bed and service managers add the
 * time themselves).
 */
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

void blog(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One fprintf per line so that lines never interleave. */
	fprintf(stderr, "sbexec-bridge: %s\n", line);
}
