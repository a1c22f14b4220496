// SPDX-License-Identifier: GPL-2.0
/*
 * robust_test.c - sessions survive the death of the helper and of their
 * clients.
 *
 * helper.*: the helper is SIGKILLed while sessions stream output and while
 * further EXEC requests wait for it: queued (the helper is SIGSTOPped),
 * in flight (ptrace stops it right after it read a request, or right
 * before it writes its reply), or racing with the kill. Then a new helper
 * is started. Every running session keeps streaming byte-exact, takes
 * stdin and signals while no helper exists, and reports the exit status
 * its parent's wait() saw (this test is the child subreaper, so it
 * inherits the dead helper's children and reaps them itself); every
 * waiting EXEC returns exactly once, either spawned or with a typed
 * HelperUnavailable failure, and the events group reports each exactly
 * once; new EXECs work after the restart; no session is left behind.
 * helper.killed_repeatedly runs SBEXEC_ROBUST_ITERATIONS rounds (default
 * 3) rotating through those cases; with SBEXEC_ROBUST_LOAD=1 CPU hogs and
 * busy output sessions run meanwhile (`make stress`: 100 rounds).
 *
 * client.*: a client process is SIGKILLed while it owns sessions, or while
 * its EXEC is queued or in flight. Its kill-on-close sessions are killed,
 * reaped and gone from LIST; its keep-running sessions go on and another
 * process reattaches and drives them to their end; no session, reader or
 * spawned process is left behind.
 *
 * Runs as root in the test guest with sbexec.ko loaded and the helper up;
 * leaves a helper registered behind.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "kselftest_harness.h"
#include "util.h"

#define SH		"/bin/sh"
/* Waiting EXECs must come back this fast once the helper is gone. */
#define OUTCOME_MS	15000
/* Limit for a whole session's output (slow debug kernels, load). */
#define STREAM_MS	120000
/* Requests queued behind (or held by) the dying helper. */
#define NR_QUEUED	6

/* ---- small helpers ---------------------------------------------------- */

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* True once @pid has no /proc entry at all (exited and reaped). */
static bool wait_pid_gone(pid_t pid, int timeout_ms)
{
	int64_t deadline = mono_ms() + timeout_ms;

	while (proc_state(pid)) {
		if (mono_ms() > deadline)
			return false;
		sleep_ms(10);
	}
	return true;
}

/* Kernel function @tid sleeps in, from /proc (KALLSYMS kernels). */
static bool sleeps_in_sbexec(pid_t tid)
{
	char path[64], buf[128];

	snprintf(path, sizeof(path), "/proc/%d/task/%d/wchan", (int)getpid(), (int)tid);
	if (read_small_file(path, buf, sizeof(buf)) < 0) {
		snprintf(path, sizeof(path), "/proc/%d/wchan", (int)tid);
		if (read_small_file(path, buf, sizeof(buf)) < 0)
			return false;
	}
	return strstr(buf, "sbexec") != NULL;
}

/* Wait until @pid's state is 'T' or 't' (stopped). */
static bool wait_stopped(pid_t pid, int timeout_ms)
{
	int64_t deadline = mono_ms() + timeout_ms;
	char st;

	while ((st = proc_state(pid)) != 'T' && st != 't') {
		if (!st || mono_ms() > deadline)
			return false;
		sleep_ms(5);
	}
	return true;
}

/* Does @pid's command line contain @marker? */
static bool cmdline_has(pid_t pid, const char *marker)
{
	char path[64], buf[4096];
	ssize_t n, i;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	n = read_small_file(path, buf, sizeof(buf));
	if (n < 0)
		return false;
	for (i = 0; i < n; i++)
		if (!buf[i])
			buf[i] = ' ';
	buf[n] = '\0';
	return strstr(buf, marker) != NULL;
}

/* Live (non-zombie) processes whose command line contains @marker. */
static int count_marked(const char *marker, pid_t *first)
{
	struct dirent *de;
	DIR *d = opendir("/proc");
	int n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		pid_t pid = (pid_t)strtol(de->d_name, NULL, 10);

		if (pid <= 0 || pid == getpid() || !pid_alive(pid))
			continue;
		if (cmdline_has(pid, marker)) {
			if (!n && first)
				*first = pid;
			n++;
		}
	}
	closedir(d);
	return n;
}

/* Children of @parent (by /proc's ppid), at most @max into @out. */
static int children_of(pid_t parent, pid_t *out, int max)
{
	struct dirent *de;
	DIR *d = opendir("/proc");
	int n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)) && n < max) {
		pid_t pid = (pid_t)strtol(de->d_name, NULL, 10);

		if (pid > 0 && proc_ppid(pid) == parent)
			out[n++] = pid;
	}
	closedir(d);
	return n;
}

/* The child of @parent that is not in @before (-1 if none, or several). */
static pid_t new_child(pid_t parent, const pid_t *before, int nr_before)
{
	pid_t now[32], found = -1;
	int n = children_of(parent, now, 32), i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < nr_before && before[j] != now[i]; j++)
			;
		if (j < nr_before)
			continue;
		if (found > 0)
			return -1;
		found = now[i];
	}
	return found;
}

static const char *env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v && *v ? v : dflt;
}

/* "a\n" ... "b\n", as seq(1) prints them. */
static void seq_text(struct sbexec_buf *b, long a, long c)
{
	size_t cap = (size_t)(c - a + 1) * 8 + 64;
	long i;

	b->data = malloc(cap);
	b->len = 0;
	b->cap = cap;
	if (!b->data)
		return;
	for (i = a; i <= c; i++)
		b->len += (size_t)snprintf(b->data + b->len, cap - b->len, "%ld\n", i);
}

static bool buf_eq(const struct sbexec_buf *b, const char *data, size_t len)
{
	return b->len == len && (!len || !memcmp(b->data, data, len));
}

/* The exit record says what wait() said. */
static bool exit_matches(const struct sbexec_exit_info *e, int status)
{
	if (WIFEXITED(status))
		return e->exited == 1 && e->code == (uint32_t)WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return !e->exited && e->signal == (uint32_t)WTERMSIG(status) &&
		       e->core_dumped == (WCOREDUMP(status) ? 1U : 0U);
	return false;
}

/* Poll LIST until it shows @want sessions; returns the last count. */
static int wait_sessions(struct sbexec *h, int want, int timeout_ms)
{
	int64_t deadline = mono_ms() + timeout_ms;
	int n;

	while ((n = count_sessions(h)) != want && mono_ms() < deadline)
		sleep_ms(20);
	return n;
}

/* /sys/module/sbexec/refcnt: the helper's and the readers' files. */
static int module_refcnt(void)
{
	char buf[32] = "";
	ssize_t n;
	int fd = open("/sys/module/sbexec/refcnt", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? atoi(buf) : -1;
}

/* ---- reaping orphans (this process is the child subreaper) ------------ */

struct reaped {
	pid_t pid;
	int status;
};

struct reaper {
	struct reaped *v;
	size_t n, cap;
};

static void reap(struct reaper *r)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG | __WALL)) > 0) {
		if (r->n == r->cap) {
			size_t cap = r->cap ? r->cap * 2 : 256;
			struct reaped *v = realloc(r->v, cap * sizeof(*v));

			if (!v)
				return;
			r->v = v;
			r->cap = cap;
		}
		r->v[r->n].pid = pid;
		r->v[r->n].status = status;
		r->n++;
	}
}

/* Wait until @pid has been reaped here; its wait status in @status. */
static bool reaped_wait(struct reaper *r, pid_t pid, int timeout_ms, int *status)
{
	int64_t deadline = mono_ms() + timeout_ms;
	size_t i;

	for (;;) {
		reap(r);
		for (i = r->n; i-- > 0;) {
			if (r->v[i].pid == pid) {
				*status = r->v[i].status;
				r->v[i].pid = 0;	/* a reused pid is a new entry */
				return true;
			}
		}
		if (mono_ms() > deadline)
			return false;
		sleep_ms(5);
	}
}

/* ---- the events group -------------------------------------------------- */

struct event {
	uint8_t cmd;
	uint32_t session_id;
	uint32_t fail_kind;
};

struct events {
	struct nl_sock *sk;
	struct event *v;
	size_t n, cap;
	bool overrun;
};

static int ev_cb(struct nl_msg *msg, void *arg)
{
	struct events *e = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *g = nlmsg_data(nlh);
	struct nlattr *tb[SBEXEC_A_MAX + 1];
	struct event ev = { .cmd = g->cmd };

	if (genlmsg_parse(nlh, 0, tb, SBEXEC_A_MAX, NULL))
		return NL_SKIP;
	if (tb[SBEXEC_A_SESSION_ID])
		ev.session_id = nla_get_u32(tb[SBEXEC_A_SESSION_ID]);
	if (tb[SBEXEC_A_FAILURE]) {
		struct nlattr *fb[SBEXEC_FAILURE_A_MAX + 1];

		if (!nla_parse_nested(fb, SBEXEC_FAILURE_A_MAX,
				      tb[SBEXEC_A_FAILURE], NULL) &&
		    fb[SBEXEC_FAILURE_A_KIND])
			ev.fail_kind = nla_get_u32(fb[SBEXEC_FAILURE_A_KIND]);
	}
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 256;
		struct event *v = realloc(e->v, cap * sizeof(*v));

		if (!v)
			return NL_STOP;
		e->v = v;
		e->cap = cap;
	}
	e->v[e->n++] = ev;
	return NL_OK;
}

static int ev_open(struct events *e)
{
	int grp;

	memset(e, 0, sizeof(*e));
	e->sk = nl_socket_alloc();
	if (!e->sk)
		return -ENOMEM;
	nl_socket_disable_seq_check(e->sk);
	nl_socket_modify_cb(e->sk, NL_CB_VALID, NL_CB_CUSTOM, ev_cb, e);
	if (genl_connect(e->sk))
		return -ECONNREFUSED;
	grp = genl_ctrl_resolve_grp(e->sk, SBEXEC_GENL_NAME, SBEXEC_MCGRP_EVENTS);
	if (grp < 0)
		return -ENOENT;
	if (nl_socket_add_membership(e->sk, grp))
		return -EPERM;
	nl_socket_set_buffer_size(e->sk, 8 << 20, 0);
	nl_socket_set_nonblocking(e->sk);
	return 0;
}

static void ev_close(struct events *e)
{
	if (e->sk)
		nl_socket_free(e->sk);
	free(e->v);
	memset(e, 0, sizeof(*e));
}

/* Take in what arrived, waiting at most @wait_ms for more. */
static void ev_drain(struct events *e, int wait_ms)
{
	struct pollfd pfd = { .fd = nl_socket_get_fd(e->sk), .events = POLLIN };
	int err;

	do {
		for (;;) {
			err = nl_recvmsgs_default(e->sk);
			if (err == -NLE_NOMEM)
				e->overrun = true;	/* ENOBUFS: events lost */
			else if (err < 0)
				break;
		}
	} while (wait_ms > 0 && poll(&pfd, 1, wait_ms) > 0);
}

static size_t ev_count(const struct events *e, uint8_t cmd, uint32_t id,
		       uint32_t kind)
{
	size_t i, n = 0;

	for (i = 0; i < e->n; i++)
		if (e->v[i].cmd == cmd && (!id || e->v[i].session_id == id) &&
		    (!kind || e->v[i].fail_kind == kind))
			n++;
	return n;
}

/* ---- reading a session in a thread -------------------------------------- */

struct reader {
	pthread_t th;
	bool started;
	int fd;
	struct sbexec_output out;
	int err;
	size_t pause_at;	/* stop reading at this many stdout bytes ... */
	atomic_int paused;	/* ... say so ... */
	atomic_int resume;	/* ... until this is set */
	int delay_us;		/* between reads: a slow reader */
	bool endless;		/* load: no deadline, output counted, not kept */
	uint64_t bytes;		/* output bytes seen */
	atomic_int done;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	int64_t deadline = mono_ms() + STREAM_MS;
	size_t cap = 1 << 20;
	char *buf = malloc(cap);
	ssize_t n;

	if (!buf) {
		r->err = -ENOMEM;
		goto out;
	}
	for (;;) {
		struct pollfd pfd = { .fd = r->fd, .events = POLLIN };

		if (!r->endless && mono_ms() > deadline) {
			r->err = -ETIMEDOUT;
			break;
		}
		if (r->pause_at && r->out.out.len >= r->pause_at &&
		    !atomic_load(&r->resume)) {
			atomic_store(&r->paused, 1);
			sleep_ms(2);
			continue;
		}
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		n = sbexec_read_records(r->fd, buf, cap);
		if (n == 0)
			break;
		if (n < 0) {
			r->err = (int)n;
			break;
		}
		r->err = sbexec_output_feed(&r->out, buf, (size_t)n);
		if (r->err)
			break;
		if (r->endless) {
			/* Sequence checks go on; the bytes need not be kept. */
			r->bytes += r->out.out.len + r->out.err.len;
			r->out.out.len = 0;
			r->out.err.len = 0;
		}
		if (r->delay_us)
			usleep((useconds_t)r->delay_us);
	}
	if (!r->err && !r->out.have_exit)
		r->err = -EPROTO;
out:
	free(buf);
	atomic_store(&r->done, 1);
	return NULL;
}

static int reader_start(struct reader *r)
{
	int err = pthread_create(&r->th, NULL, reader_main, r);

	r->started = !err;
	return -err;
}

/*
 * Join thread @th once it set @done, waiting at most @timeout_ms; false
 * when it is still running. Clears @started.
 */
static bool join_done(pthread_t th, bool *started, atomic_int *done,
		      int timeout_ms)
{
	int64_t deadline = mono_ms() + timeout_ms;

	if (!*started)
		return true;
	while (!atomic_load(done)) {
		if (mono_ms() > deadline)
			return false;
		sleep_ms(5);
	}
	pthread_join(th, NULL);
	*started = false;
	return true;
}

/* Join with a deadline; false when the reader is still running. */
static bool reader_join(struct reader *r, int timeout_ms)
{
	return join_done(r->th, &r->started, &r->done, timeout_ms);
}

/* Feed records from @fd into @o until its stdout contains @text. */
static int read_until(int fd, struct sbexec_output *o, const char *text,
		      int timeout_ms)
{
	int64_t deadline = mono_ms() + timeout_ms;
	size_t cap = 1 << 20;
	char *buf = malloc(cap);
	ssize_t n;
	int err = 0;

	if (!buf)
		return -ENOMEM;
	while (!o->out.data || !strstr(o->out.data, text)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (mono_ms() > deadline) {
			err = -ETIMEDOUT;
			break;
		}
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		n = sbexec_read_records(fd, buf, cap);
		if (n <= 0) {
			err = n ? (int)n : -EPIPE;
			break;
		}
		err = sbexec_output_feed(o, buf, (size_t)n);
		if (err)
			break;
	}
	free(buf);
	return err;
}

/* ---- EXECs in threads ---------------------------------------------------- */

struct waiting_exec {
	pthread_t th;
	bool started;
	int idx;
	struct sbexec *h;
	char script[128];
	atomic_int tid;
	atomic_int done;
	int err;
	int64_t returned_ms;
	struct sbexec_exec_result res;
	struct sbexec_output out;
	int collect_err;
};

static void *waiting_exec_main(void *arg)
{
	struct waiting_exec *w = arg;
	const char *const argv[] = { "-c", w->script, NULL };
	struct sbexec_exec_req req = { .cmd = SH, .argv = argv };
	int fd;

	atomic_store(&w->tid, (int)gettid());
	w->err = sbexec_exec(w->h, &req, &w->res);
	w->returned_ms = mono_ms();
	if (!w->err) {
		fd = sbexec_attach(w->h, w->res.session_id);
		if (fd < 0) {
			w->collect_err = fd;
		} else {
			w->collect_err = sbexec_collect(fd, &w->out, STREAM_MS);
			close(fd);
		}
	}
	atomic_store(&w->done, 1);
	return NULL;
}

/* An EXEC of @script (default: "echo TAG-IDX; exit IDX+1") in a thread. */
static int waiting_exec_start_script(struct waiting_exec *w, int idx,
				     const char *tag, const char *script)
{
	int err;

	memset(w, 0, sizeof(*w));
	w->idx = idx;
	if (script)
		snprintf(w->script, sizeof(w->script), "%s", script);
	else
		snprintf(w->script, sizeof(w->script), "echo %s-%d; exit %d",
			 tag, idx, idx + 1);
	err = sbexec_open(&w->h);
	if (err)
		return err;
	err = pthread_create(&w->th, NULL, waiting_exec_main, w);
	w->started = !err;
	return -err;
}

static int waiting_exec_start(struct waiting_exec *w, int idx, const char *tag)
{
	return waiting_exec_start_script(w, idx, tag, NULL);
}

/* Wait until the thread sleeps in the module (its EXEC waits there). */
static bool waiting_exec_blocked(struct waiting_exec *w, int timeout_ms)
{
	int64_t deadline = mono_ms() + timeout_ms;

	while (!atomic_load(&w->tid))
		sleep_ms(1);
	while (!sleeps_in_sbexec((pid_t)atomic_load(&w->tid))) {
		if (atomic_load(&w->done) || mono_ms() > deadline)
			return false;
		sleep_ms(2);
	}
	return true;
}

/*
 * Run `sh -c @script` to its end: it must print @want and, unless @code is
 * negative, exit with @code.
 */
static void expect_run(struct __test_metadata *_metadata, struct sbexec *h,
		       const char *script, const char *want, int code)
{
	const char *const argv[] = { "-c", script, NULL };
	struct sbexec_exec_req req = { .cmd = SH, .argv = argv };
	struct sbexec_exec_result res;
	struct sbexec_output o = { 0 };
	int err;

	err = sbexec_run_capture(h, &req, NULL, 0, STREAM_MS, &res, &o);
	EXPECT_EQ(0, err) TH_LOG("%s: %s", script, sbexec_strerror_last(h));
	EXPECT_STREQ(want, o.out.data ? o.out.data : "");
	if (code >= 0)
		EXPECT_EQ((uint32_t)code, o.exit.code);
	sbexec_output_free(&o);
}

/* Start the queued requests w[@from] to w[NR_QUEUED - 1]. */
static void queue_execs(struct __test_metadata *_metadata,
			struct waiting_exec *w, int from)
{
	int i;

	for (i = from; i < NR_QUEUED; i++) {
		ASSERT_EQ(0, waiting_exec_start(&w[i], i, "queued"));
	}
}

/* Log every queued request not seen waiting in the module. */
static void log_not_waiting(struct __test_metadata *_metadata,
			    struct waiting_exec *w)
{
	int i;

	for (i = 0; i < NR_QUEUED; i++)
		if (!waiting_exec_blocked(&w[i], 5000))
			TH_LOG("request %d: not seen waiting in the module", i);
}

static bool waiting_exec_join(struct waiting_exec *w, int timeout_ms)
{
	return join_done(w->th, &w->started, &w->done, timeout_ms);
}

static void waiting_exec_free(struct waiting_exec *w)
{
	sbexec_output_free(&w->out);
	sbexec_close(w->h);
	w->h = NULL;
}

/* ---- the helper: our own, so its orphans become ours ------------------- */

/*
 * A helper left stopped (SIGSTOP, ptrace) by a failed assertion would
 * never answer again: kill it, so that helper_ensure() starts a new one.
 */
static void helper_unstick(void)
{
	pid_t pid = helper_pid();
	int64_t deadline = mono_ms() + 5000;
	char st = pid > 0 ? proc_state(pid) : 0;

	if (st != 'T' && st != 't')
		return;
	kill(pid, SIGKILL);
	kill(pid, SIGCONT);
	while (pid_alive(pid) && mono_ms() < deadline)
		sleep_ms(10);
}

/*
 * Become the child subreaper and replace the running helper by one that
 * descends from us: when it dies, its children (the sessions' processes)
 * are reparented to this process, which reaps them and so learns the
 * status the kernel gave their parent.
 */
static pid_t own_helper(void)
{
	pid_t pid;
	int err;

	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0))
		return -errno;
	helper_unstick();
	err = helper_stop(10000);
	if (err && err != -ESRCH)
		return err;
	if (helper_start())
		return -ECHILD;
	pid = helper_pid();
	return pid > 0 && pid_alive(pid) ? pid : -ESRCH;
}

/* The helper's /dev/sbexec descriptor number. */
static int helper_devfd(pid_t pid)
{
	char path[64], link[256];
	struct dirent *de;
	DIR *d;
	int fd = -1;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char full[320];
		ssize_t n;

		snprintf(full, sizeof(full), "%s/%s", path, de->d_name);
		n = readlink(full, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (!strcmp(link, "/dev/" SBEXEC_DEVICE_NAME)) {
			fd = atoi(de->d_name);
			break;
		}
	}
	closedir(d);
	return fd;
}

enum trace_point {
	AFTER_READ,	/* read() of a spawn request returned: it is in flight */
	BEFORE_FORKED,	/* about to write() FORKED: the child is at its gate */
	BEFORE_REPLY,	/* about to write() the reply: the child was spawned */
};

/* Seize @pid and stop it at once (ptrace-stopped, not running). */
static int trace_seize(pid_t pid)
{
	int status;

	if (ptrace(PTRACE_SEIZE, pid, 0, PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL))
		return -errno;
	if (ptrace(PTRACE_INTERRUPT, pid, 0, 0))
		return -errno;
	if (waitpid(pid, &status, __WALL) != pid || !WIFSTOPPED(status))
		return -ECHILD;
	return 0;
}

/*
 * Let the seized helper run, syscall by syscall, until it reaches @point
 * on its /dev/sbexec descriptor @devfd; it stays stopped there.
 */
static int trace_until(pid_t pid, int devfd, enum trace_point point,
		       int timeout_ms)
{
	int64_t deadline = mono_ms() + timeout_ms;
	long last_nr = -1, last_fd = -1;
	int sig = 0, status, writes = 0;

	for (;;) {
		struct __ptrace_syscall_info si;
		pid_t got;

		if (ptrace(PTRACE_SYSCALL, pid, 0, sig))
			return -errno;
		sig = 0;
		while ((got = waitpid(pid, &status, WNOHANG | __WALL)) == 0) {
			if (mono_ms() > deadline)
				return -ETIMEDOUT;
			sleep_ms(1);
		}
		if (got != pid || !WIFSTOPPED(status))
			return -ECHILD;
		if (WSTOPSIG(status) != (SIGTRAP | 0x80)) {
			/* An event stop carries no signal; a signal stop does. */
			if (!(status >> 16))
				sig = WSTOPSIG(status);
			continue;
		}
		memset(&si, 0, sizeof(si));
		if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof(si), &si) <= 0)
			return -errno;
		if (si.op == PTRACE_SYSCALL_INFO_ENTRY) {
			last_nr = (long)si.entry.nr;
			last_fd = (long)si.entry.args[0];
			/* The helper writes FORKED, then its reply. */
			if (last_nr == SYS_write && last_fd == devfd &&
			    ++writes == (point == BEFORE_REPLY ? 2 : 1) &&
			    point != AFTER_READ)
				return 0;
		} else if (si.op == PTRACE_SYSCALL_INFO_EXIT) {
			if (point == AFTER_READ && last_nr == SYS_read &&
			    last_fd == devfd && si.exit.rval > 0)
				return 0;
		}
	}
}

/* ---- load for the stress run ------------------------------------------- */

struct load {
	pid_t hogs[4];
	int nr_hogs;
	struct sbexec *h;
	struct reader rd[2];
	uint32_t ids[2];
	int nr_sessions;
};

static void load_start(struct load *l)
{
	const char *const argv[] = { "-c", "while :; do seq 1 2000; done", NULL };
	struct sbexec_exec_req req = { .cmd = SH, .argv = argv };
	struct sbexec_exec_result res;
	int i;

	memset(l, 0, sizeof(*l));
	for (i = 0; i < 2; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			for (;;)
				;
		}
		if (pid > 0)
			l->hogs[l->nr_hogs++] = pid;
	}
	if (sbexec_open(&l->h))
		return;
	for (i = 0; i < 2; i++) {
		struct reader *r = &l->rd[l->nr_sessions];

		if (sbexec_exec(l->h, &req, &res))
			break;
		r->fd = sbexec_attach(l->h, res.session_id);
		if (r->fd < 0)
			break;
		r->endless = true;
		l->ids[l->nr_sessions++] = res.session_id;
		reader_start(r);
	}
}

/* Stop the load; false when a load session did not end with SIGKILL. */
static bool load_stop(struct load *l)
{
	bool ok = true;
	int i;

	for (i = 0; i < l->nr_hogs; i++) {
		kill(l->hogs[i], SIGKILL);
		waitpid(l->hogs[i], NULL, 0);
	}
	for (i = 0; i < l->nr_sessions; i++) {
		struct reader *r = &l->rd[i];

		sbexec_signal(l->h, l->ids[i], SIGKILL);
		if (!reader_join(r, STREAM_MS) || r->err || !r->bytes ||
		    r->out.exit.signal != SIGKILL) {
			fprintf(stderr, "# load session %u: err %d (%s), exit signal %u, %llu bytes read\n",
				l->ids[i], r->err, strerror(-r->err), r->out.exit.signal,
				(unsigned long long)r->bytes);
			ok = false;
		}
		close(r->fd);
		sbexec_output_free(&r->out);
	}
	sbexec_close(l->h);
	return ok;
}

/* ---- helper death: one round ------------------------------------------- */

enum round_mode {
	MODE_QUEUED,		/* all requests queued behind a stopped helper */
	MODE_IN_FLIGHT,		/* one read by the helper, the rest queued */
	MODE_FORKED,		/* one forked, not yet reported, rest queued */
	MODE_SPAWNED,		/* one spawned but not yet answered, rest queued */
	MODE_RACE,		/* requests race with the kill */
	NR_MODES
};

static const char *const mode_names[] = {
	"queued", "in flight", "forked, FORKED not sent",
	"spawned, reply not sent", "racing the kill",
};

FIXTURE(helper) {
	struct sbexec *h;
	struct reaper reaper;
	struct events ev;
	pid_t helper;
	int baseline;
};

FIXTURE_SETUP(helper)
{
	int err;

	memset(&self->reaper, 0, sizeof(self->reaper));
	self->ev.sk = NULL;
	self->h = NULL;
	err = sbexec_open(&self->h);
	ASSERT_EQ(0, err) TH_LOG("sbexec_open: %s", sbexec_open_error(err));
	self->helper = own_helper();
	ASSERT_LT(0, self->helper) TH_LOG("could not start our own helper: %s",
		strerror(-self->helper));
	err = ev_open(&self->ev);
	ASSERT_EQ(0, err) TH_LOG("events socket: %s", strerror(-err));
	self->baseline = count_sessions(self->h);
	ASSERT_LE(0, self->baseline);
}

FIXTURE_TEARDOWN(helper)
{
	helper_unstick();
	if (helper_ensure())
		TH_LOG("could not restart sbexec-helper");
	ev_close(&self->ev);
	sbexec_close(self->h);
	free(self->reaper.v);
}

/* A session started before the kill that runs on after it. */
struct live {
	const char *name;
	uint32_t id;
	pid_t pid;
	struct reader rd;
};

static int live_start(struct sbexec *h, struct live *l, const char *name,
		      const char *script, bool tty, uint32_t ring_size)
{
	const char *const argv[] = { "-c", script, NULL };
	struct sbexec_exec_req req = { .cmd = SH, .argv = argv, .tty = tty,
				       .rows = 24, .cols = 80, .ring_size = ring_size };
	struct sbexec_exec_result res;
	int err;

	memset(l, 0, sizeof(*l));
	l->name = name;
	l->rd.fd = -1;
	err = sbexec_exec(h, &req, &res);
	if (err)
		return err;
	l->id = res.session_id;
	l->pid = (pid_t)res.pid;
	l->rd.fd = sbexec_attach(h, l->id);
	return l->rd.fd < 0 ? l->rd.fd : 0;
}

static void live_free(struct live *l)
{
	reader_join(&l->rd, STREAM_MS);
	if (l->rd.fd >= 0)
		close(l->rd.fd);
	l->rd.fd = -1;
	sbexec_output_free(&l->rd.out);
}

enum { L_GATE, L_STREAM, L_PTY, L_SIG, NR_LIVE };

/*
 * One round: sessions running and streaming, requests waiting (as @mode
 * says), SIGKILL the helper, drive the sessions while none exists, start
 * a new one, check everything.
 */
static void helper_death_round(struct __test_metadata *_metadata,
			       FIXTURE_DATA(helper) *self, enum round_mode mode,
			       unsigned int seed)
{
	static const char gate_script[] =
		"printf gate-ready; read x; seq 1 50000; echo gate-err >&2; exit 7";
	static const char stream_script[] = "seq 1 150000; exit 3";
	static const char pty_script[] =
		"echo pty-ready; read x; echo \"got $x\"; exit 5";
	static const char sig_script[] = "echo sig-ready; exec sleep 1000";
	struct live live[NR_LIVE];
	struct waiting_exec w[NR_QUEUED];
	struct sbexec_buf want = { 0 };
	int status[NR_LIVE], st, i, err, spawned = 0, unavailable = 0;
	pid_t orphan = -1;
	int64_t killed_at;
	size_t have;

	memset(live, 0, sizeof(live));
	for (i = 0; i < NR_LIVE; i++) {
		live[i].rd.fd = -1;
		status[i] = -1;
	}
	memset(w, 0, sizeof(w));

	/* Sessions that stream across the kill. */
	ASSERT_EQ(0, live_start(self->h, &live[L_GATE], "gate", gate_script, false, 0))
		TH_LOG("%s", sbexec_strerror_last(self->h));
	ASSERT_EQ(0, live_start(self->h, &live[L_STREAM], "stream", stream_script,
				false, 8192)) TH_LOG("%s", sbexec_strerror_last(self->h));
	ASSERT_EQ(0, live_start(self->h, &live[L_PTY], "pty", pty_script, true, 0))
		TH_LOG("%s", sbexec_strerror_last(self->h));
	ASSERT_EQ(0, live_start(self->h, &live[L_SIG], "sig", sig_script, false, 0))
		TH_LOG("%s", sbexec_strerror_last(self->h));
	err = read_until(live[L_GATE].rd.fd, &live[L_GATE].rd.out, "gate-ready", STREAM_MS);
	ASSERT_EQ(0, err) TH_LOG("gate: %s", strerror(-err));
	err = read_until(live[L_PTY].rd.fd, &live[L_PTY].rd.out, "pty-ready", STREAM_MS);
	ASSERT_EQ(0, err) TH_LOG("pty: %s", strerror(-err));
	err = read_until(live[L_SIG].rd.fd, &live[L_SIG].rd.out, "sig-ready", STREAM_MS);
	ASSERT_EQ(0, err) TH_LOG("sig: %s", strerror(-err));
	/* The stream's reader is slow and holds still mid-stream for the kill. */
	live[L_STREAM].rd.pause_at = 64 * 1024;
	live[L_STREAM].rd.delay_us = 200;
	for (i = 0; i < NR_LIVE; i++) {
		ASSERT_EQ(0, reader_start(&live[i].rd));
	}
	while (!atomic_load(&live[L_STREAM].rd.paused) && !atomic_load(&live[L_STREAM].rd.done))
		sleep_ms(2);
	ASSERT_TRUE(atomic_load(&live[L_STREAM].rd.paused)) TH_LOG("stream: %s",
		strerror(-live[L_STREAM].rd.err));

	ev_drain(&self->ev, 0);
	self->ev.n = 0;
	self->ev.overrun = false;

	/* Requests that wait for the helper when it dies. */
	switch (mode) {
	case MODE_QUEUED:
		ASSERT_EQ(0, kill(self->helper, SIGSTOP));
		ASSERT_TRUE(wait_stopped(self->helper, 5000));
		queue_execs(_metadata, w, 0);
		log_not_waiting(_metadata, w);
		break;
	case MODE_IN_FLIGHT:
	case MODE_FORKED:
	case MODE_SPAWNED: {
		static const enum trace_point points[] = {
			[MODE_IN_FLIGHT] = AFTER_READ,
			[MODE_FORKED] = BEFORE_FORKED,
			[MODE_SPAWNED] = BEFORE_REPLY,
		};
		int devfd = helper_devfd(self->helper);
		pid_t before[32];
		int nr_before;

		ASSERT_LE(0, devfd) TH_LOG("the helper's /dev/sbexec fd: %s", strerror(-devfd));
		nr_before = children_of(self->helper, before, 32);
		err = trace_seize(self->helper);
		ASSERT_EQ(0, err) TH_LOG("ptrace: %s", strerror(-err));
		/* A command that would run on if nobody killed it. */
		ASSERT_EQ(0, waiting_exec_start_script(&w[0], 0, "queued",
			  "echo queued-0; exec sleep 1000"));
		err = trace_until(self->helper, devfd, points[mode], OUTCOME_MS);
		ASSERT_EQ(0, err) TH_LOG("tracing the helper to the %s: %s",
			mode_names[mode], strerror(-err));
		if (mode != MODE_IN_FLIGHT)
			orphan = new_child(self->helper, before, nr_before);
		if (mode != MODE_IN_FLIGHT) {
			ASSERT_LT(0, orphan) TH_LOG("no new child of the helper");
		}
		queue_execs(_metadata, w, 1);
		log_not_waiting(_metadata, w);
		break;
	}
	case MODE_RACE:
		queue_execs(_metadata, w, 0);
		usleep((useconds_t)(rand_r(&seed) % 20000));
		break;
	default:
		ASSERT_TRUE(false);
	}

	/* The kill. */
	ASSERT_EQ(0, kill(self->helper, SIGKILL));
	killed_at = mono_ms();
	ASSERT_TRUE(reaped_wait(&self->reaper, self->helper, 10000, &st))
		TH_LOG("the killed helper was not reaped here");
	EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

	/* Every waiting EXEC comes back once, at once. */
	for (i = 0; i < NR_QUEUED; i++) {
		struct waiting_exec *q = &w[i];
		char want_out[64];

		ASSERT_TRUE(waiting_exec_join(q, OUTCOME_MS + STREAM_MS))
			TH_LOG("request %d (%s): EXEC still waiting", i, mode_names[mode]);
		if (!q->err) {
			spawned++;
			EXPECT_NE((int)MODE_QUEUED, (int)mode) TH_LOG("request %d spawned by a stopped helper", i);
			EXPECT_EQ(0, q->collect_err) TH_LOG("request %d: %s", i,
				strerror(-q->collect_err));
			snprintf(want_out, sizeof(want_out), "queued-%d\n", i);
			EXPECT_STREQ(want_out, q->out.out.data ? q->out.out.data : "");
			EXPECT_TRUE(q->out.have_exit);
			EXPECT_EQ((uint32_t)i + 1, q->out.exit.code);
			continue;
		}
		unavailable++;
		EXPECT_EQ(-ENOTCONN, q->err) TH_LOG("request %d (%s): %d %s: %s", i,
			mode_names[mode], q->err, sbexec_fail_kind_name(q->res.failure.kind),
			q->res.failure.message);
		EXPECT_EQ((uint32_t)SBEXEC_FAIL_HELPER_UNAVAILABLE, q->res.failure.kind);
		EXPECT_STREQ("ENOTCONN", q->res.failure.errno_name);
		EXPECT_EQ(0U, q->res.session_id);
		EXPECT_LT(q->returned_ms - killed_at, OUTCOME_MS) TH_LOG("request %d took %lld ms",
			i, (long long)(q->returned_ms - killed_at));
		if (mode == MODE_RACE) {
			EXPECT_TRUE(q->res.failure.stage == SBEXEC_STAGE_UPCALL ||
				    q->res.failure.stage == SBEXEC_STAGE_ADMISSION);
			continue;
		}
		EXPECT_EQ((uint32_t)SBEXEC_STAGE_UPCALL, q->res.failure.stage);
		/* The module says which side of the helper's read it was on. */
		if (i == 0 && mode != MODE_QUEUED) {
			EXPECT_NE(NULL, strstr(q->res.failure.message, "before answering"))
				TH_LOG("request 0: %s", q->res.failure.message);
		} else {
			EXPECT_NE(NULL, strstr(q->res.failure.message, "before taking"))
				TH_LOG("request %d: %s", i, q->res.failure.message);
		}
	}
	EXPECT_EQ(NR_QUEUED, spawned + unavailable);
	if (mode != MODE_RACE) {
		EXPECT_EQ(NR_QUEUED, unavailable);
	}

	/*
	 * The child the helper forked for request 0 is ours now (we are the
	 * subreaper). Its client was told HelperUnavailable, so its command
	 * must not run on: held at its gate it exits 127 having run nothing
	 * (FORKED never reached the module), or the module killed it.
	 */
	if (orphan > 0) {
		bool reaped = reaped_wait(&self->reaper, orphan, OUTCOME_MS, &st);

		EXPECT_TRUE(reaped) TH_LOG("pid %d, forked for the EXEC that failed, still runs (%s)",
			(int)orphan, mode_names[mode]);
		if (!reaped) {
			kill(orphan, SIGKILL);
			reaped_wait(&self->reaper, orphan, 5000, &st);
		} else if (mode == MODE_FORKED) {
			EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 127)
				TH_LOG("status 0x%x: it went past its gate", st);
		} else {
			EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
				TH_LOG("status 0x%x: the module did not kill it", st);
		}
	}

	/* No helper now: the sessions take stdin and signals and end. */
	EXPECT_EQ(0, sbexec_stdin(self->h, live[L_GATE].id, "go\n", 3))
		TH_LOG("gate stdin: %s", sbexec_strerror_last(self->h));
	EXPECT_EQ(0, sbexec_close_stdin(self->h, live[L_GATE].id));
	EXPECT_EQ(0, sbexec_stdin(self->h, live[L_PTY].id, "hello\n", 6))
		TH_LOG("pty stdin: %s", sbexec_strerror_last(self->h));
	EXPECT_EQ(0, sbexec_signal(self->h, live[L_SIG].id, SIGTERM))
		TH_LOG("signal: %s", sbexec_strerror_last(self->h));
	have = live[L_STREAM].rd.out.out.len;
	atomic_store(&live[L_STREAM].rd.resume, 1);
	for (i = 0; i < NR_LIVE; i++) {
		/* The dead helper's children are ours: this is their real status. */
		EXPECT_TRUE(reaped_wait(&self->reaper, live[i].pid, STREAM_MS, &status[i]))
			TH_LOG("%s: pid %d not reaped here (parent %d)", live[i].name,
			       (int)live[i].pid, (int)proc_ppid(live[i].pid));
	}

	/* A new helper; EXEC works again. */
	ASSERT_EQ(0, helper_start()) TH_LOG("restarting sbexec-helper");
	self->helper = helper_pid();
	ASSERT_LT(0, self->helper);
	if (self->helper)
		expect_run(_metadata, self->h, "echo back; exit 4", "back\n", 4);

	/* Every running session streamed to its end, byte-exact. */
	for (i = 0; i < NR_LIVE; i++) {
		struct reader *r = &live[i].rd;

		ASSERT_TRUE(reader_join(r, STREAM_MS)) TH_LOG("%s: reader stuck", live[i].name);
		EXPECT_EQ(0, r->err) TH_LOG("%s: %s", live[i].name, strerror(-r->err));
		EXPECT_TRUE(r->out.have_exit) TH_LOG("%s: no exit record", live[i].name);
		EXPECT_TRUE(status[i] != -1 && exit_matches(&r->out.exit, status[i]))
			TH_LOG("%s: exit record exited=%u code=%u signal=%u core=%u, wait status 0x%x",
			       live[i].name, r->out.exit.exited, r->out.exit.code,
			       r->out.exit.signal, r->out.exit.core_dumped, status[i]);
	}
	EXPECT_TRUE(WIFEXITED(status[L_GATE]) && WEXITSTATUS(status[L_GATE]) == 7);
	EXPECT_TRUE(WIFEXITED(status[L_STREAM]) && WEXITSTATUS(status[L_STREAM]) == 3);
	EXPECT_TRUE(WIFEXITED(status[L_PTY]) && WEXITSTATUS(status[L_PTY]) == 5);
	EXPECT_TRUE(WIFSIGNALED(status[L_SIG]) && WTERMSIG(status[L_SIG]) == SIGTERM);

	seq_text(&want, 1, 50000);
	ASSERT_NE(NULL, want.data);
	EXPECT_EQ(strlen("gate-ready") + want.len, live[L_GATE].rd.out.out.len);
	EXPECT_TRUE(live[L_GATE].rd.out.out.len >= strlen("gate-ready") &&
		    !memcmp(live[L_GATE].rd.out.out.data, "gate-ready", 10) &&
		    buf_eq(&(struct sbexec_buf){ .data = live[L_GATE].rd.out.out.data + 10,
						 .len = live[L_GATE].rd.out.out.len - 10 },
			   want.data, want.len)) TH_LOG("gate: stdout differs");
	EXPECT_STREQ("gate-err\n", live[L_GATE].rd.out.err.data ? live[L_GATE].rd.out.err.data : "");
	free(want.data);

	seq_text(&want, 1, 150000);
	ASSERT_NE(NULL, want.data);
	EXPECT_LT(have, want.len) TH_LOG("the stream ended before the kill");
	EXPECT_EQ(want.len, live[L_STREAM].rd.out.out.len);
	EXPECT_EQ(fnv1a64(want.data, want.len),
		  fnv1a64(live[L_STREAM].rd.out.out.data, live[L_STREAM].rd.out.out.len));
	free(want.data);

	strip_cr(&live[L_PTY].rd.out.out);
	EXPECT_STREQ("pty-ready\nhello\ngot hello\n",
		     live[L_PTY].rd.out.out.data ? live[L_PTY].rd.out.out.data : "");
	EXPECT_STREQ("sig-ready\n", live[L_SIG].rd.out.out.data ? live[L_SIG].rd.out.out.data : "");

	/* The events group told each outcome exactly once. */
	if (self->ev.sk) {
		size_t want_events = (size_t)spawned * 2 + unavailable + NR_LIVE;
		int64_t deadline = mono_ms() + 10000;

		while (mono_ms() < deadline) {
			ev_drain(&self->ev, 100);
			if (ev_count(&self->ev, SBEXEC_CMD_EVENT_FAILED, 0,
				     SBEXEC_FAIL_HELPER_UNAVAILABLE) >= (size_t)unavailable &&
			    self->ev.n >= want_events)
				break;
		}
		EXPECT_FALSE(self->ev.overrun) TH_LOG("events were lost (ENOBUFS)");
		EXPECT_EQ((size_t)unavailable,
			  ev_count(&self->ev, SBEXEC_CMD_EVENT_FAILED, 0,
				   SBEXEC_FAIL_HELPER_UNAVAILABLE));
		for (i = 0; i < NR_QUEUED; i++) {
			if (w[i].err)
				continue;
			EXPECT_EQ(1U, ev_count(&self->ev, SBEXEC_CMD_EVENT_STARTED,
					       w[i].res.session_id, 0)) TH_LOG("request %d", i);
			EXPECT_EQ(1U, ev_count(&self->ev, SBEXEC_CMD_EVENT_EXITED,
					       w[i].res.session_id, 0)) TH_LOG("request %d", i);
		}
		for (i = 0; i < NR_LIVE; i++) {
			EXPECT_EQ(1U, ev_count(&self->ev, SBEXEC_CMD_EVENT_EXITED,
					       live[i].id, 0)) TH_LOG("%s", live[i].name);
		}
	}

	for (i = 0; i < NR_QUEUED; i++)
		waiting_exec_free(&w[i]);
	for (i = 0; i < NR_LIVE; i++)
		live_free(&live[i]);
	/* Nothing stays behind: every session was read to its end and closed. */
	EXPECT_EQ(self->baseline, wait_sessions(self->h, self->baseline, 5000));
}

TEST_F_TIMEOUT(helper, killed_with_queued_requests, 300)
{
	helper_death_round(_metadata, self, MODE_QUEUED, 1);
}

TEST_F_TIMEOUT(helper, killed_with_a_request_in_flight, 300)
{
	helper_death_round(_metadata, self, MODE_IN_FLIGHT, 1);
}

TEST_F_TIMEOUT(helper, killed_after_fork_before_reporting_it, 300)
{
	helper_death_round(_metadata, self, MODE_FORKED, 1);
}

TEST_F_TIMEOUT(helper, killed_after_spawn_before_reply, 300)
{
	helper_death_round(_metadata, self, MODE_SPAWNED, 1);
}

/*
 * SBEXEC_ROBUST_ITERATIONS rounds (default 3) through every mode; with
 * SBEXEC_ROBUST_LOAD=1 under CPU hogs and two busy output sessions, which
 * also live through every kill.
 */
TEST_F_TIMEOUT(helper, killed_repeatedly, 7200)
{
	int iterations = atoi(env_or("SBEXEC_ROBUST_ITERATIONS", "3"));
	bool with_load = atoi(env_or("SBEXEC_ROBUST_LOAD", "0")) > 0;
	unsigned int seed = (unsigned int)mono_ms();
	struct load load = { .nr_sessions = 0 };
	int64_t t0 = mono_ms();
	int i;

	ASSERT_LT(0, iterations);
	TH_LOG("%d rounds%s, seed %u", iterations, with_load ? " under load" : "", seed);
	if (with_load) {
		load_start(&load);
		ASSERT_EQ(2, load.nr_sessions) TH_LOG("load sessions did not start");
		self->baseline += load.nr_sessions;
	}
	for (i = 0; i < iterations; i++) {
		helper_death_round(_metadata, self, (enum round_mode)(i % NR_MODES), seed + i);
		if (!_metadata->passed) {
			TH_LOG("round %d (%s) failed", i + 1, mode_names[i % NR_MODES]);
			break;
		}
		if ((i + 1) % 10 == 0)
			TH_LOG("%d rounds done in %lld s", i + 1, (long long)(mono_ms() - t0) / 1000);
	}
	if (with_load) {
		EXPECT_TRUE(load_stop(&load)) TH_LOG("a load session did not survive every kill");
		self->baseline -= load.nr_sessions;
		EXPECT_EQ(self->baseline, wait_sessions(self->h, self->baseline, 5000));
	}
	TH_LOG("%d rounds in %lld s", i, (long long)(mono_ms() - t0) / 1000);
}

/*
 * The helper and the clients waiting for it die at the same moment: the
 * clients' EXECs are withdrawn (fatal signal) while the helper's
 * unregistration fails them. Each request must still be counted out of
 * max_pending exactly once (it once was not: the count went below zero and
 * every later EXEC was refused as over max_pending). SBEXEC_ROBUST_RACE_ROUNDS
 * rounds (default 10; make stress runs 300).
 */
static void race_client(int nthreads)
{
	struct waiting_exec *w = calloc((size_t)nthreads, sizeof(*w));
	int i;

	if (!w)
		_exit(3);
	for (i = 0; i < nthreads; i++)
		if (waiting_exec_start(&w[i], i, "race"))
			_exit(3);
	for (;;)
		pause();
}

TEST_F_TIMEOUT(helper, dies_with_its_clients, 7200)
{
	int rounds = atoi(env_or("SBEXEC_ROBUST_RACE_ROUNDS", "10"));
	unsigned int seed = (unsigned int)mono_ms();
	int r, st, err;

	ASSERT_LT(0, rounds);
	TH_LOG("%d rounds, seed %u", rounds, seed);
	for (r = 0; r < rounds; r++) {
		const char *const argv[] = { "-c", "echo alive", NULL };
		struct sbexec_exec_req req = { .cmd = SH, .argv = argv };
		struct sbexec_exec_result res;
		struct sbexec_output o = { 0 };
		pid_t c;

		ASSERT_EQ(0, kill(self->helper, SIGSTOP));
		ASSERT_TRUE(wait_stopped(self->helper, 5000));
		c = fork();
		ASSERT_LE(0, c);
		if (c == 0)
			race_client(NR_QUEUED * 8);
		sleep_ms(150 + (int)(rand_r(&seed) % 100));
		kill(self->helper, SIGKILL);
		if (rand_r(&seed) % 2)
			usleep(rand_r(&seed) % 300);
		kill(c, SIGKILL);
		ASSERT_TRUE(reaped_wait(&self->reaper, c, 30000, &st));
		ASSERT_TRUE(reaped_wait(&self->reaper, self->helper, 10000, &st));
		ASSERT_EQ(0, helper_start());
		self->helper = helper_pid();
		ASSERT_LT(0, self->helper);
		err = sbexec_run_capture(self->h, &req, NULL, 0, STREAM_MS, &res, &o);
		ASSERT_EQ(0, err) TH_LOG("round %d: EXEC after the race: %s: %s", r + 1,
			sbexec_fail_kind_name(res.failure.kind),
			res.failure.message[0] ? res.failure.message : sbexec_strerror_last(self->h));
		EXPECT_STREQ("alive\n", o.out.data ? o.out.data : "");
		sbexec_output_free(&o);
		ASSERT_EQ(self->baseline, wait_sessions(self->h, self->baseline, 5000));
	}
}

/* ---- client death ------------------------------------------------------- */

FIXTURE(client) {
	struct sbexec *h;
	int baseline;
	int refcnt;
};

FIXTURE_SETUP(client)
{
	int err = sbexec_open(&self->h);

	ASSERT_EQ(0, err) TH_LOG("sbexec_open: %s", sbexec_open_error(err));
	ASSERT_EQ(0, helper_ensure());
	self->baseline = count_sessions(self->h);
	ASSERT_LE(0, self->baseline);
	self->refcnt = module_refcnt();
}

FIXTURE_TEARDOWN(client)
{
	helper_unstick();
	if (helper_ensure())
		TH_LOG("could not restart sbexec-helper");
	sbexec_close(self->h);
}

/* What the doomed client tells us about its sessions. */
struct client_report {
	int err;
	char what[128];
	uint32_t id[6];
	pid_t pid[6];
};

enum { C_KILL_SLEEP, C_KILL_FLOOD, C_KILL_READ, C_KEEP_GATE, C_KEEP_BIG, C_KEEP_PTY, NR_C };

static void client_main(int wfd)
{
	static const struct {
		const char *script;
		bool keep, tty;
	} s[NR_C] = {
		[C_KILL_SLEEP] = { "echo k1; exec sleep 1000", false, false },
		[C_KILL_FLOOD] = { "while :; do echo flood-flood-flood; done", false, false },
		[C_KILL_READ] = { "echo k3; exec sleep 1000", false, true },
		[C_KEEP_GATE] = { "echo p1-start; read x; echo \"p1-got $x\"; seq 1 20000; exit 6",
				  true, false },
		[C_KEEP_BIG] = { "seq 1 100000; exit 0", true, false },
		[C_KEEP_PTY] = { "read x; echo \"tty $x\"; exit 2", true, true },
	};
	struct client_report rep = { 0 };
	struct sbexec_output o = { 0 };
	struct sbexec *h;
	int fds[NR_C], i;

	if (sbexec_open(&h)) {
		rep.err = -ENOENT;
		goto out;
	}
	for (i = 0; i < NR_C; i++) {
		const char *const argv[] = { "-c", s[i].script, NULL };
		struct sbexec_exec_req req = { .cmd = SH, .argv = argv, .tty = s[i].tty,
					       .flags = s[i].keep ? SBEXEC_EXEC_F_KEEP_RUNNING : 0 };
		struct sbexec_exec_result res;

		rep.err = sbexec_exec(h, &req, &res);
		if (rep.err) {
			snprintf(rep.what, sizeof(rep.what), "exec %d: %s", i,
				 sbexec_strerror_last(h));
			goto out;
		}
		rep.id[i] = res.session_id;
		rep.pid[i] = (pid_t)res.pid;
		fds[i] = -1;
	}
	/* Readers open at the moment of death: one consumed its first record. */
	fds[C_KILL_READ] = sbexec_attach(h, rep.id[C_KILL_READ]);
	fds[C_KEEP_GATE] = sbexec_attach(h, rep.id[C_KEEP_GATE]);
	if (fds[C_KILL_READ] < 0 || fds[C_KEEP_GATE] < 0) {
		rep.err = -EBADF;
		snprintf(rep.what, sizeof(rep.what), "attach: %s", sbexec_strerror_last(h));
		goto out;
	}
	rep.err = read_until(fds[C_KEEP_GATE], &o, "p1-start\n", STREAM_MS);
	if (rep.err)
		snprintf(rep.what, sizeof(rep.what), "reading p1: %s", strerror(-rep.err));
out:
	if (write(wfd, &rep, sizeof(rep)) != sizeof(rep))
		_exit(1);
	for (;;)
		pause();
}

/* Is session @id gone (GET says ENOENT)? */
static bool session_gone(struct sbexec *h, uint32_t id)
{
	struct sbexec_session_info *info = calloc(1, sizeof(*info));
	int err;

	if (!info)
		return false;
	err = sbexec_get(h, id, info);
	free(info);
	return err == -ENOENT;
}

TEST_F_TIMEOUT(client, killed_mid_session, 300)
{
	struct client_report rep;
	struct sbexec_session_info *info = calloc(1, sizeof(*info));
	struct sbexec_attach a;
	struct sbexec_output o = { 0 };
	struct sbexec_buf want = { 0 };
	int p[2], status, fd, err, i;
	pid_t child;

	ASSERT_NE(NULL, info);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		close(p[0]);
		client_main(p[1]);
	}
	close(p[1]);
	ASSERT_EQ((ssize_t)sizeof(rep), read(p[0], &rep, sizeof(rep)));
	close(p[0]);
	ASSERT_EQ(0, rep.err) TH_LOG("client: %s", rep.what);
	for (i = 0; i < NR_C; i++) {
		ASSERT_TRUE(pid_alive(rep.pid[i])) TH_LOG("session %d's process", i);
	}
	/* Let the flood fill its ring and block. */
	sleep_ms(300);

	ASSERT_EQ(0, kill(child, SIGKILL));
	ASSERT_EQ(child, waitpid(child, &status, 0));

	/* Kill-on-close: killed, reaped (by the helper), gone from the table. */
	for (i = C_KILL_SLEEP; i <= C_KILL_READ; i++) {
		EXPECT_TRUE(wait_pid_gone(rep.pid[i], 10000))
			TH_LOG("kill-on-close session %d: pid %d still there (state %c)", i,
			       (int)rep.pid[i], proc_state(rep.pid[i]));
		EXPECT_TRUE(session_gone(self->h, rep.id[i])) TH_LOG("session %d still listed", i);
	}
	/* Keep-running: still running, listed, and anyone may take them over. */
	for (i = C_KEEP_GATE; i <= C_KEEP_PTY; i++) {
		EXPECT_EQ(0, sbexec_get(self->h, rep.id[i], info)) TH_LOG("session %d: %s", i,
			sbexec_strerror_last(self->h));
		EXPECT_TRUE(pid_alive(rep.pid[i])) TH_LOG("keep-running session %d died", i);
	}
	EXPECT_EQ(self->baseline + 3, count_sessions(self->h));

	/* p1: the dead client had consumed "p1-start"; we go on from there. */
	fd = sbexec_attach_info(self->h, rep.id[C_KEEP_GATE], &a);
	ASSERT_LE(0, fd) TH_LOG("reattach p1: %s", sbexec_strerror_last(self->h));
	EXPECT_EQ(1U, a.next_seq);
	o.next_seq = a.next_seq;
	ASSERT_EQ(0, sbexec_stdin(self->h, rep.id[C_KEEP_GATE], "hello\n", 6))
		TH_LOG("%s", sbexec_strerror_last(self->h));
	ASSERT_EQ(0, sbexec_close_stdin(self->h, rep.id[C_KEEP_GATE]));
	err = sbexec_collect(fd, &o, STREAM_MS);
	close(fd);
	ASSERT_EQ(0, err) TH_LOG("p1: %s", strerror(-err));
	seq_text(&want, 1, 20000);
	ASSERT_NE(NULL, want.data);
	EXPECT_EQ(strlen("p1-got hello\n") + want.len, o.out.len);
	EXPECT_TRUE(o.out.len > 13 && !memcmp(o.out.data, "p1-got hello\n", 13) &&
		    !memcmp(o.out.data + 13, want.data, want.len));
	EXPECT_EQ(1U, o.exit.exited);
	EXPECT_EQ(6U, o.exit.code);
	free(want.data);
	sbexec_output_free(&o);

	/* p2: 100000 lines that waited in a full ring, all of them. */
	fd = sbexec_attach_info(self->h, rep.id[C_KEEP_BIG], &a);
	ASSERT_LE(0, fd) TH_LOG("attach p2: %s", sbexec_strerror_last(self->h));
	EXPECT_EQ(0U, a.next_seq);
	err = sbexec_collect(fd, &o, STREAM_MS);
	close(fd);
	ASSERT_EQ(0, err) TH_LOG("p2: %s", strerror(-err));
	seq_text(&want, 1, 100000);
	ASSERT_NE(NULL, want.data);
	EXPECT_EQ(want.len, o.out.len);
	EXPECT_EQ(fnv1a64(want.data, want.len), fnv1a64(o.out.data, o.out.len));
	EXPECT_EQ(0U, o.exit.code);
	free(want.data);
	sbexec_output_free(&o);

	/* p3, a terminal: stdin from us, then its end. */
	fd = sbexec_attach(self->h, rep.id[C_KEEP_PTY]);
	ASSERT_LE(0, fd) TH_LOG("attach p3: %s", sbexec_strerror_last(self->h));
	ASSERT_EQ(0, sbexec_stdin(self->h, rep.id[C_KEEP_PTY], "x\n", 2));
	err = sbexec_collect(fd, &o, STREAM_MS);
	close(fd);
	ASSERT_EQ(0, err) TH_LOG("p3: %s", strerror(-err));
	strip_cr(&o.out);
	EXPECT_STREQ("x\ntty x\n", o.out.data ? o.out.data : "");
	EXPECT_EQ(2U, o.exit.code);
	sbexec_output_free(&o);

	/* Read to their ends and closed: gone. Nothing else stayed behind. */
	for (i = C_KEEP_GATE; i <= C_KEEP_PTY; i++) {
		EXPECT_TRUE(wait_pid_gone(rep.pid[i], 10000)) TH_LOG("session %d's process", i);
		EXPECT_TRUE(session_gone(self->h, rep.id[i])) TH_LOG("session %d still listed", i);
	}
	EXPECT_EQ(self->baseline, wait_sessions(self->h, self->baseline, 5000));
	/* The dead client's two readers let go of the module. */
	if (self->refcnt >= 0) {
		EXPECT_EQ(self->refcnt, module_refcnt());
	}
	free(info);
}

/*
 * A client that dies while its EXEC waits: queued behind a stopped
 * helper, or already read by the helper (in flight, stopped by ptrace).
 * The request is withdrawn; no session appears and no process is left
 * running (in flight: the helper's late reply is refused and it kills
 * what it spawned).
 */
static void client_dies_waiting(struct __test_metadata *_metadata,
				FIXTURE_DATA(client) *self, bool in_flight)
{
	char marker[64], script[128];
	struct reaper reaper = { 0 };
	pid_t helper, child, tid = 0;
	int p[2], status, devfd, err, n;

	snprintf(marker, sizeof(marker), "client-dies-%d-%lld", (int)getpid(),
		 (long long)mono_ms());
	snprintf(script, sizeof(script), "echo %s; exec sleep 1000", marker);
	helper = own_helper();
	ASSERT_LT(0, helper) TH_LOG("own helper: %s", strerror(-helper));
	devfd = helper_devfd(helper);
	ASSERT_LE(0, devfd);

	if (in_flight) {
		err = trace_seize(helper);
		ASSERT_EQ(0, err) TH_LOG("ptrace: %s", strerror(-err));
	} else {
		ASSERT_EQ(0, kill(helper, SIGSTOP));
		ASSERT_TRUE(wait_stopped(helper, 5000));
	}

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		const char *const argv[] = { "-c", script, NULL };
		struct sbexec_exec_req req = { .cmd = SH, .argv = argv };
		struct sbexec_exec_result res;
		struct sbexec *h;
		pid_t me = (pid_t)gettid();

		close(p[0]);
		if (write(p[1], &me, sizeof(me)) != sizeof(me) || sbexec_open(&h))
			_exit(1);
		sbexec_exec(h, &req, &res);
		_exit(2);	/* must not get here: it is killed while waiting */
	}
	close(p[1]);
	ASSERT_EQ((ssize_t)sizeof(tid), read(p[0], &tid, sizeof(tid)));
	close(p[0]);

	if (in_flight) {
		err = trace_until(helper, devfd, AFTER_READ, OUTCOME_MS);
		ASSERT_EQ(0, err) TH_LOG("tracing the helper: %s", strerror(-err));
	}
	{
		int64_t deadline = mono_ms() + 5000;

		while (!sleeps_in_sbexec(child) && mono_ms() < deadline)
			sleep_ms(2);
		if (!sleeps_in_sbexec(child))
			TH_LOG("the client was not seen waiting in the module");
	}
	ASSERT_EQ(0, kill(child, SIGKILL));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		TH_LOG("the client's EXEC returned (status 0x%x)", status);

	/* Let the helper go on: it finds nothing, or its reply is refused. */
	if (in_flight) {
		EXPECT_EQ(0, ptrace(PTRACE_DETACH, helper, 0, 0));
	} else {
		EXPECT_EQ(0, kill(helper, SIGCONT));
	}

	/* No session, no process: the spawned one (in flight) is killed. */
	{
		int64_t deadline = mono_ms() + 10000;

		while ((n = count_marked(marker, NULL)) > 0 && mono_ms() < deadline) {
			reap(&reaper);
			sleep_ms(20);
		}
	}
	EXPECT_EQ(0, n) TH_LOG("a process of the dead client's EXEC is running");
	EXPECT_EQ(self->baseline, count_sessions(self->h));
	EXPECT_TRUE(pid_alive(helper)) TH_LOG("the helper died");

	/* The helper still serves. */
	expect_run(_metadata, self->h, "echo fine", "fine\n", -1);
	EXPECT_EQ(self->baseline, wait_sessions(self->h, self->baseline, 5000));
	reap(&reaper);
	free(reaper.v);
}

TEST_F_TIMEOUT(client, killed_while_exec_queued, 120)
{
	client_dies_waiting(_metadata, self, false);
}

TEST_F_TIMEOUT(client, killed_while_exec_in_flight, 120)
{
	client_dies_waiting(_metadata, self, true);
}

TEST_HARNESS_MAIN
