// SPDX-License-Identifier: GPL-2.0
/*
 * helper_user_test - unit tests of sbexec-helper's library: user
 * resolution: user specs and their error strings, the default user, the
 * home directory, supplementary groups.
 *
 * Needs no module. helper_units.h: what the helper_*_test programs share.
 */

#include "helper_units.h"
#include "kselftest_harness.h"

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

TEST_HARNESS_MAIN
