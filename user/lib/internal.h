/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * internal.h - libsbexec's private declarations.
 */
#ifndef SBEXEC_LIB_INTERNAL_H
#define SBEXEC_LIB_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

#include "sbexec.h"

/*
 * struct sbexec - one client connection.
 *
 * Everything a call needs lives here, so two handles never share state;
 * a handle is used by one thread at a time.
 */
struct sbexec {
	struct nl_sock *sk;		/* generic netlink socket (local) */
	struct sbx_link *link;		/* or the link to a bridge (remote) */
	int family;			/* resolved id of "sbexec" */
	int last_err;			/* last call's result, 0 or -errno */
	bool have_extack;		/* extack[] holds the kernel's message */
	char extack[SBEXEC_ERRMSG_LEN];	/* NLMSGERR_ATTR_MSG of the last ack */
	char bad_attr[64];		/* name of the attribute it blamed */
	char errmsg[SBEXEC_ERRMSG_LEN + 96]; /* sbexec_strerror_last() */
};

/*
 * Handler for each reply message of a request (EXEC reply, GET reply,
 * every LIST entry). @tb is indexed by enum sbexec_attr. A negative return
 * is remembered as the request's result (the ack is still consumed).
 */
typedef int (*sbx_reply_fn)(struct nlattr **tb, void *arg);

/*
 * How sbx_request() reads the replies of a request: libnl checks each
 * reply's attributes against @policy (SBEXEC_A_MAX + 1 entries; NULL for
 * no checks), and a reply it rejects is not handed to @fn but recorded as
 * -EPROTO with the message @malformed, as a failure of @fn would be.
 */
struct sbx_reply {
	const struct nla_policy *policy;
	const char *malformed;
	sbx_reply_fn fn;
};

/* Policy entries for an integer of exactly its size (libnl: at least). */
#define SBX_POLICY_U32	{ .type = NLA_U32, .maxlen = sizeof(uint32_t) }
#define SBX_POLICY_U64	{ .type = NLA_U64, .maxlen = sizeof(uint64_t) }

/*
 * Allocate a request for @cmd with room for @payload bytes of attributes;
 * @dump adds NLM_F_DUMP. NLM_F_ACK is always set. NULL on ENOMEM (the
 * handle's error is set).
 */
struct nl_msg *sbx_msg_new(struct sbexec *h, uint8_t cmd, size_t payload,
			   bool dump);

/*
 * Send @msg (always freed) and read replies until its ack (or, for a
 * dump, NLMSG_DONE) arrives; read each reply message as @reply says
 * (NULL: replies are not read).
 *
 * Return: 0 or the first negative errno among: the kernel's ack, a
 * reply handler, the transport. The handle's error state is updated.
 */
int sbx_request(struct sbexec *h, struct nl_msg *msg,
		const struct sbx_reply *reply, void *arg);

/* Reset the handle's error state before a call. */
void sbx_clear_error(struct sbexec *h);

/*
 * Record @err (negative errno) with a printf-style message; returns @err.
 * Does not replace an extack message already recorded for this call.
 */
int sbx_fail(struct sbexec *h, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * The remote transport (remote.c): a link to sbexec-bridge, shared by the
 * handles sbexec_clone() makes (reference counted).
 */
struct sbx_link;
int sbx_link_open(const char *uri, struct sbx_link **out);
void sbx_link_get(struct sbx_link *l);
void sbx_link_put(struct sbx_link *l);
uint32_t sbx_link_family(const struct sbx_link *l);

/*
 * Send the request @nlh (its seq, pid and type are set here) over the
 * handle's link and hand each datagram of the answer to @feed, the last
 * one holding the ack. Return: 0 or a negative errno of the link.
 */
int sbx_link_request(struct sbexec *h, struct nlmsghdr *nlh,
		     int (*feed)(void *arg, const void *buf, size_t len),
		     void *arg);

/* SBEXEC_IOC_ATTACH over the link: the reader's descriptor or -errno. */
int sbx_link_attach(struct sbexec *h, uint32_t id, struct sbexec_attach *info);

/* Map a (negative) libnl error code to a negative errno. */
int sbx_nlerr_to_errno(int nlerr);

/* Copy a string attribute into @dst (size @n), NUL-terminated, truncating. */
void sbx_nla_strcpy(char *dst, size_t n, const struct nlattr *a);

/* Name of a top-level attribute type, "SBEXEC_A_<n>" for unknown ones. */
const char *sbx_attr_name(unsigned int type, char *buf, size_t n);

/* Parse an SBEXEC_A_EXIT nest into @ei; -EPROTO when malformed. */
int sbx_parse_exit(const struct nlattr *nest, struct sbexec_exit_info *ei);

/* Append @len bytes to @b (keeping it NUL-terminated); -ENOMEM. */
int sbx_buf_append(struct sbexec_buf *b, const void *data, size_t len);

#endif /* SBEXEC_LIB_INTERNAL_H */
