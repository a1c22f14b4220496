/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/sbexec.yaml */
/* YNL-GEN kernel header */

#ifndef _LINUX_SBEXEC_GEN_H
#define _LINUX_SBEXEC_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <uapi/linux/sbexec_netlink.h>

/* Common nested types */
extern const struct nla_policy sbexec_rlimit_nl_policy[SBEXEC_RLIMIT_A_PAD + 1];

extern const struct nla_policy sbexec_exec_nl_policy[SBEXEC_A_MAX_MEMBERS + 1];

extern const struct nla_policy sbexec_stdin_nl_policy[SBEXEC_A_STDIN_DATA + 1];

extern const struct nla_policy sbexec_close_stdin_nl_policy[SBEXEC_A_SESSION_ID + 1];

extern const struct nla_policy sbexec_resize_nl_policy[SBEXEC_A_COLS + 1];

extern const struct nla_policy sbexec_signal_nl_policy[SBEXEC_A_SIGNAL_SCOPE + 1];

extern const struct nla_policy sbexec_get_nl_policy[SBEXEC_A_SESSION_ID + 1];

extern const struct nla_policy sbexec_list_nl_policy[SBEXEC_A_SESSION_ID + 1];

/* Ops table for sbexec */
extern const struct genl_ops sbexec_nl_ops[7];

int sbexec_nl_exec_doit(struct sk_buff *skb, struct genl_info *info);
int sbexec_nl_stdin_doit(struct sk_buff *skb, struct genl_info *info);
int sbexec_nl_close_stdin_doit(struct sk_buff *skb, struct genl_info *info);
int sbexec_nl_resize_doit(struct sk_buff *skb, struct genl_info *info);
int sbexec_nl_signal_doit(struct sk_buff *skb, struct genl_info *info);
int sbexec_nl_get_doit(struct sk_buff *skb, struct genl_info *info);
int sbexec_nl_list_dumpit(struct sk_buff *skb, struct netlink_callback *cb);

enum {
	SBEXEC_NLGRP_EVENTS,
};

#endif /* _LINUX_SBEXEC_GEN_H */
