// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * nl.c - the handle, its generic netlink socket, and one request/ack
 * round trip with the kernel's extended ack parsed out of the reply.
 *
 * libnl 3.7 hands an error callback only the struct nlmsgerr; the extack
 * TLVs that follow it (NLMSGERR_ATTR_MSG, _OFFS, _MISS_TYPE, _MISS_NEST)
 * are read here from the enclosing message. NETLINK_CAP_ACK keeps the ack
 * small (the request is not echoed), so the offset of a rejected attribute
 * is resolved against the request we still hold.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/handlers.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "internal.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* Socket buffers: an EXEC may carry SBEXEC_MAX_ARGV_BYTES of strings. */
#define SBX_SOCK_BUF	(1024 * 1024)

static const char *const sbx_not_loaded_msg =
	"sbexec module not loaded (no generic netlink family 'sbexec')";

void sbx_clear_error(struct sbexec *h)
{
	h->last_err = 0;
	h->have_extack = false;
	h->extack[0] = '\0';
	h->bad_attr[0] = '\0';
	h->errmsg[0] = '\0';
}

int sbx_fail(struct sbexec *h, int err, const char *fmt, ...)
{
	va_list ap;

	if (!h)
		return err;
	h->last_err = err;
	if (h->have_extack)
		return err;
	va_start(ap, fmt);
	vsnprintf(h->errmsg, sizeof(h->errmsg), fmt, ap);
	va_end(ap);
	return err;
}

int sbx_nlerr_to_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_SUCCESS:	return 0;
	case NLE_INTR:		return -EINTR;
	case NLE_BAD_SOCK:	return -EBADF;
	case NLE_AGAIN:		return -EAGAIN;
	case NLE_NOMEM:		return -ENOMEM;
	case NLE_EXIST:		return -EEXIST;
	case NLE_INVAL:		return -EINVAL;
	case NLE_RANGE:		return -ERANGE;
	case NLE_MSGSIZE:	return -EMSGSIZE;
	case NLE_OPNOTSUPP:	return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:	return -EAFNOSUPPORT;
	case NLE_OBJ_NOTFOUND:	return -ENOENT;
	case NLE_NOATTR:	return -ENOENT;
	case NLE_MISSING_ATTR:	return -EINVAL;
	case NLE_AF_MISMATCH:	return -EINVAL;
	case NLE_SEQ_MISMATCH:	return -EPROTO;
	case NLE_MSG_OVERFLOW:	return -EOVERFLOW;
	case NLE_MSG_TRUNC:	return -EMSGSIZE;
	case NLE_NOADDR:	return -EADDRNOTAVAIL;
	case NLE_SRCRT_NOSUPPORT: return -EOPNOTSUPP;
	case NLE_MSG_TOOSHORT:	return -EPROTO;
	case NLE_MSGTYPE_NOSUPPORT: return -EOPNOTSUPP;
	case NLE_OBJ_MISMATCH:	return -EINVAL;
	case NLE_NOCACHE:	return -ENOENT;
	case NLE_BUSY:		return -EBUSY;
	case NLE_PROTO_MISMATCH: return -EPROTONOSUPPORT;
	case NLE_NOACCESS:	return -EACCES;
	case NLE_PERM:		return -EPERM;
	case NLE_PKTLOC_FILE:	return -ENOENT;
	case NLE_PARSE_ERR:	return -EPROTO;
	case NLE_NODEV:		return -ENODEV;
	case NLE_IMMUTABLE:	return -EPERM;
	case NLE_DUMP_INTR:	return -EINTR;
	case NLE_ATTRSIZE:	return -ERANGE;
	default:		return -EIO;
	}
}

const char *sbexec_open_error(int err)
{
	if (err == -ENOENT)
		return sbx_not_loaded_msg;
	if (err == -ENOMEM)
		return "sbexec: out of memory";
	if (err == -EPROTONOSUPPORT || err == -EAFNOSUPPORT)
		return "cannot open a generic netlink socket";
	return "cannot connect to the sbexec generic netlink family";
}

const char *sbexec_open_uri_error(const char *uri, int err)
{
	if (!uri || !*uri || !strcmp(uri, "local"))
		return sbexec_open_error(err);
	switch (-err) {
	case EINVAL:
		return "bad address: expected unix:PATH, vsock:CID[:PORT] or local";
	case ENOENT:
		return "no socket at that path (is the guest running?)";
	case ECONNREFUSED:
	case ECONNRESET:
	case EPIPE:
		return "connection refused or closed (is sbexec-bridge running in the guest?)";
	case ETIMEDOUT:
		return "no answer from sbexec-bridge (is it running in the guest?)";
	case EPROTO:
		return "the peer does not speak the sbexec bridge protocol";
	case EPROTONOSUPPORT:
		return "the bridge speaks another version of the protocol";
	case EAFNOSUPPORT:
		return "AF_VSOCK is not available on this machine";
	case ENOMEM:
		return "sbexec: out of memory";
	default:
		return "cannot connect to sbexec-bridge";
	}
}

int sbexec_open_uri(const char *uri, struct sbexec **out)
{
	struct sbexec *h;
	int err;

	if (!uri || !*uri || !strcmp(uri, "local"))
		return sbexec_open(out);
	*out = NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	err = sbx_link_open(uri, &h->link);
	if (err) {
		free(h);
		return err;
	}
	h->family = (int)sbx_link_family(h->link);
	*out = h;
	return 0;
}

int sbexec_clone(struct sbexec *h, struct sbexec **out)
{
	struct sbexec *c;

	if (!h->link)
		return sbexec_open(out);
	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	sbx_link_get(h->link);
	c->link = h->link;
	c->family = h->family;
	*out = c;
	return 0;
}

bool sbexec_is_remote(const struct sbexec *h)
{
	return h->link != NULL;
}

int sbexec_open(struct sbexec **out)
{
	struct sbexec *h;
	int one = 1;
	int fd, err;

	*out = NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->sk = nl_socket_alloc();
	if (!h->sk) {
		err = -ENOMEM;
		goto free_handle;
	}
	err = genl_connect(h->sk);
	if (err < 0) {
		err = sbx_nlerr_to_errno(err);
		goto free_sock;
	}
	/* Larger buffers for big EXEC requests and LIST dumps; best effort. */
	nl_socket_set_buffer_size(h->sk, SBX_SOCK_BUF, SBX_SOCK_BUF);
	nl_socket_enable_msg_peek(h->sk);

	/* Errors with a readable message; acks without the request echoed. */
	fd = nl_socket_get_fd(h->sk);
	if (setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one))) {
		err = -errno;
		goto free_sock;
	}

	h->family = genl_ctrl_resolve(h->sk, SBEXEC_GENL_NAME);
	if (h->family < 0) {
		err = sbx_nlerr_to_errno(h->family);
		goto free_sock;
	}
	*out = h;
	return 0;

free_sock:
	nl_socket_free(h->sk);
free_handle:
	free(h);
	return err;
}

void sbexec_close(struct sbexec *h)
{
	if (!h)
		return;
	if (h->link)
		sbx_link_put(h->link);
	else
		nl_socket_free(h->sk);
	free(h);
}

int sbexec_family_id(const struct sbexec *h)
{
	return h->family;
}

const char *sbexec_strerror_last(const struct sbexec *h)
{
	return h->errmsg;
}

int sbexec_last_errno(const struct sbexec *h)
{
	return h->last_err;
}

const char *sbexec_last_extack(const struct sbexec *h)
{
	return h->have_extack ? h->extack : NULL;
}

const char *sbexec_last_bad_attr(const struct sbexec *h)
{
	return h->bad_attr[0] ? h->bad_attr : NULL;
}

struct nl_msg *sbx_msg_new(struct sbexec *h, uint8_t cmd, size_t payload,
			   bool dump)
{
	struct nl_msg *msg;
	int flags = NLM_F_REQUEST | NLM_F_ACK;

	if (dump)
		flags |= NLM_F_DUMP;
	/* Headers plus slack: libnl refuses to grow past this size. */
	msg = nlmsg_alloc_size(NLMSG_HDRLEN + GENL_HDRLEN + payload + 256);
	if (!msg) {
		sbx_fail(h, -ENOMEM, "out of memory");
		return NULL;
	}
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, h->family, 0, flags,
			 cmd, SBEXEC_GENL_VERSION)) {
		nlmsg_free(msg);
		sbx_fail(h, -ENOMEM, "out of memory");
		return NULL;
	}
	return msg;
}

/* One request in flight: what the callbacks below share. */
struct sbx_txn {
	struct sbexec *h;
	struct nl_msg *req;	/* kept to name an attribute by offset */
	uint32_t seq;
	const struct sbx_reply *reply;
	void *arg;
	int ack_err;		/* the kernel's verdict */
	int reply_err;		/* first failure of a reply handler */
	bool done;		/* ack (or NLMSG_DONE) seen */
};

static const char *const sbx_rlimit_attr_names[] = {
	[SBEXEC_RLIMIT_A_NAME] = "NAME",
	[SBEXEC_RLIMIT_A_SOFT] = "SOFT",
	[SBEXEC_RLIMIT_A_HARD] = "HARD",
	[SBEXEC_RLIMIT_A_PAD] = "PAD",
};

/* Name attribute @type nested in @parent (0: top level) into @buf. */
static void sbx_name_attr(char *buf, size_t n, unsigned int parent,
			  unsigned int type)
{
	char pbuf[40], tbuf[40];
	const char *pname;

	if (!parent) {
		snprintf(buf, n, "%s", sbx_attr_name(type, tbuf, sizeof(tbuf)));
		return;
	}
	pname = sbx_attr_name(parent, pbuf, sizeof(pbuf));
	if (parent == SBEXEC_A_RLIMIT && type > 0 &&
	    type < sizeof(sbx_rlimit_attr_names) / sizeof(sbx_rlimit_attr_names[0]) &&
	    sbx_rlimit_attr_names[type])
		snprintf(buf, n, "%s/%s", pname, sbx_rlimit_attr_names[type]);
	else
		snprintf(buf, n, "%s/%u", pname, type);
}

/*
 * Find the attribute at byte @offs of our request (offsets count from the
 * start of the netlink header) and name it; nests one level deep are
 * searched too. Returns the parent's type for a nested match via @parent.
 */
static bool sbx_attr_at(struct nl_msg *req, uint32_t offs, unsigned int *parent,
			unsigned int *type)
{
	struct nlmsghdr *nlh = nlmsg_hdr(req);
	const unsigned char *base = (const unsigned char *)nlh;
	struct nlattr *a, *c;
	int rem, crem;

	nla_for_each_attr(a, genlmsg_attrdata(nlmsg_data(nlh), 0),
			  genlmsg_attrlen(nlmsg_data(nlh), 0), rem) {
		uint32_t at = (uint32_t)((const unsigned char *)a - base);

		if (at == offs) {
			*parent = 0;
			*type = (unsigned int)nla_type(a);
			return true;
		}
		if (offs <= at || offs >= at + (uint32_t)nla_len(a) + NLA_HDRLEN)
			continue;
		nla_for_each_nested(c, a, crem) {
			if ((uint32_t)((const unsigned char *)c - base) == offs) {
				*parent = (unsigned int)nla_type(a);
				*type = (unsigned int)nla_type(c);
				return true;
			}
		}
		*parent = 0;
		*type = (unsigned int)nla_type(a);
		return true;
	}
	return false;
}

/*
 * The extack TLVs the library reads. libnl checks each on its own (a
 * policy given to nla_parse() would drop them all for one bad TLV): one
 * that fails is ignored, the others are still used.
 */
static const struct nla_policy sbx_extack_policy[NLMSGERR_ATTR_MAX + 1] = {
	[NLMSGERR_ATTR_MSG] = { .minlen = 1 },
	[NLMSGERR_ATTR_OFFS] = SBX_POLICY_U32,
	[NLMSGERR_ATTR_MISS_TYPE] = SBX_POLICY_U32,
	[NLMSGERR_ATTR_MISS_NEST] = SBX_POLICY_U32,
};

/* Read the extack TLVs that follow @e in the ack message @nlh. */
static void sbx_parse_extack(struct sbx_txn *t, const struct nlmsghdr *nlh,
			     size_t ack_len)
{
	struct sbexec *h = t->h;
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	const unsigned char *tlv;
	unsigned int parent, type;
	int len, i;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (nlh->nlmsg_len < NLMSG_HDRLEN + ack_len)
		return;
	tlv = (const unsigned char *)nlh + NLMSG_HDRLEN + NLMSG_ALIGN(ack_len);
	len = (int)nlh->nlmsg_len - (int)(NLMSG_HDRLEN + NLMSG_ALIGN(ack_len));
	if (len <= 0)
		return;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)tlv, len, NULL))
		return;
	for (i = 0; i <= NLMSGERR_ATTR_MAX; i++)
		if (tb[i] && nla_validate(tb[i], tb[i]->nla_len,
					  NLMSGERR_ATTR_MAX, sbx_extack_policy))
			tb[i] = NULL;

	if (tb[NLMSGERR_ATTR_MSG]) {
		sbx_nla_strcpy(h->extack, sizeof(h->extack), tb[NLMSGERR_ATTR_MSG]);
		/* Kernel messages are terse phrases; keep them verbatim. */
		h->have_extack = h->extack[0] != '\0';
	}
	if (tb[NLMSGERR_ATTR_MISS_TYPE]) {
		type = nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]);
		parent = 0;
		if (tb[NLMSGERR_ATTR_MISS_NEST]) {
			unsigned int pp, pt;

			if (sbx_attr_at(t->req, nla_get_u32(tb[NLMSGERR_ATTR_MISS_NEST]),
					&pp, &pt))
				parent = pt;
		}
		sbx_name_attr(h->bad_attr, sizeof(h->bad_attr), parent, type);
	} else if (tb[NLMSGERR_ATTR_OFFS]) {
		if (sbx_attr_at(t->req, nla_get_u32(tb[NLMSGERR_ATTR_OFFS]),
				&parent, &type))
			sbx_name_attr(h->bad_attr, sizeof(h->bad_attr), parent, type);
	}
}

static int sbx_cb_seq(struct nl_msg *msg, void *arg)
{
	struct sbx_txn *t = arg;

	/* Skip leftovers of an earlier, abandoned request. */
	return nlmsg_hdr(msg)->nlmsg_seq == t->seq ? NL_OK : NL_SKIP;
}

static int sbx_cb_valid(struct nl_msg *msg, void *arg)
{
	struct sbx_txn *t = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *tb[SBEXEC_A_MAX + 1];
	int err;

	if (nlh->nlmsg_type != t->h->family)
		return NL_SKIP;
	if (!genlmsg_valid_hdr(nlh, 0)) {
		if (!t->reply_err)
			t->reply_err = sbx_fail(t->h, -EPROTO,
						"malformed reply from the sbexec module");
		return NL_SKIP;
	}
	if (!t->reply)
		return NL_OK;
	/* With a valid header, only the policy can make this fail. */
	if (genlmsg_parse(nlh, 0, tb, SBEXEC_A_MAX, t->reply->policy) < 0)
		err = sbx_fail(t->h, -EPROTO, "%s", t->reply->malformed);
	else
		err = t->reply->fn(tb, t->arg);
	if (err < 0 && !t->reply_err)
		t->reply_err = err;
	return NL_OK;
}

static int sbx_cb_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct sbx_txn *t = arg;
	const struct nlmsghdr *nlh;
	size_t ack_len = sizeof(*e);

	(void)nla;
	/* libnl passes the payload; the header sits right before it. */
	nlh = (const struct nlmsghdr *)((const unsigned char *)e - NLMSG_HDRLEN);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		ack_len += e->msg.nlmsg_len - NLMSG_HDRLEN;
	sbx_parse_extack(t, nlh, ack_len);
	t->ack_err = e->error < 0 ? e->error : -EIO;
	t->done = true;
	return NL_STOP;
}

static int sbx_cb_ack(struct nl_msg *msg, void *arg)
{
	struct sbx_txn *t = arg;

	(void)msg;
	t->ack_err = 0;
	t->done = true;
	return NL_STOP;
}

/* NLMSG_DONE ends a dump; its payload is the dump's final error code. */
static int sbx_cb_finish(struct nl_msg *msg, void *arg)
{
	struct sbx_txn *t = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	int err = 0;

	if (nlmsg_datalen(nlh) >= (int)sizeof(int)) {
		memcpy(&err, nlmsg_data(nlh), sizeof(err));
		sbx_parse_extack(t, nlh, sizeof(int));
	}
	t->ack_err = err < 0 ? err : 0;
	t->done = true;
	return NL_STOP;
}

static int sbx_cb_dump_intr(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	/* A listing that changed while it was taken is still useful. */
	return NL_OK;
}

static void sbx_set_ack_message(struct sbexec *h, int err)
{
	if (h->have_extack) {
		if (h->bad_attr[0])
			snprintf(h->errmsg, sizeof(h->errmsg), "%s (attribute %s)",
				 h->extack, h->bad_attr);
		else
			snprintf(h->errmsg, sizeof(h->errmsg), "%s", h->extack);
	} else if (h->bad_attr[0]) {
		snprintf(h->errmsg, sizeof(h->errmsg), "%s (attribute %s)",
			 strerror(-err), h->bad_attr);
	} else {
		snprintf(h->errmsg, sizeof(h->errmsg), "%s", strerror(-err));
	}
	h->last_err = err;
}

/*
 * One datagram of a remote answer, read with the callbacks libnl calls for
 * a local one (the bridge relays the module's datagrams unchanged).
 */
static int sbx_feed(void *arg, const void *buf, size_t len)
{
	struct sbx_txn *t = arg;
	const struct nlmsghdr *nlh = buf;
	int rem = len > INT32_MAX ? INT32_MAX : (int)len;

	for (; NLMSG_OK(nlh, rem) && !t->done; nlh = NLMSG_NEXT(nlh, rem)) {
		struct nlmsgerr *e = NLMSG_DATA(nlh);
		struct nl_msg *msg;

		if (nlh->nlmsg_seq != nlmsg_hdr(t->req)->nlmsg_seq ||
		    nlh->nlmsg_type == NLMSG_NOOP)
			continue;
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e))) {
				t->ack_err = sbx_fail(t->h, -EPROTO,
						      "malformed ack from the bridge");
				t->done = true;
			} else if (!e->error) {
				sbx_cb_ack(NULL, t);
			} else {
				sbx_cb_error(NULL, e, t);
			}
			continue;
		}
		msg = nlmsg_convert((struct nlmsghdr *)nlh);
		if (!msg) {
			if (!t->reply_err)
				t->reply_err = sbx_fail(t->h, -ENOMEM, "out of memory");
			continue;
		}
		if (nlh->nlmsg_type == NLMSG_DONE)
			sbx_cb_finish(msg, t);
		else
			sbx_cb_valid(msg, t);
		nlmsg_free(msg);
	}
	return 0;
}

/* sbx_request() over a bridge link. */
static int sbx_request_remote(struct sbx_txn *t)
{
	struct nlmsghdr *nlh = nlmsg_hdr(t->req);
	int err;

	err = sbx_link_request(t->h, nlh, sbx_feed, t);
	if (err)
		return err;
	if (!t->done)
		return sbx_fail(t->h, -EPROTO, "the bridge's answer had no ack");
	if (t->ack_err) {
		sbx_set_ack_message(t->h, t->ack_err);
		return t->ack_err;
	}
	if (t->reply_err)
		t->h->last_err = t->reply_err;
	return t->reply_err;
}

int sbx_request(struct sbexec *h, struct nl_msg *msg,
		const struct sbx_reply *reply, void *arg)
{
	struct sbx_txn t = {
		.h = h, .req = msg, .reply = reply, .arg = arg,
	};
	struct nl_cb *cb;
	int err;

	if (h->link) {
		err = sbx_request_remote(&t);
		nlmsg_free(msg);
		return err;
	}
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		return sbx_fail(h, -ENOMEM, "out of memory");
	}
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, sbx_cb_seq, &t);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, sbx_cb_valid, &t);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, sbx_cb_ack, &t);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, sbx_cb_finish, &t);
	nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, sbx_cb_dump_intr, &t);
	nl_cb_err(cb, NL_CB_CUSTOM, sbx_cb_error, &t);

	err = nl_send_auto(h->sk, msg);
	if (err < 0) {
		err = sbx_nlerr_to_errno(err);
		sbx_fail(h, err, "cannot send to the sbexec module: %s",
			 strerror(-err));
		goto out;
	}
	t.seq = nlmsg_hdr(msg)->nlmsg_seq;

	while (!t.done) {
		err = nl_recvmsgs(h->sk, cb);
		if (t.done)
			break;
		if (err < 0) {
			err = sbx_nlerr_to_errno(err);
			sbx_fail(h, err, "cannot receive from the sbexec module: %s",
				 strerror(-err));
			goto out;
		}
	}

	if (t.ack_err) {
		err = t.ack_err;
		sbx_set_ack_message(h, err);
	} else if (t.reply_err) {
		err = t.reply_err;
		h->last_err = err;
	} else {
		err = 0;
	}
out:
	nl_cb_put(cb);
	nlmsg_free(msg);
	return err;
}

void sbx_nla_strcpy(char *dst, size_t n, const struct nlattr *a)
{
	size_t len = (size_t)nla_len(a);
	const char *s = nla_data(a);

	if (!n)
		return;
	len = strnlen(s, len);
	if (len >= n)
		len = n - 1;
	memcpy(dst, s, len);
	dst[len] = '\0';
}
