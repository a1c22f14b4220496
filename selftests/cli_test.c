// SPDX-License-Identifier: GPL-2.0
/*
 * cli_test.c - the `sbexec` command as a user runs it: streams, exit
 * codes, failure lines, options passed through, stdin and signals.
 *
 * Runs the CLI named by SBEXEC_CLI, else $SBEXEC_PROJECT/user/cli/sbexec
 * (or ./user/cli/sbexec), else `sbexec` from PATH. Each run is killed
 * after a timeout, so a hang fails the test instead of blocking.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "util.h"

#define RUN_MS		30000

FIXTURE(cli) {
	struct proc_result r;
	struct proc_opts o;
};

FIXTURE_SETUP(cli)
{
	memset(&self->r, 0, sizeof(self->r));
	self->o = (struct proc_opts){ .timeout_ms = RUN_MS };
}

FIXTURE_TEARDOWN(cli)
{
	proc_result_free(&self->r);
}

/* Run `sbexec ARGS...` with self->o; fills self->r. */
#define SBEXEC(...) do {						\
	const char *const _argv[] = { cli_path(), __VA_ARGS__, NULL };	\
	proc_result_free(&self->r);					\
	ASSERT_EQ(0, run_proc(_argv, &self->o, &self->r));		\
	ASSERT_FALSE(self->r.timed_out) TH_LOG("sbexec did not finish in %d ms; stderr: %s", \
		self->o.timeout_ms, self->r.err.data);			\
	ASSERT_TRUE(WIFEXITED(self->r.status)) TH_LOG("sbexec died: status %#x", \
		self->r.status);					\
} while (0)

#define EXIT_CODE()	WEXITSTATUS(self->r.status)
#define OUT()		(self->r.out.data)
#define ERR()		(self->r.err.data)

TEST_F(cli, help_exits_zero)
{
	SBEXEC("--help");
	EXPECT_EQ(0, EXIT_CODE());
	EXPECT_NE(NULL, strstr(OUT(), "run"));
	EXPECT_EQ(0U, self->r.err.len);

	SBEXEC("run", "--help");
	EXPECT_EQ(0, EXIT_CODE());
	EXPECT_NE(NULL, strstr(OUT(), "127")) TH_LOG("run --help documents the exit codes");
	EXPECT_NE(NULL, strstr(OUT(), "125"));
}

TEST_F(cli, usage_errors_exit_125)
{
	SBEXEC("run");
	EXPECT_EQ(125, EXIT_CODE());
	EXPECT_EQ(1U, count_lines(&self->r.err)) TH_LOG("stderr: %s", ERR());

	SBEXEC("run", "--rlimit", "nofile=lots", "--", "/bin/true");
	EXPECT_EQ(125, EXIT_CODE());
	EXPECT_EQ(1U, count_lines(&self->r.err)) TH_LOG("stderr: %s", ERR());

	SBEXEC("no-such-subcommand");
	EXPECT_EQ(125, EXIT_CODE());
}

TEST_F(cli, exit_code_3)
{
	SBEXEC("run", "--", "sh", "-c", "exit 3");
	EXPECT_EQ(3, EXIT_CODE()) TH_LOG("stderr: %s", ERR());
	EXPECT_EQ(0U, self->r.out.len);
}

TEST_F(cli, exit_code_0_and_streams)
{
	SBEXEC("run", "--", "sh", "-c", "echo out; echo err >&2; echo out2");
	EXPECT_EQ(0, EXIT_CODE()) TH_LOG("stderr: %s", ERR());
	EXPECT_STREQ("out\nout2\n", OUT());
	EXPECT_STREQ("err\n", ERR());
}

TEST_F(cli, not_found_exits_127_with_one_line)
{
	SBEXEC("run", "--", "/nonexistent");
	EXPECT_EQ(127, EXIT_CODE());
	EXPECT_EQ(0U, self->r.out.len);
	EXPECT_EQ(1U, count_lines(&self->r.err)) TH_LOG("stderr: %s", ERR());
	EXPECT_NE(NULL, strstr(ERR(), "NotFound")) TH_LOG("stderr: %s", ERR());
	EXPECT_NE(NULL, strstr(ERR(), "ENOENT")) TH_LOG("stderr: %s", ERR());
	EXPECT_EQ(0, strncmp(ERR(), "sbexec: ", 8));
}

TEST_F(cli, bad_cwd_exits_126_with_one_line)
{
	SBEXEC("run", "-w", "/nonexistent-sbexec-dir", "--", "/bin/true");
	EXPECT_EQ(126, EXIT_CODE());
	EXPECT_EQ(1U, count_lines(&self->r.err)) TH_LOG("stderr: %s", ERR());
	EXPECT_NE(NULL, strstr(ERR(), "BadCwd")) TH_LOG("stderr: %s", ERR());
}

TEST_F(cli, signal_death_is_128_plus_n)
{
	SBEXEC("run", "--", "sh", "-c", "kill -TERM $$");
	EXPECT_EQ(128 + SIGTERM, EXIT_CODE()) TH_LOG("stderr: %s", ERR());
}

TEST_F(cli, env_passes_through)
{
	SBEXEC("run", "-e", "SBEXEC_T1=hello", "-e", "SBEXEC_T2=a b=c", "--",
	       "sh", "-c", "printf '%s|%s' \"$SBEXEC_T1\" \"$SBEXEC_T2\"");
	EXPECT_EQ(0, EXIT_CODE()) TH_LOG("stderr: %s", ERR());
	EXPECT_STREQ("hello|a b=c", OUT());
}

TEST_F(cli, workdir_passes_through)
{
	char dir[] = "/tmp/sbexec-cwd-XXXXXX";
	char want[64];

	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(want, sizeof(want), "%s\n", dir);
	SBEXEC("run", "-w", dir, "--", "/bin/pwd");
	rmdir(dir);
	EXPECT_EQ(0, EXIT_CODE()) TH_LOG("stderr: %s", ERR());
	EXPECT_STREQ(want, OUT());
}

TEST_F(cli, stdin_forwarded_with_i)
{
	self->o.in = "abc";
	self->o.in_len = 3;
	SBEXEC("run", "-i", "--", "cat");
	EXPECT_EQ(0, EXIT_CODE()) TH_LOG("stderr: %s", ERR());
	EXPECT_STREQ("abc", OUT());
}

TEST_F_TIMEOUT(cli, stdin_1mib_forwarded_in_order, 180)
{
	size_t len = 1024 * 1024, i;
	char *in = malloc(len);

	ASSERT_NE(NULL, in);
	/* Distinct 16-byte lines, so a reordered chunk shows. */
	for (i = 0; i < len / 16; i++)
		snprintf(in + i * 16, 17, "%015zu\n", i);
	self->o.in = in;
	self->o.in_len = len;
	self->o.timeout_ms = 150000;
	SBEXEC("run", "-i", "--", "cat");
	EXPECT_EQ(0, EXIT_CODE()) TH_LOG("stderr: %s", ERR());
	EXPECT_EQ(len, self->r.out.len);
	EXPECT_EQ(fnv1a64(in, len), fnv1a64(OUT(), self->r.out.len));
	free(in);
}

TEST_F(cli, without_i_stdin_is_closed_at_once)
{
	/* Our stdin stays open: cat ends only if sbexec closed the session's. */
	self->o.hold_stdin = true;
	self->o.timeout_ms = 15000;
	SBEXEC("run", "--", "cat");
	EXPECT_EQ(0, EXIT_CODE()) TH_LOG("stderr: %s", ERR());
	EXPECT_EQ(0U, self->r.out.len);
}

TEST_F(cli, sigterm_is_forwarded)
{
	self->o.marker = "ready\n";
	self->o.sig = SIGTERM;
	SBEXEC("run", "--", "sh", "-c",
	       "trap 'echo got-term; exit 7' TERM; echo ready; "
	       "while :; do sleep 0.1; done");
	EXPECT_EQ(7, EXIT_CODE()) TH_LOG("stdout: %s stderr: %s", OUT(), ERR());
	EXPECT_STREQ("ready\ngot-term\n", OUT());
}

/* Live processes whose command line is "sleep @arg" (marker). */
static int sleepers(const char *arg)
{
	char cmd[128], buf[32] = "";
	FILE *f;

	snprintf(cmd, sizeof(cmd),
		 "for p in /proc/[0-9]*; do tr '\\0' ' ' <$p/cmdline 2>/dev/null; "
		 "echo; done | grep -cx 'sleep %s '", arg);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	pclose(f);
	return atoi(buf);
}

/* Wait until sleepers(@arg) is 0; returns the last count. */
static int sleepers_gone(const char *arg)
{
	int64_t deadline = mono_ms() + 10000;
	int n;

	while ((n = sleepers(arg)) && mono_ms() < deadline)
		usleep(50 * 1000);
	return n;
}

/*
 * The leader's exit ends `run` although a setsid() child holds stdout,
 * and nothing of the session is left afterwards.
 */
TEST_F_TIMEOUT(cli, returns_when_leader_exits, 120)
{
	int64_t t0 = mono_ms();

	SBEXEC("run", "--", "sh", "-c", "setsid sleep 4501 & echo started");
	EXPECT_EQ(0, EXIT_CODE()) TH_LOG("stderr: %s", ERR());
	EXPECT_STREQ("started\n", OUT());
	/* Far below the sleep (and the run timeout): it did not wait for it. */
	EXPECT_GT(10000, mono_ms() - t0);
	EXPECT_EQ(0, sleepers_gone("4501"));
}

/*
 * `sbexec run --exit-json FILE ARGS...` as self->r; then python3 checks the
 * file: it parses, has every key, and @cond (over its dict d) holds.
 */
static int run_exit_json(struct __test_metadata *_metadata,
			 FIXTURE_DATA(cli) *self, const char *const *args,
			 const char *cond)
{
	char path[] = "/tmp/sbexec-exit-XXXXXX";
	const char *argv[16] = { cli_path(), "run", "--exit-json", path };
	char cmd[1024];
	int fd = mkstemp(path), i, ret;

	if (fd < 0)
		return -1;
	close(fd);
	for (i = 0; args[i] && i < 11; i++)
		argv[4 + i] = args[i];
	argv[4 + i] = NULL;
	proc_result_free(&self->r);
	if (run_proc(argv, &self->o, &self->r)) {
		unlink(path);
		return -1;
	}
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); "
		 "ks=\"code signal core_dumped timed_out oom_killed cpu_user_ns "
		 "cpu_sys_ns max_rss_kb members members_refused stdout_bytes "
		 "stderr_bytes wall_ns\"; "
		 "assert all(k in d for k in ks.split()), d; assert %s, d' %s",
		 cond, path);
	ret = system(cmd);
	unlink(path);
	return ret;
}

/* --timeout: SIGTERM, then SIGKILL after --grace; exit 124. */
TEST_F_TIMEOUT(cli, timeout_exits_124, 120)
{
	const char *const args[] = { "--timeout", "1", "--grace", "0.5", "--",
				     "sh", "-c", "trap '' TERM; sleep 4502",
				     NULL };

	EXPECT_EQ(0, run_exit_json(_metadata, self, args,
				   "d[\"timed_out\"] is True and d[\"signal\"] == 9 "
				   "and d[\"code\"] is None and "
				   "d[\"wall_ns\"] >= 1500000000"));
	ASSERT_TRUE(WIFEXITED(self->r.status));
	EXPECT_EQ(124, EXIT_CODE()) TH_LOG("stderr: %s", ERR());
	EXPECT_EQ(0, sleepers_gone("4502"));
}

TEST_F_TIMEOUT(cli, exit_json_of_a_plain_exit, 120)
{
	const char *const args[] = { "--", "sh", "-c",
				     "printf abc; printf de >&2; exit 3", NULL };

	EXPECT_EQ(0, run_exit_json(_metadata, self, args,
				   "d[\"code\"] == 3 and d[\"signal\"] is None and "
				   "d[\"timed_out\"] is False and "
				   "d[\"stdout_bytes\"] == 3 and "
				   "d[\"stderr_bytes\"] == 2 and d[\"members\"] == 1"));
	ASSERT_TRUE(WIFEXITED(self->r.status));
	EXPECT_EQ(3, EXIT_CODE());
}

/*
 * SIGINT reaches the process group: the leader dies, `run` exits 130 and
 * the setsid() child that was out of the group's reach is gone too.
 */
TEST_F_TIMEOUT(cli, sigint_ends_run_and_the_tree, 120)
{
	self->o.marker = "ready\n";
	self->o.sig = SIGINT;
	SBEXEC("run", "--", "sh", "-c",
	       "setsid sleep 4503 & echo ready; exec sleep 4504");
	EXPECT_EQ(130, EXIT_CODE()) TH_LOG("stderr: %s", ERR());
	EXPECT_EQ(0, sleepers_gone("4503"));
	EXPECT_EQ(0, sleepers_gone("4504"));
}

/* A second SIGINT ends a session that ignores the first. */
TEST_F_TIMEOUT(cli, second_sigint_ends_the_session, 120)
{
	self->o.marker = "ready\n";
	self->o.sig = SIGINT;
	self->o.sig_times = 2;
	SBEXEC("run", "--", "sh", "-c", "trap '' INT; echo ready; sleep 4505");
	EXPECT_EQ(130, EXIT_CODE()) TH_LOG("stderr: %s", ERR());
	EXPECT_EQ(0, sleepers_gone("4505"));
}

/* `sbexec kill` reaches a detached session's setsid() child too. */
TEST_F_TIMEOUT(cli, kill_reaches_the_whole_tree, 120)
{
	char id[16];
	int i;

	SBEXEC("run", "-d", "--", "sh", "-c",
	       "setsid sleep 4506 & exec sleep 4507");
	ASSERT_EQ(0, EXIT_CODE()) TH_LOG("stderr: %s", ERR());
	snprintf(id, sizeof(id), "%u", (unsigned int)strtoul(OUT(), NULL, 10));
	for (i = 0; i < 500 && sleepers("4506") != 1; i++)
		usleep(20 * 1000);
	ASSERT_EQ(1, sleepers("4506"));
	SBEXEC("kill", id, "KILL");
	EXPECT_EQ(0, EXIT_CODE()) TH_LOG("stderr: %s", ERR());
	EXPECT_EQ(0, sleepers_gone("4506"));
	EXPECT_EQ(0, sleepers_gone("4507"));
	SBEXEC("attach", id);
	EXPECT_EQ(128 + SIGKILL, EXIT_CODE()) TH_LOG("stderr: %s", ERR());
}

TEST_F(cli, unknown_rlimit_refused_with_125)
{
	SBEXEC("run", "--rlimit", "bogus=1", "--", "/bin/true");
	EXPECT_EQ(125, EXIT_CODE());
	EXPECT_EQ(0U, self->r.out.len);
	EXPECT_EQ(1U, count_lines(&self->r.err)) TH_LOG("stderr: %s", ERR());
	/* The refusal names the entry at fault and the names that exist. */
	EXPECT_NE(NULL, strstr(ERR(), "unknown rlimit name 'bogus'")) TH_LOG("stderr: %s", ERR());
	EXPECT_NE(NULL, strstr(ERR(), "nofile")) TH_LOG("stderr: %s", ERR());
}

/* Every refusal of bad input names the value at fault, in one line, 125. */
TEST_F(cli, refusals_name_the_culprit)
{
	static const struct {
		const char *argv[6];
		const char *words;
	} cases[] = {
		{ { "run", "--rlimit", "nofile=lots", "--", "true" }, "'lots'" },
		{ { "run", "--rlimit", "nofile=10:5", "--", "true" },
		  "soft limit 10 is above hard limit 5 for nofile" },
		{ { "run", "--rlimit", "nofile=1:99999999999999999999999", "--", "true" },
		  "'99999999999999999999999' for nofile is too large" },
		{ { "run", "--rlimit", "nofile", "--", "true" }, "'nofile'" },
		{ { "run", "-e", "NOEQUALS", "--", "true" }, "'NOEQUALS'" },
		{ { "run", "-e", "=v", "--", "true" }, "'=v'" },
		{ { "run", "--ring-size", "12Q", "--", "true" }, "'12Q'" },
		{ { "run", "-t", "--direct-output", "--", "true" },
		  "--direct-output cannot be combined with -t" },
		{ { "run", "--no-such-option", "--", "true" }, "'--no-such-option'" },
		{ { "kill", "x1" }, "bad session id 'x1'" },
		{ { "kill", "1", "65" }, "unknown signal '65'" },
		{ { "kill", "1", "SIGNOPE" }, "unknown signal 'SIGNOPE'" },
		{ { "attach", "0" }, "bad session id '0'" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *const *a = cases[i].argv;

		SBEXEC(a[0], a[1], a[2], a[3], a[4], a[5]);
		EXPECT_EQ(125, EXIT_CODE()) TH_LOG("case %zu: stderr: %s", i, ERR());
		EXPECT_EQ(1U, count_lines(&self->r.err)) TH_LOG("case %zu: stderr: %s", i, ERR());
		EXPECT_NE(NULL, strstr(ERR(), cases[i].words))
			TH_LOG("case %zu: want \"%s\" in: %s", i, cases[i].words, ERR());
	}

	/* Refused by the kernel: the line names the option value too. */
	SBEXEC("run", "--ring-size", "1024M", "--", "true");
	EXPECT_EQ(125, EXIT_CODE()) TH_LOG("stderr: %s", ERR());
	EXPECT_EQ(1U, count_lines(&self->r.err)) TH_LOG("stderr: %s", ERR());
	EXPECT_NE(NULL, strstr(ERR(), "max_ring_size")) TH_LOG("stderr: %s", ERR());
	EXPECT_NE(NULL, strstr(ERR(), "--ring-size 1073741824")) TH_LOG("stderr: %s", ERR());
}

TEST_F(cli, direct_output_streams_both)
{
	SBEXEC("run", "--direct-output", "--", "sh", "-c",
	       "echo out; echo err >&2; test -p /dev/stdout && exit 4");
	EXPECT_EQ(4, EXIT_CODE()) TH_LOG("stderr: %s", ERR());
	EXPECT_STREQ("out\n", OUT());
	EXPECT_STREQ("err\n", ERR());
}

TEST_F(cli, rlimit_nofile_applies)
{
	SBEXEC("run", "--rlimit", "nofile=64", "--", "sh", "-c", "ulimit -n");
	EXPECT_EQ(0, EXIT_CODE()) TH_LOG("stderr: %s", ERR());
	EXPECT_STREQ("64\n", OUT());
}

TEST_F(cli, user_nobody)
{
	SBEXEC("run", "-u", "nobody", "--", "id", "-u");
	EXPECT_EQ(0, EXIT_CODE()) TH_LOG("stderr: %s", ERR());
	EXPECT_STREQ("65534\n", OUT());
}

TEST_F(cli, tty_gives_a_pts)
{
	SBEXEC("run", "-t", "--", "tty");
	EXPECT_EQ(0, EXIT_CODE()) TH_LOG("stderr: %s", ERR());
	EXPECT_EQ(0, strncmp(OUT(), "/dev/pts/", 9)) TH_LOG("stdout: %s", OUT());
}

/* `sbexec run -d ...`: the session id it printed. */
static uint32_t detached_id(const struct proc_result *r)
{
	char *end;
	unsigned long id = strtoul(r->out.data, &end, 10);

	return *end == '\n' && id && id <= UINT32_MAX ? (uint32_t)id : 0;
}

TEST_F(cli, detach_then_attach)
{
	char id[16];

	SBEXEC("run", "-d", "--", "sh", "-c", "echo detached; echo e >&2; exit 4");
	ASSERT_EQ(0, EXIT_CODE()) TH_LOG("stderr: %s", ERR());
	ASSERT_NE(0U, detached_id(&self->r)) TH_LOG("stdout: %s", OUT());
	snprintf(id, sizeof(id), "%u", detached_id(&self->r));
	SBEXEC("attach", id);
	EXPECT_EQ(4, EXIT_CODE()) TH_LOG("stderr: %s", ERR());
	EXPECT_STREQ("detached\n", OUT());
	EXPECT_STREQ("e\n", ERR());
}

TEST_F(cli, kill_a_detached_session)
{
	char id[16];

	SBEXEC("run", "-d", "--", "sh", "-c", "exec sleep 30");
	ASSERT_EQ(0, EXIT_CODE()) TH_LOG("stderr: %s", ERR());
	ASSERT_NE(0U, detached_id(&self->r)) TH_LOG("stdout: %s", OUT());
	snprintf(id, sizeof(id), "%u", detached_id(&self->r));
	SBEXEC("ps");
	EXPECT_EQ(0, EXIT_CODE()) TH_LOG("stderr: %s", ERR());
	/* Its line: the id at the start, the command at the end. */
	EXPECT_NE(NULL, strstr(OUT(), id)) TH_LOG("ps: %s", OUT());
	EXPECT_NE(NULL, strstr(OUT(), " sh\n")) TH_LOG("ps: %s", OUT());
	SBEXEC("kill", id, "KILL");
	EXPECT_EQ(0, EXIT_CODE()) TH_LOG("stderr: %s", ERR());
	SBEXEC("attach", id);
	EXPECT_EQ(128 + SIGKILL, EXIT_CODE()) TH_LOG("stderr: %s", ERR());
}

/*
 * A Python check of `sbexec ps --json` (on stdin): the text parses, is an
 * array of objects, and the one with id argv[1] is printed as
 * "cmd\nstate keep_running exit.signal exit.status\n" (cmd as UTF-8, so
 * the caller sees exactly what a JSON reader decoded).
 */
static const char ps_json_check[] =
"import json, sys\n"
"a = json.load(sys.stdin)\n"
"assert isinstance(a, list), 'not an array'\n"
"assert all(isinstance(s, dict) for s in a), 'not objects'\n"
"m = [s for s in a if s['id'] == int(sys.argv[1])]\n"
"assert len(m) == 1, 'session %s listed %d times' % (sys.argv[1], len(m))\n"
"s = m[0]\n"
"for k in ('pid', 'state', 'pty', 'bytes', 'age_ms', 'cmd', 'exit'):\n"
"    assert k in s, 'no ' + k\n"
"e = s['exit'] or {}\n"
"out = '%s\\n%s %s %s %s\\n' % (s['cmd'], s['state'], s['keep_running'],\n"
"                            e.get('signal'), e.get('status'))\n"
"sys.stdout.buffer.write(out.encode('utf-8'))\n";

#define PYTHON	"/usr/bin/python3"

/* Run the check on self->r's stdout; its stdout is left in self->r. */
#define PS_JSON_CHECK(id) do {						\
	char *_json = strdup(OUT());					\
	ASSERT_NE(NULL, _json);						\
	self->o.in = _json;						\
	self->o.in_len = strlen(_json);					\
	{								\
		const char *const _py[] = { PYTHON, "-c", ps_json_check, id, NULL }; \
		proc_result_free(&self->r);				\
		ASSERT_EQ(0, run_proc(_py, &self->o, &self->r));	\
	}								\
	self->o.in = NULL;						\
	self->o.in_len = 0;						\
	ASSERT_TRUE(WIFEXITED(self->r.status) && !WEXITSTATUS(self->r.status)) \
		TH_LOG("ps --json: %s\npython: %s", _json, ERR());	\
	free(_json);							\
} while (0)

/*
 * `ps --json` lists a keep-running session, its command escaped: the
 * command is a link to sleep whose name holds a quote, a backslash, a tab,
 * UTF-8 and a byte that is not UTF-8 (0xff, which reads back as U+00FF).
 */
TEST_F(cli, ps_json)
{
	static const char name[] = "q\"b\\t\tu\xc3\xa9x\xff";
	char dir[] = "/tmp/cli_test.XXXXXX", link[128], want[160], id[16];
	int i;

	if (access(PYTHON, X_OK))
		SKIP(return, PYTHON " is needed to parse the JSON");
	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(link, sizeof(link), "%s/%s", dir, name);
	ASSERT_EQ(0, symlink("/bin/sleep", link));
	SBEXEC("run", "-d", "--", link, "30");
	ASSERT_EQ(0, EXIT_CODE()) TH_LOG("stderr: %s", ERR());
	ASSERT_NE(0U, detached_id(&self->r)) TH_LOG("stdout: %s", OUT());
	snprintf(id, sizeof(id), "%u", detached_id(&self->r));

	SBEXEC("ps", "--json");
	EXPECT_EQ(0, EXIT_CODE()) TH_LOG("stderr: %s", ERR());
	EXPECT_EQ(0U, self->r.err.len) TH_LOG("stderr: %s", ERR());
	PS_JSON_CHECK(id);
	snprintf(want, sizeof(want), "%s/q\"b\\t\tu\xc3\xa9x\xc3\xbf\n"
		 "running True None None\n", dir);
	EXPECT_STREQ(want, OUT());

	/* Killed but not yet read: the exit object says how it ended. */
	SBEXEC("kill", id, "KILL");
	EXPECT_EQ(0, EXIT_CODE()) TH_LOG("stderr: %s", ERR());
	for (i = 0; i < 100; i++) {
		SBEXEC("ps", "--json");
		ASSERT_EQ(0, EXIT_CODE()) TH_LOG("stderr: %s", ERR());
		PS_JSON_CHECK(id);
		if (!strstr(OUT(), "running"))
			break;
		usleep(50 * 1000);
	}
	EXPECT_NE(NULL, strstr(OUT(), " True 9 137\n")) TH_LOG("python: %s", OUT());
	SBEXEC("attach", id);
	EXPECT_EQ(128 + SIGKILL, EXIT_CODE()) TH_LOG("stderr: %s", ERR());
	unlink(link);
	rmdir(dir);

	/* With no session of ours listed it is still an array. */
	SBEXEC("ps", "--json");
	EXPECT_EQ(0, EXIT_CODE()) TH_LOG("stderr: %s", ERR());
	EXPECT_EQ('[', OUT()[0]) TH_LOG("stdout: %s", OUT());
	EXPECT_EQ(NULL, strstr(OUT(), dir)) TH_LOG("stdout: %s", OUT());
}

TEST_F(cli, version)
{
	SBEXEC("--version");
	EXPECT_EQ(0, EXIT_CODE());
	EXPECT_EQ(0, strncmp(OUT(), "sbexec ", 7)) TH_LOG("stdout: %s", OUT());
	EXPECT_EQ(1U, count_lines(&self->r.out)) TH_LOG("stdout: %s", OUT());
}

/* The ring size the module gave detached session @id (0 on error). */
static uint32_t ring_of(uint32_t id)
{
	struct sbexec_session_info info;
	struct sbexec *h = NULL;
	uint32_t size = 0;

	if (sbexec_open(&h))
		return 0;
	if (!sbexec_get(h, id, &info))
		size = info.ring_size;
	sbexec_close(h);
	return size;
}

TEST_F(cli, ring_size_option)
{
	static const struct { const char *arg; uint32_t want; } ok[] = {
		{ "1M", 1U << 20 }, { "64k", 64U << 10 },
		/* 100 KiB is 25 pages: rounded up to 32. */
		{ "102400", 128U << 10 },
	};
	char id[16];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		SBEXEC("run", "-d", "--ring-size", ok[i].arg, "--", "sh", "-c", "exit 6");
		ASSERT_EQ(0, EXIT_CODE()) TH_LOG("%s: %s", ok[i].arg, ERR());
		ASSERT_NE(0U, detached_id(&self->r)) TH_LOG("stdout: %s", OUT());
		EXPECT_EQ(ok[i].want, ring_of(detached_id(&self->r))) TH_LOG("%s", ok[i].arg);
		snprintf(id, sizeof(id), "%u", detached_id(&self->r));
		SBEXEC("attach", id);
		EXPECT_EQ(6, EXIT_CODE()) TH_LOG("stderr: %s", ERR());
	}
	/* More than max_ring_size (16 MiB by default): the kernel says so. */
	SBEXEC("run", "--ring-size", "64M", "--", "true");
	EXPECT_EQ(125, EXIT_CODE());
	EXPECT_EQ(1U, count_lines(&self->r.err)) TH_LOG("stderr: %s", ERR());
	EXPECT_NE(NULL, strstr(ERR(), "max_ring_size")) TH_LOG("stderr: %s", ERR());
	/* Malformed sizes never reach the kernel. */
	SBEXEC("run", "--ring-size", "0", "--", "true");
	EXPECT_EQ(125, EXIT_CODE());
	EXPECT_NE(NULL, strstr(ERR(), "--ring-size")) TH_LOG("stderr: %s", ERR());
	SBEXEC("run", "--ring-size", "8G", "--", "true");
	EXPECT_EQ(125, EXIT_CODE());
}

TEST_HARNESS_MAIN
