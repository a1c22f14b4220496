// SPDX-License-Identifier: GPL-2.0
/*
 * tree_test.c - a session is its whole process tree: processes that call
 * setsid(), double-fork or change their process group stay members; a
 * tree kill and kill-on-close reach them all, also a fork loop racing the
 * kill; GET counts the members; the member limit refuses forks past it.
 *
 * The leader's exit ends the wait (after a bounded linger), a deadline
 * held by the module ends a session with SIGTERM then SIGKILL, and the exit
 * record carries the tree's resource usage.
 *
 * Each test's processes carry a marker argument (sleep 4NNN) so that the
 * test can find them in /proc wherever they went. This program is also a
 * workload: with TREE_TEST_BUSY_MS, TREE_TEST_TOUCH_MB or TREE_TEST_OOM in
 * its environment it burns CPU, touches memory or provokes the OOM killer
 * instead of running the tests.
 *
 * Runs as root in the test guest with sbexec.ko loaded and the helper up.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "util.h"

#define SH	"/bin/sh"
#define WAIT_MS	10000

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The workloads: run before the harness when the environment asks. */
__attribute__((constructor)) static void workload(void)
{
	const char *busy = getenv("TREE_TEST_BUSY_MS");
	const char *touch = getenv("TREE_TEST_TOUCH_MB");
	volatile uint64_t spin = 0;

	if (busy) {
		uint64_t end = cpu_ns() + strtoull(busy, NULL, 10) * 1000000ULL;

		while (cpu_ns() < end)
			spin++;
		_exit(0);
	}
	if (touch) {
		size_t len = strtoull(touch, NULL, 10) << 20;
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			_exit(2);
		memset(p, 1, len);
		_exit(0);
	}
	if (getenv("TREE_TEST_OOM")) {
		char path[256], pid[32];
		int fd = open("/proc/self/oom_score_adj", O_WRONLY), n;

		if (fd < 0 || write(fd, "1000", 4) != 4)
			_exit(2);
		close(fd);
		/* Into the test's small memory cgroup: its OOM killer acts. */
		snprintf(path, sizeof(path), "%s/cgroup.procs",
			 getenv("TREE_TEST_OOM"));
		n = snprintf(pid, sizeof(pid), "%d\n", getpid());
		fd = open(path, O_WRONLY);
		if (fd < 0 || write(fd, pid, n) != n)
			_exit(3);
		close(fd);
		for (;;) {
			char *p = mmap(NULL, 16 << 20, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (p == MAP_FAILED)
				continue;
			memset(p, 1, 16 << 20);
		}
	}
}

/* Live (not zombie) processes whose command line is "sleep @arg". */
static int count_marker(const char *arg)
{
	char path[64], buf[128], want[64];
	struct dirent *de;
	int n = 0, wlen;
	DIR *d;

	wlen = snprintf(want, sizeof(want), "sleep%c%s", '\0', arg) + 1;
	d = opendir("/proc");
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		pid_t pid = (pid_t)strtol(de->d_name, NULL, 10);
		ssize_t len;
		int fd;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = read(fd, buf, sizeof(buf));
		close(fd);
		if (len == wlen && !memcmp(buf, want, wlen) && pid_alive(pid))
			n++;
	}
	closedir(d);
	return n;
}

/* Wait until count_marker(@arg) is @n; returns the last count. */
static int wait_marker(const char *arg, int n)
{
	int64_t deadline = mono_ms() + WAIT_MS;
	int c;

	while ((c = count_marker(arg)) != n && mono_ms() < deadline)
		usleep(20 * 1000);
	return c;
}

/* Wait until count_marker(@arg) is at least @n; returns the last count. */
static int wait_marker_min(const char *arg, int n)
{
	int64_t deadline = mono_ms() + WAIT_MS;
	int c;

	while ((c = count_marker(arg)) < n && mono_ms() < deadline)
		usleep(20 * 1000);
	return c;
}

/* GET until @ok(info) holds or the wait ends; returns the last GET's error. */
static int wait_info(struct sbexec *h, uint32_t id,
		     struct sbexec_session_info *si,
		     bool (*ok)(const struct sbexec_session_info *si))
{
	int64_t deadline = mono_ms() + WAIT_MS;
	int err;

	do {
		err = sbexec_get(h, id, si);
		if (err || ok(si))
			return err;
		usleep(20 * 1000);
	} while (mono_ms() < deadline);
	return err;
}

static bool leader_exited(const struct sbexec_session_info *si)
{
	return si->state != SBEXEC_STATE_RUNNING;
}

static bool no_members(const struct sbexec_session_info *si)
{
	return si->members == 0;
}

static unsigned int max_members_param(void)
{
	char buf[32];

	if (read_small_file("/sys/module/sbexec/parameters/max_members", buf,
			    sizeof(buf)) <= 0)
		return 0;
	return (unsigned int)strtoul(buf, NULL, 10);
}

FIXTURE(tree) {
	struct sbexec *h;
	struct sbexec_exec_result res;
};

FIXTURE_SETUP(tree)
{
	int err = sbexec_open(&self->h);

	ASSERT_EQ(0, err) TH_LOG("sbexec_open: %s", sbexec_open_error(err));
	self->res.session_id = 0;
}

FIXTURE_TEARDOWN(tree)
{
	if (!self->h)
		return;
	if (self->res.session_id)
		sbexec_signal_scope(self->h, self->res.session_id, SIGKILL,
				    SBEXEC_SIGNAL_SCOPE_TREE);
	sbexec_close(self->h);
}

#define EXEC(req) do {							\
	int _err = sbexec_exec(self->h, (req), &self->res);		\
	ASSERT_EQ(0, _err) TH_LOG("exec: %s", sbexec_strerror_last(self->h)); \
} while (0)

/*
 * Start `sh -c @cmd` kill-on-close on a handle of its own, wait for its
 * two marked sleeps, close the handle: both must be gone.
 */
static void dies_on_close(struct __test_metadata *_metadata, const char *cmd,
			  const char *m1, const char *m2)
{
	const char *const argv[] = { "-c", cmd, NULL };
	struct sbexec_exec_req req = { .cmd = SH, .argv = argv };
	struct sbexec_exec_result res;
	struct sbexec *h;

	ASSERT_EQ(0, sbexec_open(&h));
	ASSERT_EQ(0, sbexec_exec(h, &req, &res));
	ASSERT_EQ(1, wait_marker(m1, 1));
	ASSERT_EQ(1, wait_marker(m2, 1));
	sbexec_close(h);
	EXPECT_EQ(0, wait_marker(m1, 0));
	EXPECT_EQ(0, wait_marker(m2, 0));
}

/* A kill-on-close session's setsid() child dies with the session. */
TEST_F(tree, setsid_child_dies_on_close)
{
	dies_on_close(_metadata, "setsid sleep 4301 & exec sleep 4302",
		      "4301", "4302");
}

/*
 * A double fork into a new session is still a member, though re-parented
 * away from the session's process.
 */
TEST_F(tree, double_fork_daemon_dies_on_close)
{
	dies_on_close(_metadata,
		      "(setsid sh -c 'sleep 4311 & exit 0' &); exec sleep 4312",
		      "4311", "4312");
}

/*
 * After the leader exited, a setsid() member is out of reach of a process
 * group signal but not of a tree signal; GET counts it.
 */
TEST_F(tree, signal_tree_after_leader_exit)
{
	const char *const argv[] = { "-c", "setsid sleep 4321 & exit 7", NULL };
	struct sbexec_exec_req req = { .cmd = SH, .argv = argv,
				       .flags = SBEXEC_EXEC_F_KEEP_RUNNING };
	struct sbexec_session_info si;

	EXEC(&req);
	ASSERT_EQ(1, wait_marker("4321", 1));
	ASSERT_EQ(0, wait_info(self->h, self->res.session_id, &si,
			       leader_exited));
	ASSERT_NE((uint32_t)SBEXEC_STATE_RUNNING, si.state);
	EXPECT_EQ(1U, si.members);
	EXPECT_EQ(2U, si.members_total);
	EXPECT_EQ(-ESRCH, sbexec_signal(self->h, self->res.session_id, SIGKILL));
	EXPECT_EQ(1, count_marker("4321"));
	EXPECT_EQ(0, sbexec_signal_scope(self->h, self->res.session_id, SIGKILL,
					 SBEXEC_SIGNAL_SCOPE_TREE));
	EXPECT_EQ(0, wait_marker("4321", 0));
	ASSERT_EQ(0, wait_info(self->h, self->res.session_id, &si, no_members));
	EXPECT_EQ(0U, si.members);
	/* Nothing left to signal in either scope. */
	EXPECT_EQ(-ESRCH, sbexec_signal_scope(self->h, self->res.session_id,
					      SIGKILL, SBEXEC_SIGNAL_SCOPE_TREE));
}

/* A member that moves to its own process group (job control). */
TEST_F(tree, member_in_own_pgrp)
{
	const char *const argv[] = { "-c", "set -m; sleep 4331 & wait", NULL };
	struct sbexec_exec_req req = { .cmd = SH, .argv = argv };
	struct sbexec_session_info si;

	EXEC(&req);
	ASSERT_EQ(1, wait_marker("4331", 1));
	ASSERT_EQ(0, sbexec_get(self->h, self->res.session_id, &si));
	EXPECT_EQ(2U, si.members);
	/* TERM to the leader's group leaves the job; the tree reaches it. */
	EXPECT_EQ(0, sbexec_signal_scope(self->h, self->res.session_id, SIGTERM,
					 SBEXEC_SIGNAL_SCOPE_TREE));
	EXPECT_EQ(0, wait_marker("4331", 0));
}

TEST_F(tree, member_counts)
{
	const char *const argv[] = { "-c", "sleep 4341 & sleep 4341 & wait",
				     NULL };
	struct sbexec_exec_req req = { .cmd = SH, .argv = argv };
	struct sbexec_session_info si;

	EXEC(&req);
	ASSERT_EQ(2, wait_marker("4341", 2));
	ASSERT_EQ(0, sbexec_get(self->h, self->res.session_id, &si));
	EXPECT_EQ(3U, si.members);
	EXPECT_EQ(3U, si.members_total);
	EXPECT_EQ(0U, si.members_refused);
	EXPECT_EQ(max_members_param(), si.max_members);
	EXPECT_NE(0U, si.max_members);
}

/* Forks past MAX_MEMBERS are killed before they run, and counted. */
TEST_F(tree, member_limit)
{
	const char *const argv[] = {
		"-c", "for i in 1 2 3 4 5 6; do sleep 4351 & done; wait", NULL };
	struct sbexec_exec_req req = { .cmd = SH, .argv = argv,
				       .max_members = 4 };
	struct sbexec_session_info si;

	EXEC(&req);
	ASSERT_EQ(3, wait_marker("4351", 3));
	ASSERT_EQ(0, sbexec_get(self->h, self->res.session_id, &si));
	EXPECT_EQ(4U, si.max_members);
	EXPECT_EQ(4U, si.members);
	EXPECT_EQ(3U, si.members_refused);
	EXPECT_EQ(4U, si.members_total);
	/* Still killable whole. */
	EXPECT_EQ(0, sbexec_signal_scope(self->h, self->res.session_id, SIGKILL,
					 SBEXEC_SIGNAL_SCOPE_TREE));
	EXPECT_EQ(0, wait_marker("4351", 0));
}

/* A fork loop racing the tree kill: nothing survives, nothing is left. */
TEST_F(tree, fork_loop_racing_kill)
{
	const char *const argv[] = {
		"-c", "while :; do setsid sleep 4361 & done", NULL };
	struct sbexec_exec_req req = { .cmd = SH, .argv = argv,
				       .max_members = 64 };
	struct sbexec_session_info si;

	EXEC(&req);
	/* Some sleeps run and the loop goes on forking. */
	ASSERT_LE(8, wait_marker_min("4361", 8));
	EXPECT_EQ(0, sbexec_signal_scope(self->h, self->res.session_id, SIGKILL,
					 SBEXEC_SIGNAL_SCOPE_TREE));
	EXPECT_EQ(0, wait_marker("4361", 0));
	ASSERT_EQ(0, wait_info(self->h, self->res.session_id, &si, no_members));
	EXPECT_EQ(0U, si.members);
	EXPECT_LT(1U, si.members_total);
}

TEST_F(tree, bad_scope_and_limit_refused)
{
	const char *const argv[] = { "-c", "exec sleep 4371", NULL };
	struct sbexec_exec_req req = { .cmd = SH, .argv = argv };
	unsigned int max = max_members_param();

	ASSERT_NE(0U, max);
	req.max_members = max + 1;
	EXPECT_EQ(-ERANGE, sbexec_exec(self->h, &req, &self->res));
	EXPECT_NE(NULL, strstr(sbexec_strerror_last(self->h), "MAX_MEMBERS"))
		TH_LOG("message: %s", sbexec_strerror_last(self->h));
	self->res.session_id = 0;
	req.max_members = 0;
	/* The linger and the grace period are bounded too. */
	req.linger_ms = 30001;
	EXPECT_EQ(-ERANGE, sbexec_exec(self->h, &req, &self->res));
	req.linger_ms = 0;
	req.timeout_ms = 1000;
	req.grace_ms = 3600001;
	EXPECT_EQ(-ERANGE, sbexec_exec(self->h, &req, &self->res));
	EXPECT_NE(NULL, strstr(sbexec_strerror_last(self->h), "GRACE_MS"))
		TH_LOG("message: %s", sbexec_strerror_last(self->h));
	self->res.session_id = 0;
	req.timeout_ms = req.grace_ms = 0;
	EXEC(&req);
	ASSERT_EQ(1, wait_marker("4371", 1));
	EXPECT_EQ(-ERANGE, sbexec_signal_scope(self->h, self->res.session_id,
					       SIGKILL, 2));
	EXPECT_EQ(1, count_marker("4371"));
}

/*
 * Attach to the session just started and read it to its end. With @fdp,
 * the reader stays attached (*fdp, for the caller to close): the session
 * stays to be looked at after its exit record.
 */
static int collect_keep(struct sbexec *h, uint32_t id, struct sbexec_output *o,
			int timeout_ms, int *fdp)
{
	int fd = sbexec_attach(h, id), err;

	if (fd < 0)
		return fd;
	err = sbexec_collect(fd, o, timeout_ms);
	if (fdp)
		*fdp = fd;
	else
		close(fd);
	return err;
}

static int collect(struct sbexec *h, uint32_t id, struct sbexec_output *o,
		   int timeout_ms)
{
	return collect_keep(h, id, o, timeout_ms, NULL);
}

/*
 * The leader's exit ends the wait although a background member holds
 * stdout; the rest of a kill-on-close session is killed after the record.
 */
TEST_F(tree, leader_exit_ends_wait)
{
	const char *const argv[] = { "-c", "setsid sleep 4401 & echo started",
				     NULL };
	struct sbexec_exec_req req = { .cmd = SH, .argv = argv };
	struct sbexec_output o = { 0 };
	struct sbexec_session_info si;
	int fd = -1;

	EXEC(&req);
	/* Far less than the sleep: the record does not wait for it. */
	ASSERT_EQ(0, collect_keep(self->h, self->res.session_id, &o, WAIT_MS,
				  &fd));
	EXPECT_STREQ("started\n", o.out.data ? o.out.data : "");
	EXPECT_EQ(1U, o.exit.exited);
	EXPECT_EQ(0U, o.exit.code);
	EXPECT_EQ(0U, o.exit.timed_out);
	EXPECT_EQ(2U, o.exit.members);
	EXPECT_EQ(0, wait_marker("4401", 0));
	EXPECT_EQ(0, wait_info(self->h, self->res.session_id, &si, no_members));
	EXPECT_EQ(0U, si.members);
	EXPECT_EQ((uint32_t)SBEXEC_STATE_DONE, si.state);
	close(fd);
	sbexec_output_free(&o);
}

/* Output written while the linger lasts is delivered before the record. */
TEST_F(tree, linger_takes_late_output)
{
	const char *const argv[] = {
		"-c", "(sleep 0.1; echo late; exec sleep 4411) & echo early; exit 4",
		NULL };
	struct sbexec_exec_req req = { .cmd = SH, .argv = argv,
				       .linger_ms = 3000 };
	struct sbexec_output o = { 0 };

	EXEC(&req);
	ASSERT_EQ(0, collect(self->h, self->res.session_id, &o, WAIT_MS));
	EXPECT_STREQ("early\nlate\n", o.out.data ? o.out.data : "");
	EXPECT_EQ(4U, o.exit.code);
	EXPECT_EQ(0, wait_marker("4411", 0));
	sbexec_output_free(&o);
}

/*
 * A keep-running session keeps its members after the leader exited; their
 * output goes on into the ring, and the record follows the last of them.
 */
TEST_F(tree, keep_running_members_outlive_leader)
{
	const char *const argv[] = {
		"-c", "(sleep 0.5; echo late) & echo early; exit 3", NULL };
	struct sbexec_exec_req req = { .cmd = SH, .argv = argv,
				       .flags = SBEXEC_EXEC_F_KEEP_RUNNING };
	struct sbexec_output o = { 0 };
	struct sbexec_session_info si;

	EXEC(&req);
	ASSERT_EQ(0, wait_info(self->h, self->res.session_id, &si,
			       leader_exited));
	EXPECT_LE(1U, si.members);
	ASSERT_EQ(0, collect(self->h, self->res.session_id, &o, WAIT_MS));
	EXPECT_STREQ("early\nlate\n", o.out.data ? o.out.data : "");
	EXPECT_EQ(3U, o.exit.code);
	EXPECT_LE(3U, o.exit.members);
	sbexec_output_free(&o);
}

/*
 * Run `sh -c @cmd` with a deadline of @timeout_ms (grace @grace_ms, 0 for
 * the default) once its marked sleep runs: it must end by signal @sig,
 * timed out, after @min_wall_ms, with the sleep gone.
 */
static void deadline_case(struct __test_metadata *_metadata, struct sbexec *h,
			  const char *cmd, const char *marker,
			  uint32_t timeout_ms, uint32_t grace_ms, int sig,
			  uint64_t min_wall_ms)
{
	const char *const argv[] = { "-c", cmd, NULL };
	struct sbexec_exec_req req = { .cmd = SH, .argv = argv,
				       .timeout_ms = timeout_ms,
				       .grace_ms = grace_ms };
	struct sbexec_exec_result res;
	struct sbexec_output o = { 0 };

	ASSERT_EQ(0, sbexec_exec(h, &req, &res))
		TH_LOG("exec: %s", sbexec_strerror_last(h));
	ASSERT_EQ(1, wait_marker(marker, 1));
	ASSERT_EQ(0, collect(h, res.session_id, &o, WAIT_MS));
	EXPECT_EQ(0U, o.exit.exited);
	EXPECT_EQ((uint32_t)sig, o.exit.signal);
	EXPECT_EQ(1U, o.exit.timed_out);
	EXPECT_LE(min_wall_ms * 1000000ULL, o.exit.wall_ns);
	EXPECT_EQ(0, wait_marker(marker, 0));
	sbexec_output_free(&o);
}

/* The deadline: SIGTERM to every member, which ends them. */
TEST_F(tree, deadline_term)
{
	deadline_case(_metadata, self->h, "setsid sleep 4421 & exec sleep 4422",
		      "4421", 3000, 0, SIGTERM, 3000);
}

/* A member that ignores SIGTERM gets SIGKILL after the grace period. */
TEST_F(tree, deadline_grace_then_kill)
{
	deadline_case(_metadata, self->h, "trap '' TERM; sleep 4431", "4431",
		      3000, 500, SIGKILL, 3500);
}

/* Held by the module: no client attached, and the helper restarted. */
TEST_F(tree, deadline_without_client_across_helper_restart)
{
	const char *const argv[] = { "-c", "exec sleep 4441", NULL };
	struct sbexec_exec_req req = { .cmd = SH, .argv = argv,
				       .flags = SBEXEC_EXEC_F_KEEP_RUNNING,
				       .timeout_ms = 3000 };
	struct sbexec_output o = { 0 };
	struct sbexec_session_info si;
	uint32_t id;

	EXEC(&req);
	id = self->res.session_id;
	ASSERT_EQ(1, wait_marker("4441", 1));
	sbexec_close(self->h);
	self->h = NULL;
	ASSERT_EQ(0, helper_stop(5000));
	EXPECT_EQ(0, wait_marker("4441", 0));
	ASSERT_EQ(0, helper_start());
	ASSERT_EQ(0, sbexec_open(&self->h));
	ASSERT_EQ(0, wait_info(self->h, id, &si, leader_exited));
	ASSERT_TRUE(si.has_exit);
	EXPECT_EQ((uint32_t)SIGTERM, si.exit.signal);
	EXPECT_EQ(1U, si.exit.timed_out);
	/* Read it so that it goes. */
	EXPECT_EQ(0, collect(self->h, id, &o, WAIT_MS));
	EXPECT_EQ(1U, o.exit.timed_out);
	sbexec_output_free(&o);
	self->res.session_id = 0;
}

static void run_self(struct __test_metadata *_metadata, struct sbexec *h,
		     const char *env, struct sbexec_output *o)
{
	const char *const argv[] = { NULL };
	const char *const envp[] = { env, NULL };
	struct sbexec_exec_req req = { .argv = argv, .env = envp };
	struct sbexec_exec_result res;
	char self_path[4096];
	ssize_t n = readlink("/proc/self/exe", self_path, sizeof(self_path) - 1);

	ASSERT_LT(0, n);
	self_path[n] = '\0';
	req.cmd = self_path;
	ASSERT_EQ(0, sbexec_exec(h, &req, &res))
		TH_LOG("exec: %s", sbexec_strerror_last(h));
	ASSERT_EQ(0, collect(h, res.session_id, o, 60000));
}

/* The CPU time of a 1 s busy loop, as the process itself counted it. */
TEST_F(tree, rusage_cpu_time)
{
	struct sbexec_output o = { 0 };
	uint64_t cpu;

	run_self(_metadata, self->h, "TREE_TEST_BUSY_MS=1000", &o);
	EXPECT_EQ(1U, o.exit.exited);
	EXPECT_EQ(0U, o.exit.code);
	cpu = o.exit.cpu_user_ns + o.exit.cpu_sys_ns;
	EXPECT_LE(950000000ULL, cpu) TH_LOG("cpu %llu ns", (unsigned long long)cpu);
	EXPECT_GE(o.exit.wall_ns + 50000000ULL, cpu);
	EXPECT_EQ(1U, o.exit.members);
	sbexec_output_free(&o);
}

/* Peak RSS of a process that touches 64 MiB. */
TEST_F(tree, rusage_max_rss)
{
	struct sbexec_output o = { 0 };

	run_self(_metadata, self->h, "TREE_TEST_TOUCH_MB=64", &o);
	EXPECT_EQ(0U, o.exit.code);
	EXPECT_LE(64ULL * 1024, o.exit.max_rss_kb);
	EXPECT_GE(96ULL * 1024, o.exit.max_rss_kb);
	EXPECT_EQ(0U, o.exit.oom_killed);
	sbexec_output_free(&o);
}

#define CG_ROOT	"/sys/fs/cgroup"
#define CG_OOM	CG_ROOT "/sbexec-tree-test"

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * An OOM kill is reported as such: the workload (oom_score_adj 1000) fills
 * a 32 MiB memory cgroup, whose OOM killer chooses it.
 */
TEST_F(tree, rusage_oom_killed)
{
	struct sbexec_output o = { 0 };
	int i;

	if (access(CG_ROOT "/cgroup.controllers", F_OK))
		ASSERT_EQ(0, system("mount -t cgroup2 none " CG_ROOT));
	ASSERT_EQ(0, write_file(CG_ROOT "/cgroup.subtree_control", "+memory"));
	rmdir(CG_OOM);
	ASSERT_EQ(0, mkdir(CG_OOM, 0755));
	ASSERT_EQ(0, write_file(CG_OOM "/memory.max", "33554432"));
	write_file(CG_OOM "/memory.swap.max", "0");	/* when swap exists */
	run_self(_metadata, self->h, "TREE_TEST_OOM=" CG_OOM, &o);
	EXPECT_EQ(0U, o.exit.exited);
	EXPECT_EQ((uint32_t)SIGKILL, o.exit.signal);
	EXPECT_EQ(1U, o.exit.oom_killed);
	EXPECT_LE(16ULL * 1024, o.exit.max_rss_kb);
	sbexec_output_free(&o);
	/* Empty once the helper reaped the workload. */
	for (i = 0; i < 500 && rmdir(CG_OOM); i++)
		usleep(20 * 1000);
	EXPECT_EQ(0, access(CG_OOM, F_OK) ? 0 : -1);
}

TEST_F(tree, rusage_bytes_and_members)
{
	const char *const argv[] = {
		"-c", "printf 12345; printf 123 >&2; (true); /bin/true", NULL };
	struct sbexec_exec_req req = { .cmd = SH, .argv = argv };
	struct sbexec_output o = { 0 };

	EXEC(&req);
	ASSERT_EQ(0, collect(self->h, self->res.session_id, &o, WAIT_MS));
	EXPECT_EQ(5ULL, o.exit.stdout_bytes);
	EXPECT_EQ(3ULL, o.exit.stderr_bytes);
	EXPECT_EQ(3U, o.exit.members);
	EXPECT_EQ(0U, o.exit.members_refused);
	EXPECT_LT(0ULL, o.exit.wall_ns);
	sbexec_output_free(&o);
}

/* A fork bomb is bounded by the member limit and still dies whole. */
TEST_F(tree, fork_bomb_bounded)
{
	/* Every member forks on and on; the forks past the limit die. */
	const char *const argv[] = {
		"-c", "b() { while :; do (b) & sleep 0.05; done; }; b", NULL };
	struct sbexec_exec_req req = { .cmd = SH, .argv = argv,
				       .max_members = 20, .timeout_ms = 5000,
				       .grace_ms = 100 };
	struct sbexec_output o = { 0 };
	struct sbexec_session_info si;
	int fd = -1;

	EXEC(&req);
	ASSERT_EQ(0, collect_keep(self->h, self->res.session_id, &o, 60000,
				  &fd));
	EXPECT_EQ(1U, o.exit.timed_out);
	EXPECT_LT(0U, o.exit.members_refused);
	EXPECT_LE(20U, o.exit.members);
	sbexec_output_free(&o);
	EXPECT_EQ(0, wait_info(self->h, self->res.session_id, &si, no_members));
	EXPECT_EQ(0U, si.members);
	close(fd);
}

TEST_HARNESS_MAIN
