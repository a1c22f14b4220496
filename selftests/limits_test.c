// SPDX-License-Identifier: GPL-2.0
/*
 * limits_test.c - every limit of README "Limits" and the uapi header
 * (issue 5, item 5): a request one past a limit is refused with the
 * documented error, creates no session and changes nothing; a request
 * exactly at the limit still works.
 *
 *  - module parameters (lowered through /sys/module/sbexec/parameters and
 *    always put back, see the watchdog below): max_sessions,
 *    max_ring_memory_kb and max_pending are ResourceLimit failures at stage
 *    admission (EAGAIN, a message naming the parameter); max_ring_size is
 *    EINVAL with an extack message naming the parameter; upcall_timeout_ms
 *    is HelperUnavailable at stage upcall with ETIMEDOUT.
 *  - uapi constants: counts (SBEXEC_MAX_ARGS, SBEXEC_MAX_ENV,
 *    SBEXEC_MAX_RLIMITS) and the total SBEXEC_MAX_ARGV_BYTES are E2BIG;
 *    string lengths (SBEXEC_MAX_PATH_LEN for cmd and cwd,
 *    SBEXEC_MAX_USER_LEN, SBEXEC_MAX_RLIMIT_NAME) are EINVAL; a STDIN
 *    message above SBEXEC_MAX_STDIN_CHUNK is ERANGE; each with an extack
 *    message and the offending attribute named.
 *  - SBEXEC_MAX_ARG_LEN is 65530: a netlink attribute's length is 16 bits
 *    including its 4-byte header, so the longest argument or env entry
 *    that can be sent is 65530 bytes (plus its NUL). That one must work;
 *    a longer one must be refused without a session.
 *
 * The helper is stopped with SIGSTOP to make requests queue (max_pending)
 * or time out (upcall_timeout_ms), and always continued.
 *
 * Runs as root in the test guest with sbexec.ko loaded and the helper up.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "kselftest_harness.h"
#include "util.h"

#define SH		"/bin/sh"
#define PARAM_DIR	"/sys/module/sbexec/parameters/"
/* The longest string a netlink attribute can carry (16-bit nla_len). */
#define NLA_MAX_STR	(65535 - NLA_HDRLEN - 1)
_Static_assert(NLA_MAX_STR == SBEXEC_MAX_ARG_LEN,
	       "SBEXEC_MAX_ARG_LEN is the longest string an attribute carries");

/* ---- module parameters, and a watchdog that always restores them ---- */

static const char *const param_names[] = {
	"max_sessions", "max_pending", "max_ring_memory_kb", "max_ring_size",
	"upcall_timeout_ms", "ring_size",
};
#define N_PARAMS	(sizeof(param_names) / sizeof(param_names[0]))

struct params {
	unsigned long long v[N_PARAMS];
};

static int param_get(const char *name, unsigned long long *v)
{
	char path[128], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	*v = strtoull(buf, NULL, 10);
	return 0;
}

static int param_set(const char *name, unsigned long long v)
{
	char path[128], buf[64];
	int fd, len, ret = 0;

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = snprintf(buf, sizeof(buf), "%llu\n", v);
	if (write(fd, buf, (size_t)len) != len)
		ret = -errno;
	close(fd);
	return ret;
}

static int params_save(struct params *p)
{
	size_t i;
	int err;

	for (i = 0; i < N_PARAMS; i++) {
		err = param_get(param_names[i], &p->v[i]);
		if (err)
			return err;
	}
	return 0;
}

static int params_restore(const struct params *p)
{
	unsigned long long now;
	int ret = 0;
	size_t i;

	for (i = 0; i < N_PARAMS; i++) {
		if (param_get(param_names[i], &now) == 0 && now == p->v[i])
			continue;
		if (param_set(param_names[i], p->v[i]))
			ret = -EIO;
	}
	return ret;
}

static void helper_cont(void)
{
	pid_t pid = helper_pid();

	if (pid > 0)
		kill(pid, SIGCONT);
}

/* SIGSTOP the helper and wait until it is stopped. */
static int helper_sigstop(void)
{
	pid_t pid = helper_pid();
	int64_t deadline = mono_ms() + 5000;

	if (pid <= 0 || !pid_alive(pid))
		return -ESRCH;
	if (kill(pid, SIGSTOP))
		return -errno;
	while (proc_state(pid) != 'T') {
		if (mono_ms() > deadline)
			return -ETIMEDOUT;
		usleep(10000);
	}
	return 0;
}

/*
 * A child that outlives a killed test (harness timeout, crash) long
 * enough to put the parameters back and continue the helper: it waits for
 * EOF on a pipe whose only write end the test holds.
 */
static int watchdog_start(const struct params *p, int *wfd)
{
	int pfd[2];
	pid_t pid;
	char c;

	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		close(pfd[1]);
		while (read(pfd[0], &c, 1) < 0 && errno == EINTR)
			;
		params_restore(p);
		helper_cont();
		_exit(0);
	}
	close(pfd[0]);
	*wfd = pfd[1];
	return pid;
}

/* ---- sessions ---- */

static int ring_cb(const struct sbexec_session_info *si, void *arg)
{
	*(unsigned long long *)arg += si->ring_size;
	return 0;
}

/*
 * Wait until LIST shows the same count twice, 300 ms apart, so that
 * sessions of earlier tests finished their RCU-deferred free and no longer
 * count against a limit.
 */
static long settled_count(struct sbexec *h)
{
	long a = count_sessions(h), b;
	int i;

	for (i = 0; i < 20; i++) {
		usleep(300000);
		b = count_sessions(h);
		if (a == b)
			return b;
		a = b;
	}
	return a;
}

/* Run @req to its end: exit code, or -errno. Output in *@o. */
static int run_to_end(struct sbexec *h, const struct sbexec_exec_req *req,
		      struct sbexec_output *o)
{
	struct sbexec_exec_result res;

	memset(o, 0, sizeof(*o));
	return sbexec_run_capture(h, req, NULL, 0, COLLECT_MS, &res, o);
}

/* ---- raw generic netlink, for messages the library would not send ---- */

struct raw_ack {
	int err;		/* the ack's error (negative errno) or 0 */
	char msg[512];		/* NLMSGERR_ATTR_MSG */
	int bad_type;		/* top-level type at NLMSGERR_ATTR_OFFS, or -1 */
	int miss_type;		/* NLMSGERR_ATTR_MISS_TYPE, or -1 */
};

static size_t attr_put(char *buf, size_t off, uint16_t type, const void *data,
		       size_t len)
{
	struct nlattr *a = (struct nlattr *)(buf + off);

	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	memcpy(buf + off + NLA_HDRLEN, data, len);
	memset(buf + off + NLA_HDRLEN + len, 0, NLA_ALIGN(len) - len);
	return off + NLA_HDRLEN + NLA_ALIGN(len);
}

/* The top-level attribute type at offset @off of @attrs, or -1. */
static int attr_at(const char *attrs, size_t len, size_t off)
{
	size_t pos = 0;

	while (pos + NLA_HDRLEN <= len) {
		const struct nlattr *a = (const struct nlattr *)(attrs + pos);

		if (a->nla_len < NLA_HDRLEN)
			return -1;
		if (off >= pos && off < pos + a->nla_len)
			return a->nla_type & NLA_TYPE_MASK;
		pos += NLA_ALIGN(a->nla_len);
	}
	return -1;
}

/* Send one request of the sbexec family and read its ack. */
static int raw_request(int family, uint8_t cmd, const char *attrs, size_t len,
		       struct raw_ack *ack)
{
	static uint32_t seq = 1000;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	size_t total = NLMSG_HDRLEN + GENL_HDRLEN + len;
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	char *msg, *rbuf;
	int fd, one = 1, ret = -EPROTO;
	int64_t deadline = mono_ms() + COLLECT_MS;

	memset(ack, 0, sizeof(*ack));
	ack->bad_type = -1;
	ack->miss_type = -1;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	msg = calloc(1, total);
	rbuf = malloc(65536);
	if (!msg || !rbuf) {
		ret = -ENOMEM;
		goto out;
	}
	nlh = (struct nlmsghdr *)msg;
	nlh->nlmsg_len = (uint32_t)total;
	nlh->nlmsg_type = (uint16_t)family;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++seq;
	g = (struct genlmsghdr *)(msg + NLMSG_HDRLEN);
	g->cmd = cmd;
	g->version = SBEXEC_GENL_VERSION;
	memcpy(msg + NLMSG_HDRLEN + GENL_HDRLEN, attrs, len);
	if (sendto(fd, msg, total, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = -errno;
		goto out;
	}
	while (mono_ms() < deadline) {
		ssize_t n = recv(fd, rbuf, 65536, 0);
		struct nlmsghdr *h;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			goto out;
		}
		for (h = (struct nlmsghdr *)rbuf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			const struct nlmsgerr *e = NLMSG_DATA(h);
			size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*e));

			if (h->nlmsg_seq != seq || h->nlmsg_type != NLMSG_ERROR)
				continue;
			ack->err = e->error;
			ret = 0;
			if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
				goto out;
			while (off + NLA_HDRLEN <= h->nlmsg_len) {
				const struct nlattr *a = (const struct nlattr *)((char *)h + off);
				size_t alen = a->nla_len - NLA_HDRLEN;

				if (a->nla_len < NLA_HDRLEN || off + a->nla_len > h->nlmsg_len)
					break;
				if (a->nla_type == NLMSGERR_ATTR_MSG)
					snprintf(ack->msg, sizeof(ack->msg), "%.*s",
						 (int)alen, (const char *)a + NLA_HDRLEN);
				if (a->nla_type == NLMSGERR_ATTR_MISS_TYPE && alen == 4)
					memcpy(&ack->miss_type, (const char *)a + NLA_HDRLEN, 4);
				if (a->nla_type == NLMSGERR_ATTR_OFFS && alen == 4) {
					uint32_t o;

					memcpy(&o, (const char *)a + NLA_HDRLEN, 4);
					if (o >= NLMSG_HDRLEN + GENL_HDRLEN)
						ack->bad_type = attr_at(attrs, len,
							o - NLMSG_HDRLEN - GENL_HDRLEN);
				}
				off += NLA_ALIGN(a->nla_len);
			}
			goto out;
		}
	}
	ret = -ETIMEDOUT;
out:
	free(rbuf);
	free(msg);
	close(fd);
	return ret;
}

/* ---- the fixture ---- */

FIXTURE(lim) {
	struct sbexec *h;
	struct params saved;
	int wd_fd;
	pid_t wd_pid;
	struct sbexec_exec_result res;
	struct sbexec_output out;
};

FIXTURE_SETUP(lim)
{
	int err;

	self->wd_fd = -1;
	self->wd_pid = -1;
	memset(&self->out, 0, sizeof(self->out));
	ASSERT_EQ(0, params_save(&self->saved)) TH_LOG("cannot read " PARAM_DIR);
	ASSERT_LT(0, helper_pid()) TH_LOG("no helper pidfile at " HELPER_PIDFILE);
	/* Before the socket opens: the watchdog must not hold it open. */
	self->wd_pid = watchdog_start(&self->saved, &self->wd_fd);
	ASSERT_LT(0, self->wd_pid);
	err = sbexec_open(&self->h);
	ASSERT_EQ(0, err) TH_LOG("sbexec_open: %s", sbexec_open_error(err));
}

FIXTURE_TEARDOWN(lim)
{
	unsigned long long v;
	size_t i;

	helper_cont();
	EXPECT_EQ(0, params_restore(&self->saved));
	for (i = 0; i < N_PARAMS; i++) {
		EXPECT_EQ(0, param_get(param_names[i], &v));
		EXPECT_EQ(self->saved.v[i], v) TH_LOG("%s not restored", param_names[i]);
	}
	if (self->wd_fd >= 0)
		close(self->wd_fd);
	if (self->wd_pid > 0)
		waitpid(self->wd_pid, NULL, 0);
	sbexec_output_free(&self->out);
	sbexec_close(self->h);
	EXPECT_TRUE(pid_alive(helper_pid()));
}

/* An admission failure: ResourceLimit, stage admission, EAGAIN, @param named. */
static void check_admission(struct __test_metadata *_metadata, int err,
			    const struct sbexec_exec_result *res, const char *param)
{
	EXPECT_EQ(-EAGAIN, err);
	EXPECT_EQ(0U, res->session_id);
	EXPECT_EQ((uint32_t)SBEXEC_FAIL_RESOURCE_LIMIT, res->failure.kind) TH_LOG("kind %s",
		sbexec_fail_kind_name(res->failure.kind));
	EXPECT_EQ((uint32_t)SBEXEC_STAGE_ADMISSION, res->failure.stage) TH_LOG("stage %s",
		sbexec_stage_name(res->failure.stage));
	EXPECT_EQ((uint32_t)EAGAIN, res->failure.errnum);
	EXPECT_STREQ("EAGAIN", res->failure.errno_name);
	EXPECT_NE(NULL, strstr(res->failure.message, param)) TH_LOG("message: %s",
		res->failure.message);
	/*
	 * The ack's extack says so too: the same message on kernels with
	 * formatted extack messages (6.2+), a fixed text pointing at the
	 * FAILURE attribute before (kernel/compat.h).
	 */
	EXPECT_TRUE(strstr(res->extack, param) || strstr(res->extack, "FAILURE attribute"))
		TH_LOG("extack: %s", res->extack);
	/* Whole: at most 79 characters, not cut with "...". */
	EXPECT_GE((size_t)EXTACK_MAX, strlen(res->extack)) TH_LOG("extack: %s", res->extack);
	EXPECT_EQ(NULL, strstr(res->extack, "...")) TH_LOG("extack: %s", res->extack);
}

/* Refused before admission: @errno_, extack, @attr named, no failure nest. */
static void check_refused(struct __test_metadata *_metadata, struct sbexec *h,
			  int err, const struct sbexec_exec_result *res,
			  int errno_, const char *attr, const char *words)
{
	const char *bad = sbexec_last_bad_attr(h);

	EXPECT_EQ(-errno_, err) TH_LOG("%s: %s", attr, sbexec_strerror_last(h));
	EXPECT_EQ(0U, res->session_id);
	EXPECT_EQ((uint32_t)SBEXEC_FAIL_NONE, res->failure.kind);
	EXPECT_NE(0, res->extack[0]) TH_LOG("%s: no extack message", attr);
	EXPECT_GE((size_t)EXTACK_MAX, strlen(res->extack)) TH_LOG("extack: %s", res->extack);
	if (words)
		EXPECT_NE(NULL, strstr(res->extack, words)) TH_LOG("extack: %s", res->extack);
	if (attr)
		EXPECT_STREQ(attr, bad ? bad : "(none)");
}

/* A session that waits for its stdin: `cat`, ring of @ring bytes. */
static uint32_t start_cat(struct __test_metadata *_metadata, struct sbexec *h,
			  uint32_t ring)
{
	struct sbexec_exec_req req = { .cmd = "/bin/cat", .ring_size = ring };
	struct sbexec_exec_result res;
	int err = sbexec_exec(h, &req, &res);

	EXPECT_EQ(0, err) TH_LOG("cat: %s", sbexec_strerror_last(h));
	return err ? 0 : res.session_id;
}

/* End a start_cat() session: send @in, close stdin, expect @in back. */
static void finish_cat(struct __test_metadata *_metadata, struct sbexec *h,
		       uint32_t id, const char *in)
{
	struct sbexec_output o = { 0 };
	int fd, err;

	ASSERT_NE(0U, id);
	if (*in)
		ASSERT_EQ(0, sbexec_stdin(h, id, in, strlen(in)));
	ASSERT_EQ(0, sbexec_close_stdin(h, id));
	fd = sbexec_attach(h, id);
	ASSERT_LE(0, fd) TH_LOG("attach %u: %s", id, sbexec_strerror_last(h));
	err = sbexec_collect(fd, &o, COLLECT_MS);
	close(fd);
	EXPECT_EQ(0, err);
	EXPECT_TRUE(o.have_exit);
	EXPECT_EQ(0U, o.exit.code);
	EXPECT_STREQ(in, o.out.data ? o.out.data : "");
	sbexec_output_free(&o);
}

/* ---- module parameters ---- */

/* Every limit must stay positive: 0 and garbage are refused, values kept. */
TEST_F(lim, parameters_refuse_zero_and_garbage)
{
	static const char *const bad[] = { "0", "-1", "lots", "" };
	unsigned long long before, after;
	char path[128];
	size_t i, j;

	for (i = 0; i < N_PARAMS; i++) {
		ASSERT_EQ(0, param_get(param_names[i], &before));
		snprintf(path, sizeof(path), PARAM_DIR "%s", param_names[i]);
		for (j = 0; j < sizeof(bad) / sizeof(bad[0]); j++) {
			int fd = open(path, O_WRONLY | O_CLOEXEC);
			ssize_t n;

			ASSERT_LE(0, fd) TH_LOG("%s: %s", path, strerror(errno));
			n = write(fd, bad[j], strlen(bad[j]) + 1);
			EXPECT_EQ(-1, n) TH_LOG("%s accepted '%s'", param_names[i], bad[j]);
			EXPECT_EQ(EINVAL, errno) TH_LOG("%s = '%s': %s", param_names[i],
				bad[j], strerror(errno));
			close(fd);
		}
		ASSERT_EQ(0, param_get(param_names[i], &after));
		EXPECT_EQ(before, after) TH_LOG("%s changed", param_names[i]);
		/* A positive value still goes in (and back). */
		EXPECT_EQ(0, param_set(param_names[i], before + 1));
		ASSERT_EQ(0, param_get(param_names[i], &after));
		EXPECT_EQ(before + 1, after);
		EXPECT_EQ(0, param_set(param_names[i], before));
	}
}

TEST_F_TIMEOUT(lim, max_sessions, 120)
{
	const char *const argv[] = { "-c", "echo after", NULL };
	struct sbexec_exec_req req = { .cmd = SH, .argv = argv };
	uint32_t a, b;
	long n0;
	int err;

	n0 = settled_count(self->h);
	ASSERT_LE(0, n0);
	ASSERT_EQ(0, param_set("max_sessions", (unsigned long long)n0 + 2));
	a = start_cat(_metadata, self->h, 0);
	/* The last session under the limit is admitted. */
	b = start_cat(_metadata, self->h, 0);
	ASSERT_NE(0U, a);
	ASSERT_NE(0U, b);
	ASSERT_EQ(n0 + 2, count_sessions(self->h));

	err = sbexec_exec(self->h, &req, &self->res);
	check_admission(_metadata, err, &self->res, "max_sessions");
	EXPECT_EQ(n0 + 2, count_sessions(self->h));

	/* The two admitted ones are untouched; room again after they end. */
	finish_cat(_metadata, self->h, a, "a\n");
	finish_cat(_metadata, self->h, b, "b\n");
	err = run_to_end(self->h, &req, &self->out);
	for (int i = 0; err == -EAGAIN && i < 20; i++) {
		/* A session's count drops after an RCU grace period. */
		TH_LOG("retry %d: the two ended sessions still count", i);
		usleep(100000);
		sbexec_output_free(&self->out);
		err = run_to_end(self->h, &req, &self->out);
	}
	ASSERT_EQ(0, err) TH_LOG("%s", sbexec_strerror_last(self->h));
	EXPECT_STREQ("after\n", self->out.out.data ? self->out.out.data : "");
}

TEST_F_TIMEOUT(lim, max_ring_memory_kb, 120)
{
	const uint32_t ring = 64 * 1024;
	struct sbexec_exec_req req = { .cmd = "/bin/true", .ring_size = 4096 };
	unsigned long long used = 0;
	uint32_t a, b;
	long n0;
	int err;

	n0 = settled_count(self->h);
	ASSERT_LE(0, n0);
	ASSERT_EQ(0, sbexec_list(self->h, ring_cb, &used));
	ASSERT_EQ(0ULL, used % 1024);
	/* Room for exactly two more 64 KiB rings. */
	ASSERT_EQ(0, param_set("max_ring_memory_kb", (used + 2 * ring) / 1024));
	a = start_cat(_metadata, self->h, ring);
	b = start_cat(_metadata, self->h, ring);	/* fills it exactly */
	ASSERT_NE(0U, a);
	ASSERT_NE(0U, b);

	/* Not even one more page. */
	err = sbexec_exec(self->h, &req, &self->res);
	check_admission(_metadata, err, &self->res, "max_ring_memory_kb");
	EXPECT_EQ(n0 + 2, count_sessions(self->h));

	finish_cat(_metadata, self->h, a, "a\n");
	finish_cat(_metadata, self->h, b, "b\n");
}

TEST_F_TIMEOUT(lim, max_ring_size, 120)
{
	struct sbexec_exec_req req = { .cmd = "/bin/cat", .ring_size = 128 * 1024 };
	struct sbexec_session_info *info = calloc(1, sizeof(*info));
	long n0;
	int err;

	ASSERT_NE(NULL, info);
	ASSERT_EQ(0, param_set("max_ring_size", 128 * 1024));
	n0 = settled_count(self->h);

	/* Exactly max_ring_size works. */
	err = sbexec_exec(self->h, &req, &self->res);
	ASSERT_EQ(0, err) TH_LOG("%s", sbexec_strerror_last(self->h));
	ASSERT_EQ(0, sbexec_get(self->h, self->res.session_id, info));
	EXPECT_EQ(128U * 1024, info->ring_size);
	finish_cat(_metadata, self->h, self->res.session_id, "x\n");

	/* Out of range: ERANGE, the rounded size in the message (6.2+). */
	req.ring_size = 128 * 1024 + 1;
	err = sbexec_exec(self->h, &req, &self->res);
	check_refused(_metadata, self->h, err, &self->res, ERANGE, "SBEXEC_A_RING_SIZE",
		      "max_ring_size");
	EXPECT_NE(NULL, strstr(self->res.extack,
			       extack_want("RING_SIZE 131073 rounds up to 256 KiB, over max_ring_size 131072",
					   "RING_SIZE, rounded up, is over")))
		TH_LOG("extack: %s", self->res.extack);
	EXPECT_EQ(n0, settled_count(self->h));
	free(info);
}

struct pending_exec {
	uint32_t id;
	int err;
	char why[SBEXEC_ERRMSG_LEN];
	struct sbexec *h;
	pid_t tid;
	const char *word;
};

static void *pending_thread(void *arg)
{
	struct pending_exec *p = arg;
	const char *const argv[] = { p->word, NULL };
	struct sbexec_exec_req req = { .cmd = "/bin/echo", .argv = argv };
	struct sbexec_exec_result res;

	__atomic_store_n(&p->tid, gettid(), __ATOMIC_RELEASE);
	p->err = sbexec_exec(p->h, &req, &res);
	p->id = res.session_id;
	snprintf(p->why, sizeof(p->why), "%s", sbexec_strerror_last(p->h));
	return NULL;
}

/* Wait until thread @tid sleeps in the module's upcall wait (wchan). */
static bool waits_for_helper(pid_t tid)
{
	int64_t deadline = mono_ms() + 10000;
	char path[64], buf[128];

	snprintf(path, sizeof(path), "/proc/self/task/%d/wchan", (int)tid);
	while (mono_ms() < deadline) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

		if (fd >= 0)
			close(fd);
		if (n > 0) {
			buf[n] = '\0';
			if (strstr(buf, "sbexec_upcall"))
				return true;
		}
		usleep(20000);
	}
	return false;
}

TEST_F_TIMEOUT(lim, max_pending, 120)
{
	const char *const argv[] = { "refused", NULL };
	struct sbexec_exec_req req = { .cmd = "/bin/echo", .argv = argv };
	struct pending_exec p[2] = {
		{ .word = "pending-0" }, { .word = "pending-1" },
	};
	pthread_t th[2];
	int64_t t0, ms;
	long n0;
	int i, err;

	n0 = settled_count(self->h);
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, sbexec_open(&p[i].h));
	ASSERT_EQ(0, param_set("max_pending", 2));
	ASSERT_EQ(0, helper_sigstop());

	/* Two requests wait for the stopped helper: the second one is at the limit. */
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, pthread_create(&th[i], NULL, pending_thread, &p[i]));
		while (!__atomic_load_n(&p[i].tid, __ATOMIC_ACQUIRE))
			usleep(1000);
		ASSERT_TRUE(waits_for_helper(p[i].tid)) TH_LOG("request %d is not waiting", i);
	}

	t0 = mono_ms();
	err = sbexec_exec(self->h, &req, &self->res);
	ms = mono_ms() - t0;
	check_admission(_metadata, err, &self->res, "max_pending");
	EXPECT_LT(ms, 3000) TH_LOG("refusal took %lld ms: it waited", (long long)ms);
	EXPECT_EQ(n0, count_sessions(self->h));

	/* The helper continues: both queued requests are served. */
	helper_cont();
	for (i = 0; i < 2; i++) {
		struct sbexec_output o = { 0 };
		char want[32];
		int fd;

		pthread_join(th[i], NULL);
		EXPECT_EQ(0, p[i].err) TH_LOG("queued request %d: %s", i, p[i].why);
		if (p[i].err)
			continue;
		fd = sbexec_attach(self->h, p[i].id);
		ASSERT_LE(0, fd);
		EXPECT_EQ(0, sbexec_collect(fd, &o, COLLECT_MS));
		close(fd);
		snprintf(want, sizeof(want), "%s\n", p[i].word);
		EXPECT_STREQ(want, o.out.data ? o.out.data : "");
		sbexec_output_free(&o);
	}
	for (i = 0; i < 2; i++)
		sbexec_close(p[i].h);
}

TEST_F_TIMEOUT(lim, upcall_timeout_ms, 120)
{
	const char *const argv[] = { "-c", "echo served", NULL };
	struct sbexec_exec_req req = { .cmd = SH, .argv = argv };
	int64_t t0, ms;
	long n0;
	int err;

	n0 = settled_count(self->h);
	ASSERT_EQ(0, param_set("upcall_timeout_ms", 700));
	ASSERT_EQ(0, helper_sigstop());

	t0 = mono_ms();
	err = sbexec_exec(self->h, &req, &self->res);
	ms = mono_ms() - t0;
	EXPECT_EQ(-ETIMEDOUT, err) TH_LOG("%s", sbexec_strerror_last(self->h));
	EXPECT_EQ(0U, self->res.session_id);
	EXPECT_EQ((uint32_t)SBEXEC_FAIL_HELPER_UNAVAILABLE, self->res.failure.kind)
		TH_LOG("kind %s", sbexec_fail_kind_name(self->res.failure.kind));
	EXPECT_EQ((uint32_t)SBEXEC_STAGE_UPCALL, self->res.failure.stage)
		TH_LOG("stage %s", sbexec_stage_name(self->res.failure.stage));
	EXPECT_EQ((uint32_t)ETIMEDOUT, self->res.failure.errnum);
	EXPECT_STREQ("ETIMEDOUT", self->res.failure.errno_name);
	EXPECT_NE(NULL, strstr(self->res.failure.message, "700 ms")) TH_LOG("message: %s",
		self->res.failure.message);
	EXPECT_NE(0, self->res.extack[0]);
	EXPECT_GE(ms, 650) TH_LOG("gave up after %lld ms", (long long)ms);
	EXPECT_LT(ms, 5000) TH_LOG("gave up after %lld ms", (long long)ms);
	EXPECT_EQ(n0, count_sessions(self->h));

	/* The helper never gets the abandoned request: nothing starts later. */
	helper_cont();
	ASSERT_EQ(0, param_set("upcall_timeout_ms", self->saved.v[4]));
	usleep(500000);
	EXPECT_EQ(n0, settled_count(self->h));

	err = run_to_end(self->h, &req, &self->out);
	ASSERT_EQ(0, err) TH_LOG("%s", sbexec_strerror_last(self->h));
	EXPECT_STREQ("served\n", self->out.out.data ? self->out.out.data : "");
}

/* ---- counts and sizes (uapi constants) ---- */

/* NULL-terminated list of @n strings "PREFIXi" (or "PREFIXi=v" for env). */
static char **make_list(int n, const char *prefix, bool env)
{
	char **v = calloc((size_t)n + 1, sizeof(*v));
	int i;

	for (i = 0; v && i < n; i++) {
		if (asprintf(&v[i], env ? "%s%d=v" : "%s%d", prefix, i) < 0)
			v[i] = NULL;
	}
	return v;
}

static void free_list(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

TEST_F_TIMEOUT(lim, max_args, 120)
{
	/* "-c" SCRIPT "sh" then fillers: SBEXEC_MAX_ARGS arguments in all. */
	char **argv = make_list(SBEXEC_MAX_ARGS + 1, "a", false);
	long n0 = settled_count(self->h);
	struct sbexec_exec_req req = { .cmd = SH };
	char want[32];
	int err;

	ASSERT_NE(NULL, argv);
	free(argv[0]);
	free(argv[1]);
	free(argv[2]);
	argv[0] = strdup("-c");
	argv[1] = strdup("echo $# $1 ${1021}");
	argv[2] = strdup("sh");
	/* Exactly SBEXEC_MAX_ARGS. */
	free(argv[SBEXEC_MAX_ARGS]);
	argv[SBEXEC_MAX_ARGS] = NULL;
	req.argv = (const char *const *)argv;
	err = run_to_end(self->h, &req, &self->out);
	ASSERT_EQ(0, err) TH_LOG("%s", sbexec_strerror_last(self->h));
	snprintf(want, sizeof(want), "%d a3 a%d\n", SBEXEC_MAX_ARGS - 3, SBEXEC_MAX_ARGS - 1);
	EXPECT_STREQ(want, self->out.out.data ? self->out.out.data : "");

	/* One more. */
	argv[SBEXEC_MAX_ARGS] = strdup("a1024");
	err = sbexec_exec(self->h, &req, &self->res);
	check_refused(_metadata, self->h, err, &self->res, E2BIG, "SBEXEC_A_ARG",
		      "too many arguments");
	EXPECT_EQ(n0, settled_count(self->h));
	free_list(argv);
}

TEST_F_TIMEOUT(lim, max_env, 120)
{
	const char *const argv[] = { "-c", "env | grep -c '^E[0-9]*=v$'", NULL };
	char **env = make_list(SBEXEC_MAX_ENV + 1, "E", true);
	struct sbexec_exec_req req = { .cmd = SH, .argv = argv };
	long n0 = settled_count(self->h);
	char want[32];
	char *last;
	int err;

	ASSERT_NE(NULL, env);
	last = env[SBEXEC_MAX_ENV];
	env[SBEXEC_MAX_ENV] = NULL;
	req.env = (const char *const *)env;
	err = run_to_end(self->h, &req, &self->out);
	ASSERT_EQ(0, err) TH_LOG("%s", sbexec_strerror_last(self->h));
	snprintf(want, sizeof(want), "%d\n", SBEXEC_MAX_ENV);
	EXPECT_STREQ(want, self->out.out.data ? self->out.out.data : "");

	env[SBEXEC_MAX_ENV] = last;
	err = sbexec_exec(self->h, &req, &self->res);
	check_refused(_metadata, self->h, err, &self->res, E2BIG, "SBEXEC_A_ENV",
		      "too many environment entries");
	EXPECT_EQ(n0, settled_count(self->h));
	free_list(env);
}

/*
 * Arguments and env entries whose bytes (each with its NUL) add up to
 * exactly @total: "-c" SCRIPT "sh", one env entry, then fillers of at most
 * NLA_MAX_STR bytes. The script prints the count and bytes of its
 * positional arguments.
 */
static const char SUM_SCRIPT[] =
	"n=0; for a; do n=$((n + ${#a} + 1)); done; echo $# $n ${#BIG}";

struct big {
	char *argv[16];
	char *env[2];
	size_t pos_bytes;	/* of the positional arguments */
	int npos;
	size_t env_len;
};

static void big_free(struct big *b)
{
	for (int i = 0; i < 16; i++)
		free(b->argv[i]);
	free(b->env[0]);
	memset(b, 0, sizeof(*b));
}

static int big_make(struct big *b, size_t total)
{
	size_t used, fill;
	int i = 3;

	memset(b, 0, sizeof(*b));
	b->argv[0] = strdup("-c");
	b->argv[1] = strdup(SUM_SCRIPT);
	b->argv[2] = strdup("sh");
	b->env_len = 40000;
	b->env[0] = malloc(b->env_len + 1);
	if (!b->argv[0] || !b->argv[1] || !b->argv[2] || !b->env[0])
		return -ENOMEM;
	memcpy(b->env[0], "BIG=", 4);
	memset(b->env[0] + 4, 'e', b->env_len - 4);
	b->env[0][b->env_len] = '\0';
	used = 3 + sizeof(SUM_SCRIPT) + 3 + b->env_len + 1;
	while (used < total) {
		fill = total - used;
		if (fill > NLA_MAX_STR + 1)
			fill = NLA_MAX_STR + 1;
		if (i >= 15)
			return -E2BIG;
		b->argv[i] = malloc(fill);
		if (!b->argv[i])
			return -ENOMEM;
		memset(b->argv[i], 'a' + i, fill - 1);
		b->argv[i][fill - 1] = '\0';
		b->pos_bytes += fill;
		b->npos++;
		used += fill;
		i++;
	}
	return 0;
}

TEST_F_TIMEOUT(lim, max_argv_bytes, 180)
{
	struct sbexec_exec_req req = { .cmd = SH };
	long n0 = settled_count(self->h);
	struct big b;
	char want[64];
	int err;

	/* Exactly SBEXEC_MAX_ARGV_BYTES, env included. */
	ASSERT_EQ(0, big_make(&b, SBEXEC_MAX_ARGV_BYTES));
	req.argv = (const char *const *)b.argv;
	req.env = (const char *const *)b.env;
	err = run_to_end(self->h, &req, &self->out);
	ASSERT_EQ(0, err) TH_LOG("%s", sbexec_strerror_last(self->h));
	snprintf(want, sizeof(want), "%d %zu %zu\n", b.npos, b.pos_bytes, b.env_len - 4);
	EXPECT_STREQ(want, self->out.out.data ? self->out.out.data : "");
	big_free(&b);

	/* One byte more. */
	ASSERT_EQ(0, big_make(&b, SBEXEC_MAX_ARGV_BYTES + 1));
	req.argv = (const char *const *)b.argv;
	req.env = (const char *const *)b.env;
	err = sbexec_exec(self->h, &req, &self->res);
	check_refused(_metadata, self->h, err, &self->res, E2BIG, NULL, "256 KiB");
	/* The entry that crossed the limit: the library sends env last. */
	EXPECT_STREQ("SBEXEC_A_ENV", sbexec_last_bad_attr(self->h) ?
		     sbexec_last_bad_attr(self->h) : "(none)");
	EXPECT_EQ(n0, settled_count(self->h));
	big_free(&b);
}

TEST_F_TIMEOUT(lim, longest_arg_and_env_entry, 120)
{
	const char *const script = "echo ${#1} ${#LONG}";
	char *arg = malloc(NLA_MAX_STR + 2), *env = malloc(NLA_MAX_STR + 2);
	const char *argv[] = { "-c", script, "sh", arg, NULL };
	const char *envv[] = { env, NULL };
	struct sbexec_exec_req req = { .cmd = SH, .argv = argv, .env = envv };
	long n0 = settled_count(self->h);
	char want[64];
	int err;

	ASSERT_NE(NULL, arg);
	ASSERT_NE(NULL, env);
	/* The longest that fits in an attribute: 65530 bytes and the NUL. */
	memset(arg, 'x', NLA_MAX_STR);
	arg[NLA_MAX_STR] = '\0';
	memcpy(env, "LONG=", 5);
	memset(env + 5, 'y', NLA_MAX_STR - 5);
	env[NLA_MAX_STR] = '\0';
	err = run_to_end(self->h, &req, &self->out);
	ASSERT_EQ(0, err) TH_LOG("%s", sbexec_strerror_last(self->h));
	snprintf(want, sizeof(want), "%d %d\n", NLA_MAX_STR, NLA_MAX_STR - 5);
	EXPECT_STREQ(want, self->out.out.data ? self->out.out.data : "");

	/*
	 * One byte more (above SBEXEC_MAX_ARG_LEN) no longer fits in nla_len:
	 * whatever the library sends, it must be refused, with no session.
	 */
	memset(arg, 'x', NLA_MAX_STR + 1);
	arg[NLA_MAX_STR + 1] = '\0';
	err = sbexec_exec(self->h, &req, &self->res);
	EXPECT_GT(0, err);
	EXPECT_EQ(0U, self->res.session_id);
	EXPECT_EQ((uint32_t)SBEXEC_FAIL_NONE, self->res.failure.kind);
	TH_LOG("a %d-byte argument: %d (%s)", NLA_MAX_STR + 1, err,
	       sbexec_strerror_last(self->h));
	EXPECT_EQ(n0, settled_count(self->h));
	free(arg);
	free(env);
}

/*
 * A directory whose path is exactly @len bytes long, made under @base
 * (components of at most 200 bytes). Returns the path (malloc'd) or NULL.
 */
static char *deep_dir(const char *base, size_t len)
{
	char *p = malloc(len + 1);
	size_t n = strlen(base);

	if (!p || n + 2 > len)
		return NULL;
	memcpy(p, base, n);
	while (n < len) {
		size_t comp = len - n - 1;

		if (comp > 200)
			comp = 200;
		/* Leave no final component of fewer than 1 byte. */
		if (len - n - 1 - comp == 1)
			comp--;
		p[n++] = '/';
		memset(p + n, 'd', comp);
		n += comp;
		p[n] = '\0';
		if (mkdir(p, 0755) && errno != EEXIST) {
			free(p);
			return NULL;
		}
	}
	return p;
}

TEST_F_TIMEOUT(lim, max_path_len_cmd_and_cwd, 120)
{
	char base[] = "/tmp/sbexec-limits-XXXXXX";
	const char *const argv[] = { "at-the-limit", NULL };
	struct sbexec_exec_req req = { .argv = argv };
	char *dir, *cmd, *parent, *longer, rm[64];
	long n0 = settled_count(self->h);
	size_t plen;
	int err;

	ASSERT_NE(NULL, mkdtemp(base));
	/* cwd: a directory of exactly SBEXEC_MAX_PATH_LEN bytes. */
	dir = deep_dir(base, SBEXEC_MAX_PATH_LEN);
	ASSERT_NE(NULL, dir);
	ASSERT_EQ((size_t)SBEXEC_MAX_PATH_LEN, strlen(dir));
	/* cmd: a symlink to echo in its parent, of exactly that length too. */
	parent = strdup(dir);
	ASSERT_NE(NULL, parent);
	*strrchr(parent, '/') = '\0';
	plen = strlen(parent);
	cmd = malloc(SBEXEC_MAX_PATH_LEN + 2);
	ASSERT_NE(NULL, cmd);
	memcpy(cmd, parent, plen);
	cmd[plen] = '/';
	memset(cmd + plen + 1, 'e', SBEXEC_MAX_PATH_LEN - plen - 1);
	cmd[SBEXEC_MAX_PATH_LEN] = '\0';
	ASSERT_EQ(0, symlink("/bin/echo", cmd)) TH_LOG("symlink: %s", strerror(errno));

	req.cmd = cmd;
	req.cwd = dir;
	err = run_to_end(self->h, &req, &self->out);
	ASSERT_EQ(0, err) TH_LOG("%s", sbexec_strerror_last(self->h));
	EXPECT_STREQ("at-the-limit\n", self->out.out.data ? self->out.out.data : "");
	sbexec_output_free(&self->out);
	/* The cwd really was that directory. */
	req.cmd = "/bin/pwd";
	req.argv = NULL;
	err = run_to_end(self->h, &req, &self->out);
	ASSERT_EQ(0, err) TH_LOG("%s", sbexec_strerror_last(self->h));
	ASSERT_NE(NULL, self->out.out.data);
	EXPECT_EQ((size_t)SBEXEC_MAX_PATH_LEN + 1, self->out.out.len);
	EXPECT_EQ(0, strncmp(self->out.out.data, dir, SBEXEC_MAX_PATH_LEN));

	/* One byte more, each. */
	longer = malloc(SBEXEC_MAX_PATH_LEN + 2);
	ASSERT_NE(NULL, longer);
	memcpy(longer, cmd, SBEXEC_MAX_PATH_LEN);
	longer[SBEXEC_MAX_PATH_LEN] = 'e';
	longer[SBEXEC_MAX_PATH_LEN + 1] = '\0';
	req.cmd = longer;
	req.cwd = NULL;
	err = sbexec_exec(self->h, &req, &self->res);
	check_refused(_metadata, self->h, err, &self->res, EINVAL, "SBEXEC_A_CMD", NULL);

	memcpy(longer, dir, SBEXEC_MAX_PATH_LEN);
	longer[SBEXEC_MAX_PATH_LEN] = 'd';
	req.cmd = "/bin/true";
	req.cwd = longer;
	err = sbexec_exec(self->h, &req, &self->res);
	check_refused(_metadata, self->h, err, &self->res, EINVAL, "SBEXEC_A_CWD", NULL);
	EXPECT_EQ(n0, settled_count(self->h));

	snprintf(rm, sizeof(rm), "rm -rf %s", base);
	EXPECT_EQ(0, system(rm));
	free(longer);
	free(cmd);
	free(parent);
	free(dir);
}

TEST_F_TIMEOUT(lim, max_user_len, 120)
{
	const char *const argv[] = { "-c", "id -u; id -g", NULL };
	char user[SBEXEC_MAX_USER_LEN + 2];
	struct sbexec_exec_req req = { .cmd = SH, .argv = argv, .user = user };
	long n0 = settled_count(self->h);
	int err;

	/* "  000...065534" trimmed and parsed: uid 65534 (nobody). */
	memset(user, '0', SBEXEC_MAX_USER_LEN);
	memset(user, ' ', 4);
	memcpy(user + SBEXEC_MAX_USER_LEN - 5, "65534", 5);
	user[SBEXEC_MAX_USER_LEN] = '\0';
	err = run_to_end(self->h, &req, &self->out);
	ASSERT_EQ(0, err) TH_LOG("%s", sbexec_strerror_last(self->h));
	EXPECT_STREQ("65534\n65534\n", self->out.out.data ? self->out.out.data : "");

	memmove(user + 1, user, SBEXEC_MAX_USER_LEN + 1);
	user[0] = ' ';
	ASSERT_EQ((size_t)SBEXEC_MAX_USER_LEN + 1, strlen(user));
	err = sbexec_exec(self->h, &req, &self->res);
	check_refused(_metadata, self->h, err, &self->res, EINVAL, "SBEXEC_A_USER", NULL);
	EXPECT_EQ(n0, settled_count(self->h));
}

static const char *const rlimit_names[RLIM_NLIMITS] = { SBEXEC_RLIMIT_NAMES };

TEST_F_TIMEOUT(lim, max_rlimits_and_rlimit_name_len, 120)
{
	const char *const argv[] = { "-c", "ulimit -n; ulimit -s", NULL };
	struct sbexec_rlimit rl[SBEXEC_MAX_RLIMITS + 1];
	struct sbexec_exec_req req = { .cmd = SH, .argv = argv, .rlimits = rl };
	char name15[SBEXEC_MAX_RLIMIT_NAME + 1], name16[SBEXEC_MAX_RLIMIT_NAME + 2];
	long n0 = settled_count(self->h);
	struct rlimit cur;
	int i, err;

	ASSERT_EQ(16, SBEXEC_MAX_RLIMITS);
	/* All sixteen names, each once: this process's own values but two. */
	for (i = 0; i < SBEXEC_MAX_RLIMITS; i++) {
		ASSERT_NE(NULL, rlimit_names[i]);
		ASSERT_EQ(0, getrlimit(i, &cur));
		rl[i].name = rlimit_names[i];
		rl[i].soft = cur.rlim_cur == RLIM_INFINITY ? SBEXEC_RLIM_INFINITY : cur.rlim_cur;
		rl[i].hard = cur.rlim_max == RLIM_INFINITY ? SBEXEC_RLIM_INFINITY : cur.rlim_max;
	}
	rl[7].soft = rl[7].hard = 77;		/* nofile */
	rl[3].soft = 4096 * 1024;		/* stack, KiB 4096 */
	if (rl[3].hard < rl[3].soft)
		rl[3].hard = rl[3].soft;
	req.n_rlimits = SBEXEC_MAX_RLIMITS;
	err = run_to_end(self->h, &req, &self->out);
	ASSERT_EQ(0, err) TH_LOG("%s", sbexec_strerror_last(self->h));
	EXPECT_STREQ("77\n4096\n", self->out.out.data ? self->out.out.data : "");

	/* A seventeenth. */
	rl[SBEXEC_MAX_RLIMITS] = rl[0];
	req.n_rlimits = SBEXEC_MAX_RLIMITS + 1;
	err = sbexec_exec(self->h, &req, &self->res);
	check_refused(_metadata, self->h, err, &self->res, E2BIG, "SBEXEC_A_RLIMIT",
		      "too many rlimits");

	/*
	 * A name of SBEXEC_MAX_RLIMIT_NAME bytes passes the length bound and
	 * is refused as unknown; one byte more fails the policy.
	 */
	memset(name15, 'q', SBEXEC_MAX_RLIMIT_NAME);
	name15[SBEXEC_MAX_RLIMIT_NAME] = '\0';
	rl[0].name = name15;
	req.n_rlimits = 1;
	err = sbexec_exec(self->h, &req, &self->res);
	check_refused(_metadata, self->h, err, &self->res, EINVAL, "SBEXEC_A_RLIMIT/NAME",
		      "unknown rlimit name");
	/* Named whole on kernels that format extack (15 bytes fit). */
	EXPECT_NE(NULL, strstr(self->res.extack,
			       extack_want("unknown rlimit name \"qqqqqqqqqqqqqqq\"",
					   "unknown rlimit name")))
		TH_LOG("extack: %s", self->res.extack);
	memset(name16, 'q', SBEXEC_MAX_RLIMIT_NAME + 1);
	name16[SBEXEC_MAX_RLIMIT_NAME + 1] = '\0';
	rl[0].name = name16;
	err = sbexec_exec(self->h, &req, &self->res);
	check_refused(_metadata, self->h, err, &self->res, EINVAL, "SBEXEC_A_RLIMIT/NAME", NULL);
	EXPECT_EQ(NULL, strstr(self->res.extack, "unknown rlimit name"))
		TH_LOG("a 16-byte name reached the name check: %s", self->res.extack);
	EXPECT_EQ(n0, settled_count(self->h));
}

TEST_F_TIMEOUT(lim, max_stdin_chunk, 120)
{
	const size_t max = SBEXEC_MAX_STDIN_CHUNK;
	char *attrs = malloc(max + 64), *data = malloc(max + 1);
	struct raw_ack ack;
	uint32_t id;
	size_t len;
	int fd, err;

	ASSERT_NE(NULL, attrs);
	ASSERT_NE(NULL, data);
	memset(data, 's', max + 1);
	id = start_cat(_metadata, self->h, 0);
	ASSERT_NE(0U, id);

	/* Exactly SBEXEC_MAX_STDIN_CHUNK in one message. */
	len = attr_put(attrs, 0, SBEXEC_A_SESSION_ID, &id, sizeof(id));
	len = attr_put(attrs, len, SBEXEC_A_STDIN_DATA, data, max);
	ASSERT_EQ(0, raw_request(sbexec_family_id(self->h), SBEXEC_CMD_STDIN, attrs, len, &ack));
	EXPECT_EQ(0, ack.err) TH_LOG("%s", ack.msg);

	/* One byte more: ERANGE, the data attribute named, nothing queued. */
	len = attr_put(attrs, 0, SBEXEC_A_SESSION_ID, &id, sizeof(id));
	len = attr_put(attrs, len, SBEXEC_A_STDIN_DATA, data, max + 1);
	ASSERT_EQ(0, raw_request(sbexec_family_id(self->h), SBEXEC_CMD_STDIN, attrs, len, &ack));
	EXPECT_EQ(-ERANGE, ack.err);
	EXPECT_NE(0, ack.msg[0]);
	EXPECT_EQ(SBEXEC_A_STDIN_DATA, ack.bad_type) TH_LOG("extack: %s", ack.msg);

	ASSERT_EQ(0, sbexec_close_stdin(self->h, id));
	fd = sbexec_attach(self->h, id);
	ASSERT_LE(0, fd);
	err = sbexec_collect(fd, &self->out, COLLECT_MS);
	close(fd);
	ASSERT_EQ(0, err);
	EXPECT_EQ(max, self->out.out.len);
	EXPECT_EQ(0U, self->out.exit.code);
	free(attrs);
	free(data);
}

/* ---- refusals that name what is missing or out of range ---- */

/*
 * A request without a required attribute: EINVAL, the ack's
 * NLMSGERR_ATTR_MISS_TYPE names the type and extack says "missing NAME".
 */
static void check_missing(struct __test_metadata *_metadata, int family,
			  uint8_t cmd, const char *attrs, size_t len,
			  int type, const char *words)
{
	struct raw_ack ack;

	ASSERT_EQ(0, raw_request(family, cmd, attrs, len, &ack));
	EXPECT_EQ(-EINVAL, ack.err) TH_LOG("cmd %u: %s", cmd, ack.msg);
	EXPECT_EQ(type, ack.miss_type) TH_LOG("cmd %u: %s", cmd, ack.msg);
	EXPECT_STREQ(words, ack.msg) TH_LOG("cmd %u", cmd);
}

TEST_F_TIMEOUT(lim, missing_attributes_named, 60)
{
	static const uint8_t by_id[] = {
		SBEXEC_CMD_STDIN, SBEXEC_CMD_CLOSE_STDIN, SBEXEC_CMD_RESIZE,
		SBEXEC_CMD_SIGNAL, SBEXEC_CMD_GET,
	};
	int family = sbexec_family_id(self->h);
	long n0 = settled_count(self->h);
	uint32_t id = 0x7ffffff0, sig = SIGTERM;
	uint16_t rows = 24;
	char attrs[256], nest[64];
	uint64_t soft = 10;
	size_t len, nl, i;

	/* EXEC without CMD (with an argument, so it is not empty). */
	len = attr_put(attrs, 0, SBEXEC_A_ARG, "x", 2);
	check_missing(_metadata, family, SBEXEC_CMD_EXEC, attrs, len, SBEXEC_A_CMD,
		      "missing CMD (the command to run)");
	EXPECT_EQ(n0, settled_count(self->h));

	/* An rlimit without its hard limit: the nest's HARD is named. */
	nl = attr_put(nest, 0, SBEXEC_RLIMIT_A_NAME, "nofile", 7);
	nl = attr_put(nest, nl, SBEXEC_RLIMIT_A_SOFT, &soft, sizeof(soft));
	len = attr_put(attrs, 0, SBEXEC_A_CMD, "/bin/true", 10);
	len = attr_put(attrs, len, SBEXEC_A_RLIMIT | NLA_F_NESTED, nest, nl);
	check_missing(_metadata, family, SBEXEC_CMD_EXEC, attrs, len, SBEXEC_RLIMIT_A_HARD,
		      extack_want("rlimit nofile: missing HARD", "missing RLIMIT SOFT or HARD"));
	EXPECT_EQ(n0, settled_count(self->h));

	/* Every op on a session, without SESSION_ID (its other attributes given). */
	for (i = 0; i < sizeof(by_id) / sizeof(by_id[0]); i++) {
		len = 0;
		if (by_id[i] == SBEXEC_CMD_STDIN)
			len = attr_put(attrs, len, SBEXEC_A_STDIN_DATA, "x", 1);
		if (by_id[i] == SBEXEC_CMD_RESIZE) {
			len = attr_put(attrs, len, SBEXEC_A_ROWS, &rows, sizeof(rows));
			len = attr_put(attrs, len, SBEXEC_A_COLS, &rows, sizeof(rows));
		}
		if (by_id[i] == SBEXEC_CMD_SIGNAL)
			len = attr_put(attrs, len, SBEXEC_A_SIGNAL, &sig, sizeof(sig));
		check_missing(_metadata, family, by_id[i], attrs, len,
			      SBEXEC_A_SESSION_ID, "missing SESSION_ID");
	}

	/* The op's own attributes, with a SESSION_ID. */
	len = attr_put(attrs, 0, SBEXEC_A_SESSION_ID, &id, sizeof(id));
	check_missing(_metadata, family, SBEXEC_CMD_STDIN, attrs, len,
		      SBEXEC_A_STDIN_DATA, "missing STDIN_DATA");
	check_missing(_metadata, family, SBEXEC_CMD_SIGNAL, attrs, len,
		      SBEXEC_A_SIGNAL, "missing SIGNAL");
	check_missing(_metadata, family, SBEXEC_CMD_RESIZE, attrs, len,
		      SBEXEC_A_ROWS, "missing ROWS");
	len = attr_put(attrs, len, SBEXEC_A_ROWS, &rows, sizeof(rows));
	check_missing(_metadata, family, SBEXEC_CMD_RESIZE, attrs, len,
		      SBEXEC_A_COLS, "missing COLS");
}

/*
 * Integers out of range are ERANGE wherever they arrive: SESSION_ID 0 (the
 * policy), SIGNAL 0 and 65, and session_id 0 in SBEXEC_IOC_ATTACH. An id
 * that is in range but names no session is ENOENT, on netlink and ioctl.
 */
TEST_F_TIMEOUT(lim, out_of_range_is_erange_unknown_id_is_enoent, 60)
{
	int family = sbexec_family_id(self->h);
	uint32_t zero = 0, none = 0x7ffffff0, sig;
	struct sbexec_attach at = { 0 };
	struct raw_ack ack;
	char attrs[64], want[64];
	size_t len;
	int fd;

	len = attr_put(attrs, 0, SBEXEC_A_SESSION_ID, &zero, sizeof(zero));
	ASSERT_EQ(0, raw_request(family, SBEXEC_CMD_GET, attrs, len, &ack));
	EXPECT_EQ(-ERANGE, ack.err) TH_LOG("%s", ack.msg);
	EXPECT_EQ(SBEXEC_A_SESSION_ID, ack.bad_type);
	EXPECT_NE(0, ack.msg[0]);

	for (sig = 0; sig <= 65; sig += 65) {
		len = attr_put(attrs, 0, SBEXEC_A_SESSION_ID, &none, sizeof(none));
		len = attr_put(attrs, len, SBEXEC_A_SIGNAL, &sig, sizeof(sig));
		ASSERT_EQ(0, raw_request(family, SBEXEC_CMD_SIGNAL, attrs, len, &ack));
		EXPECT_EQ(-ERANGE, ack.err) TH_LOG("signal %u: %s", sig, ack.msg);
		EXPECT_EQ(SBEXEC_A_SIGNAL, ack.bad_type);
		snprintf(want, sizeof(want), "signal %u out of range (1..64)", sig);
		EXPECT_STREQ(extack_want(want, "signal number out of range (1..64)"), ack.msg);
	}

	len = attr_put(attrs, 0, SBEXEC_A_SESSION_ID, &none, sizeof(none));
	ASSERT_EQ(0, raw_request(family, SBEXEC_CMD_GET, attrs, len, &ack));
	EXPECT_EQ(-ENOENT, ack.err) TH_LOG("%s", ack.msg);
	EXPECT_EQ(SBEXEC_A_SESSION_ID, ack.bad_type);
	snprintf(want, sizeof(want), "no such session: %u", none);
	EXPECT_STREQ(extack_want(want, "no such session"), ack.msg);

	fd = open("/dev/sbexec", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("/dev/sbexec: %s", strerror(errno));
	EXPECT_EQ(-1, ioctl(fd, SBEXEC_IOC_ATTACH, &at));
	EXPECT_EQ(ERANGE, errno) TH_LOG("ATTACH session 0: %s", strerror(errno));
	at.session_id = none;
	EXPECT_EQ(-1, ioctl(fd, SBEXEC_IOC_ATTACH, &at));
	EXPECT_EQ(ENOENT, errno) TH_LOG("ATTACH session %u: %s", none, strerror(errno));
	close(fd);
}

/*
 * A failure message longer than extack carries (a long command path) is
 * whole in the FAILURE nest and cut to 79 characters, ending "...", in
 * extack; the kernel never cuts it itself (no "truncated extack" in dmesg,
 * which the run's dmesg scan would fail on).
 */
TEST_F_TIMEOUT(lim, long_failure_message_cut_in_extack, 60)
{
	/* Components below NAME_MAX, the message well over 79 characters. */
	const char *cmd = "/nonexistent-sbexec"
		"/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"/yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy";
	struct sbexec_exec_req req = { .cmd = cmd };
	size_t n;
	int err;

	err = sbexec_exec(self->h, &req, &self->res);
	EXPECT_EQ(-ENOENT, err) TH_LOG("%s", sbexec_strerror_last(self->h));
	EXPECT_EQ((uint32_t)SBEXEC_FAIL_NOT_FOUND, self->res.failure.kind);
	EXPECT_NE(NULL, strstr(self->res.failure.message, cmd))
		TH_LOG("message: %s", self->res.failure.message);
	n = strlen(self->res.extack);
	if (!strcmp(extack_want("formatted", "fixed"), "formatted")) {
		EXPECT_EQ((size_t)EXTACK_MAX, n) TH_LOG("extack: %s", self->res.extack);
		EXPECT_STREQ("...", self->res.extack + (n > 3 ? n - 3 : 0));
		EXPECT_EQ(0, strncmp(self->res.extack, self->res.failure.message, n - 3));
	} else {
		EXPECT_GE((size_t)EXTACK_MAX, n);
		EXPECT_NE(NULL, strstr(self->res.extack, "FAILURE attribute"))
			TH_LOG("extack: %s", self->res.extack);
	}
}

TEST_HARNESS_MAIN
