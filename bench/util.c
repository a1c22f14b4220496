// SPDX-License-Identifier: GPL-2.0
/*
 * util.c - clocks, statistics, spawning children on pipes.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

char *const bench_env[] = {
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"HOME=/root",
	NULL,
};

static uint64_t start_ns;

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void clock_start(void)
{
	start_ns = now_ns();
}

double elapsed_s(void)
{
	return (double)(now_ns() - start_ns) / 1e9;
}

void progress(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "[%7.1f s] ", elapsed_s());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

void set_reason(char *reason, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, BENCH_REASON_LEN, fmt, ap);
	va_end(ap);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted @v. */
static uint64_t pct(const uint64_t *v, size_t n, double p)
{
	size_t rank = (size_t)((p / 100.0) * (double)n + 0.999999);

	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

void latency_from_samples(struct latency *l, uint64_t *ns, size_t n)
{
	double sum = 0;
	size_t i;

	l->n = n;
	if (!n) {
		l->ok = false;
		if (!l->reason[0])
			set_reason(l->reason, "no runs");
		return;
	}
	qsort(ns, n, sizeof(*ns), cmp_u64);
	for (i = 0; i < n; i++)
		sum += (double)ns[i];
	l->p50_us = (double)pct(ns, n, 50) / 1e3;
	l->p99_us = (double)pct(ns, n, 99) / 1e3;
	l->mean_us = sum / (double)n / 1e3;
	l->min_us = (double)ns[0] / 1e3;
	l->max_us = (double)ns[n - 1] / 1e3;
	l->ok = true;
}

int spawn_piped(char *const argv[], struct piped_child *c)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	posix_spawn_file_actions_t fa;
	int rc;

	c->pid = -1;
	c->out = c->err = -1;
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
		rc = -errno;
		goto close_all;
	}
	rc = posix_spawn_file_actions_init(&fa);
	if (rc) {
		rc = -rc;
		goto close_all;
	}
	/* dup2 onto 0..2 clears FD_CLOEXEC for the child's copies. */
	rc = posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	if (!rc)
		rc = posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	if (!rc)
		rc = posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	if (!rc)
		rc = posix_spawn(&c->pid, argv[0], &fa, NULL, argv, bench_env);
	posix_spawn_file_actions_destroy(&fa);
	if (rc) {
		rc = -rc;
		goto close_all;
	}
	close(in[0]);
	close(in[1]);
	close(out[1]);
	close(err[1]);
	c->out = out[0];
	c->err = err[0];
	return 0;

close_all:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	return rc;
}

int drain_and_wait(struct piped_child *c, void *buf, size_t len,
		   uint64_t *out_bytes)
{
	int status, rc = 0;

	while (c->out >= 0 || c->err >= 0) {
		struct pollfd pfd[2];
		nfds_t n = 0;

		if (c->out >= 0)
			pfd[n++] = (struct pollfd){ .fd = c->out, .events = POLLIN };
		if (c->err >= 0)
			pfd[n++] = (struct pollfd){ .fd = c->err, .events = POLLIN };
		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		for (nfds_t i = 0; i < n; i++) {
			ssize_t r;

			if (!pfd[i].revents)
				continue;
			r = read(pfd[i].fd, buf, len);
			if (r < 0 && errno == EINTR)
				continue;
			if (r > 0) {
				if (pfd[i].fd == c->out && out_bytes)
					*out_bytes += (uint64_t)r;
				continue;
			}
			if (r < 0)
				rc = -errno;
			close(pfd[i].fd);
			if (pfd[i].fd == c->out)
				c->out = -1;
			else
				c->err = -1;
		}
		if (rc)
			break;
	}
	if (c->out >= 0)
		close(c->out);
	if (c->err >= 0)
		close(c->err);
	c->out = c->err = -1;
	while (waitpid(c->pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return rc ? rc : status;
}

int raise_nofile(rlim_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	if (rl.rlim_cur >= want)
		return 0;
	rl.rlim_cur = want;
	if (rl.rlim_max < want)
		rl.rlim_max = want;
	return setrlimit(RLIMIT_NOFILE, &rl) ? -errno : 0;
}

ssize_t read_small_file(const char *path, char *buf, size_t len)
{
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (got + 1 < len) {
		ssize_t r = read(fd, buf + got, len - 1 - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = -errno;

			close(fd);
			return e;
		}
		if (!r)
			break;
		got += (size_t)r;
	}
	buf[got] = '\0';
	close(fd);
	return (ssize_t)got;
}

/*
 * Poll the @n processes in order until @done(pid, @arg) holds for each,
 * sleeping @poll_us between looks; -ETIMEDOUT after @timeout_s.
 */
static int wait_each(const pid_t *pids, size_t n, double timeout_s,
		     useconds_t poll_us, bool (*done)(pid_t, const void *),
		     const void *arg)
{
	uint64_t end = now_ns() + (uint64_t)(timeout_s * 1e9);
	size_t i = 0;

	while (i < n) {
		if (done(pids[i], arg)) {
			i++;
			continue;
		}
		if (now_ns() > end)
			return -ETIMEDOUT;
		usleep(poll_us);
	}
	return 0;
}

static bool comm_is(pid_t pid, const void *comm)
{
	char path[64], buf[64];
	ssize_t r;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	r = read_small_file(path, buf, sizeof(buf));
	if (r > 0 && buf[r - 1] == '\n')
		buf[r - 1] = '\0';
	return r > 0 && !strcmp(buf, comm);
}

int wait_comm(const pid_t *pids, size_t n, const char *comm, double timeout_s)
{
	return wait_each(pids, n, timeout_s, 10000, comm_is, comm);
}

/* No such process, or a zombie / dead one (pid <= 0: nothing to wait for). */
static bool is_gone(pid_t pid, const void *unused)
{
	char path[64], buf[512], *p;
	ssize_t r;

	(void)unused;
	if (pid <= 0)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	r = read_small_file(path, buf, sizeof(buf));
	p = r > 0 ? strrchr(buf, ')') : NULL;
	return r < 0 || (p && (p[2] == 'Z' || p[2] == 'X'));
}

int wait_gone(const pid_t *pids, size_t n, double timeout_s)
{
	return wait_each(pids, n, timeout_s, 20000, is_gone, NULL);
}
