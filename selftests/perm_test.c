// SPDX-License-Identifier: GPL-2.0
/*
 * perm_test.c - who may do what (issue 5, item 6).
 *
 * Every operation (EXEC, STDIN, CLOSE_STDIN, RESIZE, SIGNAL, GET, LIST,
 * open of /dev/sbexec, ATTACH, CONSUMED, helper registration) is tried
 *  - by an unprivileged process (uid/gid 65534, no groups, no capabilities),
 *  - by root without CAP_SYS_ADMIN, and by root without CAP_NET_ADMIN,
 *  - with a socket or /dev/sbexec file opened while privileged, after
 *    dropping to uid 65534,
 * and each is refused (EPERM, or EACCES from the device node's mode), with
 * the sessions of the test left exactly as they were. A root process with
 * every capability that does not own a kill-on-close session (a forked
 * child: another thread group) is refused STDIN, CLOSE_STDIN, RESIZE,
 * SIGNAL and ATTACH with EPERM and an extack message, and allowed GET and
 * LIST; for a keep-running session it is allowed everything. Another
 * thread of the owning process is the owner. A second helper registration
 * while one is live is EBUSY.
 *
 * Runs as root in the test guest with sbexec.ko loaded and the helper up.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/capability.h>

#include "kselftest_harness.h"
#include "util.h"

#define SH		"/bin/sh"
#define NOBODY		65534
#define OWNER_MSG	"belongs to the process that started it"

/* ---- identities ---- */

enum who {
	WHO_ROOT,		/* root with every capability, another process */
	WHO_NOBODY,		/* uid/gid 65534, no groups, no capabilities */
	WHO_NO_SYS_ADMIN,	/* root without CAP_SYS_ADMIN */
	WHO_NO_NET_ADMIN,	/* root without CAP_NET_ADMIN */
};

static int cap_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };

	return syscall(SYS_capget, &hdr, d) ? -errno : 0;
}

static bool cap_effective(int cap)
{
	struct __user_cap_data_struct d[2];

	return !cap_get(d) && (d[cap / 32].effective & (1U << (cap % 32)));
}

/* Drop @cap from every set (and the bounding set); stay uid 0. */
static int drop_cap(int cap)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	uint32_t bit = 1U << (cap % 32);

	if (cap_get(d))
		return -errno;
	if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0))
		return -errno;
	d[cap / 32].effective &= ~bit;
	d[cap / 32].permitted &= ~bit;
	d[cap / 32].inheritable &= ~bit;
	if (syscall(SYS_capset, &hdr, d))
		return -errno;
	return cap_effective(cap) ? -EPERM : 0;
}

static int drop_to_nobody(void)
{
	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
		return -errno;
	if (getuid() != NOBODY || geteuid() != NOBODY || getegid() != NOBODY)
		return -EPERM;
	/* Leaving uid 0 cleared the effective and permitted sets. */
	return cap_effective(CAP_SYS_ADMIN) || cap_effective(CAP_NET_ADMIN) ? -EPERM : 0;
}

static int become(enum who w)
{
	switch (w) {
	case WHO_ROOT:
		return 0;
	case WHO_NOBODY:
		return drop_to_nobody();
	case WHO_NO_SYS_ADMIN:
		return drop_cap(CAP_SYS_ADMIN);
	case WHO_NO_NET_ADMIN:
		return drop_cap(CAP_NET_ADMIN);
	}
	return -EINVAL;
}

/* ---- operations, tried in a child ---- */

enum op {
	OP_EXEC, OP_STDIN, OP_CLOSE_STDIN, OP_RESIZE, OP_SIGNAL, OP_GET,
	OP_LIST, OP_OPEN, OP_ATTACH, OP_CONSUMED, OP_REGISTER, OP_N
};

static const char *const op_names[OP_N] = {
	"EXEC", "STDIN", "CLOSE_STDIN", "RESIZE", "SIGNAL", "GET", "LIST",
	"open /dev/sbexec", "ATTACH", "CONSUMED", "HELPER_REGISTER",
};

/* Not tried: the step before it was refused (e.g. no /dev/sbexec file). */
#define NOT_TRIED	1

struct report {
	int setup_err;			/* become() or a setup step */
	int err[OP_N];			/* 0, -errno, or NOT_TRIED */
	char msg[OP_N][200];		/* extack message, if any */
	uint32_t get_pid;		/* what GET said */
	int list_seen;			/* LIST entries with the pipe session's id */
};

struct targets {
	uint32_t pipe_id;		/* a `cat` session */
	uint32_t tty_id;		/* a pty session */
	int sig;			/* for SIGNAL, sent to pipe_id */
	bool attach_and_read;		/* ATTACH pipe_id, read it to its end */
	struct sbexec_output out;	/* what that read gave (parent side: unused) */
};

static int list_cb(const struct sbexec_session_info *si, void *arg)
{
	struct report *r = arg;

	r->list_seen += si->session_id == r->get_pid;	/* get_pid holds the id here */
	return 0;
}

static void note(struct report *r, enum op op, struct sbexec *h, int err)
{
	const char *m = h ? sbexec_last_extack(h) : NULL;

	r->err[op] = err;
	snprintf(r->msg[op], sizeof(r->msg[op]), "%s", m ? m : "");
}

/* The device operations, on @fd (an open /dev/sbexec file). */
static void try_device(struct report *r, int fd, uint32_t id)
{
	struct sbexec_attach at = { .session_id = id };
	int rfd;

	r->err[OP_ATTACH] = ioctl(fd, SBEXEC_IOC_ATTACH, &at) ? -errno : 0;
	/* CONSUMED needs an attached reader: only then is it tried. */
	r->err[OP_CONSUMED] = NOT_TRIED;
	if (!r->err[OP_ATTACH])
		r->err[OP_CONSUMED] = ioctl(fd, SBEXEC_IOC_CONSUMED) ? -errno : 0;
	/* Registration on a fresh file (the first may have a role now). */
	rfd = open(SBEXEC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (rfd < 0) {
		r->err[OP_REGISTER] = NOT_TRIED;
		return;
	}
	r->err[OP_REGISTER] = ioctl(rfd, SBEXEC_IOC_HELPER_REGISTER) ? -errno : 0;
	close(rfd);
}

/* Try every operation on @t's sessions through @h. */
static void try_all(struct report *r, struct sbexec *h, const struct targets *t)
{
	const char *const argv[] = { "should-not-run", NULL };
	struct sbexec_exec_req req = { .cmd = "/bin/echo", .argv = argv };
	struct sbexec_session_info *info = calloc(1, sizeof(*info));
	struct sbexec_exec_result res;
	int fd, err;

	err = sbexec_exec(h, &req, &res);
	note(r, OP_EXEC, h, err);
	if (!err)
		sbexec_signal(h, res.session_id, SIGKILL);
	note(r, OP_STDIN, h, sbexec_stdin(h, t->pipe_id, "intruder\n", 9));
	note(r, OP_CLOSE_STDIN, h, sbexec_close_stdin(h, t->pipe_id));
	note(r, OP_RESIZE, h, sbexec_resize(h, t->tty_id, 30, 100));
	note(r, OP_SIGNAL, h, sbexec_signal(h, t->pipe_id, t->sig));
	err = info ? sbexec_get(h, t->pipe_id, info) : -ENOMEM;
	note(r, OP_GET, h, err);
	if (!err)
		r->get_pid = info->pid;
	free(info);
	{
		struct report tmp = { .get_pid = t->pipe_id };

		err = sbexec_list(h, list_cb, &tmp);
		note(r, OP_LIST, h, err);
		r->list_seen = tmp.list_seen;
	}
	fd = open(SBEXEC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	r->err[OP_OPEN] = fd < 0 ? -errno : 0;
	if (fd < 0) {
		r->err[OP_ATTACH] = r->err[OP_CONSUMED] = r->err[OP_REGISTER] = NOT_TRIED;
		return;
	}
	try_device(r, fd, t->pipe_id);
	close(fd);
}

/*
 * Fork; the child becomes @w, opens its own handle and tries every
 * operation on @t's sessions; its report comes back through a pipe.
 */
static int run_as(enum who w, const struct targets *t, struct report *r)
{
	int p[2], status;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	if (pipe2(p, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		struct report rep = { 0 };
		struct sbexec *h = NULL;

		close(p[0]);
		alarm(60);
		rep.setup_err = become(w);
		if (!rep.setup_err)
			rep.setup_err = sbexec_open(&h);
		if (!rep.setup_err)
			try_all(&rep, h, t);
		sbexec_close(h);
		_exit(write(p[1], &rep, sizeof(rep)) == (ssize_t)sizeof(rep) ? 0 : 1);
	}
	close(p[1]);
	if (read(p[0], r, sizeof(*r)) != (ssize_t)sizeof(*r))
		r->setup_err = -EPIPE;
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECHILD;
}

/* ---- the fixture: a pipe session and a pty session, owned by us ---- */

FIXTURE(perm) {
	struct sbexec *h;
	struct targets t;
	uint32_t kept[4];	/* keep-running sessions to clean up */
	int n_kept;
};

FIXTURE_SETUP(perm)
{
	int err = sbexec_open(&self->h);

	ASSERT_EQ(0, err) TH_LOG("sbexec_open: %s", sbexec_open_error(err));
	ASSERT_TRUE(cap_effective(CAP_SYS_ADMIN)) TH_LOG("the test must run as root");
}

FIXTURE_TEARDOWN(perm)
{
	int i;

	/* Keep-running sessions outlive us: end them and read them away. */
	for (i = 0; i < self->n_kept; i++) {
		struct sbexec_output o = { 0 };
		int fd;

		sbexec_signal(self->h, self->kept[i], SIGKILL);
		fd = sbexec_attach(self->h, self->kept[i]);
		if (fd >= 0) {
			sbexec_collect(fd, &o, COLLECT_MS);
			close(fd);
		}
		sbexec_output_free(&o);
	}
	sbexec_close(self->h);
}

/*
 * Start the targets: `cat` on pipes and, on a 24x80 pty, a shell that
 * prints its terminal size once it read a line. @flags: for both.
 */
static void start_targets(struct __test_metadata *_metadata, FIXTURE_DATA(perm) *self,
			  uint32_t flags)
{
	const char *const targv[] = { "-c", "read x; stty size", NULL };
	struct sbexec_exec_req cat = { .cmd = "/bin/cat", .flags = flags };
	struct sbexec_exec_req tty = { .cmd = SH, .argv = targv, .tty = true,
				       .rows = 24, .cols = 80, .flags = flags };
	struct sbexec_exec_result res;

	ASSERT_EQ(0, sbexec_exec(self->h, &cat, &res)) TH_LOG("%s",
		sbexec_strerror_last(self->h));
	self->t.pipe_id = res.session_id;
	if (flags & SBEXEC_EXEC_F_KEEP_RUNNING)
		self->kept[self->n_kept++] = res.session_id;
	ASSERT_EQ(0, sbexec_exec(self->h, &tty, &res)) TH_LOG("%s",
		sbexec_strerror_last(self->h));
	self->t.tty_id = res.session_id;
	if (flags & SBEXEC_EXEC_F_KEEP_RUNNING)
		self->kept[self->n_kept++] = res.session_id;
	self->t.sig = SIGKILL;
}

/* Read session @id to its end, as its owner. */
static void collect(struct __test_metadata *_metadata, struct sbexec *h, uint32_t id,
		    struct sbexec_output *o)
{
	int fd = sbexec_attach(h, id), err;

	memset(o, 0, sizeof(*o));
	ASSERT_LE(0, fd) TH_LOG("attach %u: %s", id, sbexec_strerror_last(h));
	err = sbexec_collect(fd, o, COLLECT_MS);
	close(fd);
	ASSERT_EQ(0, err) TH_LOG("collect %u: %s", id, strerror(-err));
	ASSERT_TRUE(o->have_exit);
}

/* Nothing the intruder tried reached the targets: drive them to their end. */
static void check_untouched(struct __test_metadata *_metadata, struct sbexec *h,
			    const struct targets *t)
{
	struct sbexec_output o;

	/* cat's stdin is open and holds no intruder bytes; cat was not killed. */
	ASSERT_EQ(0, sbexec_stdin(h, t->pipe_id, "owner\n", 6)) TH_LOG("%s",
		sbexec_strerror_last(h));
	ASSERT_EQ(0, sbexec_close_stdin(h, t->pipe_id));
	collect(_metadata, h, t->pipe_id, &o);
	EXPECT_STREQ("owner\n", o.out.data ? o.out.data : "");
	EXPECT_EQ(1U, o.exit.exited);
	EXPECT_EQ(0U, o.exit.code);
	sbexec_output_free(&o);
	/* The terminal is still 24x80. */
	ASSERT_EQ(0, sbexec_stdin(h, t->tty_id, "go\n", 3));
	collect(_metadata, h, t->tty_id, &o);
	EXPECT_NE(NULL, o.out.data ? strstr(o.out.data, "24 80") : NULL) TH_LOG("output: %s",
		o.out.data ? o.out.data : "");
	EXPECT_EQ(0U, o.exit.code);
	sbexec_output_free(&o);
}

static void log_report(struct __test_metadata *_metadata, const char *who,
		       const struct report *r)
{
	int i;

	for (i = 0; i < OP_N; i++)
		TH_LOG("%s: %-16s %s%s%s", who, op_names[i],
		       r->err[i] == NOT_TRIED ? "not tried" :
		       r->err[i] ? strerror(-r->err[i]) : "allowed",
		       r->msg[i][0] ? " - " : "", r->msg[i]);
}

/*
 * Start the targets (with @flags), run every probe as @w and log what it
 * saw under @label.
 */
static void probe_as(struct __test_metadata *_metadata,
		     FIXTURE_DATA(perm) *self, uint32_t flags, enum who w,
		     const char *label, struct report *r)
{
	start_targets(_metadata, self, flags);
	ASSERT_EQ(0, run_as(w, &self->t, r));
	ASSERT_EQ(0, r->setup_err) TH_LOG("setup: %s", strerror(-r->setup_err));
	log_report(_metadata, label, r);
}

#define EXPECT_OP(r, op, want) \
	EXPECT_EQ(want, (r)->err[op]) TH_LOG("%s: got %d (%s)", op_names[op], \
		(r)->err[op], (r)->msg[op])

TEST_F_TIMEOUT(perm, unprivileged_refused_everything, 120)
{
	struct report r;
	int i;

	probe_as(_metadata, self, 0, WHO_NOBODY, "uid 65534", &r);
	for (i = OP_EXEC; i <= OP_LIST; i++)
		EXPECT_OP(&r, i, -EPERM);
	/* The node is 0600 root: the module's own check is not even reached. */
	EXPECT_OP(&r, OP_OPEN, -EACCES);
	EXPECT_OP(&r, OP_ATTACH, NOT_TRIED);
	EXPECT_OP(&r, OP_CONSUMED, NOT_TRIED);
	EXPECT_OP(&r, OP_REGISTER, NOT_TRIED);
	EXPECT_EQ(0, r.list_seen);
	check_untouched(_metadata, self->h, &self->t);
}

TEST_F_TIMEOUT(perm, root_without_cap_sys_admin_refused_everything, 120)
{
	struct report r;
	int i;

	probe_as(_metadata, self, 0, WHO_NO_SYS_ADMIN,
		 "root without CAP_SYS_ADMIN", &r);
	for (i = OP_EXEC; i <= OP_LIST; i++)
		EXPECT_OP(&r, i, -EPERM);
	/* The requests (not the dump) say why. */
	for (i = OP_EXEC; i <= OP_GET; i++)
		EXPECT_NE(NULL, strstr(r.msg[i], "CAP_SYS_ADMIN")) TH_LOG("%s: extack '%s'",
			op_names[i], r.msg[i]);
	/* uid 0 may open the node; the module refuses. */
	EXPECT_OP(&r, OP_OPEN, -EPERM);
	EXPECT_OP(&r, OP_ATTACH, NOT_TRIED);
	EXPECT_OP(&r, OP_REGISTER, NOT_TRIED);
	check_untouched(_metadata, self->h, &self->t);
}

TEST_F_TIMEOUT(perm, root_without_cap_net_admin_refused_netlink, 120)
{
	struct report r;
	int i;

	/* A keep-running pipe session, so that only capabilities decide. */
	probe_as(_metadata, self, SBEXEC_EXEC_F_KEEP_RUNNING, WHO_NO_NET_ADMIN,
		 "root without CAP_NET_ADMIN", &r);
	/* GENL_ADMIN_PERM: every netlink operation. */
	for (i = OP_EXEC; i <= OP_LIST; i++)
		EXPECT_OP(&r, i, -EPERM);
	/*
	 * /dev/sbexec needs CAP_SYS_ADMIN only: this caller may attach to a
	 * keep-running session (and use CONSUMED on it); the live helper
	 * makes its registration EBUSY.
	 */
	EXPECT_OP(&r, OP_OPEN, 0);
	EXPECT_OP(&r, OP_ATTACH, 0);
	EXPECT_OP(&r, OP_CONSUMED, 0);
	EXPECT_OP(&r, OP_REGISTER, -EBUSY);
	check_untouched(_metadata, self->h, &self->t);
}

/*
 * A socket and device files opened with every privilege, used after the
 * process dropped to uid 65534: the module checks the caller, not only the
 * opener.
 */
TEST_F_TIMEOUT(perm, privileged_files_used_after_dropping_privileges, 120)
{
	struct report r;
	int p[2], status, i;
	pid_t pid;

	start_targets(_metadata, self, SBEXEC_EXEC_F_KEEP_RUNNING);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct report rep = { 0 };
		struct sbexec *h = NULL;
		int dev, reg;

		close(p[0]);
		alarm(60);
		rep.setup_err = sbexec_open(&h);
		dev = open(SBEXEC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
		reg = open(SBEXEC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
		if (!rep.setup_err && (dev < 0 || reg < 0))
			rep.setup_err = -errno;
		if (!rep.setup_err)
			rep.setup_err = drop_to_nobody();
		if (!rep.setup_err) {
			struct sbexec_attach at = { .session_id = self->t.pipe_id };

			try_all(&rep, h, &self->t);	/* OP_OPEN: a new open, EACCES */
			rep.err[OP_ATTACH] = ioctl(dev, SBEXEC_IOC_ATTACH, &at) ? -errno : 0;
			rep.err[OP_REGISTER] = ioctl(reg, SBEXEC_IOC_HELPER_REGISTER) ? -errno : 0;
			rep.err[OP_CONSUMED] = ioctl(dev, SBEXEC_IOC_CONSUMED) ? -errno : 0;
		}
		_exit(write(p[1], &rep, sizeof(rep)) == (ssize_t)sizeof(rep) ? 0 : 1);
	}
	close(p[1]);
	ASSERT_EQ((ssize_t)sizeof(r), read(p[0], &r, sizeof(r)));
	close(p[0]);
	waitpid(pid, &status, 0);
	ASSERT_EQ(0, r.setup_err) TH_LOG("setup: %s", strerror(-r.setup_err));
	log_report(_metadata, "privileged files after setuid(65534)", &r);
	for (i = OP_EXEC; i <= OP_LIST; i++)
		EXPECT_OP(&r, i, -EPERM);
	EXPECT_OP(&r, OP_OPEN, -EACCES);
	EXPECT_OP(&r, OP_ATTACH, -EPERM);
	EXPECT_OP(&r, OP_REGISTER, -EPERM);
	/* A file that never became a reader has nothing to consume. */
	EXPECT_OP(&r, OP_CONSUMED, -EBADFD);
	check_untouched(_metadata, self->h, &self->t);
}

/*
 * An attached reader is an open file like any other: it keeps working
 * after its holder dropped its privileges (read and CONSUMED need none).
 */
TEST_F_TIMEOUT(perm, attached_reader_keeps_working_after_dropping_privileges, 120)
{
	const char *const argv[] = { "-c", "echo first; read x; echo second", NULL };
	struct sbexec_exec_req req = { .cmd = SH, .argv = argv };
	struct sbexec_exec_result res;
	struct sbexec_output o = { 0 };
	int p[2], fd, status;
	char buf[256];
	ssize_t n;
	pid_t pid;

	ASSERT_EQ(0, sbexec_exec(self->h, &req, &res));
	fd = sbexec_attach(self->h, res.session_id);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct sbexec_output co = { 0 };
		int ret;

		close(p[0]);
		alarm(60);
		if (drop_to_nobody())
			_exit(2);
		ret = sbexec_collect(fd, &co, COLLECT_MS);
		n = snprintf(buf, sizeof(buf), "%d %u %u %s", ret, co.exit.exited,
			     co.exit.code, co.out.data ? co.out.data : "");
		_exit(write(p[1], buf, (size_t)n) == n ? 0 : 1);
	}
	close(p[1]);
	close(fd);	/* the child holds the reader now */
	ASSERT_EQ(0, sbexec_stdin(self->h, res.session_id, "\n", 1));
	n = read(p[0], buf, sizeof(buf) - 1);
	close(p[0]);
	waitpid(pid, &status, 0);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_LT(0, n);
	buf[n] = '\0';
	EXPECT_STREQ("0 1 0 first\nsecond\n", buf);
	sbexec_output_free(&o);
}

TEST_F_TIMEOUT(perm, other_root_process_may_not_drive_a_kill_on_close_session, 120)
{
	struct report r;

	probe_as(_metadata, self, 0, WHO_ROOT, "another root process", &r);
	/* It may start sessions of its own. */
	EXPECT_OP(&r, OP_EXEC, 0);
	EXPECT_OP(&r, OP_STDIN, -EPERM);
	EXPECT_OP(&r, OP_CLOSE_STDIN, -EPERM);
	EXPECT_OP(&r, OP_RESIZE, -EPERM);
	EXPECT_OP(&r, OP_SIGNAL, -EPERM);
	EXPECT_NE(NULL, strstr(r.msg[OP_STDIN], OWNER_MSG)) TH_LOG("'%s'", r.msg[OP_STDIN]);
	EXPECT_NE(NULL, strstr(r.msg[OP_CLOSE_STDIN], OWNER_MSG));
	EXPECT_NE(NULL, strstr(r.msg[OP_RESIZE], OWNER_MSG));
	EXPECT_NE(NULL, strstr(r.msg[OP_SIGNAL], OWNER_MSG));
	/* It sees the session. */
	EXPECT_OP(&r, OP_GET, 0);
	EXPECT_NE(0U, r.get_pid);
	EXPECT_OP(&r, OP_LIST, 0);
	EXPECT_EQ(1, r.list_seen);
	/* It may not read it, so has no reader to CONSUMED on. */
	EXPECT_OP(&r, OP_OPEN, 0);
	EXPECT_OP(&r, OP_ATTACH, -EPERM);
	EXPECT_OP(&r, OP_CONSUMED, NOT_TRIED);
	EXPECT_OP(&r, OP_REGISTER, -EBUSY);
	check_untouched(_metadata, self->h, &self->t);
}

struct thread_try {
	uint32_t id;
	int err;
};

static void *stdin_thread(void *arg)
{
	struct thread_try *t = arg;
	struct sbexec *h = NULL;

	t->err = sbexec_open(&h);
	if (!t->err)
		t->err = sbexec_stdin(h, t->id, "thread\n", 7);
	sbexec_close(h);
	return NULL;
}

TEST_F_TIMEOUT(perm, another_thread_of_the_owner_is_the_owner, 120)
{
	struct thread_try t = { 0 };
	struct sbexec_output o;
	pthread_t th;

	start_targets(_metadata, self, 0);
	t.id = self->t.pipe_id;
	ASSERT_EQ(0, pthread_create(&th, NULL, stdin_thread, &t));
	pthread_join(th, NULL);
	EXPECT_EQ(0, t.err);
	/* Its socket closed: the session belongs to the process, not the socket... */
	ASSERT_EQ(0, sbexec_close_stdin(self->h, self->t.pipe_id));
	collect(_metadata, self->h, self->t.pipe_id, &o);
	EXPECT_STREQ("thread\n", o.out.data ? o.out.data : "");
	sbexec_output_free(&o);
	ASSERT_EQ(0, sbexec_stdin(self->h, self->t.tty_id, "\n", 1));
	collect(_metadata, self->h, self->t.tty_id, &o);
	sbexec_output_free(&o);
}

TEST_F_TIMEOUT(perm, other_root_process_may_drive_a_keep_running_session, 120)
{
	const char *const sargv[] = { "-c", "echo ready; exec sleep 60", NULL };
	struct sbexec_exec_req sleeper = { .cmd = SH, .argv = sargv,
					   .flags = SBEXEC_EXEC_F_KEEP_RUNNING };
	struct sbexec_exec_result res;
	struct sbexec_output o;
	struct report r;
	int p[2], status;
	pid_t pid;

	start_targets(_metadata, self, SBEXEC_EXEC_F_KEEP_RUNNING);
	ASSERT_EQ(0, sbexec_exec(self->h, &sleeper, &res));
	self->kept[self->n_kept++] = res.session_id;

	/* A root child drives all three: stdin, close, resize, signal, attach. */
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct report rep = { 0 };
		struct sbexec_output co = { 0 };
		struct sbexec *h = NULL;
		int fd;

		close(p[0]);
		alarm(60);
		rep.setup_err = sbexec_open(&h);
		if (!rep.setup_err) {
			note(&rep, OP_STDIN, h, sbexec_stdin(h, self->t.pipe_id, "child\n", 6));
			note(&rep, OP_CLOSE_STDIN, h, sbexec_close_stdin(h, self->t.pipe_id));
			note(&rep, OP_RESIZE, h, sbexec_resize(h, self->t.tty_id, 30, 100));
			sbexec_stdin(h, self->t.tty_id, "go\n", 3);
			note(&rep, OP_SIGNAL, h, sbexec_signal(h, res.session_id, SIGKILL));
			fd = sbexec_attach(h, self->t.pipe_id);
			rep.err[OP_ATTACH] = fd < 0 ? fd : 0;
			if (fd >= 0) {
				/* Reading it to its end checks what the child's writes did. */
				rep.err[OP_CONSUMED] = sbexec_collect(fd, &co, COLLECT_MS);
				if (!rep.err[OP_CONSUMED] &&
				    (!co.out.data || strcmp(co.out.data, "child\n") ||
				     co.exit.code))
					rep.err[OP_CONSUMED] = -EPROTO;
				close(fd);
			}
		}
		sbexec_close(h);
		_exit(write(p[1], &rep, sizeof(rep)) == (ssize_t)sizeof(rep) ? 0 : 1);
	}
	close(p[1]);
	ASSERT_EQ((ssize_t)sizeof(r), read(p[0], &r, sizeof(r)));
	close(p[0]);
	waitpid(pid, &status, 0);
	ASSERT_EQ(0, r.setup_err);
	EXPECT_OP(&r, OP_STDIN, 0);
	EXPECT_OP(&r, OP_CLOSE_STDIN, 0);
	EXPECT_OP(&r, OP_RESIZE, 0);
	EXPECT_OP(&r, OP_SIGNAL, 0);
	EXPECT_OP(&r, OP_ATTACH, 0);
	/* (OP_CONSUMED here: the child's read of the cat session.) */
	EXPECT_OP(&r, OP_CONSUMED, 0);

	/* The child's resize and signal took effect. */
	collect(_metadata, self->h, self->t.tty_id, &o);
	EXPECT_NE(NULL, o.out.data ? strstr(o.out.data, "30 100") : NULL) TH_LOG("output: %s",
		o.out.data ? o.out.data : "");
	sbexec_output_free(&o);
	collect(_metadata, self->h, res.session_id, &o);
	EXPECT_EQ(0U, o.exit.exited);
	EXPECT_EQ((uint32_t)SIGKILL, o.exit.signal);
	sbexec_output_free(&o);
}

TEST(second_helper_registration_is_busy)
{
	const char *const argv[] = { "-c", "echo still-served", NULL };
	struct sbexec_exec_req req = { .cmd = SH, .argv = argv };
	struct sbexec_exec_result res;
	struct sbexec_output o = { 0 };
	struct sbexec *h = NULL;
	pid_t helper = helper_pid();
	int fd, ret;

	ASSERT_LT(0, helper);
	ASSERT_TRUE(pid_alive(helper)) TH_LOG("no live helper to compete with");
	fd = open(SBEXEC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ret = ioctl(fd, SBEXEC_IOC_HELPER_REGISTER);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EBUSY, errno);
	close(fd);
	/* The registered helper is still the one serving requests. */
	ASSERT_EQ(0, sbexec_open(&h));
	ASSERT_EQ(0, sbexec_run_capture(h, &req, NULL, 0, COLLECT_MS, &res, &o))
		TH_LOG("%s", sbexec_strerror_last(h));
	EXPECT_STREQ("still-served\n", o.out.data ? o.out.data : "");
	EXPECT_TRUE(pid_alive(helper));
	sbexec_output_free(&o);
	sbexec_close(h);
}

TEST_HARNESS_MAIN
