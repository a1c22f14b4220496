// SPDX-License-Identifier: GPL-2.0
/*
 * helper_env_test - unit tests of sbexec-helper's library: the session
 * environment and the command candidates (as execvp searches PATH).
 *
 * Needs no module. helper_units.h: what the helper_*_test programs share.
 */

#include "helper_units.h"
#include "kselftest_harness.h"

/* ---- helpers ---- */

static size_t strv_len(char **v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
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

TEST_HARNESS_MAIN
