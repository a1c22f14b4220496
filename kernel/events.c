// SPDX-License-Identifier: GPL-2.0
/*
 * Events on the family's "events" multicast group: a session started, a
 * command could not be started, a session's process ended. Each is built
 * only when someone listens. Also the EXIT nest, which events and the GET
 * and LIST replies share.
 *
 * Where the kernel cannot restrict the group to CAP_SYS_ADMIN (compat.h),
 * events carry no command line.
 */

#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <net/genetlink.h>

#include "compat.h"
#include "sbexec.h"

/* Set while events may be sent; cleared (then an RCU grace period) first
 * thing on unload so no event races with the family's unregistration.
 */
static bool sbexec_events_on;

/**
 * sbexec_session_exit_info - a session's exit record, when its leader ended
 * @s: the session
 * @info: filled in: the exit record once it is queued, before that the
 *	leader's status with the account so far
 *
 * Return: false while the leader runs (@info untouched).
 */
bool sbexec_session_exit_info(struct sbexec_session *s,
			      struct sbexec_exit_info *info)
{
	int status = READ_ONCE(s->exit_status);
	bool final;

	if (status < 0)
		return false;
	spin_lock(&s->lock);
	final = s->final_queued;
	if (final)
		*info = s->final;
	spin_unlock(&s->lock);
	if (!final)
		sbexec_exit_info_fill(s, status, info);
	return true;
}

/**
 * sbexec_exit_nla_put - put an SBEXEC_A_EXIT nest for an exit record
 * @skb: message
 * @info: the exit record
 *
 * Return: 0 or -EMSGSIZE.
 */
int sbexec_exit_nla_put(struct sk_buff *skb,
			const struct sbexec_exit_info *info)
{
	struct nlattr *nest = nla_nest_start(skb, SBEXEC_A_EXIT);

	if (!nest)
		return -EMSGSIZE;
	if (info->exited) {
		if (nla_put_u32(skb, SBEXEC_EXIT_A_CODE, info->code))
			goto cancel;
	} else {
		if (nla_put_u32(skb, SBEXEC_EXIT_A_SIGNAL, info->signal))
			goto cancel;
		if (info->core_dumped &&
		    nla_put_flag(skb, SBEXEC_EXIT_A_CORE_DUMPED))
			goto cancel;
	}
	if ((info->timed_out && nla_put_flag(skb, SBEXEC_EXIT_A_TIMED_OUT)) ||
	    (info->oom_killed && nla_put_flag(skb, SBEXEC_EXIT_A_OOM_KILLED)) ||
	    nla_put_u32(skb, SBEXEC_EXIT_A_MEMBERS, info->members) ||
	    nla_put_u32(skb, SBEXEC_EXIT_A_MEMBERS_REFUSED,
			info->members_refused) ||
	    nla_put_u64_64bit(skb, SBEXEC_EXIT_A_CPU_USER_NS, info->cpu_user_ns,
			      SBEXEC_EXIT_A_PAD) ||
	    nla_put_u64_64bit(skb, SBEXEC_EXIT_A_CPU_SYS_NS, info->cpu_sys_ns,
			      SBEXEC_EXIT_A_PAD) ||
	    nla_put_u64_64bit(skb, SBEXEC_EXIT_A_MAX_RSS_KB, info->max_rss_kb,
			      SBEXEC_EXIT_A_PAD) ||
	    nla_put_u64_64bit(skb, SBEXEC_EXIT_A_STDOUT_BYTES,
			      info->stdout_bytes, SBEXEC_EXIT_A_PAD) ||
	    nla_put_u64_64bit(skb, SBEXEC_EXIT_A_STDERR_BYTES,
			      info->stderr_bytes, SBEXEC_EXIT_A_PAD) ||
	    nla_put_u64_64bit(skb, SBEXEC_EXIT_A_WALL_NS, info->wall_ns,
			      SBEXEC_EXIT_A_PAD))
		goto cancel;
	nla_nest_end(skb, nest);
	return 0;
cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

/* Send an event built by sbexec_event_new(), or drop it if @err. */
static void sbexec_event_send(struct sk_buff *skb, void *hdr, int err)
{
	if (err) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	rcu_read_lock();
	if (READ_ONCE(sbexec_events_on))
		genlmsg_multicast(&sbexec_family, skb, 0, 0, GFP_ATOMIC);
	else
		nlmsg_free(skb);
	rcu_read_unlock();
}

static struct sk_buff *sbexec_event_new(u8 cmd, void **hdr)
{
	struct sk_buff *skb;

	if (!READ_ONCE(sbexec_events_on) ||
	    !genl_has_listeners(&sbexec_family, &init_net, 0))
		return NULL;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return NULL;
	*hdr = genlmsg_put(skb, 0, 0, &sbexec_family, 0, cmd);
	if (!*hdr) {
		nlmsg_free(skb);
		return NULL;
	}
	return skb;
}

static int sbexec_event_put_ids(struct sk_buff *skb, struct sbexec_session *s)
{
	if (nla_put_u32(skb, SBEXEC_A_SESSION_ID, s->id) ||
	    nla_put_u32(skb, SBEXEC_A_PID, pid_nr(s->pid)))
		return -EMSGSIZE;
	return 0;
}

/**
 * sbexec_event_started - multicast that a session's process was started
 * @s: the session, just started
 */
void sbexec_event_started(struct sbexec_session *s)
{
	struct sk_buff *skb;
	void *hdr;

	skb = sbexec_event_new(SBEXEC_CMD_EVENT_STARTED, &hdr);
	if (skb)
		sbexec_event_send(skb, hdr, sbexec_event_put_ids(skb, s) ||
				  (SBEXEC_EVENTS_PRIVATE &&
				   nla_put_string(skb, SBEXEC_A_CMD, s->cmd)));
}

/**
 * sbexec_event_failed - multicast that a command could not be started
 * @cmd: the command
 * @f: why
 */
void sbexec_event_failed(const char *cmd, const struct sbexec_failure *f)
{
	struct sk_buff *skb;
	void *hdr;

	skb = sbexec_event_new(SBEXEC_CMD_EVENT_FAILED, &hdr);
	if (skb)
		sbexec_event_send(skb, hdr,
				  (SBEXEC_EVENTS_PRIVATE &&
				   nla_put_string(skb, SBEXEC_A_CMD, cmd)) ||
				  sbexec_failure_nla_put(skb, SBEXEC_A_FAILURE, f));
}

/**
 * sbexec_event_exited - multicast that a session ended
 * @s: the session, its exit record queued (in s->final)
 */
void sbexec_event_exited(struct sbexec_session *s)
{
	struct sbexec_exit_info info;
	struct sk_buff *skb;
	void *hdr;

	skb = sbexec_event_new(SBEXEC_CMD_EVENT_EXITED, &hdr);
	if (!skb)
		return;
	spin_lock(&s->lock);
	info = s->final;
	spin_unlock(&s->lock);
	sbexec_event_send(skb, hdr, sbexec_event_put_ids(skb, s) ||
			  sbexec_exit_nla_put(skb, &info));
}

/**
 * sbexec_events_start - events may be sent (the family is registered)
 */
void sbexec_events_start(void)
{
	WRITE_ONCE(sbexec_events_on, true);
}

/**
 * sbexec_events_stop - no more events from here on
 *
 * Called first thing on unload, before the family is unregistered.
 */
void sbexec_events_stop(void)
{
	WRITE_ONCE(sbexec_events_on, false);
	synchronize_rcu();
}
