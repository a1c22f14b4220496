// SPDX-License-Identifier: GPL-2.0
/*
 * session_test.c - session control through libsbexec: stdin in both
 * modes, signals and the exit record, terminal size, bad input refused
 * with a message and without side effects, GET and LIST, PTY output.
 *
 * Runs as root in the test guest with sbexec.ko loaded and the helper up.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "util.h"

#define SH	"/bin/sh"

FIXTURE(ctl) {
	struct sbexec *h;
	struct sbexec_exec_result res;
	struct sbexec_output out;
	int fd;
};

FIXTURE_SETUP(ctl)
{
	int err = sbexec_open(&self->h);

	memset(&self->out, 0, sizeof(self->out));
	self->fd = -1;
	ASSERT_EQ(0, err) TH_LOG("sbexec_open: %s", sbexec_open_error(err));
}

FIXTURE_TEARDOWN(ctl)
{
	if (self->fd >= 0)
		close(self->fd);
	sbexec_output_free(&self->out);
	sbexec_close(self->h);
}

/* Start @req and attach to it (self->res, self->fd). */
#define START(req) do {							\
	int _err = sbexec_exec(self->h, (req), &self->res);		\
	ASSERT_EQ(0, _err) TH_LOG("exec: %s", sbexec_strerror_last(self->h)); \
	self->fd = sbexec_attach(self->h, self->res.session_id);	\
	ASSERT_LE(0, self->fd) TH_LOG("attach: %s", sbexec_strerror_last(self->h)); \
} while (0)

/* Read the attached session to its end. */
#define COLLECT() do {							\
	int _err = sbexec_collect(self->fd, &self->out, COLLECT_MS);	\
	ASSERT_EQ(0, _err) TH_LOG("collect: %s", strerror(-_err));	\
	ASSERT_TRUE(self->out.have_exit);				\
} while (0)

/* Feed records from @fd into @o until its stdout contains @text. */
static int read_until(int fd, struct sbexec_output *o, const char *text)
{
	int64_t deadline = mono_ms() + COLLECT_MS;
	static char buf[1 << 16];
	ssize_t n;
	int err;

	while (!o->out.data || !strstr(o->out.data, text)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (mono_ms() > deadline)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		n = sbexec_read_records(fd, buf, sizeof(buf));
		if (n <= 0)
			return n ? (int)n : -EPIPE;
		err = sbexec_output_feed(o, buf, (size_t)n);
		if (err)
			return err;
	}
	return 0;
}

TEST_F(ctl, stdin_pipe_mode_and_eof)
{
	struct sbexec_exec_req req = { .cmd = "/bin/cat" };

	START(&req);
	ASSERT_EQ(0, sbexec_stdin(self->h, self->res.session_id, "hello ", 6));
	ASSERT_EQ(0, sbexec_stdin(self->h, self->res.session_id, "world", 5));
	/* cat ends only when it sees EOF. */
	ASSERT_EQ(0, sbexec_close_stdin(self->h, self->res.session_id))
		TH_LOG("%s", sbexec_strerror_last(self->h));
	COLLECT();
	EXPECT_STREQ("hello world", self->out.out.data ? self->out.out.data : "");
	EXPECT_EQ(0U, self->out.exit.code);
}

TEST_F(ctl, stdin_more_than_a_pipe_buffer)
{
	const char *const argv[] = { "-c", "wc -c", NULL };
	struct sbexec_exec_req req = { .cmd = SH, .argv = argv };
	size_t len = 1024 * 1024 + 17;
	char *data = malloc(len);

	ASSERT_NE(NULL, data);
	memset(data, 'z', len);
	START(&req);
	/* Sent in SBEXEC_MAX_STDIN_CHUNK pieces, each acknowledged. */
	EXPECT_EQ(0, sbexec_stdin(self->h, self->res.session_id, data, len))
		TH_LOG("%s", sbexec_strerror_last(self->h));
	free(data);
	ASSERT_EQ(0, sbexec_close_stdin(self->h, self->res.session_id));
	COLLECT();
	EXPECT_STREQ("1048593\n", self->out.out.data ? self->out.out.data : "");
}

TEST_F(ctl, stdin_to_finished_session_is_an_error)
{
	struct sbexec_exec_req req = { .cmd = "/bin/true" };
	int err;

	START(&req);
	COLLECT();
	err = sbexec_stdin(self->h, self->res.session_id, "x", 1);
	EXPECT_GT(0, err);
	EXPECT_NE(0, sbexec_strerror_last(self->h)[0]);
	TH_LOG("stdin after exit: %d (%s)", err, sbexec_strerror_last(self->h));
}

/*
 * An out-of-range integer is ERANGE (uapi header): SIGNAL 0 and 65, as
 * the policy answers for SESSION_ID 0. The message says which number;
 * kernels without formatted extack (6.1) give a fixed text.
 */
TEST_F(ctl, invalid_signal_is_erange_with_message)
{
	const char *const argv[] = { "-c", "sleep 1; echo alive", NULL };
	struct sbexec_exec_req req = { .cmd = SH, .argv = argv };
	static const int bad[] = { 0, 65 };
	const char *msg, *attr;
	char want[32];

	START(&req);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-ERANGE, sbexec_signal(self->h, self->res.session_id, bad[i]));
		msg = sbexec_last_extack(self->h);
		attr = sbexec_last_bad_attr(self->h);
		ASSERT_NE(NULL, msg);
		EXPECT_STREQ("SBEXEC_A_SIGNAL", attr ? attr : "(none)");
		snprintf(want, sizeof(want), "signal %d out of range", bad[i]);
		EXPECT_TRUE(strstr(msg, want) || strstr(msg, "signal number out of range"))
			TH_LOG("extack: %s", msg);
		EXPECT_GE(79U, strlen(msg));
	}
	/* Nothing was delivered. */
	COLLECT();
	EXPECT_STREQ("alive\n", self->out.out.data ? self->out.out.data : "");
	EXPECT_EQ(1U, self->out.exit.exited);
	EXPECT_EQ(0U, self->out.exit.code);
}

/*
 * How long a (kill-on-close) session lives after its final record: until
 * the reader that consumed it closes. Until then GET sees it (DONE);
 * afterwards GET, SIGNAL and ATTACH get ENOENT naming the id.
 */
TEST_F(ctl, session_gone_once_final_record_read_and_reader_closed)
{
	struct sbexec_exec_req req = { .cmd = "/bin/true" };
	struct sbexec_session_info *si = calloc(1, sizeof(*si));
	const char *msg;
	char want[64];
	uint32_t id;

	ASSERT_NE(NULL, si);
	START(&req);
	id = self->res.session_id;
	COLLECT();
	/* Read, not closed: still there. */
	EXPECT_EQ(0, sbexec_get(self->h, id, si)) TH_LOG("%s", sbexec_strerror_last(self->h));
	EXPECT_EQ((uint32_t)SBEXEC_STATE_DONE, si->state);
	close(self->fd);
	self->fd = -1;

	snprintf(want, sizeof(want), "no such session: %u", id);
	EXPECT_EQ(-ENOENT, sbexec_get(self->h, id, si));
	msg = sbexec_last_extack(self->h);
	ASSERT_NE(NULL, msg);
	EXPECT_NE(NULL, strstr(msg, extack_want(want, "no such session"))) TH_LOG("extack: %s", msg);
	EXPECT_EQ(-ENOENT, sbexec_signal(self->h, id, SIGTERM));
	self->fd = sbexec_attach(self->h, id);
	EXPECT_EQ(-ENOENT, self->fd);
	free(si);
}

TEST_F(ctl, signal_death_in_exit_record)
{
	const char *const argv[] = { "-c", "echo ready; exec sleep 30", NULL };
	struct sbexec_exec_req req = { .cmd = SH, .argv = argv };
	int err;

	START(&req);
	err = sbexec_signal(self->h, self->res.session_id, SIGKILL);
	ASSERT_EQ(0, err) TH_LOG("%s", sbexec_strerror_last(self->h));
	COLLECT();
	EXPECT_EQ(0U, self->out.exit.exited);
	EXPECT_EQ((uint32_t)SIGKILL, self->out.exit.signal);
	EXPECT_EQ(0U, self->out.exit.core_dumped);
	EXPECT_EQ(128 + SIGKILL, sbexec_exit_status(&self->out.exit));
}

TEST_F(ctl, core_dump_flag_in_exit_record)
{
	char dir[] = "/tmp/sbexec-core-XXXXXX";
	const char *const argv[] = { "-c", "kill -SEGV $$", NULL };
	struct sbexec_rlimit rl = { .name = "core", .soft = SBEXEC_RLIM_INFINITY,
				    .hard = SBEXEC_RLIM_INFINITY };
	struct sbexec_exec_req req = { .cmd = SH, .argv = argv, .cwd = dir,
				       .rlimits = &rl, .n_rlimits = 1 };
	char cmd[128];

	ASSERT_NE(NULL, mkdtemp(dir));
	START(&req);
	COLLECT();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		TH_LOG("could not remove %s", dir);
	EXPECT_EQ(0U, self->out.exit.exited);
	EXPECT_EQ((uint32_t)SIGSEGV, self->out.exit.signal);
	EXPECT_EQ(1U, self->out.exit.core_dumped);
}

TEST_F(ctl, pty_initial_size_and_resize)
{
	const char *const argv[] = { "-c", "stty size; read x; stty size", NULL };
	struct sbexec_exec_req req = { .cmd = SH, .argv = argv, .tty = true,
				       .rows = 33, .cols = 101 };
	int err;

	START(&req);
	/* Resize and type only once the first size is printed, line end and
	 * all: the terminal echoes what is typed at once. */
	err = read_until(self->fd, &self->out, "33 101\r\n");
	ASSERT_EQ(0, err) TH_LOG("waiting for the first size: %s; output: %s",
		strerror(-err), self->out.out.data);
	err = sbexec_resize(self->h, self->res.session_id, 50, 132);
	ASSERT_EQ(0, err) TH_LOG("%s", sbexec_strerror_last(self->h));
	ASSERT_EQ(0, sbexec_stdin(self->h, self->res.session_id, "go\n", 3));
	COLLECT();
	strip_cr(&self->out.out);
	EXPECT_NE(NULL, strstr(self->out.out.data, "33 101\n")) TH_LOG("output: %s",
		self->out.out.data);
	EXPECT_NE(NULL, strstr(self->out.out.data, "50 132\n")) TH_LOG("output: %s",
		self->out.out.data);
	EXPECT_EQ(0U, self->out.exit.code);
	EXPECT_EQ(0U, self->out.err.len);
}

TEST_F(ctl, pty_close_stdin_is_eof)
{
	struct sbexec_exec_req req = { .cmd = "/bin/cat", .tty = true };

	START(&req);
	ASSERT_EQ(0, sbexec_stdin(self->h, self->res.session_id, "abc\n", 4));
	ASSERT_EQ(0, sbexec_close_stdin(self->h, self->res.session_id))
		TH_LOG("%s", sbexec_strerror_last(self->h));
	COLLECT();
	strip_cr(&self->out.out);
	/* The terminal echoes the line, then cat prints it. */
	EXPECT_NE(NULL, strstr(self->out.out.data, "abc\nabc\n")) TH_LOG("output: %s",
		self->out.out.data);
	EXPECT_EQ(1U, self->out.exit.exited);
	EXPECT_EQ(0U, self->out.exit.code);
}

TEST_F(ctl, pty_fast_writer_loses_nothing)
{
	const char *const argv[] = { "1", "20000", NULL };
	struct sbexec_exec_req req = { .cmd = "/usr/bin/seq", .argv = argv, .tty = true };
	struct sbexec_buf want = { 0 };
	char line[16];
	int i, n;

	START(&req);
	COLLECT();
	strip_cr(&self->out.out);
	want.cap = 20000 * 7;
	want.data = malloc(want.cap);
	ASSERT_NE(NULL, want.data);
	for (i = 1; i <= 20000; i++) {
		n = snprintf(line, sizeof(line), "%d\n", i);
		memcpy(want.data + want.len, line, (size_t)n);
		want.len += (size_t)n;
	}
	EXPECT_EQ(want.len, self->out.out.len);
	EXPECT_EQ(fnv1a64(want.data, want.len),
		  fnv1a64(self->out.out.data, self->out.out.len));
	free(want.data);
	EXPECT_EQ(0U, self->out.exit.code);
}

TEST_F(ctl, pty_bad_cwd_and_not_found_are_typed)
{
	struct sbexec_exec_req req = { .cmd = "/bin/true", .tty = true,
				       .cwd = "/nonexistent-sbexec-dir" };
	int err;

	err = sbexec_exec(self->h, &req, &self->res);
	EXPECT_EQ(-ENOENT, err);
	EXPECT_EQ((uint32_t)SBEXEC_FAIL_BAD_CWD, self->res.failure.kind);
	EXPECT_EQ((uint32_t)SBEXEC_STAGE_CWD, self->res.failure.stage);

	req.cwd = NULL;
	req.cmd = "/nonexistent/sbexec-no-such-command";
	err = sbexec_exec(self->h, &req, &self->res);
	EXPECT_EQ(-ENOENT, err);
	EXPECT_EQ((uint32_t)SBEXEC_FAIL_NOT_FOUND, self->res.failure.kind);
	EXPECT_EQ((uint32_t)SBEXEC_STAGE_EXEC, self->res.failure.stage);
	EXPECT_STREQ("ENOENT", self->res.failure.errno_name);
}

/*
 * A refused request: -EINVAL, a message naming the culprit (@fmt on
 * kernels with formatted extack, else @fixed), no failure, no new session.
 */
static void check_refused(struct __test_metadata *_metadata, struct sbexec *h,
			  const struct sbexec_exec_req *req, const char *what,
			  const char *fmt, const char *fixed)
{
	const char *want = extack_want(fmt, fixed);
	struct sbexec_exec_result res;
	int before, after, err;

	before = count_sessions(h);
	ASSERT_LE(0, before) TH_LOG("LIST: %s", sbexec_strerror_last(h));
	err = sbexec_exec(h, req, &res);
	EXPECT_EQ(-EINVAL, err) TH_LOG("%s: %d %s", what, err, sbexec_strerror_last(h));
	EXPECT_EQ((uint32_t)SBEXEC_FAIL_NONE, res.failure.kind) TH_LOG("%s", what);
	EXPECT_NE(0, res.extack[0]) TH_LOG("%s: no extack message", what);
	EXPECT_NE(NULL, strstr(res.extack, want)) TH_LOG("%s: extack \"%s\", want \"%s\"",
		what, res.extack, want);
	EXPECT_GE((size_t)EXTACK_MAX, strlen(res.extack));
	/* The kernel pointed at the attribute it refused. */
	EXPECT_NE(NULL, sbexec_last_bad_attr(h)) TH_LOG("%s: no attribute named", what);
	EXPECT_EQ(0U, res.session_id);
	TH_LOG("%s: %s", what, sbexec_strerror_last(h));
	after = count_sessions(h);
	EXPECT_EQ(before, after) TH_LOG("%s created a session", what);
}

TEST_F(ctl, bad_env_refused)
{
	const char *const no_eq[] = { "GOOD=1", "NOEQUALS", NULL };
	const char *const empty_key[] = { "=value", NULL };
	struct sbexec_exec_req req = { .cmd = "/bin/true" };

	req.env = no_eq;
	check_refused(_metadata, self->h, &req, "env entry without '='",
		      "env entry \"NOEQUALS\" is not KEY=VALUE",
		      "environment entry must be KEY=VALUE");
	req.env = empty_key;
	check_refused(_metadata, self->h, &req, "env entry with an empty key",
		      "env entry \"=value\" is not KEY=VALUE",
		      "environment entry must be KEY=VALUE");
}

TEST_F(ctl, bad_rlimits_refused)
{
	struct sbexec_rlimit unknown = { .name = "bogus", .soft = 1, .hard = 1 };
	struct sbexec_rlimit inverted = { .name = "nofile", .soft = 100, .hard = 10 };
	struct sbexec_exec_req req = { .cmd = "/bin/true", .n_rlimits = 1 };

	req.rlimits = &unknown;
	check_refused(_metadata, self->h, &req, "unknown rlimit name",
		      "unknown rlimit name \"bogus\"", "unknown rlimit name");
	req.rlimits = &inverted;
	check_refused(_metadata, self->h, &req, "rlimit soft > hard",
		      "rlimit nofile: soft 100 > hard 10",
		      "rlimit soft limit is above its hard limit");
}

TEST_F(ctl, rlimit_applied)
{
	const char *const argv[] = { "-c", "ulimit -n; ulimit -S -c; ulimit -H -c", NULL };
	struct sbexec_rlimit rl[] = {
		{ .name = "nofile", .soft = 64, .hard = 64 },
		{ .name = "core", .soft = 0, .hard = 4096 * 512 },
	};
	struct sbexec_exec_req req = { .cmd = SH, .argv = argv, .rlimits = rl,
				       .n_rlimits = 2 };

	START(&req);
	COLLECT();
	/* dash's ulimit -c counts 512-byte blocks. */
	EXPECT_STREQ("64\n0\n4096\n", self->out.out.data ? self->out.out.data : "");
}

TEST_F(ctl, user_and_group_switch)
{
	const char *const argv[] = { "-c", "id -u; id -g; id -G", NULL };
	struct sbexec_exec_req req = { .cmd = SH, .argv = argv, .user = "65534:65534" };

	START(&req);
	COLLECT();
	EXPECT_STREQ("65534\n65534\n65534\n", self->out.out.data ? self->out.out.data : "");
}

struct find_ctx {
	uint32_t id;
	struct sbexec_session_info info;
	int seen;
};

static int find_cb(const struct sbexec_session_info *si, void *arg)
{
	struct find_ctx *c = arg;

	if (si->session_id == c->id) {
		c->info = *si;
		c->seen++;
	}
	return 0;
}

TEST_F(ctl, get_and_list_describe_a_running_session)
{
	const char *const argv[] = { "-c", "echo x; sleep 1", NULL };
	struct sbexec_exec_req req = { .cmd = SH, .argv = argv };
	struct sbexec_session_info *info = calloc(1, sizeof(*info));
	struct find_ctx *c = calloc(1, sizeof(*c));
	int err;

	ASSERT_NE(NULL, info);
	ASSERT_NE(NULL, c);
	START(&req);
	err = sbexec_get(self->h, self->res.session_id, info);
	ASSERT_EQ(0, err) TH_LOG("GET: %s", sbexec_strerror_last(self->h));
	EXPECT_EQ(self->res.session_id, info->session_id);
	EXPECT_EQ(self->res.pid, info->pid);
	EXPECT_STREQ(SH, info->cmd);
	EXPECT_EQ((uint32_t)SBEXEC_STATE_RUNNING, info->state);
	EXPECT_FALSE(info->tty);

	c->id = self->res.session_id;
	err = sbexec_list(self->h, find_cb, c);
	ASSERT_EQ(0, err) TH_LOG("LIST: %s", sbexec_strerror_last(self->h));
	EXPECT_EQ(1, c->seen);
	EXPECT_EQ(self->res.pid, c->info.pid);
	COLLECT();
	EXPECT_EQ(0U, self->out.exit.code);
	free(info);
	free(c);
}

TEST_F(ctl, get_unknown_session_is_an_error)
{
	struct sbexec_session_info *info = calloc(1, sizeof(*info));
	int err;

	ASSERT_NE(NULL, info);
	err = sbexec_get(self->h, 0x7ffffff0, info);
	EXPECT_GT(0, err);
	EXPECT_NE(0, sbexec_strerror_last(self->h)[0]);
	free(info);
}

/* Open a second client and EXEC @req from it (into self->res); the client. */
static struct sbexec *exec_elsewhere(struct __test_metadata *_metadata,
				     FIXTURE_DATA(ctl) *self,
				     const struct sbexec_exec_req *req)
{
	struct sbexec *other = NULL;
	int err;

	ASSERT_EQ(0, sbexec_open(&other));
	err = sbexec_exec(other, req, &self->res);
	ASSERT_EQ(0, err) TH_LOG("%s", sbexec_strerror_last(other));
	return other;
}

TEST_F(ctl, kill_on_close_by_default)
{
	const char *const argv[] = { "-c", "sleep 30", NULL };
	struct sbexec_exec_req req = { .cmd = SH, .argv = argv };
	struct sbexec *other;
	int64_t deadline;

	other = exec_elsewhere(_metadata, self, &req);
	ASSERT_TRUE(pid_alive((pid_t)self->res.pid));
	/* The socket that sent EXEC goes away: so do the session and its process. */
	sbexec_close(other);
	deadline = mono_ms() + 5000;
	while (pid_alive((pid_t)self->res.pid) && mono_ms() < deadline)
		usleep(20000);
	EXPECT_FALSE(pid_alive((pid_t)self->res.pid));
	self->fd = sbexec_attach(self->h, self->res.session_id);
	EXPECT_GT(0, self->fd) TH_LOG("the session of a closed client can still be attached");
}

TEST_F(ctl, keep_running_outlives_its_client_and_reattaches)
{
	const char *const argv[] = { "-c", "echo one; read x; echo two; exit 5", NULL };
	struct sbexec_exec_req req = { .cmd = SH, .argv = argv,
				       .flags = SBEXEC_EXEC_F_KEEP_RUNNING };
	struct sbexec_attach info;
	uint32_t id;
	int err;

	/* Its client goes away at once. */
	sbexec_close(exec_elsewhere(_metadata, self, &req));
	id = self->res.session_id;

	/* A first reader takes "one" and leaves. */
	self->fd = sbexec_attach_info(self->h, id, &info);
	ASSERT_LE(0, self->fd) TH_LOG("attach: %s", sbexec_strerror_last(self->h));
	EXPECT_EQ(0U, info.next_seq);
	err = read_until(self->fd, &self->out, "one\n");
	ASSERT_EQ(0, err) TH_LOG("%s", strerror(-err));
	close(self->fd);

	ASSERT_EQ(0, sbexec_stdin(self->h, id, "\n", 1)) TH_LOG("%s",
		sbexec_strerror_last(self->h));
	/* The shell may have read its line and exited already: EPIPE then. */
	err = sbexec_close_stdin(self->h, id);
	EXPECT_TRUE(err == 0 || err == -EPIPE) TH_LOG("close stdin: %s",
		sbexec_strerror_last(self->h));

	/* A second reader goes on from the first unread record. */
	self->fd = sbexec_attach_info(self->h, id, &info);
	ASSERT_LE(0, self->fd) TH_LOG("re-attach: %s", sbexec_strerror_last(self->h));
	EXPECT_EQ(self->out.next_seq, info.next_seq);
	sbexec_output_free(&self->out);
	self->out.next_seq = info.next_seq;
	COLLECT();
	EXPECT_STREQ("two\n", self->out.out.data ? self->out.out.data : "");
	EXPECT_EQ(5U, self->out.exit.code);
}

TEST_HARNESS_MAIN
