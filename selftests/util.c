// SPDX-License-Identifier: GPL-2.0
/*
 * util.c - helpers shared by the sbexec selftests (see util.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/sbexec_bridge.h>

#include "util.h"

uint64_t fnv1a64(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t h = 0xcbf29ce484222325ULL;

	while (len--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

pid_t helper_pid(void)
{
	char buf[32] = "";
	ssize_t n;
	long pid;
	int fd;

	fd = open(HELPER_PIDFILE, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	pid = strtol(buf, NULL, 10);
	return pid > 0 ? (pid_t)pid : -1;
}

/*
 * The fields of /proc/@pid/stat after "pid (comm) ", into @buf; NULL when
 * the process is gone. The comm may hold spaces and ')': the fields start
 * after its last ')'.
 */
ssize_t read_small_file(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return n;
}

void strip_cr(struct sbexec_buf *b)
{
	size_t i, j = 0;

	for (i = 0; i < b->len; i++)
		if (b->data[i] != '\r')
			b->data[j++] = b->data[i];
	b->len = j;
	if (b->data)
		b->data[j] = '\0';
}

static const char *proc_stat_fields(pid_t pid, char *buf, size_t size)
{
	char path[64], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small_file(path, buf, size) < 0)
		return NULL;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] ? p + 2 : NULL;
}

char proc_state(pid_t pid)
{
	char buf[512];
	const char *f = proc_stat_fields(pid, buf, sizeof(buf));

	return f ? f[0] : 0;
}

pid_t proc_ppid(pid_t pid)
{
	char buf[512];
	const char *f = proc_stat_fields(pid, buf, sizeof(buf));

	return f && f[1] == ' ' ? (pid_t)strtol(f + 2, NULL, 10) : -1;
}

bool pid_alive(pid_t pid)
{
	char st = proc_state(pid);

	return st && st != 'Z' && st != 'X';
}

static int count_cb(const struct sbexec_session_info *si, void *arg)
{
	(void)si;
	(*(int *)arg)++;
	return 0;
}

int count_sessions(struct sbexec *h)
{
	int n = 0, err = sbexec_list(h, count_cb, &n);

	return err < 0 ? err : n;
}

int helper_stop(int timeout_ms)
{
	int64_t deadline = mono_ms() + timeout_ms;
	pid_t pid = helper_pid();

	if (pid < 0 || !pid_alive(pid))
		return -ESRCH;
	if (kill(pid, SIGTERM) < 0)
		return -errno;
	while (pid_alive(pid)) {
		if (mono_ms() > deadline)
			return -ETIMEDOUT;
		sleep_ms(20);
	}
	return 0;
}

static const char *helper_bin(char *buf, size_t n)
{
	const char *env = getenv("SBEXEC_HELPER_BIN");
	const char *proj = getenv("SBEXEC_PROJECT");

	if (env && *env)
		return env;
	if (proj && *proj) {
		snprintf(buf, n, "%s/user/helper/sbexec-helper", proj);
		if (access(buf, X_OK) == 0)
			return buf;
	}
	return "sbexec-helper";
}

int helper_start(void)
{
	char bin[4096];
	const char *path = helper_bin(bin, sizeof(bin));
	int status, fd;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		/* The guest keeps the helper's log here; elsewhere drop it. */
		fd = open("/run/sbexec-out/helper.log",
			  O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0)
			fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			dup2(fd, STDIN_FILENO);
		/* Out of the test's process group: a timeout must not kill it. */
		setsid();
		execlp(path, "sbexec-helper", "--daemon", "--pidfile", HELPER_PIDFILE,
		       (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int helper_ensure(void)
{
	pid_t pid = helper_pid();

	if (pid > 0 && pid_alive(pid))
		return 0;
	return helper_start() == 0 ? 0 : -ESRCH;
}

const char *cli_path(void)
{
	static char buf[4096];
	const char *env = getenv("SBEXEC_CLI");
	const char *proj = getenv("SBEXEC_PROJECT");
	char exe[2048], *slash;
	ssize_t n;

	if (env && *env)
		return env;
	if (proj && *proj) {
		snprintf(buf, sizeof(buf), "%s/user/cli/sbexec", proj);
		if (access(buf, X_OK) == 0)
			return buf;
	}
	/* Beside this test program: selftests/../user/cli/sbexec. */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(buf, sizeof(buf), "%s/../user/cli/sbexec", exe);
			if (access(buf, X_OK) == 0)
				return buf;
		}
	}
	return "sbexec";
}

static int buf_append(struct sbexec_buf *b, const void *data, size_t len)
{
	if (!b->data || b->cap - b->len <= len) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap - b->len <= len)
			cap *= 2;
		p = realloc(b->data, cap);
		if (!p)
			return -ENOMEM;
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

/* Read what @fd has into @b; closes it (and sets it to -1) at EOF. */
static void drain(int *fd, struct sbexec_buf *b)
{
	char chunk[65536];
	ssize_t n = read(*fd, chunk, sizeof(chunk));

	if (n > 0) {
		buf_append(b, chunk, (size_t)n);
		return;
	}
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	close(*fd);
	*fd = -1;
}

int run_proc(const char *const argv[], const struct proc_opts *o,
	     struct proc_result *r)
{
	int pin[2], pout[2], perr[2];
	int64_t deadline = mono_ms() + o->timeout_ms;
	const char *inp = o->in;
	size_t in_off = 0, in_len = o->in_len;
	bool hold_stdin = o->hold_stdin, signalled = false;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	buf_append(&r->out, "", 0);
	buf_append(&r->err, "", 0);
	signal(SIGPIPE, SIG_IGN);
	if (pipe2(pin, O_CLOEXEC) || pipe2(pout, O_CLOEXEC) || pipe2(perr, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		setpgid(0, 0);
		dup2(pin[0], STDIN_FILENO);
		dup2(pout[1], STDOUT_FILENO);
		dup2(perr[1], STDERR_FILENO);
		execvp(argv[0], (char *const *)argv);
		dprintf(STDERR_FILENO, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pin[0]);
	close(pout[1]);
	close(perr[1]);
	fcntl(pin[1], F_SETFL, O_NONBLOCK);
	if (!in_len && !hold_stdin) {
		close(pin[1]);
		pin[1] = -1;
	}

	while (pout[0] >= 0 || perr[0] >= 0) {
		struct pollfd pfd[3] = {
			{ .fd = pout[0], .events = POLLIN },
			{ .fd = perr[0], .events = POLLIN },
			{ .fd = in_off < in_len ? pin[1] : -1, .events = POLLOUT },
		};
		int64_t left = deadline - mono_ms();

		if (left <= 0) {
			r->timed_out = true;
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			break;
		}
		if (poll(pfd, 3, (int)left) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents) {
			drain(&pout[0], &r->out);
			if (o->marker && !signalled && strstr(r->out.data, o->marker)) {
				int i;

				for (i = 0; i < (o->sig_times ? o->sig_times : 1); i++) {
					if (i)
						usleep(200 * 1000);
					kill(pid, o->sig);
				}
				signalled = true;
			}
		}
		if (pfd[1].revents)
			drain(&perr[0], &r->err);
		if (pfd[2].revents) {
			ssize_t n = write(pin[1], inp + in_off, in_len - in_off);

			if (n > 0)
				in_off += (size_t)n;
			else if (n < 0 && errno != EAGAIN && errno != EINTR)
				in_off = in_len;	/* the reader is gone */
			if (in_off == in_len && !hold_stdin) {
				close(pin[1]);
				pin[1] = -1;
			}
		}
	}
	while (waitpid(pid, &r->status, 0) < 0 && errno == EINTR)
		;
	if (pin[1] >= 0)
		close(pin[1]);
	if (pout[0] >= 0)
		close(pout[0]);
	if (perr[0] >= 0)
		close(perr[0]);
	return 0;
}

void proc_result_free(struct proc_result *r)
{
	free(r->out.data);
	free(r->err.data);
	memset(r, 0, sizeof(*r));
}

size_t count_lines(const struct sbexec_buf *b)
{
	size_t i, n = 0;

	for (i = 0; i < b->len; i++)
		n += b->data[i] == '\n';
	return n;
}

const char *extack_want(const char *formatted, const char *fixed)
{
	unsigned int major = 0, minor = 0;
	struct utsname u;

	if (uname(&u) || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return fixed;
	return major > 6 || (major == 6 && minor >= 2) ? formatted : fixed;
}

int bridge_sync_out(int fd)
{
	unsigned char pre[SBEXEC_BRIDGE_SYNC_HOST_LEN];
	size_t fill = sizeof(pre) - SBEXEC_BRIDGE_SYNC_TAG_LEN;
	size_t off = 0;

	memset(pre, SBEXEC_BRIDGE_SYNC_FILL, fill);
	memcpy(pre + fill, SBEXEC_BRIDGE_SYNC_TAG, SBEXEC_BRIDGE_SYNC_TAG_LEN);
	while (off < sizeof(pre)) {
		ssize_t w = write(fd, pre + off, sizeof(pre) - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

int bridge_hunt(int fd, int timeout_ms)
{
	static const char tag[] = SBEXEC_BRIDGE_SYNC_TAG;
	size_t got = 0;

	/* No byte of the tag repeats its first: a mismatch restarts it. */
	while (got < SBEXEC_BRIDGE_SYNC_TAG_LEN) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		unsigned char c;

		if (poll(&pfd, 1, timeout_ms) <= 0 || read(fd, &c, 1) != 1)
			return -1;
		if (c == (unsigned char)tag[got])
			got++;
		else
			got = c == (unsigned char)tag[0];
	}
	return 0;
}
