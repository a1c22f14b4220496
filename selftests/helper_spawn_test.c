// SPDX-License-Identifier: GPL-2.0
/*
 * helper_spawn_test - unit tests of sbexec-helper's library: the spawn path
 * itself, as root without the module: pipes, pty, cwd, PATH search, user
 * switch, rlimits, privilege drop, fd hygiene, the FORKED gate and its
 * hook.
 *
 * Needs no module. helper_units.h: what the helper_*_test programs share.
 */

#include "helper_units.h"
#include "kselftest_harness.h"

/* ---- helpers ---- */

/* A request for argv (NULL-ended; argv[0] is the command). */
static void req_init(struct spawn_request *r, const char **argv,
		     const char **env)
{
	memset(r, 0, sizeof(*r));
	r->cmd = argv[0];
	r->argv = argv;
	while (argv[r->argc])
		r->argc++;
	r->env = env;
	while (env && env[r->envc])
		r->envc++;
	r->rows = SPAWN_DEFAULT_ROWS;
	r->cols = SPAWN_DEFAULT_COLS;
}

/* Run a pipe-mode request to completion: stdout in @out, exit code. */
static int run_pipe_as(const struct spawn_request *r, const char *def_user,
		       char *out, size_t size, struct spawn_failure *f)
{
	struct spawn_result res;
	int code;

	if (spawn_session(r, def_user, &res, f))
		return -1;
	close(res.stdin_fd);
	res.stdin_fd = -1;
	read_all(res.stdout_fd, out, size);
	code = wait_exit_code(res.pid);
	spawn_result_close(&res);
	return code;
}

static int run_pipe(const struct spawn_request *r, char *out, size_t size,
		    struct spawn_failure *f)
{
	return run_pipe_as(r, NULL, out, size, f);
}

static int count_fds(void)
{
	char path[64];
	int fd, n = 0;

	for (fd = 0; fd < 1024; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n += access(path, F_OK) == 0;
	}
	return n;
}

/* ---- spawning (needs root, no module) ---- */

TEST(spawn_pipe_end_to_end_via_upcall)
{
	struct upcall_outcome *out = malloc(sizeof(*out));
	struct sbexec_upcall_hdr hdr = { .type = SBEXEC_UP_SPAWN, .id = 5 };
	struct decoded_reply d;
	char buf[256];
	struct msg m;

	ASSERT_NE(NULL, out);
	msg_init(&m);
	attr_buf_reserve(&m.b, sizeof(hdr), NULL);
	attr_put_str(&m.b, SBEXEC_A_CMD, "sh");
	attr_put_str(&m.b, SBEXEC_A_ARG, "-c");
	attr_put_str(&m.b, SBEXEC_A_ARG,
		     "echo out; echo err >&2; read x; echo \"got $x\"; exit 3");
	hdr.len = (uint32_t)m.b.len;
	memcpy(m.buf, &hdr, sizeof(hdr));

	ASSERT_EQ(0, upcall_handle(m.buf, m.b.len, NULL, -1, out));
	ASSERT_TRUE(out->spawned) TH_LOG("%s", out->failure.message);
	ASSERT_EQ(0, decode_reply(out->reply, out->reply_len, &d));
	EXPECT_EQ(5U, d.hdr.id);
	EXPECT_EQ((uint32_t)out->res.pid, d.pid);
	EXPECT_EQ((uint32_t)out->res.stdin_fd, d.in);
	EXPECT_EQ((uint32_t)out->res.stdout_fd, d.out);
	EXPECT_EQ((uint32_t)out->res.stderr_fd, d.err);
	/* Own session and process group. */
	EXPECT_EQ(out->res.pid, getsid(out->res.pid));
	EXPECT_EQ(out->res.pid, getpgid(out->res.pid));
	/* Every helper fd is close-on-exec. */
	EXPECT_EQ(FD_CLOEXEC, fcntl(out->res.stdin_fd, F_GETFD));
	EXPECT_EQ(FD_CLOEXEC, fcntl(out->res.stdout_fd, F_GETFD));
	EXPECT_EQ(FD_CLOEXEC, fcntl(out->res.stderr_fd, F_GETFD));

	ASSERT_EQ(3, write(out->res.stdin_fd, "hi\n", 3));
	close(out->res.stdin_fd);
	out->res.stdin_fd = -1;
	read_all(out->res.stdout_fd, buf, sizeof(buf));
	EXPECT_STREQ("out\ngot hi\n", buf);
	read_all(out->res.stderr_fd, buf, sizeof(buf));
	EXPECT_STREQ("err\n", buf);
	EXPECT_EQ(3, wait_exit_code(out->res.pid));
	spawn_result_close(&out->res);
	free(out);
}

TEST(spawn_env_is_exactly_the_request)
{
	const char *argv[] = { "env", NULL };
	const char *env[] = { "A=1", "B=2", "A=3", NULL };
	struct resolved_user root;
	struct spawn_request r;
	struct spawn_failure f;
	char buf[1024], want[1024];

	if (access("/usr/bin/env", X_OK) && access("/bin/env", X_OK))
		SKIP(return, "no env binary");
	ASSERT_EQ(0, resolve_user_spec("0", &root, &f));
	snprintf(want, sizeof(want), "A=3\nB=2\nPATH=%s\n%s%s%s",
		 SPAWN_DEFAULT_PATH, root.home_dir ? "HOME=" : "",
		 root.home_dir ? root.home_dir : "", root.home_dir ? "\n" : "");
	resolved_user_free(&root);
	req_init(&r, argv, env);
	ASSERT_EQ(0, run_pipe(&r, buf, sizeof(buf), &f)) TH_LOG("%s",
								 f.message);
	EXPECT_STREQ(want, buf);
}

TEST(spawn_not_found_has_no_probe_details)
{
	const char *argv[] = { "/definitely/not/a/real/binary", NULL };
	struct spawn_request r;
	struct spawn_result res;
	struct spawn_failure f;
	int before = count_fds();

	req_init(&r, argv, NULL);
	ASSERT_EQ(-1, spawn_session(&r, NULL, &res, &f));
	EXPECT_EQ((uint32_t)SBEXEC_FAIL_NOT_FOUND, f.kind);
	EXPECT_EQ(ENOENT, f.err);
	EXPECT_STREQ("ENOENT", errno_name(f.err));
	EXPECT_EQ((uint32_t)SBEXEC_STAGE_EXEC, f.stage);
	EXPECT_STREQ("spawn \"/definitely/not/a/real/binary\": No such file or directory",
		     f.message);
	EXPECT_NE(NULL, strstr(f.message, "spawn"));
	EXPECT_NULL(strstr(f.message, "symlink_metadata="));
	EXPECT_NULL(strstr(f.message, "metadata="));
	EXPECT_NULL(strstr(f.message, "magic="));
	EXPECT_NULL(strstr(f.message, "path_probe="));
	EXPECT_NULL(strstr(f.message, "cwd_probe="));
	EXPECT_NULL(strstr(f.message, "target_probe="));
	/* Failed child reaped, no fd left behind. */
	EXPECT_EQ(-1, waitpid(-1, NULL, WNOHANG));
	EXPECT_EQ(ECHILD, errno);
	EXPECT_EQ(before, count_fds());
}

TEST(spawn_path_search)
{
	const char *argv_sh[] = { "sh", "-c", "exit 7", NULL };
	const char *argv_none[] = { "sbexec-no-such-command", NULL };
	struct spawn_request r;
	struct spawn_failure f;
	char buf[64];

	/* Default PATH finds sh. */
	req_init(&r, argv_sh, NULL);
	EXPECT_EQ(7, run_pipe(&r, buf, sizeof(buf), &f)) TH_LOG("%s",
								f.message);
	req_init(&r, argv_none, NULL);
	EXPECT_EQ(-1, run_pipe(&r, buf, sizeof(buf), &f));
	EXPECT_EQ((uint32_t)SBEXEC_FAIL_NOT_FOUND, f.kind);
	EXPECT_STREQ("spawn \"sbexec-no-such-command\": No such file or directory",
		     f.message);
}

TEST(spawn_path_search_eacces_and_enoexec)
{
	char dir[] = "/tmp/sbexec-units-XXXXXX", path[128], envpath[160];
	const char *argv[] = { "tool", NULL };
	const char *env[] = { envpath, NULL };
	struct spawn_request r;
	struct spawn_failure f;
	char buf[64];
	int fd;

	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/tool", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	ASSERT_LE(0, fd);
	ASSERT_EQ(4, write(fd, "junk", 4));
	close(fd);

	/* Not executable, nothing else on PATH: EACCES. */
	snprintf(envpath, sizeof(envpath), "PATH=/nonexistent:%s:/also-not",
		 dir);
	req_init(&r, argv, env);
	EXPECT_EQ(-1, run_pipe(&r, buf, sizeof(buf), &f));
	EXPECT_EQ(EACCES, f.err);
	EXPECT_EQ((uint32_t)SBEXEC_FAIL_PERMISSION_DENIED, f.kind);
	EXPECT_EQ((uint32_t)SBEXEC_STAGE_EXEC, f.stage);

	/* Executable but not a program: ENOEXEC, no /bin/sh retry. */
	ASSERT_EQ(0, chmod(path, 0755));
	EXPECT_EQ(-1, run_pipe(&r, buf, sizeof(buf), &f));
	EXPECT_EQ(ENOEXEC, f.err);
	EXPECT_EQ((uint32_t)SBEXEC_FAIL_NOT_EXECUTABLE, f.kind);

	/* A directory as the command. */
	argv[0] = dir;
	req_init(&r, argv, NULL);
	EXPECT_EQ(-1, run_pipe(&r, buf, sizeof(buf), &f));
	EXPECT_EQ(EACCES, f.err);

	/* Relative command with a '/' runs from the cwd. */
	argv[0] = "./tool";
	req_init(&r, argv, NULL);
	r.cwd = dir;
	EXPECT_EQ(-1, run_pipe(&r, buf, sizeof(buf), &f));
	EXPECT_EQ(ENOEXEC, f.err);

	unlink(path);
	rmdir(dir);
}

TEST(spawn_bad_cwd_in_both_modes)
{
	const char *argv[] = { "/bin/sh", "-c", "true", NULL };
	struct spawn_request r;
	struct spawn_result res;
	struct spawn_failure f;
	int tty;

	for (tty = 0; tty < 2; tty++) {
		req_init(&r, argv, NULL);
		r.tty = tty;
		r.cwd = "/sbexec/no/such/dir";
		ASSERT_EQ(-1, spawn_session(&r, NULL, &res, &f));
		EXPECT_EQ((uint32_t)SBEXEC_FAIL_BAD_CWD, f.kind);
		EXPECT_EQ((uint32_t)SBEXEC_STAGE_CWD, f.stage);
		EXPECT_EQ(ENOENT, f.err);
		EXPECT_STREQ("chdir \"/sbexec/no/such/dir\": No such file or directory",
			     f.message);

		r.cwd = "/etc/passwd";
		ASSERT_EQ(-1, spawn_session(&r, NULL, &res, &f));
		EXPECT_EQ((uint32_t)SBEXEC_FAIL_BAD_CWD, f.kind);
		EXPECT_EQ(ENOTDIR, f.err);
	}
}

TEST(spawn_cwd_default_and_given)
{
	const char *argv[] = { "/bin/sh", "-c", "pwd", NULL };
	struct spawn_request r;
	struct spawn_failure f;
	char buf[256];

	req_init(&r, argv, NULL);
	ASSERT_EQ(0, run_pipe(&r, buf, sizeof(buf), &f));
	EXPECT_STREQ("/\n", buf);
	r.cwd = "/tmp";
	ASSERT_EQ(0, run_pipe(&r, buf, sizeof(buf), &f));
	EXPECT_STREQ("/tmp\n", buf);
}

/* Reads Uid/Gid/Groups/CapEff/CapBnd/NoNewPrivs with shell builtins. */
#define STATUS_SCRIPT \
	"while read k v rest; do case $k in " \
	"Uid:|Gid:|Groups:|CapEff:|CapBnd:|NoNewPrivs:) echo \"$k $v\";; " \
	"esac; done < /proc/self/status"

static bool has_line(const char *buf, const char *line)
{
	size_t n = strlen(line);
	const char *p = buf;

	while ((p = strstr(p, line))) {
		if ((p == buf || p[-1] == '\n') && p[n] == '\n')
			return true;
		p += n;
	}
	return false;
}

static unsigned long long cap_field(const char *buf, const char *key)
{
	const char *p = strstr(buf, key);

	return p ? strtoull(p + strlen(key), NULL, 16) : ~0ULL;
}

TEST(spawn_drops_cap_sys_admin_without_user)
{
	const char *argv[] = { "/bin/sh", "-c", STATUS_SCRIPT, NULL };
	struct spawn_request r;
	struct spawn_failure f;
	char buf[1024];

	if (geteuid())
		SKIP(return, "needs root");
	req_init(&r, argv, NULL);
	ASSERT_EQ(0, run_pipe(&r, buf, sizeof(buf), &f)) TH_LOG("%s",
								 f.message);
	EXPECT_TRUE(has_line(buf, "Uid: 0")) TH_LOG("%s", buf);
	EXPECT_TRUE(has_line(buf, "NoNewPrivs: 1")) TH_LOG("%s", buf);
	EXPECT_EQ(0ULL, cap_field(buf, "CapEff: ") & (1ULL << 21));
	EXPECT_EQ(0ULL, cap_field(buf, "CapBnd: ") & (1ULL << 21));
}

TEST(spawn_switches_to_bare_uid)
{
	const char *argv[] = { "/bin/sh", "-c", STATUS_SCRIPT, NULL };
	struct spawn_request r;
	struct spawn_failure f;
	char spec[64], line[64], buf[1024];
	uid_t uid = unknown_uid();

	if (geteuid())
		SKIP(return, "needs root");
	snprintf(spec, sizeof(spec), "%u:%u", uid, uid);
	req_init(&r, argv, NULL);
	r.user = spec;
	ASSERT_EQ(0, run_pipe(&r, buf, sizeof(buf), &f)) TH_LOG("%s",
								 f.message);
	snprintf(line, sizeof(line), "Uid: %u", uid);
	EXPECT_TRUE(has_line(buf, line)) TH_LOG("%s", buf);
	snprintf(line, sizeof(line), "Gid: %u", uid);
	EXPECT_TRUE(has_line(buf, line)) TH_LOG("%s", buf);
	EXPECT_TRUE(has_line(buf, "Groups: ")) TH_LOG("%s", buf);
	EXPECT_EQ(0ULL, cap_field(buf, "CapEff: "));

	/* The default user applies when the request has none. */
	r.user = NULL;
	ASSERT_EQ(0, run_pipe_as(&r, spec, buf, sizeof(buf), &f));
	snprintf(line, sizeof(line), "Uid: %u", uid);
	EXPECT_TRUE(has_line(buf, line)) TH_LOG("%s", buf);
	/* ...and the request's user wins over it. */
	r.user = "0:0";
	ASSERT_EQ(0, run_pipe_as(&r, spec, buf, sizeof(buf), &f));
	EXPECT_TRUE(has_line(buf, "Uid: 0")) TH_LOG("%s", buf);
}

TEST(spawn_default_user_and_unknown_user)
{
	const char *argv[] = { "/bin/sh", "-c", "echo $HOME", NULL };
	struct spawn_request r;
	struct spawn_result res;
	struct spawn_failure f;
	char buf[256];

	req_init(&r, argv, NULL);
	r.user = "sbexec-no-such-user";
	ASSERT_EQ(-1, spawn_session(&r, NULL, &res, &f));
	EXPECT_EQ((uint32_t)SBEXEC_FAIL_USER_SETUP, f.kind);
	EXPECT_EQ((uint32_t)SBEXEC_STAGE_USER, f.stage);
	EXPECT_STREQ("user: guest user not found: sbexec-no-such-user",
		     f.message);

	/* A bad default user fails only requests that rely on it. */
	r.user = NULL;
	ASSERT_EQ(-1, spawn_session(&r, "sbexec-no-such-user", &res, &f));
	EXPECT_EQ((uint32_t)SBEXEC_FAIL_USER_SETUP, f.kind);
	r.user = "root";
	ASSERT_EQ(0, spawn_session(&r, "sbexec-no-such-user", &res, &f));
	close(res.stdin_fd);
	res.stdin_fd = -1;
	read_all(res.stdout_fd, buf, sizeof(buf));
	EXPECT_EQ(0, wait_exit_code(res.pid));
	spawn_result_close(&res);
}

TEST(spawn_rlimits)
{
	const char *argv[] = { "/bin/sh", "-c",
		"while read l; do case $l in \"Max core file size\"*|"
		"\"Max file size\"*) echo $l;; esac; done < /proc/self/limits",
		NULL };
	struct spawn_request r;
	struct spawn_failure f;
	char buf[256];

	req_init(&r, argv, NULL);
	r.nr_rlimits = 2;
	r.rlimits[0] = (struct spawn_rlimit){ .name = "core",
		.resource = RLIMIT_CORE, .soft = 4096, .hard = 8192 };
	r.rlimits[1] = (struct spawn_rlimit){ .name = "fsize",
		.resource = RLIMIT_FSIZE, .soft = 1 << 20, .hard = ~0ULL };
	ASSERT_EQ(0, run_pipe(&r, buf, sizeof(buf), &f)) TH_LOG("%s",
								 f.message);
	EXPECT_STREQ("Max file size 1048576 unlimited bytes\n"
		     "Max core file size 4096 8192 bytes\n", buf);

	/* Above fs.nr_open even root cannot go. */
	r.nr_rlimits = 1;
	r.rlimits[0] = (struct spawn_rlimit){ .name = "nofile",
		.resource = RLIMIT_NOFILE, .soft = ~0ULL, .hard = ~0ULL };
	ASSERT_EQ(-1, run_pipe(&r, buf, sizeof(buf), &f));
	EXPECT_EQ((uint32_t)SBEXEC_STAGE_RLIMIT, f.stage);
	EXPECT_EQ(EPERM, f.err);
	EXPECT_EQ((uint32_t)SBEXEC_FAIL_PERMISSION_DENIED, f.kind);
	EXPECT_STREQ("setrlimit nofile: Operation not permitted", f.message);
}

TEST(spawn_pty)
{
	const char *argv[] = { "/bin/sh", "-c",
		"[ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo tty; echo $TERM; "
		"stty size 2>/dev/null || echo nostty", NULL };
	struct spawn_request r;
	struct spawn_result res;
	struct spawn_failure f;
	char buf[256];

	req_init(&r, argv, NULL);
	r.tty = true;
	r.rows = 33;
	r.cols = 101;
	ASSERT_EQ(0, spawn_session(&r, NULL, &res, &f)) TH_LOG("%s",
							       f.message);
	EXPECT_EQ(-1, res.stdin_fd);
	EXPECT_EQ(-1, res.stdout_fd);
	EXPECT_EQ(-1, res.stderr_fd);
	ASSERT_LE(0, res.pty_fd);
	EXPECT_EQ(FD_CLOEXEC, fcntl(res.pty_fd, F_GETFD));
	read_all(res.pty_fd, buf, sizeof(buf));
	EXPECT_EQ(0, wait_exit_code(res.pid));
	EXPECT_TRUE(strstr(buf, "tty\r\nxterm-256color\r\n") == buf)
		TH_LOG("%s", buf);
	if (!strstr(buf, "nostty")) {
		EXPECT_NE(NULL, strstr(buf, "33 101\r\n")) TH_LOG("%s", buf);
	}
	spawn_result_close(&res);
}

TEST(spawn_child_state_is_clean)
{
	const char *argv[] = { "/bin/sh", "-c", "read x", NULL };
	struct spawn_request r;
	struct spawn_result res;
	struct spawn_failure f;
	char path[64], status[4096];
	int leak, fd, before, n = 0;
	sigset_t set;
	FILE *fp;

	/* What the helper has: blocked and ignored signals, a stray fd. */
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &set, NULL));
	signal(SIGPIPE, SIG_IGN);
	leak = open("/dev/null", O_RDONLY);	/* no O_CLOEXEC on purpose */
	ASSERT_LE(0, leak);
	before = count_fds();

	req_init(&r, argv, NULL);
	ASSERT_EQ(0, spawn_session(&r, NULL, &res, &f));
	EXPECT_EQ(before + 3, count_fds());
	/*
	 * The child blocks in `read`; look at it from outside, once the
	 * dynamic loader of the new image has closed the files it opens for
	 * a moment (fd 3: ld.so.cache, libc), or after 5 s.
	 */
	snprintf(path, sizeof(path), "/proc/%d/fd", res.pid);
	for (fd = 0; fd < 250; fd++) {
		char p[96];
		int i;

		for (i = 3; i < 64; i++) {
			snprintf(p, sizeof(p), "%s/%d", path, i);
			if (access(p, F_OK) == 0)
				break;
		}
		if (i == 64)
			break;
		usleep(20 * 1000);
	}
	for (fd = 0; fd < 64; fd++) {
		char p[96];

		snprintf(p, sizeof(p), "%s/%d", path, fd);
		if (access(p, F_OK) == 0) {
			EXPECT_GT(3, fd) TH_LOG("child has fd %d", fd);
			n++;
		}
	}
	EXPECT_EQ(3, n);
	snprintf(path, sizeof(path), "/proc/%d/status", res.pid);
	fp = fopen(path, "re");
	ASSERT_NE(NULL, fp);
	status[fread(status, 1, sizeof(status) - 1, fp)] = '\0';
	fclose(fp);
	EXPECT_NE(NULL, strstr(status, "\nSigBlk:\t0000000000000000\n"))
		TH_LOG("%s", status);
	EXPECT_NE(NULL, strstr(status, "\nSigIgn:\t0000000000000000\n"))
		TH_LOG("%s", status);

	spawn_result_close(&res);	/* EOF on stdin ends `read` */
	EXPECT_EQ(before, count_fds());
	EXPECT_EQ(1, wait_exit_code(res.pid));
	close(leak);
}

TEST(spawn_killed_group_on_cancel)
{
	const char *argv[] = { "/bin/sh", "-c", "sleep 30 & echo started; wait",
			       NULL };
	struct spawn_request r;
	struct spawn_result res;
	struct spawn_failure f;
	int status, killed = 0;
	char c;
	pid_t p;

	/* Orphaned grandchildren come back to us, so we can count them. */
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
	/* What the helper does when the reply cannot be delivered. */
	req_init(&r, argv, NULL);
	ASSERT_EQ(0, spawn_session(&r, NULL, &res, &f));
	ASSERT_EQ(1, read(res.stdout_fd, &c, 1));	/* sleep has started */
	ASSERT_EQ(0, kill(-res.pid, SIGKILL));
	while ((p = waitpid(-1, &status, 0)) > 0)
		killed += WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
	EXPECT_EQ(ECHILD, errno);
	EXPECT_EQ(2, killed);
	spawn_result_close(&res);
}

struct hook_rec {
	int ret;		/* what the hook returns */
	pid_t pid;		/* the pid it was given */
	char state;		/* the child's state letter then */
	int calls;
};

static char state_of(pid_t pid)
{
	char path[64], buf[512], *p, st = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fp = fopen(path, "re");
	if (!fp)
		return 0;
	if (fgets(buf, sizeof(buf), fp) && (p = strrchr(buf, ')')))
		st = p[2];
	fclose(fp);
	return st;
}

static int record_hook(void *arg, pid_t pid)
{
	struct hook_rec *h = arg;
	int i;

	h->calls++;
	h->pid = pid;
	/* The child is held at its gate: it sleeps in read(), never execs. */
	for (i = 0; i < 200 && state_of(pid) != 'S'; i++)
		usleep(5000);
	h->state = state_of(pid);
	return h->ret;
}

TEST(spawn_hook_sees_the_child_before_it_runs)
{
	char mark[64], buf[64];
	const char *argv[] = { "/bin/sh", "-c", NULL, NULL };
	char script[128];
	struct hook_rec h = { .ret = 0 };
	struct spawn_hook hook = { .forked = record_hook, .arg = &h };
	struct spawn_request r;
	struct spawn_result res;
	struct spawn_failure f;

	snprintf(mark, sizeof(mark), "/tmp/sbexec-gate-ok.%d", (int)getpid());
	unlink(mark);
	snprintf(script, sizeof(script), "touch %s; echo ran", mark);
	argv[2] = script;
	req_init(&r, argv, NULL);
	ASSERT_EQ(0, spawn_session_hooked(&r, NULL, &hook, &res, &f))
		TH_LOG("%s", f.message);
	EXPECT_EQ(1, h.calls);
	EXPECT_EQ(res.pid, h.pid);
	EXPECT_EQ('S', h.state);
	read_all(res.stdout_fd, buf, sizeof(buf));
	EXPECT_STREQ("ran\n", buf);
	EXPECT_EQ(0, wait_exit_code(res.pid));
	EXPECT_EQ(0, access(mark, F_OK));
	unlink(mark);
	spawn_result_close(&res);
}

TEST(spawn_hook_refusal_means_nothing_runs)
{
	char mark[64], script[128];
	const char *argv[] = { "/bin/sh", "-c", NULL, NULL };
	struct hook_rec h = { .ret = -ENOENT };
	struct spawn_hook hook = { .forked = record_hook, .arg = &h };
	struct spawn_request r;
	struct spawn_result res;
	struct spawn_failure f;
	int before = count_fds();

	snprintf(mark, sizeof(mark), "/tmp/sbexec-gate-no.%d", (int)getpid());
	unlink(mark);
	snprintf(script, sizeof(script), "touch %s", mark);
	argv[2] = script;
	req_init(&r, argv, NULL);
	ASSERT_EQ(-1, spawn_session_hooked(&r, NULL, &hook, &res, &f));
	EXPECT_EQ(1, h.calls);
	EXPECT_EQ((uint32_t)SBEXEC_STAGE_UPCALL, f.stage);
	EXPECT_EQ(ENOENT, f.err);
	EXPECT_EQ((uint32_t)SBEXEC_FAIL_OTHER, f.kind);
	EXPECT_NE(NULL, strstr(f.message, "the module did not take the child"))
		TH_LOG("%s", f.message);
	/* Reaped already, never executed, no fd left behind. */
	EXPECT_EQ(-1, kill(h.pid, 0));
	EXPECT_NE(0, access(mark, F_OK));
	EXPECT_EQ(before, count_fds());
	EXPECT_EQ(-1, res.pid);
}

/* A hook that says which child it got, waits for it at its gate, and dies. */
static int die_in_hook(void *arg, pid_t pid)
{
	int fd = *(int *)arg, i;

	for (i = 0; i < 200 && state_of(pid) != 'S'; i++)
		usleep(5000);
	if (write(fd, &pid, sizeof(pid)) != (ssize_t)sizeof(pid))
		_exit(4);
	raise(SIGKILL);
	return 0;
}

/* The helper dies in its hook: the child sees the gate close and exits. */
TEST(spawn_gate_closes_when_the_helper_dies)
{
	char mark[64], script[128];
	pid_t helper, child;
	int p[2], st;

	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
	ASSERT_EQ(0, pipe(p));
	snprintf(mark, sizeof(mark), "/tmp/sbexec-gate-dead.%d", (int)getpid());
	unlink(mark);
	snprintf(script, sizeof(script), "touch %s", mark);
	helper = fork();
	ASSERT_LE(0, helper);
	if (helper == 0) {
		const char *argv[] = { "/bin/sh", "-c", script, NULL };
		struct spawn_hook hook = { .forked = die_in_hook, .arg = &p[1] };
		struct spawn_request r;
		struct spawn_result res;
		struct spawn_failure f;

		close(p[0]);
		req_init(&r, argv, NULL);
		spawn_session_hooked(&r, NULL, &hook, &res, &f);
		_exit(3);
	}
	close(p[1]);
	ASSERT_EQ((ssize_t)sizeof(child), read(p[0], &child, sizeof(child)));
	close(p[0]);
	ASSERT_EQ(helper, waitpid(helper, &st, 0));
	EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	/* The orphan comes to us (subreaper) having run nothing. */
	ASSERT_EQ(child, waitpid(child, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 127);
	EXPECT_NE(0, access(mark, F_OK));
	unlink(mark);
}

TEST_HARNESS_MAIN
