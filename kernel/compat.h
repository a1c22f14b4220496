/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels sbexec builds for (Debian 6.1 and 6.12,
 * and custom guest kernels in between). Every entry is decided by a feature
 * test on a header macro, never by a version number.
 */
#ifndef _SBEXEC_COMPAT_H
#define _SBEXEC_COMPAT_H

#include <net/genetlink.h>
#include <linux/mm.h>
#include <linux/netlink.h>

/*
 * Formatted extack messages (6.2+). Older kernels keep only a pointer to
 * the message, so they get the fixed fallback text; the formatted detail
 * is still in the reply's attributes where there is one. Both texts must
 * fit NETLINK_MAX_FMTMSG_LEN (80 bytes with the NUL): a longer formatted
 * message is cut and logged as "truncated extack" (scripts/extack-check
 * holds every message in kernel/ to 79 characters).
 */
#ifdef NL_SET_ERR_MSG_FMT
#define SBEXEC_ERR_MSG_FMT(extack, fallback, fmt, ...) \
	NL_SET_ERR_MSG_FMT(extack, fmt, ##__VA_ARGS__)
#else
#define SBEXEC_ERR_MSG_FMT(extack, fallback, fmt, ...) \
	NL_SET_ERR_MSG(extack, fallback)
#endif

/* The same, blaming attribute @attr (its offset goes into the ack). */
#define SBEXEC_ERR_MSG_ATTR_FMT(extack, attr, fallback, fmt, ...) do {	\
	struct netlink_ext_ack *__sbx_extack = (extack);		\
									\
	SBEXEC_ERR_MSG_FMT(__sbx_extack, fallback, fmt, ##__VA_ARGS__);	\
	NL_SET_BAD_ATTR(__sbx_extack, attr);				\
} while (0)

/* The longest extack message that reaches the client whole. */
#ifdef NETLINK_MAX_FMTMSG_LEN
#define SBEXEC_EXTACK_MAX	(NETLINK_MAX_FMTMSG_LEN - 1)
#else
#define SBEXEC_EXTACK_MAX	79
#endif

/*
 * Multicast groups restricted to CAP_SYS_ADMIN (6.7, backported to stable
 * kernels). Without it the group is open to every listener, so events then
 * carry no command line.
 */
#ifdef GENL_MCAST_CAP_SYS_ADMIN
#define SBEXEC_MCGRP_FLAGS	GENL_MCAST_CAP_SYS_ADMIN
#define SBEXEC_EVENTS_PRIVATE	1
#else
#define SBEXEC_MCGRP_FLAGS	0
#define SBEXEC_EVENTS_PRIVATE	0
#endif

/*
 * vma->vm_flags became read-only behind vm_flags_set() and friends (6.3);
 * the same change replaced VM_LOCKED_CLEAR_MASK by VM_LOCKED_MASK, the
 * macro tested here. Only for a VMA being set up by mmap().
 */
#ifdef VM_LOCKED_MASK
#define sbexec_vm_flags_set(vma, flags)	vm_flags_set(vma, flags)
#else
#define sbexec_vm_flags_set(vma, flags)	((vma)->vm_flags |= (flags))
#endif

#endif /* _SBEXEC_COMPAT_H */
