// SPDX-License-Identifier: GPL-2.0
/*
 * log.c - timestamped log lines.
 */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

void hlog(const char *fmt, ...)
{
	char line[1024], stamp[32] = "";
	struct timespec ts;
	struct tm tm;
	va_list ap;

	if (clock_gettime(CLOCK_REALTIME, &ts) == 0 &&
	    gmtime_r(&ts.tv_sec, &tm))
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One fprintf per line so lines from one process never interleave. */
	fprintf(stderr, "%s sbexec-helper[%d]: %s\n", stamp, (int)getpid(),
		line);
}
