// SPDX-License-Identifier: GPL-2.0
/*
 * qga.c - the peer: Debian's qemu-guest-agent, started here with
 * `qemu-ga -m unix-listen -p SOCK`, spoken to over its unix socket.
 *
 * Protocol: one JSON command per line in, one JSON reply per line out.
 * guest-sync first (so that no stale reply is read), then per command
 * guest-exec {"path", "arg", "capture-output": true} answered with a pid,
 * then guest-exec-status {"pid"} until "exited" is true; the captured
 * output comes back base64-encoded in "out-data" of that last reply.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "cmds.h"
#include "qga_json.h"

#define QGA_SOCK	"/tmp/qga.sock"
#define QGA_STATE	"/tmp/qga-state"
#define QGA_PIDFILE	"/tmp/qga.pid"
#define QGA_LOG		"/tmp/qga.log"

static pid_t qga_pid = -1;
static int qga_fd = -1;
static char version[64];

/* Reply buffer: grows to hold the largest reply (base64 of the output). */
static char *rbuf;
static size_t rcap, rlen;

const char *qga_version(void)
{
	return version;
}

static int send_all(const char *s, size_t len)
{
	while (len) {
		ssize_t w = write(qga_fd, s, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		s += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * Send @cmd (one line) and read one reply line into rbuf (NUL-terminated,
 * newline stripped). Return its length or -errno.
 */
static ssize_t transact(const char *cmd)
{
	size_t scanned = 0;
	int rc;

	rc = send_all(cmd, strlen(cmd));
	if (rc)
		return rc;
	rlen = 0;
	for (;;) {
		char *nl;
		ssize_t r;

		if (rlen && (nl = memchr(rbuf + scanned, '\n', rlen - scanned))) {
			*nl = '\0';
			/* one request at a time: nothing follows the reply */
			return nl - rbuf;
		}
		scanned = rlen;
		if (rcap - rlen < 65536) {
			size_t ncap = rcap ? rcap * 2 : 1 << 20;
			char *n = realloc(rbuf, ncap);

			if (!n)
				return -ENOMEM;
			rbuf = n;
			rcap = ncap;
		}
		r = read(qga_fd, rbuf + rlen, rcap - rlen - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (!r)
			return -ECONNRESET;
		rlen += (size_t)r;
	}
}

static void error_reason(char *reason, const char *what)
{
	const char *d = json_value(rbuf, "desc");

	if (d && *d == '"') {
		const char *e = strchr(d + 1, '"');

		set_reason(reason, "%s: %.*s", what, e ? (int)(e - d - 1) : 80, d + 1);
	} else {
		set_reason(reason, "%s: unexpected reply %.120s", what, rbuf);
	}
}

static int connect_sock(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", QGA_SOCK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

static void log_tail(char *reason, const char *what)
{
	char buf[4096];
	ssize_t n = read_small_file(QGA_LOG, buf, sizeof(buf));
	char *last;

	if (n <= 0) {
		set_reason(reason, "%s (qemu-ga log empty)", what);
		return;
	}
	while (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	last = strrchr(buf, '\n');
	set_reason(reason, "%s; qemu-ga: %.160s", what, last ? last + 1 : buf);
}

static void find_version(const char *path)
{
	char *argv[] = { (char *)path, "--version", NULL };
	posix_spawn_file_actions_t fa;
	char buf[512], *p;
	int pfd[2];
	pid_t pid;
	ssize_t n = 0, r;

	snprintf(version, sizeof(version), "unknown");
	if (pipe2(pfd, O_CLOEXEC))
		return;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	if (posix_spawn(&pid, path, &fa, NULL, argv, bench_env)) {
		posix_spawn_file_actions_destroy(&fa);
		close(pfd[0]);
		close(pfd[1]);
		return;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	while ((size_t)n < sizeof(buf) - 1 &&
	       (r = read(pfd[0], buf + n, sizeof(buf) - 1 - (size_t)n)) > 0)
		n += r;
	close(pfd[0]);
	waitpid(pid, NULL, 0);
	buf[n] = '\0';
	/* "QEMU Guest Agent 7.2.22": the last word of the first line */
	buf[strcspn(buf, "\n")] = '\0';
	p = strrchr(buf, ' ');
	if (p && p[1])
		snprintf(version, sizeof(version), "%s", p + 1);
}

int qga_start(const char *path, char *reason)
{
	char *argv[] = {
		(char *)path, "-m", "unix-listen", "-p", QGA_SOCK,
		"-t", QGA_STATE, "-f", QGA_PIDFILE, "-l", QGA_LOG, NULL,
	};
	posix_spawn_file_actions_t fa;
	uint64_t end;
	char sync[128];
	long id;
	int rc;

	if (access(path, X_OK)) {
		set_reason(reason, "%s not installed (Debian package qemu-guest-agent)", path);
		return -ENOENT;
	}
	find_version(path);
	unlink(QGA_SOCK);
	unlink(QGA_PIDFILE);
	mkdir(QGA_STATE, 0700);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, QGA_LOG, O_WRONLY | O_CREAT | O_APPEND, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	rc = posix_spawn(&qga_pid, path, &fa, NULL, argv, bench_env);
	posix_spawn_file_actions_destroy(&fa);
	if (rc) {
		qga_pid = -1;
		set_reason(reason, "posix_spawn %s: %s", path, strerror(rc));
		return -rc;
	}
	end = now_ns() + 30ull * 1000000000ull;
	while ((qga_fd = connect_sock()) < 0) {
		if (waitpid(qga_pid, NULL, WNOHANG) == qga_pid) {
			qga_pid = -1;
			log_tail(reason, "qemu-ga exited at start");
			return -ECHILD;
		}
		if (now_ns() > end) {
			log_tail(reason, "qemu-ga socket not up within 30 s");
			qga_stop();
			return -ETIMEDOUT;
		}
		usleep(20000);
	}
	/* guest-sync: a random id must come back, so no stale reply is read */
	id = (long)(now_ns() % 1000000007ull);
	snprintf(sync, sizeof(sync),
		 "{\"execute\":\"guest-sync\",\"arguments\":{\"id\":%ld}}\n", id);
	if (transact(sync) < 0) {
		log_tail(reason, "guest-sync: no reply");
		qga_stop();
		return -EPROTO;
	}
	{
		const char *v = json_value(rbuf, "return");

		if (!v || strtol(v, NULL, 10) != id) {
			error_reason(reason, "guest-sync");
			qga_stop();
			return -EPROTO;
		}
	}
	return 0;
}

void qga_stop(void)
{
	if (qga_fd >= 0)
		close(qga_fd);
	qga_fd = -1;
	if (qga_pid > 0) {
		uint64_t end = now_ns() + 10ull * 1000000000ull;
		pid_t r;

		/*
		 * It may not act on SIGTERM (seen after a captured guest-exec,
		 * with --repeat stopping it between repeats): SIGKILL after 10 s.
		 */
		kill(qga_pid, SIGTERM);
		while ((r = waitpid(qga_pid, NULL, WNOHANG)) == 0 && now_ns() < end)
			usleep(20000);
		if (r == 0) {
			progress("qemu-ga still running 10 s after SIGTERM: SIGKILL");
			kill(qga_pid, SIGKILL);
			waitpid(qga_pid, NULL, 0);
		}
	}
	qga_pid = -1;
	free(rbuf);
	rbuf = NULL;
	rcap = rlen = 0;
}

/* guest-exec @path with @args (a JSON array body or NULL); the pid. */
static long qga_exec(const char *path, const char *args, char *reason)
{
	char cmd[512];
	const char *v;
	long pid;

	snprintf(cmd, sizeof(cmd),
		 "{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"%s\"%s%s%s,"
		 "\"capture-output\":true}}\n",
		 path, args ? ",\"arg\":[" : "", args ? args : "", args ? "]" : "");
	if (transact(cmd) < 0) {
		set_reason(reason, "guest-exec: connection lost");
		return -1;
	}
	v = json_value(rbuf, "pid");
	pid = v ? strtol(v, NULL, 10) : 0;
	if (pid <= 0) {
		error_reason(reason, "guest-exec");
		return -1;
	}
	return pid;
}

/*
 * Poll guest-exec-status until "exited": true. @interval_ns 0 polls back
 * to back. Return 0 with the reply in rbuf, or -errno.
 */
static int qga_wait(long pid, uint64_t interval_ns, double timeout_s, char *reason)
{
	uint64_t end = now_ns() + (uint64_t)(timeout_s * 1e9);
	char cmd[128];

	snprintf(cmd, sizeof(cmd),
		 "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":%ld}}\n", pid);
	for (;;) {
		const char *v;

		if (transact(cmd) < 0) {
			set_reason(reason, "guest-exec-status: connection lost");
			return -ECONNRESET;
		}
		v = json_value(rbuf, "exited");
		if (!v) {
			error_reason(reason, "guest-exec-status");
			return -EPROTO;
		}
		if (!strncmp(v, "true", 4))
			return 0;
		if (now_ns() > end) {
			set_reason(reason, "not exited after %.0f s", timeout_s);
			return -ETIMEDOUT;
		}
		if (interval_ns) {
			struct timespec ts = {
				.tv_sec = (time_t)(interval_ns / 1000000000ull),
				.tv_nsec = (long)(interval_ns % 1000000000ull),
			};

			nanosleep(&ts, NULL);
		}
	}
}

static int check_exitcode(char *reason)
{
	const char *v = json_value(rbuf, "exitcode");

	if (!v || strtol(v, NULL, 10) != 0) {
		set_reason(reason, "command did not exit 0: %.120s", rbuf);
		return -EPROTO;
	}
	return 0;
}

int qga_true_once(uint64_t *ns, char *reason)
{
	uint64_t t0 = now_ns();
	long pid;
	int rc;

	pid = qga_exec(CMD_TRUE, NULL, reason);
	if (pid < 0)
		return -EPROTO;
	rc = qga_wait(pid, 0, 60, reason);
	*ns = now_ns() - t0;
	return rc ? rc : check_exitcode(reason);
}

void qga_throughput(struct xfer *x, uint64_t bytes, double timeout_s)
{
	char args[128];
	const char *v;
	bool truncated, nonzero = false;
	int64_t got = 0;
	uint64_t t0;
	long pid;
	int rc;

	memset(x, 0, sizeof(*x));
	x->bytes_asked = bytes;
	snprintf(args, sizeof(args), "\"-c\",\"%llu\",\"/dev/zero\"",
		 (unsigned long long)bytes);
	t0 = now_ns();
	pid = qga_exec(CMD_HEAD, args, x->reason);
	if (pid < 0)
		return;
	/* Poll every 10 ms: a busy poll would compete with qemu-ga's reads. */
	rc = qga_wait(pid, 10000000ull, timeout_s, x->reason);
	if (rc == -ETIMEDOUT) {
		kill((pid_t)pid, SIGKILL);
		/* collect the entry so it does not linger in qemu-ga */
		qga_wait(pid, 10000000ull, 30, x->note);
		x->seconds = (double)(now_ns() - t0) / 1e9;
		return;
	}
	if (rc)
		return;
	v = json_value(rbuf, "out-data");
	if (v && *v == '"')
		got = b64_count(v + 1, &nonzero);
	x->seconds = (double)(now_ns() - t0) / 1e9;
	if (got < 0) {
		set_reason(x->reason, "out-data is not base64");
		return;
	}
	x->bytes = (uint64_t)got;
	v = json_value(rbuf, "out-truncated");
	truncated = v && !strncmp(v, "true", 4);
	if (check_exitcode(x->reason))
		return;
	if (nonzero) {
		set_reason(x->reason, "captured output is not all zero bytes");
		return;
	}
	if (x->bytes != bytes) {
		set_reason(x->reason, "returned %llu of %llu bytes%s",
			   (unsigned long long)x->bytes, (unsigned long long)bytes,
			   truncated ? " (out-truncated: its capture cap)" : "");
		return;
	}
	if (truncated)
		snprintf(x->note, sizeof(x->note),
			 "all bytes returned, though qemu-ga flagged out-truncated");
	x->ok = true;
}
