// SPDX-License-Identifier: GPL-2.0
/*
 * direct_probe.c - direct_test's command: what a program finds when its
 * stdout is one of the module's output files (SBEXEC_EXEC_F_DIRECT_OUTPUT),
 * and the ways it writes there.
 *
 *   direct_probe kinds     fstat, isatty, lseek, pwrite, F_GETPIPE_SZ and
 *                          reopening /proc/self/fd/1, one "name=value" line
 *                          each on stdout, then "via-proc" written through
 *                          the reopened file
 *   direct_probe ways      write, writev, splice from a pipe, sendfile from
 *                          a memfd, then O_APPEND and a write (stdout);
 *                          splice after O_APPEND: its errno name on stderr
 *   direct_probe fill      non-blocking 1000-byte writes until EAGAIN (N of
 *                          them); poll() must then say "not writable" (else
 *                          exit 2); blocking poll() must say writable once
 *                          the reader made room (else exit 3); "END N"
 *   direct_probe blocks C N   N writes of PIPE_BUF bytes of C
 *   direct_probe pattern N    N bytes of (i % 251), in writes of varying
 *                          sizes (1 byte to 70,000)
 * Exit status 0, or 1 for an error it could not report otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

static const char *err_name(int err)
{
	switch (err) {
	case 0: return "ok";
	case EBADF: return "EBADF";
	case EINVAL: return "EINVAL";
	case ENOTTY: return "ENOTTY";
	case ESPIPE: return "ESPIPE";
	case ENXIO: return "ENXIO";
	case EACCES: return "EACCES";
	case EPIPE: return "EPIPE";
	case EAGAIN: return "EAGAIN";
	}
	return "other";
}

/* errno's name after @rc (a call's result, -1 on failure). */
static const char *outcome(long rc)
{
	return err_name(rc < 0 ? errno : 0);
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int kinds(void)
{
	struct stat st;
	char line[256];
	int fd, rc;

	if (fstat(1, &st))
		return 1;
	snprintf(line, sizeof(line), "fifo=%d reg=%d chr=%d mode=%o\n",
		 S_ISFIFO(st.st_mode), S_ISREG(st.st_mode),
		 S_ISCHR(st.st_mode), st.st_mode & 07777);
	write_all(1, line, strlen(line));
	rc = isatty(1);
	snprintf(line, sizeof(line), "isatty=%d %s\n", rc, outcome(rc - 1));
	write_all(1, line, strlen(line));
	snprintf(line, sizeof(line), "lseek=%s\n", outcome(lseek(1, 0, SEEK_CUR)));
	write_all(1, line, strlen(line));
	snprintf(line, sizeof(line), "pwrite=%s\n", outcome(pwrite(1, "x", 1, 0)));
	write_all(1, line, strlen(line));
	snprintf(line, sizeof(line), "getpipesz=%s\n",
		 outcome(fcntl(1, F_GETPIPE_SZ)));
	write_all(1, line, strlen(line));
	fd = open("/proc/self/fd/1", O_RDONLY);
	snprintf(line, sizeof(line), "reopen_rd=%s\n", outcome(fd));
	write_all(1, line, strlen(line));
	if (fd >= 0)
		close(fd);
	fd = open("/proc/self/fd/1", O_WRONLY);
	snprintf(line, sizeof(line), "reopen_wr=%s\n", outcome(fd));
	write_all(1, line, strlen(line));
	if (fd < 0)
		return 0;
	rc = write_all(fd, "via-proc\n", 9);
	close(fd);
	return rc ? 1 : 0;
}

static int ways(void)
{
	struct iovec iov[3] = {
		{ .iov_base = "wr", .iov_len = 2 },
		{ .iov_base = "it", .iov_len = 2 },
		{ .iov_base = "ev\n", .iov_len = 3 },
	};
	int p[2], mfd, fl;
	off_t off = 0;
	char line[64];
	ssize_t n;

	if (write_all(1, "write\n", 6) || writev(1, iov, 3) != 7)
		return 1;
	if (pipe(p) || write(p[1], "splice\n", 7) != 7)
		return 1;
	if (splice(p[0], NULL, 1, NULL, 7, 0) != 7)
		return 1;
	mfd = memfd_create("direct_probe", 0);
	if (mfd < 0 || write(mfd, "sendfile\n", 9) != 9)
		return 1;
	if (sendfile(1, mfd, &off, 9) != 9)
		return 1;
	fl = fcntl(1, F_GETFL);
	if (fl < 0 || fcntl(1, F_SETFL, fl | O_APPEND) ||
	    write_all(1, "append\n", 7))
		return 1;
	if (write(p[1], "late\n", 5) != 5)
		return 1;
	n = splice(p[0], NULL, 1, NULL, 5, 0);
	snprintf(line, sizeof(line), "splice_append=%s\n", outcome(n));
	return write_all(2, line, strlen(line)) ? 1 : 0;
}

static int fill(void)
{
	struct pollfd pfd = { .fd = 1, .events = POLLOUT };
	char buf[1000], line[64];
	unsigned long n = 0;
	int fl = fcntl(1, F_GETFL);

	memset(buf, 'x', sizeof(buf));
	if (fl < 0 || fcntl(1, F_SETFL, fl | O_NONBLOCK))
		return 1;
	for (;;) {
		ssize_t w = write(1, buf, sizeof(buf));

		if (w < 0 && errno == EAGAIN)
			break;
		if (w != (ssize_t)sizeof(buf))
			return 1;	/* a PIPE_BUF write is whole or nothing */
		n++;
	}
	if (poll(&pfd, 1, 0) != 0)
		return 2;
	if (fcntl(1, F_SETFL, fl) || poll(&pfd, 1, 20000) != 1 ||
	    !(pfd.revents & POLLOUT))
		return 3;
	snprintf(line, sizeof(line), "END %lu\n", n);
	return write_all(1, line, strlen(line)) ? 1 : 0;
}

static int blocks(char c, long count)
{
	char buf[PIPE_BUF];

	memset(buf, c, sizeof(buf));
	while (count-- > 0)
		if (write(1, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			return 1;
	return 0;
}

static int pattern(long total)
{
	static unsigned char buf[70000];
	long done = 0, step = 1;

	while (done < total) {
		long len = step < total - done ? step : total - done, i;

		for (i = 0; i < len; i++)
			buf[i] = (unsigned char)((done + i) % 251);
		if (write_all(1, buf, (size_t)len))
			return 1;
		done += len;
		step = step * 7 % 70001;
		if (!step)
			step = 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "kinds"))
		return kinds();
	if (argc == 2 && !strcmp(argv[1], "ways"))
		return ways();
	if (argc == 2 && !strcmp(argv[1], "fill"))
		return fill();
	if (argc == 4 && !strcmp(argv[1], "blocks"))
		return blocks(argv[2][0], atol(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "pattern"))
		return pattern(atol(argv[2]));
	fprintf(stderr, "usage: direct_probe kinds|ways|fill|blocks C N|pattern N\n");
	return 1;
}
