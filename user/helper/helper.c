// SPDX-License-Identifier: GPL-2.0
/*
 * helper.c - talk to /dev/sbexec: register, then answer spawn upcalls.
 *
 * Several requests at once: a request is read and its child started
 * (through the gate: SBEXEC_UP_FORKED is written before the child may
 * execute anything), and while that child executes, the helper reads and
 * starts the next ones. Each child's error pipe is polled; its end of file
 * (execve() succeeded) or its failure report completes the request: one
 * SBEXEC_UP_SPAWNED is written and our copies of the session's fds are
 * closed. At most HELPER_MAX_INFLIGHT children are in that state; beyond,
 * the device is not read until one completes.
 *
 * Children are reaped only from the SIGCHLD signalfd, and never one whose
 * request is still in flight, so no child is ever reaped before the
 * module has been told its pid (the module reads the exit status itself).
 * If the reply cannot be delivered (the client went away and the request
 * was cancelled) the new child's process group is killed. When the loop
 * ends (SIGTERM, the channel shut down) the requests in flight are
 * completed first.
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

/* The requests in flight: started, their child not executing yet. */
struct inflight_tab {
	struct upcall_inflight *v[HELPER_MAX_INFLIGHT];
	size_t n;
	bool reap_deferred;	/* a zombie waits behind an in-flight child */
};

static bool tab_has_pid(const struct inflight_tab *t, pid_t pid)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (upcall_inflight_pid(t->v[i]) == pid)
			return true;
	return false;
}

/*
 * Reap every exited child, oldest first, but none whose request is in
 * flight: the first such zombie stops the scan until its request is done.
 */
static void reap_children(struct inflight_tab *t)
{
	siginfo_t si;

	t->reap_deferred = false;
	for (;;) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) ||
		    !si.si_pid)
			return;
		if (tab_has_pid(t, si.si_pid)) {
			t->reap_deferred = true;
			return;
		}
		if (waitpid(si.si_pid, NULL, WNOHANG) <= 0)
			return;
	}
}

/* Drain the signalfd; returns 1 when asked to stop, 0 otherwise. */
static int handle_signals(int sigfd, struct inflight_tab *t,
			  const struct helper_opts *o)
{
	struct signalfd_siginfo si;
	int stop = 0;

	while (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			reap_children(t);
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

/* Complete in-flight request @i of @t and answer it. */
static void finish_one(int devfd, struct inflight_tab *t, size_t i,
		       struct upcall_outcome *out, const struct helper_opts *o)
{
	struct upcall_inflight *in = t->v[i];
	uint64_t id = upcall_inflight_id(in);

	if (upcall_finish(in, out)) {
		/* Nothing was left running. */
		hlog("request %llu: no reply could be encoded",
		     (unsigned long long)id);
	} else {
		log_outcome(out, o);
		send_reply(devfd, out);
	}
	/* Off the table only now: the reply went before it may be reaped. */
	t->v[i] = t->v[--t->n];
	if (t->reap_deferred)
		reap_children(t);
}

/*
 * Read and start one message: 0 go on (also when nothing was there),
 * 1 clean stop, -1 fatal, 2 nothing to read.
 */
static int handle_device(int devfd, unsigned char *buf, struct inflight_tab *t,
			 struct upcall_outcome *out,
			 const struct helper_opts *o)
{
	struct upcall_inflight *in;
	ssize_t n;

	n = read(devfd, buf, SBEXEC_UPCALL_MAX_MSG);
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return 2;
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
	if (upcall_start(buf, (size_t)n, o->default_user, devfd, out, &in)) {
		hlog("ignoring a %zd-byte message without a usable header", n);
		return 0;
	}
	if (in) {
		t->v[t->n++] = in;
		return 0;
	}
	log_outcome(out, o);
	send_reply(devfd, out);
	return 0;
}

/* Serve until a stop; 0 clean, 1 fatal. Leaves requests in flight. */
static int serve(int devfd, int sigfd, unsigned char *buf,
		 struct inflight_tab *t, struct upcall_outcome *out,
		 const struct helper_opts *o)
{
	struct pollfd pfd[2 + HELPER_MAX_INFLIGHT];
	size_t i, k;
	int r;

	for (;;) {
		size_t n = t->n;

		pfd[0] = (struct pollfd){ .fd = sigfd, .events = POLLIN };
		/* A full table: no new request until one completes. */
		pfd[1] = (struct pollfd){ .fd = n < HELPER_MAX_INFLIGHT ? devfd : -1,
					  .events = POLLIN };
		for (i = 0; i < n; i++)
			pfd[2 + i] = (struct pollfd){
				.fd = upcall_inflight_fd(t->v[i]),
				.events = POLLIN,
			};
		if (poll(pfd, 2 + n, -1) < 0) {
			if (errno == EINTR)
				continue;
			hlog("poll: %s", strerror(errno));
			return 1;
		}
		if ((pfd[0].revents & POLLIN) && handle_signals(sigfd, t, o))
			return 0;
		/* Completions first, from the back: finish_one() moves the last. */
		for (k = n; k-- > 0;)
			if (pfd[2 + k].revents)
				finish_one(devfd, t, k, out, o);
		if (pfd[1].revents & POLLIN) {
			/* Take what is queued, while there is room. */
			for (k = 0; k < HELPER_BATCH && t->n < HELPER_MAX_INFLIGHT;
			     k++) {
				r = handle_device(devfd, buf, t, out, o);
				if (r == 2)
					break;
				if (r)
					return r > 0 ? 0 : 1;
			}
		} else if (pfd[1].revents & (POLLHUP | POLLERR | POLLNVAL)) {
			hlog("%s: the module shut the channel down",
			     o->device);
			return 0;
		}
	}
}

int helper_run(int devfd, int sigfd, const struct helper_opts *o)
{
	unsigned char *buf = malloc(SBEXEC_UPCALL_MAX_MSG);
	struct upcall_outcome *out = malloc(sizeof(*out));
	struct inflight_tab *t = calloc(1, sizeof(*t));
	int rc = 1, fl;

	if (!buf || !out || !t) {
		hlog("%s", strerror(ENOMEM));
		goto out;
	}
	/*
	 * Reads go on until EAGAIN (helper_register() opens the device so;
	 * a caller's socket stand-in may not be).
	 */
	fl = fcntl(devfd, F_GETFL);
	if (fl < 0 || (!(fl & O_NONBLOCK) &&
		       fcntl(devfd, F_SETFL, fl | O_NONBLOCK))) {
		hlog("%s: O_NONBLOCK: %s", o->device, strerror(errno));
		goto out;
	}
	rc = serve(devfd, sigfd, buf, t, out, o);
	/* Their children are at or past the gate: answer for each. */
	while (t->n)
		finish_one(devfd, t, t->n - 1, out, o);
out:
	free(t);
	free(out);
	free(buf);
	return rc;
}
