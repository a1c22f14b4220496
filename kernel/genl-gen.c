// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/sbexec.yaml */
/* YNL-GEN kernel source */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "genl-gen.h"

#include <uapi/linux/sbexec_netlink.h>

/* Common nested types */
const struct nla_policy sbexec_rlimit_nl_policy[SBEXEC_RLIMIT_A_PAD + 1] = {
	[SBEXEC_RLIMIT_A_NAME] = { .type = NLA_NUL_STRING, .len = SBEXEC_MAX_RLIMIT_NAME, },
	[SBEXEC_RLIMIT_A_SOFT] = { .type = NLA_U64, },
	[SBEXEC_RLIMIT_A_HARD] = { .type = NLA_U64, },
};

/* SBEXEC_CMD_EXEC - do */
const struct nla_policy sbexec_exec_nl_policy[SBEXEC_A_MAX_MEMBERS + 1] = {
	[SBEXEC_A_CMD] = { .type = NLA_NUL_STRING, .len = SBEXEC_MAX_PATH_LEN, },
	[SBEXEC_A_ARG] = { .type = NLA_NUL_STRING, .len = SBEXEC_MAX_ARG_LEN, },
	[SBEXEC_A_ENV] = { .type = NLA_NUL_STRING, .len = SBEXEC_MAX_ARG_LEN, },
	[SBEXEC_A_CWD] = { .type = NLA_NUL_STRING, .len = SBEXEC_MAX_PATH_LEN, },
	[SBEXEC_A_USER] = { .type = NLA_NUL_STRING, .len = SBEXEC_MAX_USER_LEN, },
	[SBEXEC_A_TTY] = { .type = NLA_FLAG, },
	[SBEXEC_A_ROWS] = NLA_POLICY_MIN(NLA_U16, 1),
	[SBEXEC_A_COLS] = NLA_POLICY_MIN(NLA_U16, 1),
	[SBEXEC_A_RLIMIT] = NLA_POLICY_NESTED(sbexec_rlimit_nl_policy),
	[SBEXEC_A_FLAGS] = NLA_POLICY_MASK(NLA_U32, 0x3),
	[SBEXEC_A_RING_SIZE] = NLA_POLICY_MIN(NLA_U32, 1),
	[SBEXEC_A_MAX_MEMBERS] = NLA_POLICY_MIN(NLA_U32, 1),
	[SBEXEC_A_LINGER_MS] = NLA_POLICY_MAX(NLA_U32, 30000),
	[SBEXEC_A_TIMEOUT_MS] = NLA_POLICY_MIN(NLA_U32, 1),
	[SBEXEC_A_GRACE_MS] = { .type = NLA_U32, },
};

/* SBEXEC_CMD_STDIN - do */
const struct nla_policy sbexec_stdin_nl_policy[SBEXEC_A_STDIN_DATA + 1] = {
	[SBEXEC_A_SESSION_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[SBEXEC_A_STDIN_DATA] = { .type = NLA_BINARY, .len = SBEXEC_MAX_STDIN_CHUNK, },
};

/* SBEXEC_CMD_CLOSE_STDIN - do */
const struct nla_policy sbexec_close_stdin_nl_policy[SBEXEC_A_SESSION_ID + 1] = {
	[SBEXEC_A_SESSION_ID] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* SBEXEC_CMD_RESIZE - do */
const struct nla_policy sbexec_resize_nl_policy[SBEXEC_A_COLS + 1] = {
	[SBEXEC_A_SESSION_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[SBEXEC_A_ROWS] = NLA_POLICY_MIN(NLA_U16, 1),
	[SBEXEC_A_COLS] = NLA_POLICY_MIN(NLA_U16, 1),
};

/* SBEXEC_CMD_SIGNAL - do */
const struct nla_policy sbexec_signal_nl_policy[SBEXEC_A_SIGNAL_SCOPE + 1] = {
	[SBEXEC_A_SESSION_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[SBEXEC_A_SIGNAL] = { .type = NLA_U32, },
	[SBEXEC_A_SIGNAL_SCOPE] = NLA_POLICY_MAX(NLA_U32, 1),
};

/* SBEXEC_CMD_GET - do */
const struct nla_policy sbexec_get_nl_policy[SBEXEC_A_SESSION_ID + 1] = {
	[SBEXEC_A_SESSION_ID] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* SBEXEC_CMD_LIST - dump */
const struct nla_policy sbexec_list_nl_policy[SBEXEC_A_SESSION_ID + 1] = {
	[SBEXEC_A_SESSION_ID] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* Ops table for sbexec */
const struct genl_ops sbexec_nl_ops[7] = {
	{
		.cmd		= SBEXEC_CMD_EXEC,
		.doit		= sbexec_nl_exec_doit,
		.policy		= sbexec_exec_nl_policy,
		.maxattr	= SBEXEC_A_MAX_MEMBERS,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= SBEXEC_CMD_STDIN,
		.doit		= sbexec_nl_stdin_doit,
		.policy		= sbexec_stdin_nl_policy,
		.maxattr	= SBEXEC_A_STDIN_DATA,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= SBEXEC_CMD_CLOSE_STDIN,
		.doit		= sbexec_nl_close_stdin_doit,
		.policy		= sbexec_close_stdin_nl_policy,
		.maxattr	= SBEXEC_A_SESSION_ID,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= SBEXEC_CMD_RESIZE,
		.doit		= sbexec_nl_resize_doit,
		.policy		= sbexec_resize_nl_policy,
		.maxattr	= SBEXEC_A_COLS,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= SBEXEC_CMD_SIGNAL,
		.doit		= sbexec_nl_signal_doit,
		.policy		= sbexec_signal_nl_policy,
		.maxattr	= SBEXEC_A_SIGNAL_SCOPE,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= SBEXEC_CMD_GET,
		.doit		= sbexec_nl_get_doit,
		.policy		= sbexec_get_nl_policy,
		.maxattr	= SBEXEC_A_SESSION_ID,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= SBEXEC_CMD_LIST,
		.dumpit		= sbexec_nl_list_dumpit,
		.policy		= sbexec_list_nl_policy,
		.maxattr	= SBEXEC_A_SESSION_ID,
		.flags		= GENL_ADMIN_PERM,
	},
};
