// SPDX-License-Identifier: GPL-2.0
/*
 * events_test - the "events" multicast group of the sbexec family: a
 * started session, its exit and a spawn failure are each announced once,
 * with the ids, pid, exit status and failure kind the control plane gave.
 */
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "kselftest_harness.h"
#include "util.h"

struct event {
	int cmd;
	uint32_t id;
	uint32_t pid;
	bool has_exit;
	uint32_t code;
	uint32_t signal;
	uint32_t fail_kind;
	uint32_t fail_errno;
};

#define MAX_EVENTS 16

struct sink {
	struct event ev[MAX_EVENTS];
	int n;
};

static int on_event(struct nl_msg *msg, void *arg)
{
	struct genlmsghdr *gh = nlmsg_data(nlmsg_hdr(msg));
	struct nlattr *tb[SBEXEC_A_MAX + 1];
	struct sink *sink = arg;
	struct event *e;

	if (sink->n == MAX_EVENTS)
		return NL_SKIP;
	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, SBEXEC_A_MAX, NULL))
		return NL_SKIP;
	e = &sink->ev[sink->n++];
	memset(e, 0, sizeof(*e));
	e->cmd = gh->cmd;
	if (tb[SBEXEC_A_SESSION_ID])
		e->id = nla_get_u32(tb[SBEXEC_A_SESSION_ID]);
	if (tb[SBEXEC_A_PID])
		e->pid = nla_get_u32(tb[SBEXEC_A_PID]);
	if (tb[SBEXEC_A_EXIT]) {
		struct nlattr *x[SBEXEC_EXIT_A_MAX + 1];

		if (!nla_parse_nested(x, SBEXEC_EXIT_A_MAX, tb[SBEXEC_A_EXIT],
				      NULL)) {
			e->has_exit = true;
			if (x[SBEXEC_EXIT_A_CODE])
				e->code = nla_get_u32(x[SBEXEC_EXIT_A_CODE]);
			if (x[SBEXEC_EXIT_A_SIGNAL])
				e->signal = nla_get_u32(x[SBEXEC_EXIT_A_SIGNAL]);
		}
	}
	if (tb[SBEXEC_A_FAILURE]) {
		struct nlattr *f[SBEXEC_FAILURE_A_MAX + 1];

		if (!nla_parse_nested(f, SBEXEC_FAILURE_A_MAX,
				      tb[SBEXEC_A_FAILURE], NULL)) {
			if (f[SBEXEC_FAILURE_A_KIND])
				e->fail_kind = nla_get_u32(f[SBEXEC_FAILURE_A_KIND]);
			if (f[SBEXEC_FAILURE_A_ERRNO])
				e->fail_errno = nla_get_u32(f[SBEXEC_FAILURE_A_ERRNO]);
		}
	}
	return NL_OK;
}

FIXTURE(ev) {
	struct nl_sock *sk;
	struct sbexec *h;
	struct sink sink;
};

FIXTURE_SETUP(ev)
{
	int grp;

	memset(&self->sink, 0, sizeof(self->sink));
	ASSERT_EQ(0, sbexec_open(&self->h));
	self->sk = nl_socket_alloc();
	ASSERT_NE(NULL, self->sk);
	ASSERT_EQ(0, genl_connect(self->sk));
	grp = genl_ctrl_resolve_grp(self->sk, SBEXEC_GENL_NAME,
				    SBEXEC_MCGRP_EVENTS);
	ASSERT_LT(0, grp) TH_LOG("no '%s' multicast group", SBEXEC_MCGRP_EVENTS);
	nl_socket_disable_seq_check(self->sk);
	nl_socket_modify_cb(self->sk, NL_CB_VALID, NL_CB_CUSTOM, on_event,
			    &self->sink);
	ASSERT_EQ(0, nl_socket_add_membership(self->sk, grp));
	ASSERT_EQ(0, nl_socket_set_nonblocking(self->sk));
}

FIXTURE_TEARDOWN(ev)
{
	nl_socket_free(self->sk);
	sbexec_close(self->h);
}

/* Collect events until @want have come or @ms passed. */
static void drain(struct __test_metadata *_metadata, FIXTURE_DATA(ev) *self,
		  int want, int ms)
{
	int64_t end = mono_ms() + ms;

	while (self->sink.n < want && mono_ms() < end) {
		struct pollfd p = { .fd = nl_socket_get_fd(self->sk),
				    .events = POLLIN };

		if (poll(&p, 1, 100) > 0)
			nl_recvmsgs_default(self->sk);
	}
	/* Anything extra (a duplicate) must show up too. */
	usleep(200 * 1000);
	while (nl_recvmsgs_default(self->sk) >= 0 && self->sink.n < MAX_EVENTS)
		;
	(void)_metadata;
}

static int count(struct sink *s, int cmd, uint32_t id)
{
	int i, n = 0;

	for (i = 0; i < s->n; i++)
		if (s->ev[i].cmd == cmd && s->ev[i].id == id)
			n++;
	return n;
}

static const struct event *find(struct sink *s, int cmd, uint32_t id)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (s->ev[i].cmd == cmd && s->ev[i].id == id)
			return &s->ev[i];
	return NULL;
}

/*
 * Run `sh -c @script` to its end; *@status gets its exit status. 0, or -1
 * with the failed check logged.
 */
static int run_sh(struct __test_metadata *_metadata, FIXTURE_DATA(ev) *self,
		  const char *script, struct sbexec_exec_result *res,
		  int *status)
{
	const char *argv[] = { "-c", script, NULL };
	struct sbexec_exec_req req = { .cmd = "/bin/sh", .argv = argv };
	struct sbexec_output out = { 0 };
	int fd, rc;

	rc = sbexec_exec(self->h, &req, res);
	EXPECT_EQ(0, rc) TH_LOG("%s", res->extack);
	if (rc)
		return -1;
	fd = sbexec_attach(self->h, res->session_id);
	EXPECT_LE(0, fd);
	if (fd < 0)
		return -1;
	rc = sbexec_collect(fd, &out, COLLECT_MS);
	EXPECT_EQ(0, rc);
	close(fd);
	*status = sbexec_exit_status(&out.exit);
	sbexec_output_free(&out);
	return rc ? -1 : 0;
}

TEST_F_TIMEOUT(ev, started_and_exited_once_each, 60)
{
	struct sbexec_exec_result res;
	const struct event *e;
	int status;

	ASSERT_EQ(0, run_sh(_metadata, self, "exit 7", &res, &status));
	EXPECT_EQ(7, status);

	drain(_metadata, self, 2, 10000);
	EXPECT_EQ(1, count(&self->sink, SBEXEC_CMD_EVENT_STARTED,
			   res.session_id));
	EXPECT_EQ(1, count(&self->sink, SBEXEC_CMD_EVENT_EXITED,
			   res.session_id));
	e = find(&self->sink, SBEXEC_CMD_EVENT_STARTED, res.session_id);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(res.pid, e->pid);
	e = find(&self->sink, SBEXEC_CMD_EVENT_EXITED, res.session_id);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(res.pid, e->pid);
	EXPECT_TRUE(e->has_exit);
	EXPECT_EQ(7U, e->code);
	EXPECT_EQ(0U, e->signal);
}

TEST_F_TIMEOUT(ev, spawn_failure_is_announced, 60)
{
	struct sbexec_exec_req req = { .cmd = "/nonexistent/sbexec-events" };
	struct sbexec_exec_result res;
	const struct event *e;

	EXPECT_EQ(-ENOENT, sbexec_exec(self->h, &req, &res));
	EXPECT_EQ((uint32_t)SBEXEC_FAIL_NOT_FOUND, res.failure.kind);

	drain(_metadata, self, 1, 10000);
	/* A failed spawn has no session: the event carries id 0. */
	EXPECT_EQ(1, count(&self->sink, SBEXEC_CMD_EVENT_FAILED, 0));
	EXPECT_EQ(0, count(&self->sink, SBEXEC_CMD_EVENT_STARTED, 0));
	e = find(&self->sink, SBEXEC_CMD_EVENT_FAILED, 0);
	ASSERT_NE(NULL, e);
	EXPECT_EQ((uint32_t)SBEXEC_FAIL_NOT_FOUND, e->fail_kind);
	EXPECT_EQ((uint32_t)ENOENT, e->fail_errno);
}

TEST_F_TIMEOUT(ev, signal_death_is_in_the_exit_event, 60)
{
	struct sbexec_exec_result res;
	const struct event *e;
	int status;

	ASSERT_EQ(0, run_sh(_metadata, self, "kill -KILL $$", &res, &status));

	drain(_metadata, self, 2, 10000);
	e = find(&self->sink, SBEXEC_CMD_EVENT_EXITED, res.session_id);
	ASSERT_NE(NULL, e);
	EXPECT_TRUE(e->has_exit);
	EXPECT_EQ(9U, e->signal);
}

TEST(unprivileged_listener_is_refused)
{
	struct nl_sock *sk;
	pid_t pid;
	int grp, status;

	sk = nl_socket_alloc();
	ASSERT_NE(NULL, sk);
	ASSERT_EQ(0, genl_connect(sk));
	grp = genl_ctrl_resolve_grp(sk, SBEXEC_GENL_NAME, SBEXEC_MCGRP_EVENTS);
	ASSERT_LT(0, grp);
	nl_socket_free(sk);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(2);
		sk = nl_socket_alloc();
		if (!sk || genl_connect(sk))
			_exit(3);
		/* Events name commands: only CAP_SYS_ADMIN may listen. */
		_exit(nl_socket_add_membership(sk, grp) ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
