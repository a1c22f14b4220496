// SPDX-License-Identifier: GPL-2.0
/*
 * helper.c - talk to /dev/sbexec: register, then answer spawn upcalls.
 *
 * One request at a time: read() one SBEXEC_UP_SPAWN, spawn, write() one
 * SBEXEC_UP_SPAWNED, close our copies of the session's fds. Children are
 * reaped only from the SIGCHLD signalfd, between requests, so no child is
 * ever reaped before the module has been told its pid (the module reads
 * the exit status itself). If the reply cannot be delivered (the client
 * went away and the request was cancelled) the new child's process group
 * is killed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper.h"
#include "log.h"
#include "upcall.h"

int helper_register(const char *device)
{
	int fd, err;

	/*
	 * Non-blocking: a request can be withdrawn (its client timed out)
	 * between poll() and read(); read() then says EAGAIN instead of
	 * sleeping with SIGTERM blocked.
	 */
	fd = open(device, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		err = errno;
		hlog("cannot open %s: %s%s", device, strerror(err),
		     err == ENOENT ? " (is sbexec.ko loaded?)" :
		     err == EPERM || err == EACCES ?
		     " (needs root with CAP_SYS_ADMIN)" : "");
		return -1;
	}
	if (ioctl(fd, SBEXEC_IOC_HELPER_REGISTER, 0)) {
		err = errno;
		if (err == EBUSY)
			hlog("cannot register on %s: another sbexec-helper is already registered",
			     device);
		else if (err == EPERM)
			hlog("cannot register on %s: needs CAP_SYS_ADMIN (run as root)",
			     device);
		else
			hlog("cannot register on %s: %s", device,
			     strerror(err));
		close(fd);
		return -1;
	}
	return fd;
}

int helper_signalfd(void)
{
	sigset_t set;
	int fd;

	/* A write error is handled where it happens (children reset this). */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL)) {
		hlog("sigprocmask: %s", strerror(errno));
		return -1;
	}
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		hlog("signalfd: %s", strerror(errno));
	return fd;
}

int helper_write_pidfile(const char *path)
{
	size_t plen = strlen(path);
	char *tmp = malloc(plen + sizeof(".XXXXXX"));
	char line[32];
	int fd, len, rc = -1;

	if (!tmp) {
		hlog("pidfile %s: %s", path, strerror(ENOMEM));
		return -1;
	}
	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".XXXXXX", sizeof(".XXXXXX"));
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		hlog("pidfile %s: %s", path, strerror(errno));
		goto out;
	}
	len = snprintf(line, sizeof(line), "%d\n", (int)getpid());
	if (fchmod(fd, 0644) || write(fd, line, (size_t)len) != len ||
	    fsync(fd)) {
		hlog("pidfile %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path)) {
		hlog("pidfile %s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	return rc;
}

static void reap_children(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* Drain the signalfd; returns 1 when asked to stop, 0 otherwise. */
static int handle_signals(int sigfd, const struct helper_opts *o)
{
	struct signalfd_siginfo si;
	int stop = 0;

	while (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			reap_children();
		} else {
			if (o->verbose)
				hlog("signal %u: exiting", si.ssi_signo);
			stop = 1;
		}
	}
	return stop;
}

static void log_outcome(const struct upcall_outcome *out,
			const struct helper_opts *o)
{
	if (!o->verbose)
		return;
	if (out->spawned)
		hlog("request %llu: pid %d", (unsigned long long)out->id,
		     (int)out->res.pid);
	else
		hlog("request %llu: failed: %s", (unsigned long long)out->id,
		     out->failure.message);
}

/* Deliver the reply; a spawned child is killed if the module lost it. */
static void send_reply(int devfd, struct upcall_outcome *out)
{
	ssize_t n;
	int err = 0;

	do {
		n = write(devfd, out->reply, out->reply_len);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		err = errno;
	else if ((size_t)n != out->reply_len)
		err = EIO;
	if (!out->spawned) {
		if (err)
			hlog("request %llu: failure reply not delivered: %s",
			     (unsigned long long)out->id, strerror(err));
		return;
	}
	if (err) {
		/* The session is gone (ENOENT/ESRCH: cancelled); no orphan. */
		if (kill(-out->res.pid, SIGKILL))
			kill(out->res.pid, SIGKILL);
		hlog("request %llu: reply not delivered (%s): killed pid %d",
		     (unsigned long long)out->id, strerror(err),
		     (int)out->res.pid);
	}
	spawn_result_close(&out->res);
}

/* Read and answer one message: 0 go on, 1 clean stop, -1 fatal. */
static int handle_device(int devfd, unsigned char *buf,
			 struct upcall_outcome *out,
			 const struct helper_opts *o)
{
	ssize_t n;

	n = read(devfd, buf, SBEXEC_UPCALL_MAX_MSG);
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return 0;
		if (errno == ENODEV) {
			hlog("%s: the module shut the channel down", o->device);
			return 1;
		}
		hlog("read %s: %s", o->device, strerror(errno));
		return -1;
	}
	if (n == 0) {
		hlog("%s: end of file, the module shut the channel down",
		     o->device);
		return 1;
	}
	if (upcall_handle(buf, (size_t)n, o->default_user, devfd, out)) {
		hlog("ignoring a %zd-byte message without a usable header", n);
		return 0;
	}
	log_outcome(out, o);
	send_reply(devfd, out);
	return 0;
}

int helper_run(int devfd, int sigfd, const struct helper_opts *o)
{
	unsigned char *buf = malloc(SBEXEC_UPCALL_MAX_MSG);
	struct upcall_outcome *out = malloc(sizeof(*out));
	int rc = 1;

	if (!buf || !out) {
		hlog("%s", strerror(ENOMEM));
		goto out;
	}
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = devfd, .events = POLLIN },
			{ .fd = sigfd, .events = POLLIN },
		};
		int r;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			hlog("poll: %s", strerror(errno));
			break;
		}
		if ((pfd[1].revents & POLLIN) && handle_signals(sigfd, o)) {
			rc = 0;
			break;
		}
		if (pfd[0].revents & POLLIN) {
			r = handle_device(devfd, buf, out, o);
			if (r) {
				rc = r > 0 ? 0 : 1;
				break;
			}
		} else if (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL)) {
			hlog("%s: the module shut the channel down",
			     o->device);
			rc = 0;
			break;
		}
	}
out:
	free(out);
	free(buf);
	return rc;
}
