// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * control.c - STDIN, CLOSE_STDIN, RESIZE, SIGNAL, GET and LIST.
 */
#include <errno.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "internal.h"

/* A request that names only a session; @msg_out lets the caller add more. */
static int session_msg(struct sbexec *h, uint8_t cmd, uint32_t id,
		       size_t extra, struct nl_msg **msg_out)
{
	struct nl_msg *msg = NULL;

	msg = sbx_msg_new(h, cmd, NLA_HDRLEN + sizeof(uint32_t) + extra, false);
	if (!msg)
		return -ENOMEM;
	if (nla_put_u32(msg, SBEXEC_A_SESSION_ID, id) < 0) {
		nlmsg_free(msg);
		return sbx_fail(h, -EMSGSIZE, "request does not fit in a message");
	}
	*msg_out = msg;
	return 0;
}

int sbexec_stdin(struct sbexec *h, uint32_t id, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	struct nl_msg *msg = NULL;
	int err;

	sbx_clear_error(h);
	while (len) {
		size_t chunk = len < SBEXEC_MAX_STDIN_CHUNK ? len : SBEXEC_MAX_STDIN_CHUNK;

		err = session_msg(h, SBEXEC_CMD_STDIN, id,
				  NLA_HDRLEN + NLA_ALIGN(chunk), &msg);
		if (err < 0)
			return err;
		if (nla_put(msg, SBEXEC_A_STDIN_DATA, (int)chunk, p) < 0) {
			nlmsg_free(msg);
			return sbx_fail(h, -EMSGSIZE, "request does not fit in a message");
		}
		err = sbx_request(h, msg, NULL, NULL);
		if (err < 0)
			return err;
		p += chunk;
		len -= chunk;
	}
	return 0;
}

int sbexec_close_stdin(struct sbexec *h, uint32_t id)
{
	struct nl_msg *msg = NULL;
	int err;

	sbx_clear_error(h);
	err = session_msg(h, SBEXEC_CMD_CLOSE_STDIN, id, 0, &msg);
	if (err < 0)
		return err;
	return sbx_request(h, msg, NULL, NULL);
}

int sbexec_resize(struct sbexec *h, uint32_t id, uint16_t rows, uint16_t cols)
{
	struct nl_msg *msg = NULL;
	int err;

	sbx_clear_error(h);
	err = session_msg(h, SBEXEC_CMD_RESIZE, id, 2 * (NLA_HDRLEN + 4), &msg);
	if (err < 0)
		return err;
	if (nla_put_u16(msg, SBEXEC_A_ROWS, rows) < 0 ||
	    nla_put_u16(msg, SBEXEC_A_COLS, cols) < 0) {
		nlmsg_free(msg);
		return sbx_fail(h, -EMSGSIZE, "request does not fit in a message");
	}
	return sbx_request(h, msg, NULL, NULL);
}

int sbexec_signal(struct sbexec *h, uint32_t id, int sig)
{
	return sbexec_signal_scope(h, id, sig, SBEXEC_SIGNAL_SCOPE_PGRP);
}

int sbexec_signal_scope(struct sbexec *h, uint32_t id, int sig,
			uint32_t scope)
{
	struct nl_msg *msg = NULL;
	int err;

	sbx_clear_error(h);
	err = session_msg(h, SBEXEC_CMD_SIGNAL, id, 2 * (NLA_HDRLEN + 4), &msg);
	if (err < 0)
		return err;
	/* Sent as is, also when out of range: the kernel judges it. */
	if (nla_put_u32(msg, SBEXEC_A_SIGNAL, (uint32_t)sig) < 0 ||
	    (scope != SBEXEC_SIGNAL_SCOPE_PGRP &&
	     nla_put_u32(msg, SBEXEC_A_SIGNAL_SCOPE, scope) < 0)) {
		nlmsg_free(msg);
		return sbx_fail(h, -EMSGSIZE, "request does not fit in a message");
	}
	return sbx_request(h, msg, NULL, NULL);
}

/*
 * An integer attribute and the field it fills: one table per nest drives
 * both the parse and the copy. @is64: a u64 attribute into a uint64_t
 * field, else a u32 into a uint32_t.
 */
struct int_field {
	int type;
	size_t off;
	bool is64;
};

#define U32_FIELD(t, s, f)	{ t, offsetof(s, f), false }
#define U64_FIELD(t, s, f)	{ t, offsetof(s, f), true }

/* Copy the integer attributes of @tb that @fields names into @base. */
static void get_int_fields(struct nlattr **tb, const struct int_field *fields,
			   size_t n, void *base)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct nlattr *a = tb[fields[i].type];
		char *dst = (char *)base + fields[i].off;

		if (!a)
			continue;
		if (fields[i].is64) {
			uint64_t v = nla_get_u64((struct nlattr *)a);

			memcpy(dst, &v, sizeof(v));
		} else {
			uint32_t v = nla_get_u32((struct nlattr *)a);

			memcpy(dst, &v, sizeof(v));
		}
	}
}

static const struct int_field exit_fields[] = {
	U32_FIELD(SBEXEC_EXIT_A_SIGNAL, struct sbexec_exit_info, signal),
	U32_FIELD(SBEXEC_EXIT_A_MEMBERS, struct sbexec_exit_info, members),
	U32_FIELD(SBEXEC_EXIT_A_MEMBERS_REFUSED, struct sbexec_exit_info,
		  members_refused),
	U64_FIELD(SBEXEC_EXIT_A_CPU_USER_NS, struct sbexec_exit_info,
		  cpu_user_ns),
	U64_FIELD(SBEXEC_EXIT_A_CPU_SYS_NS, struct sbexec_exit_info, cpu_sys_ns),
	U64_FIELD(SBEXEC_EXIT_A_MAX_RSS_KB, struct sbexec_exit_info, max_rss_kb),
	U64_FIELD(SBEXEC_EXIT_A_STDOUT_BYTES, struct sbexec_exit_info,
		  stdout_bytes),
	U64_FIELD(SBEXEC_EXIT_A_STDERR_BYTES, struct sbexec_exit_info,
		  stderr_bytes),
	U64_FIELD(SBEXEC_EXIT_A_WALL_NS, struct sbexec_exit_info, wall_ns),
};

static const struct nla_policy exit_policy[SBEXEC_EXIT_A_MAX + 1] = {
	[SBEXEC_EXIT_A_CODE] = SBX_POLICY_U32,
	[SBEXEC_EXIT_A_SIGNAL] = SBX_POLICY_U32,
	[SBEXEC_EXIT_A_CORE_DUMPED] = { .type = NLA_FLAG },
	[SBEXEC_EXIT_A_TIMED_OUT] = { .type = NLA_FLAG },
	[SBEXEC_EXIT_A_OOM_KILLED] = { .type = NLA_FLAG },
	[SBEXEC_EXIT_A_MEMBERS] = SBX_POLICY_U32,
	[SBEXEC_EXIT_A_MEMBERS_REFUSED] = SBX_POLICY_U32,
	[SBEXEC_EXIT_A_CPU_USER_NS] = SBX_POLICY_U64,
	[SBEXEC_EXIT_A_CPU_SYS_NS] = SBX_POLICY_U64,
	[SBEXEC_EXIT_A_MAX_RSS_KB] = SBX_POLICY_U64,
	[SBEXEC_EXIT_A_STDOUT_BYTES] = SBX_POLICY_U64,
	[SBEXEC_EXIT_A_STDERR_BYTES] = SBX_POLICY_U64,
	[SBEXEC_EXIT_A_WALL_NS] = SBX_POLICY_U64,
};

int sbx_parse_exit(const struct nlattr *nest, struct sbexec_exit_info *ei)
{
	struct nlattr *tb[SBEXEC_EXIT_A_MAX + 1];

	memset(ei, 0, sizeof(*ei));
	if (nla_parse_nested(tb, SBEXEC_EXIT_A_MAX, (struct nlattr *)nest,
			     exit_policy))
		return -EPROTO;
	if (!tb[SBEXEC_EXIT_A_CODE] && !tb[SBEXEC_EXIT_A_SIGNAL])
		return -EPROTO;
	if (tb[SBEXEC_EXIT_A_CODE]) {
		ei->exited = 1;
		ei->code = nla_get_u32(tb[SBEXEC_EXIT_A_CODE]);
	}
	get_int_fields(tb, exit_fields, sizeof(exit_fields) / sizeof(exit_fields[0]),
		       ei);
	ei->core_dumped = tb[SBEXEC_EXIT_A_CORE_DUMPED] ? 1 : 0;
	ei->timed_out = tb[SBEXEC_EXIT_A_TIMED_OUT] ? 1 : 0;
	ei->oom_killed = tb[SBEXEC_EXIT_A_OOM_KILLED] ? 1 : 0;
	return 0;
}

#define INFO_U32(t, f)	U32_FIELD(t, struct sbexec_session_info, f)
#define INFO_U64(t, f)	U64_FIELD(t, struct sbexec_session_info, f)

static const struct int_field info_fields[] = {
	INFO_U32(SBEXEC_A_SESSION_ID, session_id),
	INFO_U32(SBEXEC_A_PID, pid),
	INFO_U32(SBEXEC_A_FLAGS, flags),
	INFO_U32(SBEXEC_A_STATE, state),
	INFO_U64(SBEXEC_A_BYTES_OUT, bytes_out),
	INFO_U32(SBEXEC_A_RING_SIZE, ring_size),
	INFO_U64(SBEXEC_A_AGE_MS, age_ms),
	INFO_U32(SBEXEC_A_MEMBERS, members),
	INFO_U32(SBEXEC_A_MEMBERS_TOTAL, members_total),
	INFO_U32(SBEXEC_A_MEMBERS_REFUSED, members_refused),
	INFO_U32(SBEXEC_A_MAX_MEMBERS, max_members),
};

/*
 * A GET reply or LIST entry. CMD and USER are not typed NLA_STRING:
 * sbx_nla_strcpy() takes them terminated or not, and empty, as it always
 * has (libnl's NLA_STRING would refuse an unterminated or empty one).
 */
static const struct nla_policy info_policy[SBEXEC_A_MAX + 1] = {
	[SBEXEC_A_SESSION_ID] = SBX_POLICY_U32,
	[SBEXEC_A_PID] = SBX_POLICY_U32,
	[SBEXEC_A_TTY] = { .type = NLA_FLAG },
	[SBEXEC_A_EXIT] = { .type = NLA_NESTED },
	[SBEXEC_A_FLAGS] = SBX_POLICY_U32,
	[SBEXEC_A_STATE] = SBX_POLICY_U32,
	[SBEXEC_A_BYTES_OUT] = SBX_POLICY_U64,
	[SBEXEC_A_RING_SIZE] = SBX_POLICY_U32,
	[SBEXEC_A_AGE_MS] = SBX_POLICY_U64,
	[SBEXEC_A_MEMBERS] = SBX_POLICY_U32,
	[SBEXEC_A_MEMBERS_TOTAL] = SBX_POLICY_U32,
	[SBEXEC_A_MEMBERS_REFUSED] = SBX_POLICY_U32,
	[SBEXEC_A_MAX_MEMBERS] = SBX_POLICY_U32,
};

/* @tb has passed info_policy. */
static int parse_info(struct nlattr **tb, struct sbexec_session_info *info)
{
	memset(info, 0, sizeof(*info));
	if (!tb[SBEXEC_A_SESSION_ID])
		return -EPROTO;
	get_int_fields(tb, info_fields, sizeof(info_fields) / sizeof(info_fields[0]),
		       info);
	if (tb[SBEXEC_A_CMD])
		sbx_nla_strcpy(info->cmd, sizeof(info->cmd), tb[SBEXEC_A_CMD]);
	if (tb[SBEXEC_A_USER])
		sbx_nla_strcpy(info->user, sizeof(info->user), tb[SBEXEC_A_USER]);
	info->tty = tb[SBEXEC_A_TTY] != NULL;
	if (tb[SBEXEC_A_EXIT]) {
		if (sbx_parse_exit(tb[SBEXEC_A_EXIT], &info->exit) < 0)
			return -EPROTO;
		info->has_exit = true;
	}
	return 0;
}

struct get_ctx {
	struct sbexec *h;
	struct sbexec_session_info *info;
	bool got;
};

static int get_reply(struct nlattr **tb, void *arg)
{
	struct get_ctx *c = arg;

	if (parse_info(tb, c->info) < 0)
		return sbx_fail(c->h, -EPROTO, "malformed GET reply");
	c->got = true;
	return 0;
}

static const struct sbx_reply get_reply_ops = {
	.policy = info_policy,
	.malformed = "malformed GET reply",
	.fn = get_reply,
};

int sbexec_get(struct sbexec *h, uint32_t id, struct sbexec_session_info *info)
{
	struct get_ctx c = { .h = h, .info = info };
	struct nl_msg *msg = NULL;
	int err;

	sbx_clear_error(h);
	memset(info, 0, sizeof(*info));
	err = session_msg(h, SBEXEC_CMD_GET, id, 0, &msg);
	if (err < 0)
		return err;
	err = sbx_request(h, msg, &get_reply_ops, &c);
	if (err < 0)
		return err;
	if (!c.got)
		return sbx_fail(h, -EPROTO, "GET was acknowledged without a reply");
	return 0;
}

struct list_ctx {
	struct sbexec *h;
	sbexec_list_cb cb;
	void *arg;
	int stop;	/* the callback's non-zero value, once it gave one */
	struct sbexec_session_info info;
};

static int list_reply(struct nlattr **tb, void *arg)
{
	struct list_ctx *c = arg;

	if (parse_info(tb, &c->info) < 0)
		return sbx_fail(c->h, -EPROTO, "malformed LIST entry");
	if (!c->stop)
		c->stop = c->cb(&c->info, c->arg);
	return 0;
}

static const struct sbx_reply list_reply_ops = {
	.policy = info_policy,
	.malformed = "malformed LIST entry",
	.fn = list_reply,
};

int sbexec_list(struct sbexec *h, sbexec_list_cb cb, void *arg)
{
	struct list_ctx *c;
	struct nl_msg *msg = NULL;
	int err;

	sbx_clear_error(h);
	/* The entry buffer is large (cmd); keep it off the stack. */
	c = calloc(1, sizeof(*c));
	if (!c)
		return sbx_fail(h, -ENOMEM, "out of memory");
	c->h = h;
	c->cb = cb;
	c->arg = arg;
	msg = sbx_msg_new(h, SBEXEC_CMD_LIST, 0, true);
	if (!msg) {
		free(c);
		return -ENOMEM;
	}
	err = sbx_request(h, msg, &list_reply_ops, c);
	if (!err)
		err = c->stop;
	free(c);
	return err;
}
