// SPDX-License-Identifier: GPL-2.0
/*
 * exec_test.c - exec sessions end to end through libsbexec: the generic
 * netlink family, the helper upcall and the output records.
 *
 * Runs as root in the test guest, with sbexec.ko loaded and sbexec-helper
 * registered (started with --daemon --pidfile /run/sbexec-helper.pid).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "kselftest_harness.h"
#include "util.h"

#define SH		"/bin/sh"
#define NOBODY		65534

/* Run @cmd @argv to its end; returns sbexec_run_capture()'s result. */
static int run(struct sbexec *h, const char *cmd, const char *const *argv,
	       const char *cwd, struct sbexec_exec_result *res,
	       struct sbexec_output *o)
{
	struct sbexec_exec_req req = { .cmd = cmd, .argv = argv, .cwd = cwd };

	memset(o, 0, sizeof(*o));
	return sbexec_run_capture(h, &req, NULL, 0, COLLECT_MS, res, o);
}

TEST(family_resolves_and_device_exists)
{
	struct sbexec *h = NULL;
	struct stat st;
	int err;

	err = sbexec_open(&h);
	ASSERT_EQ(0, err) TH_LOG("sbexec_open: %s", sbexec_open_error(err));
	/* Dynamic generic netlink ids start above the controller's. */
	EXPECT_GT(sbexec_family_id(h), GENL_ID_CTRL);
	sbexec_close(h);

	ASSERT_EQ(0, stat(SBEXEC_DEVICE_PATH, &st)) TH_LOG("stat %s: %s",
		SBEXEC_DEVICE_PATH, strerror(errno));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	/* A misc device: major 10. */
	EXPECT_EQ(10U, major(st.st_rdev));
}

FIXTURE(session) {
	struct sbexec *h;
	struct sbexec_exec_result res;
	struct sbexec_output out;
};

FIXTURE_SETUP(session)
{
	int err = sbexec_open(&self->h);

	memset(&self->out, 0, sizeof(self->out));
	ASSERT_EQ(0, err) TH_LOG("sbexec_open: %s", sbexec_open_error(err));
}

FIXTURE_TEARDOWN(session)
{
	sbexec_output_free(&self->out);
	sbexec_close(self->h);
}

TEST_F(session, stdout_round_trip)
{
	const char *const argv[] = { "-c", "printf 'hello sbexec\\n'; printf 'line 2'", NULL };
	int err;

	err = run(self->h, SH, argv, NULL, &self->res, &self->out);
	ASSERT_EQ(0, err) TH_LOG("%s", sbexec_strerror_last(self->h));
	EXPECT_GT(self->res.session_id, 0U);
	EXPECT_GT(self->res.pid, 0U);
	ASSERT_TRUE(self->out.have_exit);
	EXPECT_EQ(1U, self->out.exit.exited);
	EXPECT_EQ(0U, self->out.exit.code);
	EXPECT_EQ(19U, self->out.out.len);
	EXPECT_STREQ("hello sbexec\nline 2", self->out.out.data ? self->out.out.data : "");
	EXPECT_EQ(0U, self->out.err.len);
	/* The exit record is the last record and sequence numbers had no gap. */
	EXPECT_EQ(self->out.records, self->out.next_seq);
}

TEST_F(session, stderr_kept_separate)
{
	const char *const argv[] = {
		"-c", "echo out1; echo err1 >&2; echo out2; echo err2 >&2", NULL
	};
	int err;

	err = run(self->h, SH, argv, NULL, &self->res, &self->out);
	ASSERT_EQ(0, err) TH_LOG("%s", sbexec_strerror_last(self->h));
	ASSERT_TRUE(self->out.have_exit);
	EXPECT_STREQ("out1\nout2\n", self->out.out.data ? self->out.out.data : "");
	EXPECT_STREQ("err1\nerr2\n", self->out.err.data ? self->out.err.data : "");
	EXPECT_EQ(0U, self->out.exit.code);
}

TEST_F(session, exit_code_propagated)
{
	static const struct { const char *script; unsigned int code; } cases[] = {
		{ "exit 3", 3 }, { "exit 0", 0 }, { "exit 255", 255 }, { "false", 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *const argv[] = { "-c", cases[i].script, NULL };
		int err;

		sbexec_output_free(&self->out);
		err = run(self->h, SH, argv, NULL, &self->res, &self->out);
		ASSERT_EQ(0, err) TH_LOG("%s: %s", cases[i].script,
					 sbexec_strerror_last(self->h));
		ASSERT_TRUE(self->out.have_exit);
		EXPECT_EQ(1U, self->out.exit.exited) TH_LOG("%s", cases[i].script);
		EXPECT_EQ(cases[i].code, self->out.exit.code) TH_LOG("%s", cases[i].script);
		EXPECT_EQ(0U, self->out.exit.signal);
	}
}

static void check_not_found(struct __test_metadata *_metadata,
			    struct sbexec *h, const char *cmd)
{
	struct sbexec_exec_result res;
	struct sbexec_exec_req req = { .cmd = cmd };
	int err;

	err = sbexec_exec(h, &req, &res);
	ASSERT_EQ(-ENOENT, err) TH_LOG("%s: %d %s", cmd, err, sbexec_strerror_last(h));
	EXPECT_EQ(0U, res.session_id);
	EXPECT_EQ((uint32_t)SBEXEC_FAIL_NOT_FOUND, res.failure.kind) TH_LOG("kind %s",
		sbexec_fail_kind_name(res.failure.kind));
	EXPECT_EQ((uint32_t)ENOENT, res.failure.errnum);
	EXPECT_STREQ("ENOENT", res.failure.errno_name);
	EXPECT_EQ((uint32_t)SBEXEC_STAGE_EXEC, res.failure.stage) TH_LOG("stage %s",
		sbexec_stage_name(res.failure.stage));
	EXPECT_NE(NULL, strstr(res.failure.message, "spawn")) TH_LOG("message: %s",
		res.failure.message);
	/* The ack carries the message as extack too. */
	EXPECT_NE(0, res.extack[0]);
}

TEST_F(session, nonexistent_binary_is_not_found)
{
	check_not_found(_metadata, self->h, "/nonexistent/sbexec-no-such-command");
}

TEST_F(session, nonexistent_name_in_path_is_not_found)
{
	check_not_found(_metadata, self->h, "sbexec-no-such-command");
}

TEST_F(session, missing_cwd_is_bad_cwd)
{
	struct sbexec_exec_req req = { .cmd = "/bin/true", .cwd = "/nonexistent-sbexec-dir" };
	int err;

	err = sbexec_exec(self->h, &req, &self->res);
	ASSERT_GT(0, err);
	EXPECT_EQ(-ENOENT, err);
	EXPECT_EQ(0U, self->res.session_id);
	EXPECT_EQ((uint32_t)SBEXEC_FAIL_BAD_CWD, self->res.failure.kind) TH_LOG("kind %s",
		sbexec_fail_kind_name(self->res.failure.kind));
	EXPECT_EQ((uint32_t)SBEXEC_STAGE_CWD, self->res.failure.stage) TH_LOG("stage %s",
		sbexec_stage_name(self->res.failure.stage));
	EXPECT_EQ((uint32_t)ENOENT, self->res.failure.errnum);
	EXPECT_STREQ("ENOENT", self->res.failure.errno_name);
	EXPECT_NE(0, self->res.failure.message[0]);
}

/* 8 MiB: `seq -w 0 1048575` prints 1048576 distinct 8-byte lines. */
#define BIG_LINES	1048576U
#define BIG_LEN		(BIG_LINES * 8U)

/* Append attribute @type with @len bytes of @data at @off; no padding after. */
static size_t put_attr(char *buf, size_t off, uint16_t type, const void *data,
		       size_t len)
{
	struct nlattr *na = (struct nlattr *)(buf + NLA_ALIGN(off));

	na->nla_type = type;
	na->nla_len = NLA_HDRLEN + len;
	memcpy(na + 1, data, len);
	return NLA_ALIGN(off) + na->nla_len;
}

/*
 * Netlink does not require the last attribute to be padded. An EXEC whose
 * nlmsg_len ends right after an unpadded string must run as asked (a
 * debug-kernel run of sbexec-fuzz once caught the upcall copy reading past
 * its allocation here; KASAN reports it under make check-debug).
 */
TEST_F(session, unpadded_last_attribute_runs)
{
	struct {
		struct nlmsghdr n;
		struct genlmsghdr g;
		char a[256];
	} m;
	struct sockaddr_nl kern = { .nl_family = AF_NETLINK };
	const char *args[] = { "-c", "echo $0; exit 7", "arg0!" };
	char reply[8192];
	uint32_t id = 0;
	size_t off = 0, i;
	ssize_t n;
	int fd, afd, err;

	memset(&m, 0, sizeof(m));
	off = put_attr(m.a, off, SBEXEC_A_CMD, SH, sizeof(SH));
	for (i = 0; i < 3; i++)
		off = put_attr(m.a, off, SBEXEC_A_ARG, args[i], strlen(args[i]) + 1);
	/* "arg0!" is 6 bytes: nla_len 10, two bytes short of alignment. */
	ASSERT_NE(0U, off % NLA_ALIGNTO);
	m.n.nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN + off;
	m.n.nlmsg_type = sbexec_family_id(self->h);
	m.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	m.n.nlmsg_seq = 1;
	m.g.cmd = SBEXEC_CMD_EXEC;
	m.g.version = SBEXEC_GENL_VERSION;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)m.n.nlmsg_len, sendto(fd, &m, m.n.nlmsg_len, 0,
		  (struct sockaddr *)&kern, sizeof(kern))) TH_LOG("%s", strerror(errno));
	/* The reply with the session id, then the ack (error 0). */
	for (;;) {
		struct nlmsghdr *h = (struct nlmsghdr *)reply;

		n = recv(fd, reply, sizeof(reply), 0);
		ASSERT_LT(0, n) TH_LOG("recv: %s", strerror(errno));
		if (h->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr *e = NLMSG_DATA(h);

			ASSERT_EQ(0, e->error) TH_LOG("EXEC: %s", strerror(-e->error));
			break;
		}
		for (off = NLMSG_HDRLEN + GENL_HDRLEN; off + NLA_HDRLEN <= (size_t)n;) {
			struct nlattr *na = (struct nlattr *)(reply + off);

			if (na->nla_len < NLA_HDRLEN)
				break;
			if (na->nla_type == SBEXEC_A_SESSION_ID)
				memcpy(&id, na + 1, sizeof(id));
			off += NLA_ALIGN(na->nla_len);
		}
	}
	ASSERT_NE(0U, id);
	/* Kill-on-close: the session belongs to this process, so attach here. */
	afd = sbexec_attach(self->h, id);
	ASSERT_LE(0, afd) TH_LOG("attach: %s", sbexec_strerror_last(self->h));
	err = sbexec_collect(afd, &self->out, COLLECT_MS);
	close(afd);
	close(fd);
	ASSERT_EQ(0, err) TH_LOG("%s", strerror(-err));
	EXPECT_STREQ("arg0!\n", self->out.out.data ? self->out.out.data : "");
	ASSERT_TRUE(self->out.have_exit);
	EXPECT_EQ(1U, self->out.exit.exited);
	EXPECT_EQ(7U, self->out.exit.code);
}

TEST_F_TIMEOUT(session, output_8mib_byte_exact, 300)
{
	const char *const argv[] = { "-w", "0", "1048575", NULL };
	struct sbexec_exec_req req = { .cmd = "/usr/bin/seq", .argv = argv };
	char *want;
	size_t i, off = 0;
	int err;

	want = malloc(BIG_LEN + 16);
	ASSERT_NE(NULL, want);
	for (i = 0; i < BIG_LINES; i++)
		off += (size_t)sprintf(want + off, "%07zu\n", i);
	ASSERT_EQ((size_t)BIG_LEN, off);

	err = sbexec_run_capture(self->h, &req, NULL, 0, 240000, &self->res, &self->out);
	if (err) {
		free(want);
		ASSERT_EQ(0, err) TH_LOG("%s", sbexec_strerror_last(self->h));
	}
	EXPECT_TRUE(self->out.have_exit);
	EXPECT_EQ(0U, self->out.exit.code);
	EXPECT_EQ(0U, self->out.err.len);
	EXPECT_EQ((size_t)BIG_LEN, self->out.out.len);
	EXPECT_EQ(fnv1a64(want, BIG_LEN),
		  fnv1a64(self->out.out.data, self->out.out.len));
	if (self->out.out.len == BIG_LEN && memcmp(want, self->out.out.data, BIG_LEN)) {
		for (i = 0; i < BIG_LEN && want[i] == self->out.out.data[i]; i++)
			;
		TH_LOG("first difference at byte %zu", i);
	}
	free(want);
}

#define N_SESSIONS 32

TEST_F_TIMEOUT(session, sessions_32_at_once, 300)
{
	static const char script[] = "printf 'session-%s\\n' \"$1\"; exit $(($1 % 7 + 1))";
	uint32_t ids[N_SESSIONS], pids[N_SESSIONS];
	char idx[N_SESSIONS][8];
	int i, j, err;

	/* Start all of them before reading any output. */
	for (i = 0; i < N_SESSIONS; i++) {
		const char *const argv[] = { "-c", script, "sh", idx[i], NULL };
		struct sbexec_exec_req req = { .cmd = SH, .argv = argv };

		snprintf(idx[i], sizeof(idx[i]), "%d", i);
		err = sbexec_exec(self->h, &req, &self->res);
		ASSERT_EQ(0, err) TH_LOG("session %d: %s", i, sbexec_strerror_last(self->h));
		ids[i] = self->res.session_id;
		pids[i] = self->res.pid;
		for (j = 0; j < i; j++) {
			ASSERT_NE(ids[j], ids[i]);
			ASSERT_NE(pids[j], pids[i]);
		}
	}
	for (i = 0; i < N_SESSIONS; i++) {
		char want[32];
		int fd;

		fd = sbexec_attach(self->h, ids[i]);
		ASSERT_LE(0, fd) TH_LOG("attach %u: %s", ids[i], sbexec_strerror_last(self->h));
		sbexec_output_free(&self->out);
		err = sbexec_collect(fd, &self->out, COLLECT_MS);
		close(fd);
		ASSERT_EQ(0, err) TH_LOG("session %d: %s", i, strerror(-err));
		snprintf(want, sizeof(want), "session-%d\n", i);
		EXPECT_STREQ(want, self->out.out.data ? self->out.out.data : "");
		EXPECT_EQ(0U, self->out.err.len);
		ASSERT_TRUE(self->out.have_exit);
		EXPECT_EQ(1U, self->out.exit.exited);
		EXPECT_EQ((uint32_t)(i % 7 + 1), self->out.exit.code) TH_LOG("session %d", i);
	}
}

/* ---- no helper registered ---- */

FIXTURE(nohelper) {
	struct sbexec *h;
};

FIXTURE_SETUP(nohelper)
{
	int err = sbexec_open(&self->h);

	ASSERT_EQ(0, err) TH_LOG("sbexec_open: %s", sbexec_open_error(err));
}

FIXTURE_TEARDOWN(nohelper)
{
	/* Whatever happened above, leave a registered helper behind. */
	if (helper_ensure())
		TH_LOG("could not restart sbexec-helper");
	sbexec_close(self->h);
}

TEST_F_TIMEOUT(nohelper, exec_fails_at_once_then_works_again, 60)
{
	const char *const argv[] = { "-c", "echo back", NULL };
	struct sbexec_exec_req req = { .cmd = SH, .argv = argv };
	struct sbexec_exec_result res;
	struct sbexec_output o = { 0 };
	int64_t t0, elapsed;
	int err, i;

	ASSERT_LT(0, helper_pid()) TH_LOG("no helper pidfile at " HELPER_PIDFILE);
	ASSERT_EQ(0, helper_stop(10000)) TH_LOG("the helper did not stop");

	t0 = mono_ms();
	err = sbexec_exec(self->h, &req, &res);
	elapsed = mono_ms() - t0;
	/* The header's errno for "no helper": ENOTCONN, named in the nest. */
	EXPECT_EQ(-ENOTCONN, err) TH_LOG("%s", sbexec_strerror_last(self->h));
	EXPECT_EQ((uint32_t)SBEXEC_FAIL_HELPER_UNAVAILABLE, res.failure.kind) TH_LOG("kind %s, %s",
		sbexec_fail_kind_name(res.failure.kind), sbexec_strerror_last(self->h));
	EXPECT_EQ((uint32_t)SBEXEC_STAGE_ADMISSION, res.failure.stage) TH_LOG("stage %s",
		sbexec_stage_name(res.failure.stage));
	EXPECT_EQ((uint32_t)ENOTCONN, res.failure.errnum);
	EXPECT_STREQ("ENOTCONN", res.failure.errno_name);
	EXPECT_NE(0, res.extack[0]);
	EXPECT_GE(79U, strlen(res.extack)) TH_LOG("extack: %s", res.extack);
	EXPECT_LT(elapsed, 2000) TH_LOG("took %lld ms", (long long)elapsed);
	EXPECT_EQ(0U, res.session_id);

	ASSERT_EQ(0, helper_start()) TH_LOG("sbexec-helper --daemon failed");
	/* --daemon returns once registered: the next exec must work. */
	err = sbexec_run_capture(self->h, &req, NULL, 0, COLLECT_MS, &res, &o);
	for (i = 0; err && i < 20; i++) {
		/* Tolerate nothing but a slow registration, and say so. */
		TH_LOG("exec after restart: %s", sbexec_strerror_last(self->h));
		ASSERT_EQ((uint32_t)SBEXEC_FAIL_HELPER_UNAVAILABLE, res.failure.kind);
		usleep(100000);
		sbexec_output_free(&o);
		err = sbexec_run_capture(self->h, &req, NULL, 0, COLLECT_MS, &res, &o);
	}
	ASSERT_EQ(0, err) TH_LOG("%s", sbexec_strerror_last(self->h));
	EXPECT_EQ(0, i) TH_LOG("exec failed %d times after the helper said it registered", i);
	EXPECT_STREQ("back\n", o.out.data ? o.out.data : "");
	EXPECT_TRUE(o.have_exit);
	EXPECT_EQ(0U, o.exit.code);
	sbexec_output_free(&o);
}

/* ---- unprivileged callers ---- */

/* What an unprivileged child saw; filled in by run_unprivileged(). */
struct unpriv_report {
	int drop_err;		/* becoming nobody failed: -errno */
	int open_err;		/* sbexec_open() */
	int exec_err;		/* sbexec_exec() */
	uint32_t exec_kind;	/* a failure kind, if one came back */
	int dev_errno;		/* open(/dev/sbexec): 0 if it opened */
	int attach_errno;	/* SBEXEC_IOC_ATTACH: 0 if it worked, -1 untried */
	int signal_err;		/* sbexec_signal() */
};

enum unpriv_what { UNPRIV_EXEC, UNPRIV_READER, UNPRIV_SIGNAL };

static int drop_to_nobody(void)
{
	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
		return -errno;
	if (getuid() != NOBODY || geteuid() != NOBODY || getegid() != NOBODY)
		return -EPERM;
	return 0;
}

static void unpriv_child(enum unpriv_what what, uint32_t id,
			 struct unpriv_report *rep)
{
	const char *const argv[] = { "-c", "echo should-not-run", NULL };
	struct sbexec_exec_req req = { .cmd = SH, .argv = argv };
	struct sbexec_attach at = { .session_id = id };
	struct sbexec_exec_result res;
	struct sbexec *h = NULL;
	int fd;

	rep->attach_errno = -1;
	rep->drop_err = drop_to_nobody();
	if (rep->drop_err)
		return;
	switch (what) {
	case UNPRIV_EXEC:
		rep->open_err = sbexec_open(&h);
		if (rep->open_err)
			return;
		rep->exec_err = sbexec_exec(h, &req, &res);
		rep->exec_kind = res.failure.kind;
		break;
	case UNPRIV_READER:
		fd = open(SBEXEC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
		rep->dev_errno = fd < 0 ? errno : 0;
		if (fd >= 0) {
			rep->attach_errno = ioctl(fd, SBEXEC_IOC_ATTACH, &at) < 0 ? errno : 0;
			close(fd);
		}
		break;
	case UNPRIV_SIGNAL:
		rep->open_err = sbexec_open(&h);
		if (rep->open_err)
			return;
		rep->signal_err = sbexec_signal(h, id, SIGKILL);
		break;
	}
	sbexec_close(h);
}

/* Fork, become uid/gid 65534 without groups, try @what, report back. */
static int run_unprivileged(enum unpriv_what what, uint32_t id,
			    struct unpriv_report *rep)
{
	int p[2], status;
	pid_t pid;

	memset(rep, 0, sizeof(*rep));
	if (pipe(p))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		close(p[0]);
		unpriv_child(what, id, rep);
		_exit(write(p[1], rep, sizeof(*rep)) == (ssize_t)sizeof(*rep) ? 0 : 1);
	}
	close(p[1]);
	if (read(p[0], rep, sizeof(*rep)) != (ssize_t)sizeof(*rep))
		rep->drop_err = -EPIPE;
	close(p[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECHILD;
}

/* Try @what (on session @id) as uid 65534; @rep tells what it saw. */
static void as_nobody(struct __test_metadata *_metadata, enum unpriv_what what,
		      uint32_t id, struct unpriv_report *rep)
{
	ASSERT_EQ(0, run_unprivileged(what, id, rep));
	ASSERT_EQ(0, rep->drop_err) TH_LOG("becoming uid 65534: %s", strerror(-rep->drop_err));
}

TEST_F(session, unprivileged_exec_refused)
{
	struct unpriv_report rep;

	as_nobody(_metadata, UNPRIV_EXEC, 0, &rep);
	/* Resolving the family is allowed; executing is not. */
	ASSERT_EQ(0, rep.open_err);
	EXPECT_EQ(-EPERM, rep.exec_err);
	EXPECT_EQ((uint32_t)SBEXEC_FAIL_NONE, rep.exec_kind);
}

/* A root session that outlives the unprivileged child's attempts. */
static uint32_t start_sleeper(struct __test_metadata *_metadata,
			      struct sbexec *h)
{
	const char *const argv[] = { "-c", "sleep 2; echo done", NULL };
	struct sbexec_exec_req req = { .cmd = SH, .argv = argv };
	struct sbexec_exec_result res;
	int err;

	err = sbexec_exec(h, &req, &res);
	EXPECT_EQ(0, err) TH_LOG("%s", sbexec_strerror_last(h));
	return err ? 0 : res.session_id;
}

/* The sleeper ran to its normal end, read by root. */
static void check_sleeper(struct __test_metadata *_metadata, struct sbexec *h,
			  uint32_t id, struct sbexec_output *o)
{
	int fd, err;

	fd = sbexec_attach(h, id);
	ASSERT_LE(0, fd) TH_LOG("root attach: %s", sbexec_strerror_last(h));
	err = sbexec_collect(fd, o, COLLECT_MS);
	close(fd);
	ASSERT_EQ(0, err) TH_LOG("%s", strerror(-err));
	EXPECT_STREQ("done\n", o->out.data ? o->out.data : "");
	EXPECT_EQ(1U, o->exit.exited);
	EXPECT_EQ(0U, o->exit.code);
}

/* Start a root sleeper and try @what on it as uid 65534; the sleeper. */
static uint32_t sleeper_as_nobody(struct __test_metadata *_metadata,
				  struct sbexec *h, enum unpriv_what what,
				  struct unpriv_report *rep)
{
	uint32_t id = start_sleeper(_metadata, h);

	ASSERT_NE(0U, id);
	as_nobody(_metadata, what, id, rep);
	return id;
}

TEST_F(session, unprivileged_reader_refused)
{
	struct unpriv_report rep;
	uint32_t id;

	id = sleeper_as_nobody(_metadata, self->h, UNPRIV_READER, &rep);
	if (rep.dev_errno) {
		EXPECT_TRUE(rep.dev_errno == EACCES || rep.dev_errno == EPERM)
			TH_LOG("open: %s", strerror(rep.dev_errno));
	} else {
		EXPECT_EQ(EPERM, rep.attach_errno) TH_LOG("attach as nobody: %s",
			rep.attach_errno > 0 ? strerror(rep.attach_errno) : "succeeded");
	}
	/* Root can still become the reader: nobody did not take it. */
	check_sleeper(_metadata, self->h, id, &self->out);
}

TEST_F(session, unprivileged_signal_refused)
{
	struct unpriv_report rep;
	uint32_t id;

	id = sleeper_as_nobody(_metadata, self->h, UNPRIV_SIGNAL, &rep);
	ASSERT_EQ(0, rep.open_err);
	EXPECT_EQ(-EPERM, rep.signal_err);
	/* The SIGKILL did not reach it. */
	check_sleeper(_metadata, self->h, id, &self->out);
}

TEST_HARNESS_MAIN
