// SPDX-License-Identifier: GPL-2.0
/*
 * helper_units_test - unit tests of sbexec-helper's library.
 *
 * Needs no module: the pure parts (errno classification and names, user
 * resolution, environment and PATH candidates, the attribute parser and
 * encoder, request parsing, reply encoding) and the spawn path itself
 * (pipes, pty, cwd, user switch, rlimits, privilege drop, fd hygiene) run
 * on any Linux host as root.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "../user/helper/attr.h"
#include "../user/helper/env.h"
#include "../user/helper/failure.h"
#include "../user/helper/helper.h"
#include "../user/helper/request.h"
#include "../user/helper/spawn.h"
#include "../user/helper/upcall.h"
#include "../user/helper/user.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ---- */

static size_t strv_len(char **v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

/* Read @fd to EOF (or EIO, as a pty master gives) into @buf. */
static size_t read_all(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len + 1 < size) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return len;
}

static int wait_exit_code(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

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

/* A uid and a gid that have no passwd/group entry. */
static uid_t unknown_uid(void)
{
	uid_t uid = 4000001;

	while (getpwuid(uid))
		uid++;
	return uid;
}

/* ---- classification ---- */

TEST(classify_spawn_errno_rows)
{
	static const struct { int err; uint32_t kind; } rows[] = {
		{ ENOENT, SBEXEC_FAIL_NOT_FOUND },
		{ ENOTDIR, SBEXEC_FAIL_BAD_CWD },
		{ EACCES, SBEXEC_FAIL_PERMISSION_DENIED },
		{ EPERM, SBEXEC_FAIL_PERMISSION_DENIED },
		{ ENOEXEC, SBEXEC_FAIL_NOT_EXECUTABLE },
		{ EISDIR, SBEXEC_FAIL_NOT_EXECUTABLE },
		{ ETXTBSY, SBEXEC_FAIL_NOT_EXECUTABLE },
		{ E2BIG, SBEXEC_FAIL_BAD_ARGS },
		{ ELOOP, SBEXEC_FAIL_BAD_ARGS },
		{ ENAMETOOLONG, SBEXEC_FAIL_BAD_ARGS },
		{ EFAULT, SBEXEC_FAIL_BAD_ARGS },
		{ EMFILE, SBEXEC_FAIL_RESOURCE_LIMIT },
		{ ENFILE, SBEXEC_FAIL_RESOURCE_LIMIT },
		{ EAGAIN, SBEXEC_FAIL_RESOURCE_LIMIT },
		{ ENOMEM, SBEXEC_FAIL_OUT_OF_MEMORY },
		{ EINVAL, SBEXEC_FAIL_OTHER },
		{ EIO, SBEXEC_FAIL_OTHER },
		{ ESRCH, SBEXEC_FAIL_OTHER },
		{ 0, SBEXEC_FAIL_OTHER },
	};
	size_t i;

	for (i = 0; i < ARRAY_LEN(rows); i++) {
		EXPECT_EQ(rows[i].kind, classify_spawn_errno(rows[i].err))
			TH_LOG("errno %d", rows[i].err);
	}
}

TEST(classify_failure_by_stage)
{
	EXPECT_EQ((uint32_t)SBEXEC_FAIL_BAD_CWD,
		  classify_failure(SBEXEC_STAGE_CWD, ENOENT));
	EXPECT_EQ((uint32_t)SBEXEC_FAIL_BAD_CWD,
		  classify_failure(SBEXEC_STAGE_CWD, EACCES));
	EXPECT_EQ((uint32_t)SBEXEC_FAIL_USER_SETUP,
		  classify_failure(SBEXEC_STAGE_USER, EPERM));
	EXPECT_EQ((uint32_t)SBEXEC_FAIL_USER_SETUP,
		  classify_failure(SBEXEC_STAGE_USER, 0));
	EXPECT_EQ((uint32_t)SBEXEC_FAIL_PTY_SETUP,
		  classify_failure(SBEXEC_STAGE_PTY, ENOMEM));
	EXPECT_EQ((uint32_t)SBEXEC_FAIL_PERMISSION_DENIED,
		  classify_failure(SBEXEC_STAGE_RLIMIT, EPERM));
	EXPECT_EQ((uint32_t)SBEXEC_FAIL_RESOURCE_LIMIT,
		  classify_failure(SBEXEC_STAGE_FORK, EAGAIN));
	EXPECT_EQ((uint32_t)SBEXEC_FAIL_PERMISSION_DENIED,
		  classify_failure(SBEXEC_STAGE_PRIVILEGES, EPERM));
	EXPECT_EQ((uint32_t)SBEXEC_FAIL_NOT_FOUND,
		  classify_failure(SBEXEC_STAGE_EXEC, ENOENT));
}

TEST(errno_names)
{
	static const struct { int err; const char *name; } rows[] = {
		{ E2BIG, "E2BIG" }, { EACCES, "EACCES" },
		{ EAGAIN, "EAGAIN" }, { EBUSY, "EBUSY" },
		{ EFAULT, "EFAULT" }, { EINVAL, "EINVAL" },
		{ EIO, "EIO" }, { EISDIR, "EISDIR" },
		{ ELOOP, "ELOOP" }, { EMFILE, "EMFILE" },
		{ ENAMETOOLONG, "ENAMETOOLONG" }, { ENFILE, "ENFILE" },
		{ ENOENT, "ENOENT" }, { ENOEXEC, "ENOEXEC" },
		{ ENOMEM, "ENOMEM" }, { ENOSYS, "ENOSYS" },
		{ ENOTDIR, "ENOTDIR" }, { ENXIO, "ENXIO" },
		{ EPERM, "EPERM" }, { ETXTBSY, "ETXTBSY" },
	};
	size_t i;

	for (i = 0; i < ARRAY_LEN(rows); i++) {
		const char *name = errno_name(rows[i].err);

		ASSERT_NE(NULL, name) TH_LOG("errno %d", rows[i].err);
		EXPECT_STREQ(rows[i].name, name);
		EXPECT_GE(SBEXEC_MAX_ERRNO_NAME_LEN, (int)strlen(name));
	}
	EXPECT_NULL(errno_name(0));
	EXPECT_NULL(errno_name(ESRCH));
	EXPECT_NULL(errno_name(EINTR));
	EXPECT_NULL(errno_name(-1));
	EXPECT_NULL(errno_name(100000));
}

TEST(quote_str_escapes_and_truncates)
{
	char buf[16];

	quote_str(buf, sizeof(buf), "a\"b\\c\n");
	EXPECT_STREQ("\"a\\\"b\\\\c\\x0a\"", buf);
	quote_str(buf, sizeof(buf), "abcdefghijklmnopqrstuvwxyz");
	EXPECT_STREQ("\"abcdefghij...\"", buf);
	EXPECT_EQ(15, (int)strlen(buf));
	quote_str(buf, sizeof(buf), "");
	EXPECT_STREQ("\"\"", buf);
}

TEST(failure_message_is_bounded)
{
	struct spawn_failure f;
	char big[2000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	failure_set(&f, SBEXEC_STAGE_EXEC, ENOENT, "spawn %s", big);
	EXPECT_EQ(SBEXEC_MAX_MESSAGE_LEN, (int)strlen(f.message));
	EXPECT_EQ((uint32_t)SBEXEC_FAIL_NOT_FOUND, f.kind);
	EXPECT_EQ((uint32_t)SBEXEC_STAGE_EXEC, f.stage);
}

/* ---- users (the reference agent's tests, and its error strings) ---- */

TEST(resolve_user_spec_for_current_uid_gid)
{
	struct resolved_user u;
	struct spawn_failure f;
	char spec[64];

	snprintf(spec, sizeof(spec), "%u:%u", getuid(), getgid());
	ASSERT_EQ(0, resolve_user_spec(spec, &u, &f)) TH_LOG("%s", f.message);
	EXPECT_EQ(getuid(), u.uid);
	EXPECT_EQ(getgid(), u.gid);
	resolved_user_free(&u);
}

TEST(request_user_overrides_config_default)
{
	struct resolved_user u;
	struct spawn_failure f;

	ASSERT_EQ(1, resolve_requested_user("1:1", "0:0", &u, &f));
	EXPECT_EQ(1U, u.uid);
	EXPECT_EQ(1U, u.gid);
	resolved_user_free(&u);
}

TEST(config_default_user_used_when_request_has_none)
{
	struct resolved_user u;
	struct spawn_failure f;
	char spec[64];

	snprintf(spec, sizeof(spec), "%u:%u", getuid(), getgid());
	ASSERT_EQ(1, resolve_requested_user(NULL, spec, &u, &f));
	EXPECT_EQ(getuid(), u.uid);
	EXPECT_EQ(getgid(), u.gid);
	resolved_user_free(&u);
	/* A blank request user counts as absent. */
	ASSERT_EQ(1, resolve_requested_user("  ", spec, &u, &f));
	EXPECT_EQ(getuid(), u.uid);
	resolved_user_free(&u);
}

TEST(request_without_user_does_not_apply_user_switch)
{
	struct resolved_user u;
	struct spawn_failure f;

	EXPECT_EQ(0, resolve_requested_user(NULL, NULL, &u, &f));
	EXPECT_EQ(0, resolve_requested_user("", " \t", &u, &f));
}

TEST(default_user_absent_resolves_to_root)
{
	struct spawn_failure f;
	uid_t uid = 1;
	gid_t gid = 1;

	ASSERT_EQ(0, resolve_default_user(NULL, &uid, &gid, &f));
	EXPECT_EQ(0U, uid);
	EXPECT_EQ(0U, gid);
	uid = gid = 1;
	ASSERT_EQ(0, resolve_default_user("   ", &uid, &gid, &f));
	EXPECT_EQ(0U, uid);
	EXPECT_EQ(0U, gid);
}

TEST(default_home_dir_uses_resolved_user_home)
{
	struct resolved_user u = { .uid = 1000, .gid = 1000,
				   .home_dir = (char *)"/home/tester" };
	struct spawn_failure f;
	char *home;

	ASSERT_EQ(0, default_home_dir(NULL, &u, &home, &f));
	ASSERT_NE(NULL, home);
	EXPECT_STREQ("/home/tester", home);
	free(home);
}

TEST(default_home_dir_uses_root_when_user_absent)
{
	struct resolved_user root;
	struct spawn_failure f;
	char *home;

	ASSERT_EQ(0, resolve_user_spec(DEFAULT_USER_SPEC, &root, &f));
	ASSERT_EQ(0, default_home_dir(NULL, NULL, &home, &f));
	if (root.home_dir) {
		ASSERT_NE(NULL, home);
		EXPECT_STREQ(root.home_dir, home);
	} else {
		EXPECT_NULL(home);
	}
	free(home);
	resolved_user_free(&root);
}

TEST(default_home_dir_respects_explicit_home_env)
{
	const char *env[] = { "HOME=/tmp/custom", NULL };
	struct resolved_user u = { .uid = 1000, .gid = 1000,
				   .home_dir = (char *)"/home/tester" };
	struct spawn_failure f;
	char *home = (char *)"x";

	ASSERT_EQ(0, default_home_dir(env, &u, &home, &f));
	EXPECT_NULL(home);
}

TEST(user_spec_errors)
{
	static const struct { const char *spec, *msg; } rows[] = {
		{ "", "user: user spec has empty user" },
		{ "  ", "user: user spec has empty user" },
		{ ":0", "user: user spec has empty user" },
		{ " :root", "user: user spec has empty user" },
		{ "0:", "user: user spec has empty group" },
		{ "root: ", "user: user spec has empty group" },
		{ "sbexec-no-such-user",
		  "user: guest user not found: sbexec-no-such-user" },
		{ " sbexec-no-such-user : 0 ",
		  "user: guest user not found: sbexec-no-such-user" },
		{ "4294967296", "user: guest user not found: 4294967296" },
		{ "0:sbexec-no-such-group",
		  "user: guest group not found: sbexec-no-such-group" },
	};
	struct resolved_user u;
	struct spawn_failure f;
	size_t i;

	for (i = 0; i < ARRAY_LEN(rows); i++) {
		memset(&f, 0, sizeof(f));
		EXPECT_EQ(-1, resolve_user_spec(rows[i].spec, &u, &f))
			TH_LOG("spec \"%s\"", rows[i].spec);
		EXPECT_STREQ(rows[i].msg, f.message);
		EXPECT_EQ((uint32_t)SBEXEC_FAIL_USER_SETUP, f.kind);
		EXPECT_EQ((uint32_t)SBEXEC_STAGE_USER, f.stage);
		EXPECT_EQ(0, f.err);
	}
}

TEST(user_spec_forms)
{
	struct resolved_user u;
	struct spawn_failure f;
	uid_t nouid = unknown_uid();
	char spec[64];

	ASSERT_EQ(0, resolve_user_spec(" root ", &u, &f));
	EXPECT_EQ(0U, u.uid);
	EXPECT_EQ(0U, u.gid);
	ASSERT_NE(NULL, u.name);
	EXPECT_STREQ("root", u.name);
	resolved_user_free(&u);

	ASSERT_EQ(0, resolve_user_spec("root : 5", &u, &f));
	EXPECT_EQ(5U, u.gid);
	resolved_user_free(&u);

	ASSERT_EQ(0, resolve_user_spec("+0:root", &u, &f)) TH_LOG("%s",
								  f.message);
	EXPECT_EQ(0U, u.uid);
	EXPECT_EQ(0U, u.gid);
	resolved_user_free(&u);

	/* A bare uid without a passwd entry: helper's gid, no groups. */
	snprintf(spec, sizeof(spec), "%u", nouid);
	ASSERT_EQ(0, resolve_user_spec(spec, &u, &f));
	EXPECT_EQ(nouid, u.uid);
	EXPECT_EQ(getgid(), u.gid);
	EXPECT_NULL(u.name);
	EXPECT_NULL(u.home_dir);
	ASSERT_EQ(0, resolved_user_load_groups(&u, &f));
	EXPECT_EQ(0U, u.ngroups);
	resolved_user_free(&u);

	snprintf(spec, sizeof(spec), "%u:%u", nouid, nouid);
	ASSERT_EQ(0, resolve_user_spec(spec, &u, &f));
	EXPECT_EQ(nouid, u.gid);
	resolved_user_free(&u);
}

TEST(user_groups_include_primary_gid)
{
	struct resolved_user u;
	struct spawn_failure f;
	bool found = false;
	size_t i;

	ASSERT_EQ(0, resolve_user_spec("root", &u, &f));
	ASSERT_EQ(0, resolved_user_load_groups(&u, &f));
	ASSERT_LT(0U, u.ngroups);
	for (i = 0; i < u.ngroups; i++)
		found |= u.groups[i] == 0;
	EXPECT_TRUE(found);
	resolved_user_free(&u);
}

/* ---- environment and command candidates ---- */

TEST(env_default_path_and_nothing_else)
{
	char **e = env_build(NULL, NULL, false);

	ASSERT_NE(NULL, e);
	ASSERT_EQ(1U, strv_len(e));
	EXPECT_STREQ("PATH=" SPAWN_DEFAULT_PATH, e[0]);
	env_free(e);
}

TEST(env_duplicates_path_home_term)
{
	const char *env[] = { "A=1", "B=2", "A=3", "PATH=/x", "EMPTY=",
			      NULL };
	char **e = env_build(env, "/home/u", true);

	ASSERT_NE(NULL, e);
	ASSERT_EQ(6U, strv_len(e));
	EXPECT_STREQ("A=3", e[0]);
	EXPECT_STREQ("B=2", e[1]);
	EXPECT_STREQ("PATH=/x", e[2]);
	EXPECT_STREQ("EMPTY=", e[3]);
	EXPECT_STREQ("HOME=/home/u", e[4]);
	EXPECT_STREQ("TERM=" SPAWN_DEFAULT_TERM, e[5]);
	env_free(e);
}

TEST(env_request_home_and_term_win)
{
	const char *env[] = { "TERM=dumb", "HOME=/h", NULL };
	char **e = env_build(env, "/ignored", true);

	ASSERT_NE(NULL, e);
	ASSERT_EQ(3U, strv_len(e));
	EXPECT_STREQ("TERM=dumb", e[0]);
	EXPECT_STREQ("HOME=/h", e[1]);
	EXPECT_STREQ("PATH=" SPAWN_DEFAULT_PATH, e[2]);
	env_free(e);
}

TEST(env_no_term_without_tty)
{
	const char *env[] = { "X=1", NULL };
	char **e = env_build(env, NULL, false);

	ASSERT_NE(NULL, e);
	ASSERT_EQ(2U, strv_len(e));
	EXPECT_STREQ("X=1", e[0]);
	EXPECT_STREQ("PATH=" SPAWN_DEFAULT_PATH, e[1]);
	EXPECT_NULL(env_get((const char *const *)e, "TERM"));
	env_free(e);
}

TEST(env_get_last_wins)
{
	const char *env[] = { "PATH=/a", "PATHX=/b", "PATH=/c", NULL };

	EXPECT_STREQ("/c", env_get(env, "PATH"));
	EXPECT_STREQ("/b", env_get(env, "PATHX"));
	EXPECT_NULL(env_get(env, "PAT"));
	EXPECT_NULL(env_get(NULL, "PATH"));
}

TEST(cmd_candidates_like_execvp)
{
	char **c;

	c = cmd_candidates("/bin/sh", "/a:/b");
	ASSERT_NE(NULL, c);
	ASSERT_EQ(1U, strv_len(c));
	EXPECT_STREQ("/bin/sh", c[0]);
	cmd_candidates_free(c);

	c = cmd_candidates("./run", NULL);
	ASSERT_EQ(1U, strv_len(c));
	EXPECT_STREQ("./run", c[0]);
	cmd_candidates_free(c);

	c = cmd_candidates("ls", "/a::/b:");
	ASSERT_EQ(4U, strv_len(c));
	EXPECT_STREQ("/a/ls", c[0]);
	EXPECT_STREQ("ls", c[1]);
	EXPECT_STREQ("/b/ls", c[2]);
	EXPECT_STREQ("ls", c[3]);
	cmd_candidates_free(c);

	c = cmd_candidates("ls", NULL);
	ASSERT_EQ(6U, strv_len(c));
	EXPECT_STREQ("/usr/local/sbin/ls", c[0]);
	EXPECT_STREQ("/bin/ls", c[5]);
	cmd_candidates_free(c);

	c = cmd_candidates("", NULL);
	ASSERT_NE(NULL, c);
	EXPECT_EQ(0U, strv_len(c));
	cmd_candidates_free(c);
}

/* ---- attribute parser and encoder ---- */

TEST(attr_roundtrip)
{
	unsigned char buf[256];
	const struct nlattr *a, *x;
	struct attr_buf b;
	struct attr_iter it, in;
	const char *s;
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;
	long nest;

	attr_buf_init(&b, buf, sizeof(buf));
	ASSERT_EQ(0, attr_put_str(&b, 1, "abc"));
	ASSERT_EQ(0, attr_put_u16(&b, 2, 7));
	nest = attr_nest_start(&b, 3);
	ASSERT_LE(0, nest);
	ASSERT_EQ(0, attr_put_u64(&b, 4, ~0ULL));
	ASSERT_EQ(0, attr_nest_end(&b, nest));
	ASSERT_EQ(0, attr_put_flag(&b, 5));
	ASSERT_EQ(0, attr_put_u32(&b, 6, 42));
	EXPECT_EQ(0U, b.len % NLA_ALIGNTO);

	attr_iter_init(&it, buf, b.len);
	ASSERT_EQ(1, attr_next(&it, &a));
	EXPECT_EQ(1, attr_type(a));
	ASSERT_EQ(0, attr_get_str(a, 3, &s));
	EXPECT_STREQ("abc", s);
	EXPECT_EQ(-E2BIG, attr_get_str(a, 2, &s));
	ASSERT_EQ(1, attr_next(&it, &a));
	ASSERT_EQ(0, attr_get_u16(a, &v16));
	EXPECT_EQ(7, v16);
	EXPECT_EQ(-EINVAL, attr_get_u32(a, &v32));
	ASSERT_EQ(1, attr_next(&it, &a));
	EXPECT_EQ(3, attr_type(a));
	EXPECT_TRUE(a->nla_type & NLA_F_NESTED);
	attr_iter_nested(&in, a);
	ASSERT_EQ(1, attr_next(&in, &x));
	ASSERT_EQ(0, attr_get_u64(x, &v64));
	EXPECT_EQ(~0ULL, v64);
	EXPECT_EQ(0, attr_next(&in, &x));
	ASSERT_EQ(1, attr_next(&it, &a));
	EXPECT_EQ(0, attr_get_flag(a));
	ASSERT_EQ(1, attr_next(&it, &a));
	ASSERT_EQ(0, attr_get_u32(a, &v32));
	EXPECT_EQ(42U, v32);
	EXPECT_EQ(0, attr_next(&it, &a));
}

TEST(attr_parser_rejects_truncated_and_overlong)
{
	unsigned char buf[64];
	const struct nlattr *a;
	struct attr_iter it, in;
	struct nlattr h;
	struct attr_buf b;
	long nest;

	/* Header cut short. */
	memset(buf, 0, sizeof(buf));
	attr_iter_init(&it, buf, 2);
	EXPECT_EQ(-EINVAL, attr_next(&it, &a));

	/* Length below the header size (would loop forever if accepted). */
	h.nla_len = 2;
	h.nla_type = 1;
	memcpy(buf, &h, sizeof(h));
	attr_iter_init(&it, buf, 8);
	EXPECT_EQ(-EINVAL, attr_next(&it, &a));

	/* Length beyond the container. */
	h.nla_len = 12;
	memcpy(buf, &h, sizeof(h));
	attr_iter_init(&it, buf, 8);
	EXPECT_EQ(-EINVAL, attr_next(&it, &a));

	/* The last attribute may lack its padding... */
	h.nla_len = 5;
	memcpy(buf, &h, sizeof(h));
	attr_iter_init(&it, buf, 5);
	EXPECT_EQ(1, attr_next(&it, &a));
	EXPECT_EQ(0, attr_next(&it, &a));

	/* ...but stray bytes after a whole attribute are an error. */
	attr_buf_init(&b, buf, sizeof(buf));
	ASSERT_EQ(0, attr_put_u32(&b, 1, 1));
	attr_iter_init(&it, buf, b.len + 3);
	EXPECT_EQ(1, attr_next(&it, &a));
	EXPECT_EQ(-EINVAL, attr_next(&it, &a));

	/* A nest whose inner attribute overruns the nest. */
	attr_buf_init(&b, buf, sizeof(buf));
	nest = attr_nest_start(&b, 1);
	ASSERT_EQ(0, attr_put_u32(&b, 2, 5));
	ASSERT_EQ(0, attr_nest_end(&b, nest));
	h.nla_len = 9;		/* inner claims 5 payload bytes */
	h.nla_type = 2;
	memcpy(buf + NLA_HDRLEN, &h, sizeof(h));
	attr_iter_init(&it, buf, b.len);
	ASSERT_EQ(1, attr_next(&it, &a));
	attr_iter_nested(&in, a);
	EXPECT_EQ(-EINVAL, attr_next(&in, &a));
}

TEST(attr_string_rules)
{
	unsigned char buf[64];
	const struct nlattr *a;
	struct attr_buf b;
	struct attr_iter it;
	const char *s;

	attr_buf_init(&b, buf, sizeof(buf));
	ASSERT_EQ(0, attr_put(&b, 1, "abc", 3));	/* no NUL */
	ASSERT_EQ(0, attr_put(&b, 1, "a\0b", 4));	/* embedded NUL */
	ASSERT_EQ(0, attr_put(&b, 1, NULL, 0));		/* empty */
	ASSERT_EQ(0, attr_put(&b, 1, "", 1));		/* "" */
	attr_iter_init(&it, buf, b.len);
	ASSERT_EQ(1, attr_next(&it, &a));
	EXPECT_EQ(-EINVAL, attr_get_str(a, 100, &s));
	ASSERT_EQ(1, attr_next(&it, &a));
	EXPECT_EQ(-EINVAL, attr_get_str(a, 100, &s));
	ASSERT_EQ(1, attr_next(&it, &a));
	EXPECT_EQ(-EINVAL, attr_get_str(a, 100, &s));
	EXPECT_EQ(0, attr_get_flag(a));
	ASSERT_EQ(1, attr_next(&it, &a));
	EXPECT_EQ(0, attr_get_str(a, 100, &s));
	EXPECT_STREQ("", s);
	EXPECT_EQ(-EINVAL, attr_get_flag(a));
}

TEST(attr_writer_never_overruns)
{
	unsigned char buf[16];
	struct attr_buf b;

	attr_buf_init(&b, buf, sizeof(buf));
	ASSERT_EQ(0, attr_put_u64(&b, 1, 1));		/* 12 bytes */
	EXPECT_EQ(-EMSGSIZE, attr_put_u32(&b, 2, 1));	/* needs 8 */
	EXPECT_EQ(12U, b.len);
	ASSERT_EQ(0, attr_put_flag(&b, 3));
	EXPECT_EQ(16U, b.len);
	EXPECT_EQ(-EMSGSIZE, attr_nest_start(&b, 4));
}

/* ---- request parsing ---- */

struct msg {
	unsigned char buf[8192];
	struct attr_buf b;
};

static void msg_init(struct msg *m)
{
	attr_buf_init(&m->b, m->buf, sizeof(m->buf));
}

static void put_rlimit(struct msg *m, const char *name, uint64_t soft,
		       uint64_t hard)
{
	long n = attr_nest_start(&m->b, SBEXEC_A_RLIMIT);

	attr_put_str(&m->b, SBEXEC_RLIMIT_A_NAME, name);
	attr_put_u64(&m->b, SBEXEC_RLIMIT_A_SOFT, soft);
	attr_put_u64(&m->b, SBEXEC_RLIMIT_A_HARD, hard);
	attr_nest_end(&m->b, n);
}

TEST(request_parse_full)
{
	struct spawn_request r;
	struct spawn_failure f;
	struct msg m;

	msg_init(&m);
	attr_put_str(&m.b, SBEXEC_A_ENV, "A=1");
	attr_put_str(&m.b, SBEXEC_A_CMD, "/bin/echo");
	attr_put_str(&m.b, SBEXEC_A_ARG, "one");
	attr_put_str(&m.b, SBEXEC_A_ARG, "");
	attr_put_str(&m.b, SBEXEC_A_ARG, "three");
	attr_put_str(&m.b, SBEXEC_A_ENV, "B=x=y");
	attr_put_str(&m.b, SBEXEC_A_CWD, "/tmp");
	attr_put_str(&m.b, SBEXEC_A_USER, "nobody");
	attr_put_flag(&m.b, SBEXEC_A_TTY);
	attr_put_u16(&m.b, SBEXEC_A_ROWS, 50);
	attr_put_u16(&m.b, SBEXEC_A_COLS, 132);
	put_rlimit(&m, "nofile", 10, 20);
	put_rlimit(&m, "core", 0, ~0ULL);
	attr_put_u32(&m.b, SBEXEC_A_FLAGS, 0);
	attr_put_u32(&m.b, 200, 0);		/* unknown: skipped */

	ASSERT_EQ(0, spawn_request_parse(&r, m.buf, m.b.len, &f))
		TH_LOG("%s", f.message);
	EXPECT_STREQ("/bin/echo", r.cmd);
	ASSERT_EQ(4U, r.argc);
	EXPECT_STREQ("/bin/echo", r.argv[0]);
	EXPECT_STREQ("one", r.argv[1]);
	EXPECT_STREQ("", r.argv[2]);
	EXPECT_STREQ("three", r.argv[3]);
	EXPECT_NULL(r.argv[4]);
	ASSERT_EQ(2U, r.envc);
	EXPECT_STREQ("A=1", r.env[0]);
	EXPECT_STREQ("B=x=y", r.env[1]);
	EXPECT_NULL(r.env[2]);
	EXPECT_STREQ("/tmp", r.cwd);
	EXPECT_STREQ("nobody", r.user);
	EXPECT_TRUE(r.tty);
	EXPECT_EQ(50, r.rows);
	EXPECT_EQ(132, r.cols);
	ASSERT_EQ(2U, r.nr_rlimits);
	EXPECT_STREQ("nofile", r.rlimits[0].name);
	EXPECT_EQ(RLIMIT_NOFILE, r.rlimits[0].resource);
	EXPECT_EQ(10U, r.rlimits[0].soft);
	EXPECT_EQ(20U, r.rlimits[0].hard);
	EXPECT_EQ(RLIMIT_CORE, r.rlimits[1].resource);
	EXPECT_EQ(~0ULL, r.rlimits[1].hard);
	spawn_request_free(&r);
}

TEST(request_parse_defaults)
{
	struct spawn_request r;
	struct spawn_failure f;
	struct msg m;

	msg_init(&m);
	attr_put_str(&m.b, SBEXEC_A_CMD, "true");
	attr_put_u16(&m.b, SBEXEC_A_ROWS, 0);
	ASSERT_EQ(0, spawn_request_parse(&r, m.buf, m.b.len, &f));
	EXPECT_EQ(1U, r.argc);
	EXPECT_EQ(0U, r.envc);
	EXPECT_NULL(r.env[0]);
	EXPECT_NULL(r.cwd);
	EXPECT_NULL(r.user);
	EXPECT_FALSE(r.tty);
	EXPECT_EQ(SPAWN_DEFAULT_ROWS, r.rows);
	EXPECT_EQ(SPAWN_DEFAULT_COLS, r.cols);
	spawn_request_free(&r);
}

/* Each case builds a bad request; all must fail cleanly. */
static void bad_request(struct __test_metadata *_metadata, struct msg *m,
			uint32_t stage, const char *needle)
{
	struct spawn_request r;
	struct spawn_failure f;

	memset(&f, 0, sizeof(f));
	ASSERT_NE(0, spawn_request_parse(&r, m->buf, m->b.len, &f));
	EXPECT_EQ(stage, f.stage);
	EXPECT_NE(NULL, strstr(f.message, needle)) TH_LOG("%s", f.message);
	EXPECT_NULL(r.argv);
	EXPECT_NULL(r.env);
}

TEST(request_parse_rejects)
{
	struct msg m;
	int i;

	msg_init(&m);
	attr_put_str(&m.b, SBEXEC_A_ARG, "x");
	bad_request(_metadata, &m, SBEXEC_STAGE_UPCALL, "no command");

	msg_init(&m);
	attr_put_str(&m.b, SBEXEC_A_CMD, "a");
	attr_put_str(&m.b, SBEXEC_A_CMD, "b");
	bad_request(_metadata, &m, SBEXEC_STAGE_UPCALL, "duplicate command");

	msg_init(&m);
	attr_put_str(&m.b, SBEXEC_A_CMD, "");
	bad_request(_metadata, &m, SBEXEC_STAGE_UPCALL, "bad command");

	msg_init(&m);
	attr_put_str(&m.b, SBEXEC_A_CMD, "a");
	attr_put_str(&m.b, SBEXEC_A_ENV, "NOEQUALS");
	bad_request(_metadata, &m, SBEXEC_STAGE_UPCALL, "KEY=VALUE");

	msg_init(&m);
	attr_put_str(&m.b, SBEXEC_A_CMD, "a");
	attr_put_str(&m.b, SBEXEC_A_ENV, "=v");
	bad_request(_metadata, &m, SBEXEC_STAGE_UPCALL, "KEY=VALUE");

	msg_init(&m);
	attr_put_str(&m.b, SBEXEC_A_CMD, "a");
	attr_put_u32(&m.b, SBEXEC_A_ROWS, 24);
	bad_request(_metadata, &m, SBEXEC_STAGE_UPCALL, "bad rows");

	msg_init(&m);
	attr_put_str(&m.b, SBEXEC_A_CMD, "a");
	attr_put_u32(&m.b, SBEXEC_A_TTY, 1);
	bad_request(_metadata, &m, SBEXEC_STAGE_UPCALL, "bad tty");

	msg_init(&m);
	attr_put_str(&m.b, SBEXEC_A_CMD, "a");
	/* The top bit stays unknown however many flags get defined. */
	attr_put_u32(&m.b, SBEXEC_A_FLAGS, 0x80000000u);
	bad_request(_metadata, &m, SBEXEC_STAGE_UPCALL, "unknown flags");

	msg_init(&m);
	attr_put_str(&m.b, SBEXEC_A_CMD, "a");
	put_rlimit(&m, "bogus", 1, 2);
	bad_request(_metadata, &m, SBEXEC_STAGE_RLIMIT,
		    "setrlimit \"bogus\": unknown resource name");

	msg_init(&m);
	attr_put_str(&m.b, SBEXEC_A_CMD, "a");
	put_rlimit(&m, "nofile", 3, 2);
	bad_request(_metadata, &m, SBEXEC_STAGE_RLIMIT,
		    "setrlimit nofile: soft limit above hard limit");

	msg_init(&m);
	attr_put_str(&m.b, SBEXEC_A_CMD, "a");
	{
		long n = attr_nest_start(&m.b, SBEXEC_A_RLIMIT);

		attr_put_str(&m.b, SBEXEC_RLIMIT_A_NAME, "nofile");
		attr_nest_end(&m.b, n);
	}
	bad_request(_metadata, &m, SBEXEC_STAGE_UPCALL, "needs name");

	msg_init(&m);
	attr_put_str(&m.b, SBEXEC_A_CMD, "a");
	for (i = 0; i <= SBEXEC_MAX_RLIMITS; i++)
		put_rlimit(&m, "nofile", 1, 2);
	bad_request(_metadata, &m, SBEXEC_STAGE_UPCALL, "too many rlimits");

	/* Truncated: the last attribute claims more than is there. */
	msg_init(&m);
	attr_put_str(&m.b, SBEXEC_A_CMD, "abcdefgh");
	m.b.len -= 4;
	bad_request(_metadata, &m, SBEXEC_STAGE_UPCALL, "malformed");
}

TEST(request_parse_rejects_overlong)
{
	struct msg *m = malloc(sizeof(*m));
	char *big = malloc(SBEXEC_MAX_PATH_LEN + 2);
	int i;

	ASSERT_NE(NULL, m);
	ASSERT_NE(NULL, big);
	memset(big, 'a', SBEXEC_MAX_PATH_LEN + 1);
	big[SBEXEC_MAX_PATH_LEN + 1] = '\0';
	msg_init(m);
	ASSERT_EQ(0, attr_put_str(&m->b, SBEXEC_A_CMD, big));
	bad_request(_metadata, m, SBEXEC_STAGE_UPCALL, "command too long");

	big[SBEXEC_MAX_USER_LEN + 1] = '\0';
	msg_init(m);
	attr_put_str(&m->b, SBEXEC_A_CMD, "a");
	attr_put_str(&m->b, SBEXEC_A_USER, big);
	bad_request(_metadata, m, SBEXEC_STAGE_UPCALL, "user too long");
	free(big);
	free(m);

	/* More arguments than SBEXEC_MAX_ARGS. */
	{
		size_t cap = (SBEXEC_MAX_ARGS + 2) * 8 + 64;
		unsigned char *buf = malloc(cap);
		struct spawn_request r;
		struct spawn_failure f;
		struct attr_buf b;

		ASSERT_NE(NULL, buf);
		attr_buf_init(&b, buf, cap);
		attr_put_str(&b, SBEXEC_A_CMD, "a");
		for (i = 0; i < SBEXEC_MAX_ARGS; i++)
			ASSERT_EQ(0, attr_put_str(&b, SBEXEC_A_ARG, "x"));
		ASSERT_EQ(0, spawn_request_parse(&r, buf, b.len, &f));
		EXPECT_EQ((size_t)SBEXEC_MAX_ARGS + 1, r.argc);
		spawn_request_free(&r);
		ASSERT_EQ(0, attr_put_str(&b, SBEXEC_A_ARG, "x"));
		EXPECT_EQ(-E2BIG, spawn_request_parse(&r, buf, b.len, &f));
		EXPECT_EQ((uint32_t)SBEXEC_FAIL_BAD_ARGS, f.kind);
		free(buf);
	}
}

/* ---- replies ---- */

struct decoded_reply {
	struct sbexec_upcall_hdr hdr;
	uint32_t pid, in, out, err, pty;
	bool has_pid, has_pty, has_pipes, has_failure, has_name;
	uint32_t kind, errnum, stage;
	char name[64], message[SBEXEC_MAX_MESSAGE_LEN + 1];
};

static int decode_reply(const void *buf, size_t len, struct decoded_reply *d)
{
	const struct nlattr *a, *x;
	struct attr_iter it, in;
	const char *s;

	memset(d, 0, sizeof(*d));
	if (len < sizeof(d->hdr))
		return -1;
	memcpy(&d->hdr, buf, sizeof(d->hdr));
	if (d->hdr.len != len)
		return -1;
	attr_iter_init(&it, (const unsigned char *)buf + sizeof(d->hdr),
		       len - sizeof(d->hdr));
	while (attr_next(&it, &a) > 0) {
		switch (attr_type(a)) {
		case SBEXEC_UA_PID:
			d->has_pid = !attr_get_u32(a, &d->pid);
			break;
		case SBEXEC_UA_STDIN_FD:
			d->has_pipes = !attr_get_u32(a, &d->in);
			break;
		case SBEXEC_UA_STDOUT_FD:
			attr_get_u32(a, &d->out);
			break;
		case SBEXEC_UA_STDERR_FD:
			attr_get_u32(a, &d->err);
			break;
		case SBEXEC_UA_PTY_FD:
			d->has_pty = !attr_get_u32(a, &d->pty);
			break;
		case SBEXEC_UA_FAILURE:
			if (!(a->nla_type & NLA_F_NESTED))
				return -1;
			d->has_failure = true;
			attr_iter_nested(&in, a);
			while (attr_next(&in, &x) > 0) {
				switch (attr_type(x)) {
				case SBEXEC_FAILURE_A_KIND:
					attr_get_u32(x, &d->kind);
					break;
				case SBEXEC_FAILURE_A_ERRNO:
					attr_get_u32(x, &d->errnum);
					break;
				case SBEXEC_FAILURE_A_STAGE:
					attr_get_u32(x, &d->stage);
					break;
				case SBEXEC_FAILURE_A_ERRNO_NAME:
					if (attr_get_str(x, 63, &s))
						return -1;
					strcpy(d->name, s);
					d->has_name = true;
					break;
				case SBEXEC_FAILURE_A_MESSAGE:
					if (attr_get_str(x,
							 SBEXEC_MAX_MESSAGE_LEN,
							 &s))
						return -1;
					strcpy(d->message, s);
					break;
				}
			}
			break;
		default:
			return -1;
		}
	}
	return 0;
}

TEST(reply_encoding)
{
	struct spawn_result pipes = { .pid = 77, .stdin_fd = 5, .stdout_fd = 6,
				      .stderr_fd = 7, .pty_fd = -1 };
	struct spawn_result pty = { .pid = 78, .stdin_fd = -1, .stdout_fd = -1,
				    .stderr_fd = -1, .pty_fd = 9 };
	struct spawn_failure f;
	unsigned char buf[SBEXEC_UPCALL_MAX_REPLY];
	struct decoded_reply d;
	size_t len;

	ASSERT_EQ(0, upcall_encode_spawned(buf, sizeof(buf), 11, &pipes, &len));
	ASSERT_EQ(0, decode_reply(buf, len, &d));
	EXPECT_EQ((uint32_t)SBEXEC_UP_SPAWNED, d.hdr.type);
	EXPECT_EQ(0, d.hdr.flags);
	EXPECT_EQ(11U, d.hdr.id);
	EXPECT_TRUE(d.has_pid);
	EXPECT_EQ(77U, d.pid);
	EXPECT_TRUE(d.has_pipes);
	EXPECT_EQ(5U, d.in);
	EXPECT_EQ(6U, d.out);
	EXPECT_EQ(7U, d.err);
	EXPECT_FALSE(d.has_pty);
	EXPECT_FALSE(d.has_failure);

	ASSERT_EQ(0, upcall_encode_spawned(buf, sizeof(buf), 12, &pty, &len));
	ASSERT_EQ(0, decode_reply(buf, len, &d));
	EXPECT_TRUE(d.has_pty);
	EXPECT_EQ(9U, d.pty);
	EXPECT_FALSE(d.has_pipes);

	failure_set(&f, SBEXEC_STAGE_EXEC, ENOENT, "spawn \"x\": %s",
		    strerror(ENOENT));
	ASSERT_EQ(0, upcall_encode_failure(buf, sizeof(buf), 13, &f, &len));
	ASSERT_EQ(0, decode_reply(buf, len, &d));
	EXPECT_EQ(13U, d.hdr.id);
	EXPECT_FALSE(d.has_pid);
	EXPECT_TRUE(d.has_failure);
	EXPECT_EQ((uint32_t)SBEXEC_FAIL_NOT_FOUND, d.kind);
	EXPECT_EQ((uint32_t)ENOENT, d.errnum);
	EXPECT_TRUE(d.has_name);
	EXPECT_STREQ("ENOENT", d.name);
	EXPECT_EQ((uint32_t)SBEXEC_STAGE_EXEC, d.stage);
	EXPECT_STREQ("spawn \"x\": No such file or directory", d.message);

	/* Unknown errno: no name attribute; a full-size message fits. */
	failure_set(&f, SBEXEC_STAGE_FORK, ESRCH, "%0511d", 0);
	ASSERT_EQ(0, upcall_encode_failure(buf, sizeof(buf), 14, &f, &len));
	ASSERT_EQ(0, decode_reply(buf, len, &d));
	EXPECT_FALSE(d.has_name);
	EXPECT_EQ((uint32_t)SBEXEC_FAIL_OTHER, d.kind);
	EXPECT_EQ(SBEXEC_MAX_MESSAGE_LEN, (int)strlen(d.message));

	EXPECT_EQ(-EMSGSIZE, upcall_encode_failure(buf, 64, 15, &f, &len));
}

TEST(upcall_handle_bad_header)
{
	struct upcall_outcome *out = malloc(sizeof(*out));
	struct sbexec_upcall_hdr hdr = { .len = 100, .type = SBEXEC_UP_SPAWN,
					 .id = 99 };
	struct decoded_reply d;

	ASSERT_NE(NULL, out);
	EXPECT_EQ(-1, upcall_handle(&hdr, 8, NULL, -1, out));

	/* Header length disagrees with what was read. */
	ASSERT_EQ(0, upcall_handle(&hdr, sizeof(hdr), NULL, -1, out));
	EXPECT_FALSE(out->spawned);
	ASSERT_EQ(0, decode_reply(out->reply, out->reply_len, &d));
	EXPECT_EQ(99U, d.hdr.id);
	EXPECT_TRUE(d.has_failure);
	EXPECT_EQ((uint32_t)SBEXEC_STAGE_UPCALL, d.stage);
	EXPECT_EQ((uint32_t)SBEXEC_FAIL_OTHER, d.kind);

	/* Wrong type. */
	hdr.len = sizeof(hdr);
	hdr.type = SBEXEC_UP_SPAWNED;
	ASSERT_EQ(0, upcall_handle(&hdr, sizeof(hdr), NULL, -1, out));
	ASSERT_EQ(0, decode_reply(out->reply, out->reply_len, &d));
	EXPECT_TRUE(d.has_failure);
	EXPECT_EQ((uint32_t)SBEXEC_STAGE_UPCALL, d.stage);

	/* No command. */
	hdr.type = SBEXEC_UP_SPAWN;
	ASSERT_EQ(0, upcall_handle(&hdr, sizeof(hdr), NULL, -1, out));
	ASSERT_EQ(0, decode_reply(out->reply, out->reply_len, &d));
	EXPECT_TRUE(d.has_failure);
	EXPECT_NE(NULL, strstr(d.message, "no command"));
	free(out);
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

static size_t build_spawn_msg(struct msg *m, uint64_t id, const char *cmd,
			      const char *arg)
{
	struct sbexec_upcall_hdr hdr = { .type = SBEXEC_UP_SPAWN, .id = id };

	msg_init(m);
	attr_buf_reserve(&m->b, sizeof(hdr), NULL);
	attr_put_str(&m->b, SBEXEC_A_CMD, cmd);
	if (arg)
		attr_put_str(&m->b, SBEXEC_A_ARG, arg);
	hdr.len = (uint32_t)m->b.len;
	memcpy(m->buf, &hdr, sizeof(hdr));
	return m->b.len;
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
	unsigned char reply[SBEXEC_UPCALL_MAX_REPLY];
	int sv[2], status;
	struct msg m;
	size_t len;
	ssize_t n;
	pid_t helper, child, forked;

	/* The helper's orphans come back to us when it exits. */
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
	helper = start_loop(sv);
	ASSERT_LT(0, helper);

	len = build_spawn_msg(&m, 41, "sleep", "30");
	ASSERT_EQ((ssize_t)len, write(sv[0], m.buf, len));
	n = read_forked_then_reply(_metadata, sv[0], 41, reply, sizeof(reply),
				   &forked);
	ASSERT_LT(0, n);
	ASSERT_EQ(0, decode_reply(reply, (size_t)n, &d));
	EXPECT_EQ(41U, d.hdr.id);
	EXPECT_EQ((uint16_t)SBEXEC_UP_SPAWNED, d.hdr.type);
	ASSERT_TRUE(d.has_pid);
	EXPECT_TRUE(d.has_pipes);
	EXPECT_FALSE(d.has_failure);
	child = (pid_t)d.pid;
	EXPECT_EQ(forked, child);
	EXPECT_EQ(helper, parent_of(child));

	len = build_spawn_msg(&m, 42, "/sbexec/none", NULL);
	ASSERT_EQ((ssize_t)len, write(sv[0], m.buf, len));
	n = read_forked_then_reply(_metadata, sv[0], 42, reply, sizeof(reply),
				   &forked);
	ASSERT_LT(0, n);
	ASSERT_EQ(0, decode_reply(reply, (size_t)n, &d));
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
	unsigned char reply[SBEXEC_UPCALL_MAX_REPLY];
	struct decoded_reply d;
	char path[64];
	int sv[2], tries;
	struct msg m;
	size_t len;
	ssize_t n;
	pid_t helper, forked;

	helper = start_loop(sv);
	ASSERT_LT(0, helper);
	len = build_spawn_msg(&m, 1, "true", NULL);
	ASSERT_EQ((ssize_t)len, write(sv[0], m.buf, len));
	n = read_forked_then_reply(_metadata, sv[0], 1, reply, sizeof(reply),
				   &forked);
	ASSERT_LT(0, n);
	ASSERT_EQ(0, decode_reply(reply, (size_t)n, &d));
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

TEST(loop_kills_child_when_reply_is_not_delivered)
{
	int sv[2], logp[2], status;
	char log[1024], *p;
	unsigned char buf[SBEXEC_UPCALL_MAX_REPLY];
	struct decoded_reply d;
	struct msg m;
	size_t len;
	ssize_t n;
	pid_t helper, child;

	/* Orphans (if the helper exits before reaping) come back to us. */
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
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
	/* ...but is gone before the reply: write() fails (EPIPE). */
	close(sv[0]);
	ASSERT_EQ(helper, waitpid(helper, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	read_all(logp[0], log, sizeof(log));
	close(logp[0]);
	p = strstr(log, "request 7: reply not delivered");
	ASSERT_NE(NULL, p) TH_LOG("%s", log);
	p = strstr(p, "killed pid ");
	ASSERT_NE(NULL, p) TH_LOG("%s", log);
	child = (pid_t)atoi(p + strlen("killed pid "));
	ASSERT_LT(0, child);
	EXPECT_EQ((pid_t)d.pid, child);
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

TEST_HARNESS_MAIN
