// SPDX-License-Identifier: GPL-2.0
/*
 * What the EXEC policy cannot say, checked before anything is allocated or
 * spawned: no embedded NUL in strings, counts of repeated attributes, the
 * total of argument and environment bytes, KEY=VALUE env entries, known
 * rlimit names with soft <= hard, no attribute but ARG, ENV and RLIMIT
 * given twice, RING_SIZE (rounded up) within max_ring_size, MAX_MEMBERS
 * within max_members and GRACE_MS at most an hour.
 */

#include <linux/bitops.h>
#include <linux/resource.h>
#include <linux/string.h>
#include <net/genetlink.h>

#include "compat.h"
#include "genl-gen.h"
#include "sbexec.h"

static const char * const sbexec_rlimit_names[RLIM_NLIMITS] = {
	SBEXEC_RLIMIT_NAMES
};

/* A string attribute must hold exactly one NUL, at its end. */
static bool sbexec_nla_str_ok(const struct nlattr *nla)
{
	int len = nla_len(nla);

	return len > 0 && strnlen(nla_data(nla), len) == len - 1;
}

/* Names of the attributes a request may carry, for extack messages. */
static const char * const sbexec_attr_names[SBEXEC_A_MAX + 1] = {
	[SBEXEC_A_SESSION_ID] = "SESSION_ID",
	[SBEXEC_A_CMD] = "CMD",
	[SBEXEC_A_ARG] = "ARG",
	[SBEXEC_A_ENV] = "ENV",
	[SBEXEC_A_CWD] = "CWD",
	[SBEXEC_A_USER] = "USER",
	[SBEXEC_A_TTY] = "TTY",
	[SBEXEC_A_ROWS] = "ROWS",
	[SBEXEC_A_COLS] = "COLS",
	[SBEXEC_A_RLIMIT] = "RLIMIT",
	[SBEXEC_A_STDIN_DATA] = "STDIN_DATA",
	[SBEXEC_A_SIGNAL] = "SIGNAL",
	[SBEXEC_A_FLAGS] = "FLAGS",
	[SBEXEC_A_RING_SIZE] = "RING_SIZE",
	[SBEXEC_A_SIGNAL_SCOPE] = "SIGNAL_SCOPE",
	[SBEXEC_A_LINGER_MS] = "LINGER_MS",
	[SBEXEC_A_TIMEOUT_MS] = "TIMEOUT_MS",
	[SBEXEC_A_GRACE_MS] = "GRACE_MS",
	[SBEXEC_A_MAX_MEMBERS] = "MAX_MEMBERS",
};

/* Unused where extack messages cannot be formatted (compat.h). */
static __maybe_unused const char *sbexec_attr_name(int type)
{
	if (type <= 0 || type > SBEXEC_A_MAX || !sbexec_attr_names[type])
		return "attribute";
	return sbexec_attr_names[type];
}

static int sbexec_rlimit_validate(struct nlattr *nest,
				  struct netlink_ext_ack *extack)
{
	struct nlattr *tb[SBEXEC_RLIMIT_A_MAX + 1];
	const char *name;
	unsigned int i;
	int err;

	err = nla_parse_nested(tb, SBEXEC_RLIMIT_A_MAX, nest,
			       sbexec_rlimit_nl_policy, extack);
	if (err)
		return err;
	if (NL_REQ_ATTR_CHECK(extack, nest, tb, SBEXEC_RLIMIT_A_NAME)) {
		NL_SET_ERR_MSG(extack, "missing RLIMIT NAME");
		return -EINVAL;
	}
	if (!sbexec_nla_str_ok(tb[SBEXEC_RLIMIT_A_NAME])) {
		NL_SET_ERR_MSG_ATTR(extack, tb[SBEXEC_RLIMIT_A_NAME],
				    "rlimit name contains a NUL byte");
		return -EINVAL;
	}
	name = nla_data(tb[SBEXEC_RLIMIT_A_NAME]);
	if (NL_REQ_ATTR_CHECK(extack, nest, tb, SBEXEC_RLIMIT_A_SOFT) ||
	    NL_REQ_ATTR_CHECK(extack, nest, tb, SBEXEC_RLIMIT_A_HARD)) {
		SBEXEC_ERR_MSG_FMT(extack, "missing RLIMIT SOFT or HARD",
				   "rlimit %.15s: missing %.4s", name,
				   tb[SBEXEC_RLIMIT_A_SOFT] ? "HARD" : "SOFT");
		return -EINVAL;
	}
	for (i = 0; i < ARRAY_SIZE(sbexec_rlimit_names); i++)
		if (sbexec_rlimit_names[i] && !strcmp(name, sbexec_rlimit_names[i]))
			break;
	if (i == ARRAY_SIZE(sbexec_rlimit_names)) {
		SBEXEC_ERR_MSG_ATTR_FMT(extack, tb[SBEXEC_RLIMIT_A_NAME],
					"unknown rlimit name (the known ones: enum sbexec_rlimit_attr)",
					"unknown rlimit name \"%.15s\"", name);
		return -EINVAL;
	}
	if (nla_get_u64(tb[SBEXEC_RLIMIT_A_SOFT]) >
	    nla_get_u64(tb[SBEXEC_RLIMIT_A_HARD])) {
		SBEXEC_ERR_MSG_ATTR_FMT(extack, nest,
					"rlimit soft limit is above its hard limit",
					"rlimit %.15s: soft %llu > hard %llu", name,
					nla_get_u64(tb[SBEXEC_RLIMIT_A_SOFT]),
					nla_get_u64(tb[SBEXEC_RLIMIT_A_HARD]));
		return -EINVAL;
	}
	return 0;
}

/* RING_SIZE, rounded up as the ring will be, within max_ring_size. */
static int sbexec_ring_size_validate(const struct nlattr *nla,
				     struct netlink_ext_ack *extack)
{
	u32 size = nla_get_u32(nla);
	u64 bytes = sbexec_ring_data_size(size);
	u32 max = READ_ONCE(sbexec_max_ring_size);

	if (bytes <= max)
		return 0;
	SBEXEC_ERR_MSG_ATTR_FMT(extack, nla,
				"RING_SIZE, rounded up, is over the parameter max_ring_size",
				"RING_SIZE %u rounds up to %u KiB, over max_ring_size %u",
				size, (u32)(bytes >> 10), max);
	return -ERANGE;
}

/* MAX_MEMBERS within the parameter max_members. */
static int sbexec_max_members_validate(const struct nlattr *nla,
				       struct netlink_ext_ack *extack)
{
	u32 max = READ_ONCE(sbexec_max_members);

	if (nla_get_u32(nla) <= max)
		return 0;
	SBEXEC_ERR_MSG_ATTR_FMT(extack, nla,
				"MAX_MEMBERS is over the parameter max_members",
				"MAX_MEMBERS %u is over max_members %u",
				nla_get_u32(nla), max);
	return -ERANGE;
}

/**
 * sbexec_exec_validate - check an EXEC request for what its policy cannot
 * @info: the request, parsed and checked against its policy
 *
 * Walks every attribute of the request once; the policy has already
 * bounded each one's type and length.
 *
 * Return: 0, or -EINVAL, -ERANGE or -E2BIG with extack set.
 */
int sbexec_exec_validate(struct genl_info *info)
{
	struct netlink_ext_ack *extack = info->extack;
	unsigned int nargs = 0, nenv = 0, nrlim = 0;
	unsigned long seen = 0;
	size_t bytes = 0;
	struct nlattr *nla;
	int rem, err;

	nlmsg_for_each_attr(nla, info->nlhdr, GENL_HDRLEN, rem) {
		int type = nla_type(nla);

		if (type != SBEXEC_A_ARG && type != SBEXEC_A_ENV &&
		    type != SBEXEC_A_RLIMIT && type <= SBEXEC_A_MAX) {
			if (__test_and_set_bit(type, &seen)) {
				SBEXEC_ERR_MSG_ATTR_FMT(extack, nla,
							"attribute given twice",
							"%.10s given twice",
							sbexec_attr_name(type));
				return -EINVAL;
			}
		}
		switch (type) {
		case SBEXEC_A_CMD:
		case SBEXEC_A_ARG:
		case SBEXEC_A_ENV:
		case SBEXEC_A_CWD:
		case SBEXEC_A_USER:
			if (!sbexec_nla_str_ok(nla)) {
				SBEXEC_ERR_MSG_ATTR_FMT(extack, nla,
							"string contains a NUL byte",
							"%.10s contains a NUL byte",
							sbexec_attr_name(type));
				return -EINVAL;
			}
			break;
		}
		switch (type) {
		case SBEXEC_A_CMD:
			if (nla_len(nla) < 2) {
				NL_SET_ERR_MSG_ATTR(extack, nla,
						    "empty command (CMD is \"\")");
				return -EINVAL;
			}
			break;
		case SBEXEC_A_ARG:
			if (++nargs > SBEXEC_MAX_ARGS) {
				NL_SET_ERR_MSG_ATTR(extack, nla,
						    "too many arguments (max 1024)");
				return -E2BIG;
			}
			bytes += nla_len(nla);
			break;
		case SBEXEC_A_ENV: {
			const char *kv = nla_data(nla);
			const char *eq = strchr(kv, '=');

			if (++nenv > SBEXEC_MAX_ENV) {
				NL_SET_ERR_MSG_ATTR(extack, nla,
						    "too many environment entries (max 1024)");
				return -E2BIG;
			}
			if (!eq || eq == kv) {
				SBEXEC_ERR_MSG_ATTR_FMT(extack, nla,
							"environment entry must be KEY=VALUE with a non-empty KEY",
							"env entry \"%.40s\" is not KEY=VALUE",
							kv);
				return -EINVAL;
			}
			bytes += nla_len(nla);
			break;
		}
		case SBEXEC_A_RLIMIT:
			if (++nrlim > SBEXEC_MAX_RLIMITS) {
				NL_SET_ERR_MSG_ATTR(extack, nla,
						    "too many rlimits (max 16)");
				return -E2BIG;
			}
			err = sbexec_rlimit_validate(nla, extack);
			if (err)
				return err;
			break;
		case SBEXEC_A_RING_SIZE:
			err = sbexec_ring_size_validate(nla, extack);
			if (err)
				return err;
			break;
		case SBEXEC_A_MAX_MEMBERS:
			err = sbexec_max_members_validate(nla, extack);
			if (err)
				return err;
			break;
		case SBEXEC_A_GRACE_MS:
			if (nla_get_u32(nla) > SBEXEC_MAX_GRACE_MS) {
				NL_SET_ERR_MSG_ATTR(extack, nla,
						    "GRACE_MS over an hour (3600000)");
				return -ERANGE;
			}
			break;
		}
		if (bytes > SBEXEC_MAX_ARGV_BYTES) {
			NL_SET_ERR_MSG_ATTR(extack, nla,
					    "arguments and environment exceed 256 KiB in total");
			return -E2BIG;
		}
	}
	if (info->attrs[SBEXEC_A_FLAGS] && info->attrs[SBEXEC_A_TTY] &&
	    (nla_get_u32(info->attrs[SBEXEC_A_FLAGS]) &
	     SBEXEC_EXEC_F_DIRECT_OUTPUT)) {
		NL_SET_ERR_MSG_ATTR(extack, info->attrs[SBEXEC_A_FLAGS],
				    "DIRECT_OUTPUT is for pipe mode: a TTY session's output is its terminal");
		return -EINVAL;
	}
	return 0;
}
