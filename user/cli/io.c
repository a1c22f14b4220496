// SPDX-License-Identifier: GPL-2.0
/*
 * io.c - full writes and error messages.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "cli.h"

/*
 * Write all of @buf, across EINTR, short writes and a non-blocking @fd
 * (which is waited on). Returns 0 or -errno.
 */
int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd pfd = { .fd = fd, .events = POLLOUT };

				poll(&pfd, 1, -1);
				continue;
			}
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One line on stderr, prefixed with "sbexec: ". */
void errmsg(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "sbexec: ");
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	n = 0;
	while (line[n])
		n++;
	line[n++] = '\n';
	write_all(STDERR_FILENO, line, (size_t)n);
}
