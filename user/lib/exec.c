// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * exec.c - SBEXEC_CMD_EXEC: build the request, read the reply.
 *
 * A successful EXEC is answered by a reply with SESSION_ID and PID and then
 * a zero ack. A command that could not be started is answered by a reply
 * with a FAILURE nest and then a negative ack with an extack message. A
 * malformed request gets only the negative ack.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "internal.h"

/* Far above the kernel's limits: only guards size arithmetic. */
#define SBX_MAX_REQUEST	(64u * 1024 * 1024)

static size_t str_attr_size(const char *s)
{
	return s ? NLA_HDRLEN + NLA_ALIGN(strlen(s) + 1) : 0;
}

static size_t list_attr_size(const char *const *list, size_t *count)
{
	size_t size = 0;

	*count = 0;
	for (; list && *list; list++) {
		size += str_attr_size(*list);
		(*count)++;
	}
	return size;
}

static int put_list(struct nl_msg *msg, int type, const char *const *list)
{
	for (; list && *list; list++)
		if (nla_put_string(msg, type, *list) < 0)
			return -EMSGSIZE;
	return 0;
}

static int put_rlimits(struct nl_msg *msg, const struct sbexec_exec_req *req)
{
	size_t i;

	for (i = 0; i < req->n_rlimits; i++) {
		const struct sbexec_rlimit *rl = &req->rlimits[i];
		struct nlattr *nest;

		nest = nla_nest_start(msg, SBEXEC_A_RLIMIT | NLA_F_NESTED);
		if (!nest)
			return -EMSGSIZE;
		if ((rl->name && nla_put_string(msg, SBEXEC_RLIMIT_A_NAME, rl->name) < 0) ||
		    nla_put_u64(msg, SBEXEC_RLIMIT_A_SOFT, rl->soft) < 0 ||
		    nla_put_u64(msg, SBEXEC_RLIMIT_A_HARD, rl->hard) < 0)
			return -EMSGSIZE;
		nla_nest_end(msg, nest);
	}
	return 0;
}

static int build_exec(struct sbexec *h, const struct sbexec_exec_req *req,
		      struct nl_msg **out)
{
	size_t size = 0, nargs, nenv, i;
	struct nl_msg *msg;

	size += str_attr_size(req->cmd);
	size += list_attr_size(req->argv, &nargs);
	size += list_attr_size(req->env, &nenv);
	size += str_attr_size(req->cwd);
	size += str_attr_size(req->user);
	/* tty rows cols flags ring max_members timeout grace linger */
	size += 9 * (NLA_HDRLEN + sizeof(uint32_t));
	if (req->n_rlimits > SBX_MAX_REQUEST / 64)
		return sbx_fail(h, -E2BIG, "too many rlimits");
	for (i = 0; i < req->n_rlimits; i++)
		size += NLA_HDRLEN + str_attr_size(req->rlimits[i].name) +
			2 * (NLA_HDRLEN + sizeof(uint64_t) + NLA_HDRLEN);
	if (size > SBX_MAX_REQUEST)
		return sbx_fail(h, -E2BIG, "request too large (%zu bytes)", size);

	msg = sbx_msg_new(h, SBEXEC_CMD_EXEC, size, false);
	if (!msg)
		return -ENOMEM;
	if ((req->cmd && nla_put_string(msg, SBEXEC_A_CMD, req->cmd) < 0) ||
	    put_list(msg, SBEXEC_A_ARG, req->argv) < 0 ||
	    put_list(msg, SBEXEC_A_ENV, req->env) < 0 ||
	    (req->cwd && nla_put_string(msg, SBEXEC_A_CWD, req->cwd) < 0) ||
	    (req->user && nla_put_string(msg, SBEXEC_A_USER, req->user) < 0) ||
	    (req->tty && nla_put_flag(msg, SBEXEC_A_TTY) < 0) ||
	    (req->rows && nla_put_u16(msg, SBEXEC_A_ROWS, req->rows) < 0) ||
	    (req->cols && nla_put_u16(msg, SBEXEC_A_COLS, req->cols) < 0) ||
	    put_rlimits(msg, req) < 0 ||
	    (req->flags && nla_put_u32(msg, SBEXEC_A_FLAGS, req->flags) < 0) ||
	    (req->ring_size && nla_put_u32(msg, SBEXEC_A_RING_SIZE, req->ring_size) < 0) ||
	    (req->max_members &&
	     nla_put_u32(msg, SBEXEC_A_MAX_MEMBERS, req->max_members) < 0) ||
	    (req->timeout_ms &&
	     nla_put_u32(msg, SBEXEC_A_TIMEOUT_MS, req->timeout_ms) < 0) ||
	    (req->grace_ms &&
	     nla_put_u32(msg, SBEXEC_A_GRACE_MS, req->grace_ms) < 0) ||
	    (req->linger_ms &&
	     nla_put_u32(msg, SBEXEC_A_LINGER_MS, req->linger_ms) < 0)) {
		nlmsg_free(msg);
		return sbx_fail(h, -EMSGSIZE, "request does not fit in a message");
	}
	*out = msg;
	return 0;
}

/*
 * ERRNO_NAME and MESSAGE are not typed NLA_STRING: sbx_nla_strcpy() takes
 * them terminated or not, and empty, as it always has.
 */
static const struct nla_policy failure_policy[SBEXEC_FAILURE_A_MAX + 1] = {
	[SBEXEC_FAILURE_A_KIND] = SBX_POLICY_U32,
	[SBEXEC_FAILURE_A_ERRNO] = SBX_POLICY_U32,
	[SBEXEC_FAILURE_A_STAGE] = SBX_POLICY_U32,
};

static int parse_failure(const struct nlattr *nest, struct sbexec_failure *f)
{
	struct nlattr *tb[SBEXEC_FAILURE_A_MAX + 1];

	if (nla_parse_nested(tb, SBEXEC_FAILURE_A_MAX, (struct nlattr *)nest,
			     failure_policy))
		return -EPROTO;
	if (!tb[SBEXEC_FAILURE_A_KIND])
		return -EPROTO;
	f->kind = nla_get_u32(tb[SBEXEC_FAILURE_A_KIND]);
	if (tb[SBEXEC_FAILURE_A_ERRNO])
		f->errnum = nla_get_u32(tb[SBEXEC_FAILURE_A_ERRNO]);
	if (tb[SBEXEC_FAILURE_A_ERRNO_NAME])
		sbx_nla_strcpy(f->errno_name, sizeof(f->errno_name),
			       tb[SBEXEC_FAILURE_A_ERRNO_NAME]);
	if (tb[SBEXEC_FAILURE_A_MESSAGE])
		sbx_nla_strcpy(f->message, sizeof(f->message),
			       tb[SBEXEC_FAILURE_A_MESSAGE]);
	if (tb[SBEXEC_FAILURE_A_STAGE])
		f->stage = nla_get_u32(tb[SBEXEC_FAILURE_A_STAGE]);
	return 0;
}

struct exec_ctx {
	struct sbexec *h;
	struct sbexec_exec_result *res;
};

/* @tb has passed exec_policy. */
static int exec_reply(struct nlattr **tb, void *arg)
{
	struct exec_ctx *c = arg;
	struct sbexec_exec_result *res = c->res;

	if (tb[SBEXEC_A_FAILURE]) {
		if (parse_failure(tb[SBEXEC_A_FAILURE], &res->failure) < 0 ||
		    res->failure.kind == SBEXEC_FAIL_NONE)
			return sbx_fail(c->h, -EPROTO,
					"malformed failure in the EXEC reply");
		return 0;
	}
	if (!tb[SBEXEC_A_SESSION_ID])
		return sbx_fail(c->h, -EPROTO, "malformed EXEC reply");
	res->session_id = nla_get_u32(tb[SBEXEC_A_SESSION_ID]);
	if (tb[SBEXEC_A_PID])
		res->pid = nla_get_u32(tb[SBEXEC_A_PID]);
	return 0;
}

static const struct nla_policy exec_policy[SBEXEC_A_MAX + 1] = {
	[SBEXEC_A_SESSION_ID] = SBX_POLICY_U32,
	[SBEXEC_A_PID] = SBX_POLICY_U32,
	[SBEXEC_A_FAILURE] = { .type = NLA_NESTED },
};

static const struct sbx_reply exec_reply_ops = {
	.policy = exec_policy,
	.malformed = "malformed EXEC reply",
	.fn = exec_reply,
};

int sbexec_exec(struct sbexec *h, const struct sbexec_exec_req *req,
		struct sbexec_exec_result *res)
{
	struct exec_ctx c = { .h = h, .res = res };
	struct sbexec_failure *f = &res->failure;
	struct nl_msg *msg = NULL;
	int err;

	memset(res, 0, sizeof(*res));
	sbx_clear_error(h);
	err = build_exec(h, req, &msg);
	if (err < 0)
		return err;
	err = sbx_request(h, msg, &exec_reply_ops, &c);
	if (h->have_extack)
		snprintf(res->extack, sizeof(res->extack), "%s", h->extack);

	if (f->kind != SBEXEC_FAIL_NONE) {
		if (!f->errno_name[0] && f->errnum) {
			const char *name = strerrorname_np((int)f->errnum);

			if (name)
				snprintf(f->errno_name, sizeof(f->errno_name), "%s", name);
		}
		res->session_id = 0;
		res->pid = 0;
		if (err == 0) {
			/* The ack must carry the failure; trust the failure. */
			err = f->errnum ? -(int)f->errnum : -EINVAL;
			h->last_err = err;
		}
		if (!h->have_extack)
			snprintf(h->errmsg, sizeof(h->errmsg), "%s", f->message);
		return err;
	}
	if (err < 0) {
		res->session_id = 0;
		res->pid = 0;
		return err;
	}
	if (!res->session_id)
		return sbx_fail(h, -EPROTO, "EXEC reply without a session id");
	return 0;
}
