// SPDX-License-Identifier: GPL-2.0
/*
 * helper_request_test - unit tests of sbexec-helper's library: the
 * attribute parser and encoder, request parsing, reply encoding and a bad
 * upcall header.
 *
 * Needs no module. helper_units.h: what the helper_*_test programs share.
 */

#include "helper_units.h"
#include "kselftest_harness.h"

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
	/* A string attribute, or else a u32 one. */
	static const struct {
		uint16_t attr;
		const char *str;
		uint32_t u32;
		const char *needle;
	} after_cmd[] = {
		{ SBEXEC_A_CMD, "b", 0, "duplicate command" },
		{ SBEXEC_A_ENV, "NOEQUALS", 0, "KEY=VALUE" },
		{ SBEXEC_A_ENV, "=v", 0, "KEY=VALUE" },
		{ SBEXEC_A_ROWS, NULL, 24, "bad rows" },
		{ SBEXEC_A_TTY, NULL, 1, "bad tty" },
		/* The top bit stays unknown however many flags get defined. */
		{ SBEXEC_A_FLAGS, NULL, 0x80000000u, "unknown flags" },
	};
	struct msg m;
	int i;

	msg_init(&m);
	attr_put_str(&m.b, SBEXEC_A_ARG, "x");
	bad_request(_metadata, &m, SBEXEC_STAGE_UPCALL, "no command");

	/* After a valid command, one attribute that is wrong. */
	for (i = 0; i < (int)ARRAY_LEN(after_cmd); i++) {
		msg_init(&m);
		attr_put_str(&m.b, SBEXEC_A_CMD, "a");
		if (after_cmd[i].str)
			attr_put_str(&m.b, after_cmd[i].attr, after_cmd[i].str);
		else
			attr_put_u32(&m.b, after_cmd[i].attr, after_cmd[i].u32);
		bad_request(_metadata, &m, SBEXEC_STAGE_UPCALL,
			    after_cmd[i].needle);
	}

	msg_init(&m);
	attr_put_str(&m.b, SBEXEC_A_CMD, "");
	bad_request(_metadata, &m, SBEXEC_STAGE_UPCALL, "bad command");

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

TEST_HARNESS_MAIN
