// SPDX-License-Identifier: GPL-2.0
/*
 * The "sbexec" generic netlink family: the control plane.
 *
 * Every operation needs CAP_SYS_ADMIN (on top of GENL_ADMIN_PERM's
 * CAP_NET_ADMIN; see sbexec_nl_admin()). Every attribute is bounded by the
 * per-op policies that genl-gen.c holds, generated with the op table from
 * the family's YNL spec (Documentation/netlink/specs/sbexec.yaml; make
 * regen); what a policy cannot say is checked by sbexec_exec_validate()
 * (validate.c) before anything is allocated or spawned. What the generator
 * cannot express is written here: the family struct and its multicast
 * group's flags. The events sent to that group are built in events.c.
 *
 * EXEC blocks in its doit until the helper answered, so the family uses
 * parallel_ops: one slow spawn does not hold up any other genl user.
 */

#include <linux/capability.h>
#include <linux/log2.h>
#include <linux/pid.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/tty.h>
#include <linux/vmalloc.h>
#include <net/genetlink.h>

#include "compat.h"
#include "genl-gen.h"
#include "sbexec.h"

/*
 * GENL_REQ_ATTR_CHECK() with a message: the ack names the missing type
 * (NLMSGERR_ATTR_MISS_TYPE) and extack says "missing CMD" and the like.
 * @msg must be a string literal.
 */
#define SBEXEC_REQ_ATTR_MISSING(info, attr, msg) ({			\
	struct genl_info *__sbx_info = (info);				\
	bool __sbx_miss = GENL_REQ_ATTR_CHECK(__sbx_info, attr);	\
									\
	if (__sbx_miss)							\
		NL_SET_ERR_MSG(__sbx_info->extack, msg);		\
	__sbx_miss;							\
})

/*
 * The ring of an EXEC without RING_SIZE: the ring_size parameter, but never
 * above max_ring_size (then the largest power of two pages below it; one
 * page at least).
 */
static u32 sbexec_default_ring_size(void)
{
	u32 max = READ_ONCE(sbexec_max_ring_size);
	u32 def = READ_ONCE(sbexec_ring_size);

	if (sbexec_ring_data_size(def) <= max)
		return def;
	if (max < PAGE_SIZE)
		return PAGE_SIZE;
	return rounddown_pow_of_two(max >> PAGE_SHIFT) << PAGE_SHIFT;
}

/* Forwarded to the helper as validated, in the client's order. */
static bool sbexec_forwarded(int type)
{
	switch (type) {
	case SBEXEC_A_CMD:
	case SBEXEC_A_ARG:
	case SBEXEC_A_ENV:
	case SBEXEC_A_CWD:
	case SBEXEC_A_USER:
	case SBEXEC_A_TTY:
	case SBEXEC_A_ROWS:
	case SBEXEC_A_COLS:
	case SBEXEC_A_RLIMIT:
	case SBEXEC_A_FLAGS:
		return true;
	}
	return false;
}

static void *sbexec_build_upcall(struct genl_info *info, size_t *len)
{
	struct sbexec_upcall_hdr *hdr;
	struct nlattr *nla;
	size_t off;
	void *msg;
	int rem;

	/*
	 * The last attribute of a message need not be padded, but it is
	 * copied with its padding: size the copy for the aligned length.
	 */
	*len = sizeof(*hdr) + NLA_ALIGN(genlmsg_len(info->genlhdr));
	if (*len > SBEXEC_UPCALL_MAX_MSG)
		return ERR_PTR(-E2BIG);
	msg = kvzalloc(*len, GFP_KERNEL);
	if (!msg)
		return ERR_PTR(-ENOMEM);
	off = sizeof(*hdr);
	nlmsg_for_each_attr(nla, info->nlhdr, GENL_HDRLEN, rem) {
		if (!sbexec_forwarded(nla_type(nla)))
			continue;
		memcpy(msg + off, nla, nla->nla_len);
		off += NLA_ALIGN(nla->nla_len);
	}
	hdr = msg;
	hdr->len = off;
	hdr->type = SBEXEC_UP_SPAWN;
	*len = off;
	return msg;
}

static int sbexec_reply_failure(struct genl_info *info,
				const struct sbexec_failure *f)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &sbexec_family, 0, SBEXEC_CMD_EXEC);
	if (!hdr || sbexec_failure_nla_put(msg, SBEXEC_A_FAILURE, f)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/* Report a command that could not be started: reply, event, extack. */
static int sbexec_exec_failed(struct genl_info *info, const char *cmd,
			      const struct sbexec_failure *f)
{
	sbexec_reply_failure(info, f);
	sbexec_event_failed(cmd, f);
	/*
	 * The reply's FAILURE nest has the whole message; extack takes what
	 * fits its 79 characters, cut explicitly (the kernel would log
	 * "truncated extack" for a longer one).
	 */
	if (strlen(f->message) <= SBEXEC_EXTACK_MAX)
		SBEXEC_ERR_MSG_FMT(info->extack,
				   "the command could not be started; the reply's FAILURE attribute says why",
				   "%.79s", f->message);
	else
		SBEXEC_ERR_MSG_FMT(info->extack,
				   "the command could not be started; the reply's FAILURE attribute says why",
				   "%.76s...", f->message);
	return f->err ? -(int)f->err : -EINVAL;
}

/*
 * Every operation needs CAP_SYS_ADMIN besides GENL_ADMIN_PERM's
 * CAP_NET_ADMIN. Checked at the top of each doit and in the LIST dumpit
 * (not in a pre_doit, whose signature differs between the kernels this
 * builds for, and which a dump would not pass through anyway).
 */
static int sbexec_nl_admin(struct sk_buff *skb, struct genl_info *info)
{
	if (netlink_capable(skb, CAP_SYS_ADMIN))
		return 0;
	NL_SET_ERR_MSG(info->extack, "sbexec needs CAP_SYS_ADMIN");
	return -EPERM;
}

/* A u32 attribute of the request, or @def when it is absent. */
static u32 sbexec_attr_u32(struct genl_info *info, int type, u32 def)
{
	return info->attrs[type] ? nla_get_u32(info->attrs[type]) : def;
}

int sbexec_nl_exec_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sbexec_params params;
	struct sbexec_failure fail;
	struct sbexec_session *s;
	struct sk_buff *msg;
	const char *cmd;
	void *hdr, *up;
	size_t len;
	int err;

	if (sbexec_nl_admin(skb, info))
		return -EPERM;
	if (SBEXEC_REQ_ATTR_MISSING(info, SBEXEC_A_CMD,
				    "missing CMD (the command to run)"))
		return -EINVAL;
	err = sbexec_exec_validate(info);
	if (err)
		return err;
	cmd = nla_data(info->attrs[SBEXEC_A_CMD]);

	params.cmd = cmd;
	params.user = info->attrs[SBEXEC_A_USER] ?
		      nla_data(info->attrs[SBEXEC_A_USER]) : NULL;
	params.tty = nla_get_flag(info->attrs[SBEXEC_A_TTY]);
	params.flags = info->attrs[SBEXEC_A_FLAGS] ?
		       nla_get_u32(info->attrs[SBEXEC_A_FLAGS]) : 0;
	params.ring_size = info->attrs[SBEXEC_A_RING_SIZE] ?
			   nla_get_u32(info->attrs[SBEXEC_A_RING_SIZE]) :
			   sbexec_default_ring_size();
	params.owner_portid = info->snd_portid;
	params.max_members = sbexec_attr_u32(info, SBEXEC_A_MAX_MEMBERS,
					     READ_ONCE(sbexec_max_members));
	params.linger_ms = sbexec_attr_u32(info, SBEXEC_A_LINGER_MS,
					   SBEXEC_DEFAULT_LINGER_MS);
	params.timeout_ms = sbexec_attr_u32(info, SBEXEC_A_TIMEOUT_MS, 0);
	params.grace_ms = sbexec_attr_u32(info, SBEXEC_A_GRACE_MS,
					  SBEXEC_DEFAULT_GRACE_MS);
	s = sbexec_session_new(&params, &fail);
	if (IS_ERR(s)) {
		if (PTR_ERR(s) == -EAGAIN)
			return sbexec_exec_failed(info, cmd, &fail);
		return PTR_ERR(s);
	}

	up = sbexec_build_upcall(info, &len);
	if (IS_ERR(up)) {
		err = PTR_ERR(up);
		goto err_remove;
	}
	err = sbexec_upcall_spawn(s, up, len, &fail);
	if (err == -EINTR || err == -ENOMEM)
		goto err_remove;
	if (err) {
		sbexec_session_remove(s);
		sbexec_session_put(s);
		return sbexec_exec_failed(info, cmd, &fail);
	}

	sbexec_event_started(s);
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg) {
		err = -ENOMEM;
		goto err_kill;
	}
	hdr = genlmsg_put_reply(msg, info, &sbexec_family, 0, SBEXEC_CMD_EXEC);
	if (!hdr || nla_put_u32(msg, SBEXEC_A_SESSION_ID, s->id) ||
	    nla_put_u32(msg, SBEXEC_A_PID, pid_vnr(s->pid))) {
		nlmsg_free(msg);
		err = -EMSGSIZE;
		goto err_kill;
	}
	genlmsg_end(msg, hdr);
	sbexec_session_put(s);
	return genlmsg_reply(msg, info);

err_kill:
	/* The client never learns the id: do not leave the process behind. */
	sbexec_members_kill(s, SIGKILL);
err_remove:
	sbexec_session_remove(s);
	sbexec_session_put(s);
	return err;
}

/*
 * The request's session, with a reference. @use: the caller wants to drive
 * it (stdin, resize, signal), which only its owner may do unless it is a
 * keep-running session (see sbexec_session_may_use()).
 */
static struct sbexec_session *sbexec_nl_session(struct genl_info *info,
						bool use)
{
	struct nlattr *id = info->attrs[SBEXEC_A_SESSION_ID];
	struct sbexec_session *s;

	if (SBEXEC_REQ_ATTR_MISSING(info, SBEXEC_A_SESSION_ID,
				    "missing SESSION_ID"))
		return ERR_PTR(-EINVAL);
	s = sbexec_session_lookup(nla_get_u32(id));
	if (!s) {
		SBEXEC_ERR_MSG_ATTR_FMT(info->extack, id, "no such session",
					"no such session: %u", nla_get_u32(id));
		return ERR_PTR(-ENOENT);
	}
	if (use && !sbexec_session_may_use(s)) {
		SBEXEC_ERR_MSG_ATTR_FMT(info->extack, id,
					"the session belongs to the process that started it (no KEEP_RUNNING)",
					"session %u belongs to the process that started it (no KEEP_RUNNING)",
					s->id);
		sbexec_session_put(s);
		return ERR_PTR(-EPERM);
	}
	return s;
}

int sbexec_nl_stdin_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sbexec_session *s;
	struct nlattr *data;
	int err;

	if (sbexec_nl_admin(skb, info))
		return -EPERM;
	if (SBEXEC_REQ_ATTR_MISSING(info, SBEXEC_A_STDIN_DATA,
				    "missing STDIN_DATA"))
		return -EINVAL;
	s = sbexec_nl_session(info, true);
	if (IS_ERR(s))
		return PTR_ERR(s);
	data = info->attrs[SBEXEC_A_STDIN_DATA];
	err = sbexec_session_write_stdin(s, nla_data(data), nla_len(data),
					 info->extack);
	sbexec_session_put(s);
	return err;
}

int sbexec_nl_close_stdin_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sbexec_session *s;
	int err;

	if (sbexec_nl_admin(skb, info))
		return -EPERM;
	s = sbexec_nl_session(info, true);
	if (IS_ERR(s))
		return PTR_ERR(s);
	err = sbexec_session_close_stdin(s, info->extack);
	sbexec_session_put(s);
	return err;
}

int sbexec_nl_resize_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sbexec_session *s;
	struct tty_struct *tty;
	struct winsize ws = {};
	int err;

	if (sbexec_nl_admin(skb, info))
		return -EPERM;
	if (SBEXEC_REQ_ATTR_MISSING(info, SBEXEC_A_ROWS, "missing ROWS") ||
	    SBEXEC_REQ_ATTR_MISSING(info, SBEXEC_A_COLS, "missing COLS"))
		return -EINVAL;
	s = sbexec_nl_session(info, true);
	if (IS_ERR(s))
		return PTR_ERR(s);
	if (!s->tty) {
		SBEXEC_ERR_MSG_FMT(info->extack,
				   "the session has no terminal (started without TTY)",
				   "session %u has no terminal (started without TTY)",
				   s->id);
		err = -ENOTTY;
		goto out;
	}
	ws.ws_row = nla_get_u16(info->attrs[SBEXEC_A_ROWS]);
	ws.ws_col = nla_get_u16(info->attrs[SBEXEC_A_COLS]);
	tty = sbexec_session_tty(s);
	if (tty->ops->resize)
		err = tty->ops->resize(tty, &ws);
	else
		err = tty_do_resize(tty, &ws);
	if (err)
		NL_SET_ERR_MSG(info->extack, "the terminal refused the new size");
out:
	sbexec_session_put(s);
	return err;
}

int sbexec_nl_signal_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sbexec_session *s;
	u32 sig, scope;
	int err;

	if (sbexec_nl_admin(skb, info))
		return -EPERM;
	if (SBEXEC_REQ_ATTR_MISSING(info, SBEXEC_A_SIGNAL, "missing SIGNAL"))
		return -EINVAL;
	sig = nla_get_u32(info->attrs[SBEXEC_A_SIGNAL]);
	if (!sig || sig > 64 || !valid_signal(sig)) {
		/* Out of range, as a policy bound would answer. */
		SBEXEC_ERR_MSG_ATTR_FMT(info->extack,
					info->attrs[SBEXEC_A_SIGNAL],
					"signal number out of range (1..64)",
					"signal %u out of range (1..64)", sig);
		return -ERANGE;
	}
	s = sbexec_nl_session(info, true);
	if (IS_ERR(s))
		return PTR_ERR(s);
	scope = info->attrs[SBEXEC_A_SIGNAL_SCOPE] ?
		nla_get_u32(info->attrs[SBEXEC_A_SIGNAL_SCOPE]) :
		SBEXEC_SIGNAL_SCOPE_PGRP;
	err = sbexec_session_signal(s, sig, scope, info->extack);
	sbexec_session_put(s);
	return err;
}

static int sbexec_fill_session(struct sk_buff *msg, struct sbexec_session *s,
			       u32 portid, u32 seq, int flags, u8 cmd)
{
	int status = READ_ONCE(s->exit_status);
	struct sbexec_exit_info ei;
	u32 live, total, refused;
	bool ended;
	void *hdr;

	hdr = genlmsg_put(msg, portid, seq, &sbexec_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	sbexec_members_count(s, &live, &total, &refused);
	ended = sbexec_session_exit_info(s, &ei);
	if (nla_put_u32(msg, SBEXEC_A_SESSION_ID, s->id) ||
	    nla_put_u32(msg, SBEXEC_A_PID, pid_vnr(s->pid)) ||
	    nla_put_string(msg, SBEXEC_A_CMD, s->cmd) ||
	    nla_put_u32(msg, SBEXEC_A_STATE,
			status >= 0 && READ_ONCE(s->state) ==
			SBEXEC_STATE_RUNNING ? SBEXEC_STATE_EXITED :
			READ_ONCE(s->state)) ||
	    (s->tty && nla_put_flag(msg, SBEXEC_A_TTY)) ||
	    (s->user && nla_put_string(msg, SBEXEC_A_USER, s->user)) ||
	    nla_put_u32(msg, SBEXEC_A_FLAGS, s->flags) ||
	    nla_put_u32(msg, SBEXEC_A_RING_SIZE, s->ring.size) ||
	    nla_put_u64_64bit(msg, SBEXEC_A_AGE_MS,
			      div_u64(ktime_get_boottime_ns() - s->start_ns,
				      NSEC_PER_MSEC), SBEXEC_A_PAD) ||
	    nla_put_u64_64bit(msg, SBEXEC_A_BYTES_OUT,
			      atomic64_read(&s->bytes_out), SBEXEC_A_PAD) ||
	    nla_put_u32(msg, SBEXEC_A_MEMBERS, live) ||
	    nla_put_u32(msg, SBEXEC_A_MEMBERS_TOTAL, total) ||
	    nla_put_u32(msg, SBEXEC_A_MEMBERS_REFUSED, refused) ||
	    nla_put_u32(msg, SBEXEC_A_MAX_MEMBERS, s->max_members) ||
	    (ended && sbexec_exit_nla_put(msg, &ei))) {
		genlmsg_cancel(msg, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return 0;
}

int sbexec_nl_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sbexec_session *s;
	struct sk_buff *msg;
	int err;

	if (sbexec_nl_admin(skb, info))
		return -EPERM;
	s = sbexec_nl_session(info, false);
	if (IS_ERR(s))
		return PTR_ERR(s);
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg) {
		err = -ENOMEM;
		goto out;
	}
	err = sbexec_fill_session(msg, s, info->snd_portid, info->snd_seq, 0,
				  SBEXEC_CMD_GET);
	if (err) {
		nlmsg_free(msg);
		goto out;
	}
	err = genlmsg_reply(msg, info);
out:
	sbexec_session_put(s);
	return err;
}

int sbexec_nl_list_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	unsigned long id = cb->args[0];
	struct sbexec_session *s;

	if (!netlink_capable(cb->skb, CAP_SYS_ADMIN)) {
		NL_SET_ERR_MSG(cb->extack, "sbexec needs CAP_SYS_ADMIN");
		return -EPERM;
	}
	if (!cb->args[1]) {
		/* First call: the request's SESSION_ID (validated) starts. */
		const struct nlattr *start;

		start = nlmsg_find_attr(cb->nlh, GENL_HDRLEN,
					SBEXEC_A_SESSION_ID);
		if (start)
			id = nla_get_u32(start);
		cb->args[1] = 1;
	}
	while ((s = sbexec_session_next(&id))) {
		int err = sbexec_fill_session(skb, s,
					      NETLINK_CB(cb->skb).portid,
					      cb->nlh->nlmsg_seq, NLM_F_MULTI,
					      SBEXEC_CMD_LIST);

		sbexec_session_put(s);
		if (err)
			break;
		id++;
	}
	cb->args[0] = id;
	return skb->len;
}

/*
 * What ynl-gen-c.py does not generate for a genetlink-legacy family: the
 * family itself and its multicast group, whose flags depend on the kernel
 * (compat.h). The ops and their policies come from genl-gen.c.
 */
static const struct genl_multicast_group sbexec_mcgrps[] = {
	[SBEXEC_NLGRP_EVENTS] = { .name = SBEXEC_MCGRP_EVENTS,
				  .flags = SBEXEC_MCGRP_FLAGS },
};

struct genl_family sbexec_family = {
	.name = SBEXEC_GENL_NAME,
	.version = SBEXEC_GENL_VERSION,
	.netnsok = false,
	.parallel_ops = true,
	.ops = sbexec_nl_ops,
	.n_ops = ARRAY_SIZE(sbexec_nl_ops),
	.mcgrps = sbexec_mcgrps,
	.n_mcgrps = ARRAY_SIZE(sbexec_mcgrps),
	.module = THIS_MODULE,
};

/**
 * sbexec_genl_init - register the family
 *
 * Return: 0 or -errno.
 */
int sbexec_genl_init(void)
{
	int err = genl_register_family(&sbexec_family);

	if (!err)
		sbexec_events_start();
	return err;
}

/**
 * sbexec_genl_exit - unregister the family (waits for running doits)
 */
void sbexec_genl_exit(void)
{
	genl_unregister_family(&sbexec_family);
}
