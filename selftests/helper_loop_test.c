// SPDX-License-Identifier: GPL-2.0
/*
 * helper_loop_test - unit tests of sbexec-helper's library: the helper's
 * main loop, over a SOCK_SEQPACKET pair standing in for the device:
 * answers, reaping, a reply the module did not take.
 *
 * Needs no module. helper_units.h: what the helper_*_test programs share.
 */

#include "helper_units.h"
#include "kselftest_harness.h"

/* ---- the main loop, over a SOCK_SEQPACKET pair standing in for the device ---- */

/* Fork a helper serving sv[1] (its log to @logfd if >= 0); its pid. */
static pid_t start_loop_log(int sv[2], int logfd)
{
	struct helper_opts o = { .device = "socketpair" };
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -1;
	pid = fork();
	if (pid == 0) {
		int sigfd = helper_signalfd();

		close(sv[0]);
		if (logfd >= 0)
			dup2(logfd, 2);
		_exit(sigfd < 0 ? 100 : helper_run(sv[1], sigfd, &o));
	}
	close(sv[1]);
	return pid;
}

static pid_t start_loop(int sv[2])
{
	return start_loop_log(sv, -1);
}

/* A request for @cmd [@arg] run in @cwd. */
static size_t build_spawn_msg_cwd(struct msg *m, uint64_t id, const char *cmd,
				  const char *arg, const char *cwd)
{
	struct sbexec_upcall_hdr hdr = { .type = SBEXEC_UP_SPAWN, .id = id };

	msg_init(m);
	attr_buf_reserve(&m->b, sizeof(hdr), NULL);
	attr_put_str(&m->b, SBEXEC_A_CMD, cmd);
	if (arg)
		attr_put_str(&m->b, SBEXEC_A_ARG, arg);
	if (cwd)
		attr_put_str(&m->b, SBEXEC_A_CWD, cwd);
	hdr.len = (uint32_t)m->b.len;
	memcpy(m->buf, &hdr, sizeof(hdr));
	return m->b.len;
}

static size_t build_spawn_msg(struct msg *m, uint64_t id, const char *cmd,
			      const char *arg)
{
	return build_spawn_msg_cwd(m, id, cmd, arg, NULL);
}

/*
 * Read the helper's SBEXEC_UP_FORKED for request @id (the child it forked,
 * held at its gate) and then its reply; returns the reply's length.
 */
static ssize_t read_forked_then_reply(struct __test_metadata *_metadata,
				      int fd, uint64_t id, void *reply,
				      size_t cap, pid_t *forked)
{
	unsigned char buf[SBEXEC_UPCALL_MAX_REPLY];
	struct decoded_reply d;
	ssize_t n;

	*forked = -1;
	n = read(fd, buf, sizeof(buf));
	EXPECT_LT(0, n);
	if (n <= 0)
		return -1;
	EXPECT_EQ(0, decode_reply(buf, (size_t)n, &d));
	EXPECT_EQ((uint16_t)SBEXEC_UP_FORKED, d.hdr.type);
	EXPECT_EQ(id, d.hdr.id);
	EXPECT_TRUE(d.has_pid);
	EXPECT_FALSE(d.has_pipes || d.has_pty || d.has_failure);
	*forked = (pid_t)d.pid;
	return read(fd, reply, cap);
}

/*
 * Send a spawn request @id for @cmd [@arg] and decode the helper's reply
 * into @d (read_forked_then_reply() checks the SBEXEC_UP_FORKED first).
 * Returns 0, or -1 with the failed check logged.
 */
static int spawn_roundtrip(struct __test_metadata *_metadata, int fd,
			   uint64_t id, const char *cmd, const char *arg,
			   struct decoded_reply *d, pid_t *forked)
{
	unsigned char reply[SBEXEC_UPCALL_MAX_REPLY];
	struct msg m;
	size_t len;
	ssize_t n;
	int rc;

	len = build_spawn_msg(&m, id, cmd, arg);
	n = write(fd, m.buf, len);
	EXPECT_EQ((ssize_t)len, n);
	if (n != (ssize_t)len)
		return -1;
	n = read_forked_then_reply(_metadata, fd, id, reply, sizeof(reply),
				   forked);
	EXPECT_LT(0, n);
	if (n <= 0)
		return -1;
	rc = decode_reply(reply, (size_t)n, d);
	EXPECT_EQ(0, rc);
	return rc ? -1 : 0;
}

static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512], *p;
	int ppid = -1;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fp = fopen(path, "re");
	if (!fp)
		return -1;
	if (fgets(buf, sizeof(buf), fp) && (p = strrchr(buf, ')')))
		sscanf(p + 2, "%*c %d", &ppid);
	fclose(fp);
	return ppid;
}

/* Reap everything; count the processes SIGKILL ended. */
static int reap_all(void)
{
	int status, killed = 0;

	while (waitpid(-1, &status, 0) > 0)
		killed += WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
	return killed;
}

TEST(loop_answers_each_request_and_stops_on_sigterm)
{
	struct decoded_reply d;
	int sv[2], status;
	pid_t helper, child, forked;

	/* The helper's orphans come back to us when it exits. */
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
	helper = start_loop(sv);
	ASSERT_LT(0, helper);

	ASSERT_EQ(0, spawn_roundtrip(_metadata, sv[0], 41, "sleep", "30", &d,
				     &forked));
	EXPECT_EQ(41U, d.hdr.id);
	EXPECT_EQ((uint16_t)SBEXEC_UP_SPAWNED, d.hdr.type);
	ASSERT_TRUE(d.has_pid);
	EXPECT_TRUE(d.has_pipes);
	EXPECT_FALSE(d.has_failure);
	child = (pid_t)d.pid;
	EXPECT_EQ(forked, child);
	EXPECT_EQ(helper, parent_of(child));

	ASSERT_EQ(0, spawn_roundtrip(_metadata, sv[0], 42, "/sbexec/none", NULL,
				     &d, &forked));
	EXPECT_EQ(42U, d.hdr.id);
	EXPECT_TRUE(d.has_failure);
	EXPECT_EQ((uint32_t)SBEXEC_FAIL_NOT_FOUND, d.kind);

	/* SIGTERM: clean exit; running sessions are left alone. */
	ASSERT_EQ(0, kill(helper, SIGTERM));
	ASSERT_EQ(helper, waitpid(helper, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, kill(child, 0));
	kill(child, SIGKILL);
	EXPECT_EQ(1, reap_all());
	close(sv[0]);
}

TEST(loop_reaps_exited_children)
{
	struct decoded_reply d;
	char path[64];
	int sv[2], tries;
	pid_t helper, forked;

	helper = start_loop(sv);
	ASSERT_LT(0, helper);
	ASSERT_EQ(0, spawn_roundtrip(_metadata, sv[0], 1, "true", NULL, &d,
				     &forked));
	ASSERT_TRUE(d.has_pid);
	/* No zombie stays behind once the child has exited. */
	snprintf(path, sizeof(path), "/proc/%u", d.pid);
	for (tries = 0; tries < 100 && access(path, F_OK) == 0; tries++)
		usleep(20 * 1000);
	EXPECT_NE(0, access(path, F_OK));
	/* EOF on the channel: the helper exits 0. */
	close(sv[0]);
	EXPECT_EQ(0, wait_exit_code(helper));
}

/*
 * One try of the case below: a request whose client is gone (the channel
 * closed) after FORKED. Return 1 when the helper's reply got out before
 * the close (then the helper read ECONNRESET, which the device never
 * gives: the race this stand-in has, not a helper bug), 0 when the reply
 * was refused and the helper logged the kill; *child is the FORKED pid.
 */
static int reply_not_delivered_try(struct __test_metadata *_metadata,
				   char *log, size_t size, pid_t *child)
{
	int sv[2], logp[2], status;
	unsigned char buf[SBEXEC_UPCALL_MAX_REPLY];
	struct decoded_reply d;
	struct msg m;
	size_t len;
	ssize_t n;
	pid_t helper;

	*child = -1;
	ASSERT_EQ(0, pipe2(logp, O_CLOEXEC));
	helper = start_loop_log(sv, logp[1]);
	ASSERT_LT(0, helper);
	close(logp[1]);
	len = build_spawn_msg(&m, 7, "sleep", "30");
	ASSERT_EQ((ssize_t)len, write(sv[0], m.buf, len));
	/* The module took the child (FORKED)... */
	n = read(sv[0], buf, sizeof(buf));
	ASSERT_LT(0, n);
	ASSERT_EQ(0, decode_reply(buf, (size_t)n, &d));
	ASSERT_EQ((uint16_t)SBEXEC_UP_FORKED, d.hdr.type);
	*child = (pid_t)d.pid;
	/* ...but is gone before the reply: write() fails (EPIPE). */
	close(sv[0]);
	ASSERT_EQ(helper, waitpid(helper, &status, 0));
	read_all(logp[0], log, size);
	close(logp[0]);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 1 &&
	    strstr(log, "read socketpair: Connection reset by peer") &&
	    !strstr(log, "request 7: reply not delivered"))
		return 1;
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	return 0;
}

TEST(loop_kills_child_when_reply_is_not_delivered)
{
	char log[1024], *p;
	pid_t child;
	int tries = 0;

	/* Orphans (if the helper exits before reaping) come back to us. */
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
	/* The close must come before the child's exec: a few tries at most. */
	while (reply_not_delivered_try(_metadata, log, sizeof(log), &child)) {
		if (child > 0)
			kill(child, SIGKILL);
		reap_all();
		ASSERT_LT(++tries, 5) TH_LOG("the reply always won: %s", log);
	}
	p = strstr(log, "request 7: reply not delivered");
	ASSERT_NE(NULL, p) TH_LOG("%s", log);
	p = strstr(p, "killed pid ");
	ASSERT_NE(NULL, p) TH_LOG("%s", log);
	ASSERT_LT(0, child);
	EXPECT_EQ(child, (pid_t)atoi(p + strlen("killed pid ")));
	/* Whoever reaped it, the 30 s sleep is gone. */
	reap_all();
	EXPECT_EQ(-1, kill(child, 0));
	EXPECT_EQ(ESRCH, errno);
}

/*
 * The module refuses the child (here: the channel is closed before the
 * helper reports it): it is killed at its gate and its command never runs.
 */
TEST(loop_child_the_module_did_not_take_never_runs)
{
	char log[1024], mark[64];
	int sv[2], logp[2], status;
	struct helper_opts o = { .device = "socketpair" };
	struct msg m;
	size_t len;
	pid_t helper;

	snprintf(mark, sizeof(mark), "/tmp/sbexec-loop-gate.%d", (int)getpid());
	unlink(mark);
	ASSERT_EQ(0, pipe2(logp, O_CLOEXEC));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	/* The request is queued and its sender gone before the helper runs. */
	len = build_spawn_msg(&m, 8, "touch", mark);
	ASSERT_EQ((ssize_t)len, write(sv[0], m.buf, len));
	close(sv[0]);
	helper = fork();
	ASSERT_LE(0, helper);
	if (helper == 0) {
		int sigfd = helper_signalfd();

		dup2(logp[1], 2);
		_exit(sigfd < 0 ? 100 : helper_run(sv[1], sigfd, &o));
	}
	close(sv[1]);
	close(logp[1]);
	ASSERT_EQ(helper, waitpid(helper, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	read_all(logp[0], log, sizeof(log));
	close(logp[0]);
	EXPECT_NE(NULL, strstr(log, "request 8: failure reply not delivered"))
		TH_LOG("%s", log);
	EXPECT_NE(0, access(mark, F_OK));
	unlink(mark);
}

/*
 * Requests queued together are all served while earlier children are
 * still on their way to execve(): each gets its SBEXEC_UP_FORKED before
 * its reply, with the same pid, and a failing one among them still says
 * precisely where it failed.
 */
TEST(loop_serves_several_requests_at_once)
{
	enum { NREQ = 6 };
	static const struct {
		const char *cmd, *arg, *cwd;
	} rq[NREQ + 1] = {
		[1] = { "sleep", "30", NULL },
		[2] = { "sleep", "30", "/" },
		[3] = { "/sbexec/none", NULL, NULL },
		[4] = { "sleep", "30", NULL },
		[5] = { "sleep", "30", "/sbexec/no-such-dir" },
		[6] = { "sleep", "30", "/tmp" },
	};
	unsigned char buf[SBEXEC_UPCALL_MAX_REPLY];
	pid_t forked[NREQ + 1] = { 0 }, helper;
	bool answered[NREQ + 1] = { false };
	struct decoded_reply d;
	int sv[2], i, replies = 0, running = 0;
	struct msg m;
	size_t len;
	ssize_t n;

	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
	helper = start_loop(sv);
	ASSERT_LT(0, helper);
	for (i = 1; i <= NREQ; i++) {
		len = build_spawn_msg_cwd(&m, (uint64_t)i, rq[i].cmd, rq[i].arg,
					  rq[i].cwd);
		ASSERT_EQ((ssize_t)len, write(sv[0], m.buf, len));
	}
	while (replies < NREQ) {
		n = read(sv[0], buf, sizeof(buf));
		ASSERT_LT(0, n);
		ASSERT_EQ(0, decode_reply(buf, (size_t)n, &d));
		ASSERT_LE(1U, d.hdr.id);
		ASSERT_GE((uint64_t)NREQ, d.hdr.id);
		i = (int)d.hdr.id;
		ASSERT_FALSE(answered[i]);
		if (d.hdr.type == SBEXEC_UP_FORKED) {
			ASSERT_EQ(0, forked[i]);
			ASSERT_TRUE(d.has_pid);
			forked[i] = (pid_t)d.pid;
			continue;
		}
		ASSERT_EQ((uint16_t)SBEXEC_UP_SPAWNED, d.hdr.type);
		/* Every child here was forked: its FORKED came first. */
		ASSERT_LT(0, forked[i]) TH_LOG("request %d", i);
		answered[i] = true;
		replies++;
		if (i == 3) {
			EXPECT_TRUE(d.has_failure);
			EXPECT_EQ((uint32_t)SBEXEC_FAIL_NOT_FOUND, d.kind);
			EXPECT_EQ((uint32_t)SBEXEC_STAGE_EXEC, d.stage);
			EXPECT_EQ((uint32_t)ENOENT, d.errnum);
		} else if (i == 5) {
			EXPECT_TRUE(d.has_failure);
			EXPECT_EQ((uint32_t)SBEXEC_FAIL_BAD_CWD, d.kind);
			EXPECT_EQ((uint32_t)SBEXEC_STAGE_CWD, d.stage);
			EXPECT_STREQ("chdir \"/sbexec/no-such-dir\": No such file or directory",
				     d.message);
		} else {
			EXPECT_FALSE(d.has_failure) TH_LOG("%d: %s", i, d.message);
			EXPECT_TRUE(d.has_pipes);
			EXPECT_EQ(forked[i], (pid_t)d.pid);
			EXPECT_EQ(helper, parent_of((pid_t)d.pid));
			running++;
		}
	}
	EXPECT_EQ(4, running);
	/* The failed children were reaped by the helper, not left to us. */
	EXPECT_EQ(-1, kill(forked[3], 0));
	EXPECT_EQ(-1, kill(forked[5], 0));

	ASSERT_EQ(0, kill(helper, SIGTERM));
	EXPECT_EQ(0, wait_exit_code(helper));
	for (i = 1; i <= NREQ; i++)
		if (i != 3 && i != 5)
			EXPECT_EQ(0, kill(forked[i], SIGKILL));
	EXPECT_EQ(4, reap_all());
	close(sv[0]);
}

TEST_HARNESS_MAIN
