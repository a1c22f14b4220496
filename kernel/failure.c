// SPDX-License-Identifier: GPL-2.0
/*
 * Why a command could not be started: a struct sbexec_failure is filled in
 * by whoever refuses the command (admission in session.c, the upcall plane
 * in upcall.c, or the helper's own report) and sent to the client in the
 * EXEC reply's FAILURE nest and on the events group.
 */

#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <net/netlink.h>

#include "sbexec.h"

/**
 * sbexec_failure_set - fill in a failure
 * @f: the failure
 * @kind: enum sbexec_fail_kind
 * @stage: enum sbexec_fail_stage
 * @err: positive errno, 0 if none applies
 * @fmt: printf format of the message
 *
 * The errno name is left empty; see sbexec_failure_name_errno().
 */
void sbexec_failure_set(struct sbexec_failure *f, u32 kind, u32 stage,
			u32 err, const char *fmt, ...)
{
	va_list ap;

	f->kind = kind;
	f->stage = stage;
	f->err = err;
	f->errno_name[0] = '\0';
	va_start(ap, fmt);
	vscnprintf(f->message, sizeof(f->message), fmt, ap);
	va_end(ap);
}

/**
 * sbexec_failure_name_errno - name the failure's errno as the kernel does
 * @f: a failure whose @err is set
 *
 * The name is the one printk's %pe prints for the error ("-ENOTCONN"),
 * without its sign. A kernel built without CONFIG_SYMBOLIC_ERRNAME prints
 * the number instead: the name then stays empty, which leaves naming the
 * errno to the client.
 */
void sbexec_failure_name_errno(struct sbexec_failure *f)
{
	char name[SBEXEC_MAX_ERRNO_NAME_LEN + 2];

	snprintf(name, sizeof(name), "%pe", ERR_PTR(-(long)f->err));
	strscpy(f->errno_name, name[0] == '-' && name[1] == 'E' ? name + 1 : "",
		sizeof(f->errno_name));
}

/**
 * sbexec_failure_nla_put - put a failure nest
 * @skb: message
 * @attr: nest type (SBEXEC_A_FAILURE)
 * @f: the failure
 *
 * Return: 0 or -EMSGSIZE.
 */
int sbexec_failure_nla_put(struct sk_buff *skb, int attr,
			   const struct sbexec_failure *f)
{
	struct nlattr *nest = nla_nest_start(skb, attr);

	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, SBEXEC_FAILURE_A_KIND, f->kind) ||
	    nla_put_u32(skb, SBEXEC_FAILURE_A_ERRNO, f->err) ||
	    nla_put_u32(skb, SBEXEC_FAILURE_A_STAGE, f->stage) ||
	    nla_put_string(skb, SBEXEC_FAILURE_A_MESSAGE, f->message) ||
	    (f->errno_name[0] &&
	     nla_put_string(skb, SBEXEC_FAILURE_A_ERRNO_NAME, f->errno_name))) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}
