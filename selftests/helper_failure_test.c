// SPDX-License-Identifier: GPL-2.0
/*
 * helper_failure_test - unit tests of sbexec-helper's library: how the
 * helper classifies and names a failed spawn: errno rows, the failing
 * stage, errno names, quoting, the bounded failure message.
 *
 * Needs no module. helper_units.h: what the helper_*_test programs share.
 */

#include "helper_units.h"
#include "kselftest_harness.h"

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
	static const struct { uint32_t stage; int err; uint32_t kind; } rows[] = {
		{ SBEXEC_STAGE_CWD, ENOENT, SBEXEC_FAIL_BAD_CWD },
		{ SBEXEC_STAGE_CWD, EACCES, SBEXEC_FAIL_BAD_CWD },
		{ SBEXEC_STAGE_USER, EPERM, SBEXEC_FAIL_USER_SETUP },
		{ SBEXEC_STAGE_USER, 0, SBEXEC_FAIL_USER_SETUP },
		{ SBEXEC_STAGE_PTY, ENOMEM, SBEXEC_FAIL_PTY_SETUP },
		{ SBEXEC_STAGE_RLIMIT, EPERM, SBEXEC_FAIL_PERMISSION_DENIED },
		{ SBEXEC_STAGE_FORK, EAGAIN, SBEXEC_FAIL_RESOURCE_LIMIT },
		{ SBEXEC_STAGE_PRIVILEGES, EPERM, SBEXEC_FAIL_PERMISSION_DENIED },
		{ SBEXEC_STAGE_EXEC, ENOENT, SBEXEC_FAIL_NOT_FOUND },
	};
	size_t i;

	for (i = 0; i < ARRAY_LEN(rows); i++) {
		EXPECT_EQ(rows[i].kind,
			  classify_failure(rows[i].stage, rows[i].err))
			TH_LOG("stage %u errno %d", rows[i].stage, rows[i].err);
	}
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

TEST_HARNESS_MAIN
