// SPDX-License-Identifier: GPL-2.0
/*
 * sbexec-fuzz: generic netlink plumbing: sockets, the nlctrl lookup,
 * sending and collecting answers, message framing and the attribute
 * helpers.
 */
#include "fuzz.h"

/* ---- generic netlink plumbing ---- */

int nl_open(bool big)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int one = 1, sz = 4 << 20;

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	if (big) {
		/* Room for EXECs over 256 KiB and for dumps. */
		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)))
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		sz = 1 << 20;
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	}
	return fd;
}

int nl_sendto(int fd, const void *p, size_t len)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	return (int)sendto(fd, p, len, 0, (struct sockaddr *)&sa, sizeof(sa));
}

static const struct nlattr *nla_next_ok(const uint8_t *p, size_t rem)
{
	const struct nlattr *a = (const void *)p;

	if (rem < NLA_HDRLEN || a->nla_len < NLA_HDRLEN || a->nla_len > rem)
		return NULL;
	return a;
}

#define for_each_nla(a, start, len) \
	for (size_t _o = 0, _l = (size_t)(len); \
	     ((a) = nla_next_ok((const uint8_t *)(start) + _o, _l - _o)); \
	     _o += NLA_ALIGN((a)->nla_len), _o = _o > _l ? _l : _o)

/*
 * Resolve the family id and the events group through nlctrl.
 * Return: 0, or -1 when the family is not there.
 */
int nl_resolve(int fd, uint16_t *fam, uint32_t *grp)
{
	struct buf req = { 0 };
	struct nlmsghdr *rh;
	struct genlmsghdr *rg;
	static uint8_t rx[16384];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t deadline = now_ns() + 5000000000ULL;
	int sent;

	buf_genl_hdr(&req);
	buf_nla_put(&req, CTRL_ATTR_FAMILY_NAME, SBEXEC_GENL_NAME,
		    strlen(SBEXEC_GENL_NAME) + 1);
	rh = (void *)req.p;
	rg = (void *)(req.p + NLMSG_HDRLEN);
	rh->nlmsg_len = (uint32_t)req.len;
	rh->nlmsg_type = GENL_ID_CTRL;
	rh->nlmsg_flags = NLM_F_REQUEST;
	rh->nlmsg_seq = 1;
	rg->cmd = CTRL_CMD_GETFAMILY;
	rg->version = 1;
	sent = nl_sendto(fd, req.p, req.len);
	free(req.p);
	if (sent < 0)
		return -1;
	*fam = 0;
	*grp = 0;
	while (now_ns() < deadline) {
		ssize_t n;
		struct nlmsghdr *h;

		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		n = recv(fd, rx, sizeof(rx), MSG_DONTWAIT);
		if (n < 0)
			continue;
		for (h = (void *)rx; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			const struct nlattr *a, *g, *m;
			size_t alen;

			if (h->nlmsg_type == NLMSG_ERROR)
				return -1;
			if (h->nlmsg_type != GENL_ID_CTRL)
				continue;
			alen = h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
			for_each_nla(a, (uint8_t *)NLMSG_DATA(h) + GENL_HDRLEN, alen) {
				if ((a->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_FAMILY_ID)
					memcpy(fam, (const uint8_t *)a + NLA_HDRLEN, 2);
				if ((a->nla_type & NLA_TYPE_MASK) != CTRL_ATTR_MCAST_GROUPS)
					continue;
				for_each_nla(g, (const uint8_t *)a + NLA_HDRLEN,
					     a->nla_len - NLA_HDRLEN) {
					const char *name = NULL;
					uint32_t id = 0;

					for_each_nla(m, (const uint8_t *)g + NLA_HDRLEN,
						     g->nla_len - NLA_HDRLEN) {
						int t = m->nla_type & NLA_TYPE_MASK;

						if (t == CTRL_ATTR_MCAST_GRP_NAME)
							name = (const char *)m + NLA_HDRLEN;
						if (t == CTRL_ATTR_MCAST_GRP_ID)
							memcpy(&id, (const uint8_t *)m + NLA_HDRLEN, 4);
					}
					if (name && !strcmp(name, SBEXEC_MCGRP_EVENTS))
						*grp = id;
				}
			}
			return *fam ? 0 : -1;
		}
	}
	return -1;
}

static struct pend *pend_find(struct fuzz *f, uint32_t seq)
{
	unsigned int i;

	for (i = 0; i < f->npend; i++)
		if (f->pend[i].seq == seq)
			return &f->pend[i];
	return NULL;
}

static void nl_handle(struct fuzz *f, const struct nlmsghdr *h)
{
	struct pend *p = pend_find(f, h->nlmsg_seq);
	const struct genlmsghdr *g;
	const struct nlattr *a;
	uint32_t v;

	if (h->nlmsg_type == f->fam && f->collect &&
	    h->nlmsg_len >= NLMSG_HDRLEN + GENL_HDRLEN) {
		g = NLMSG_DATA(h);
		for_each_nla(a, (const uint8_t *)g + GENL_HDRLEN,
			     h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN) {
			if ((a->nla_type & NLA_TYPE_MASK) == SBEXEC_A_SESSION_ID &&
			    a->nla_len >= NLA_HDRLEN + 4 && f->ncollect < MAX_FOREIGN) {
				memcpy(&v, (const uint8_t *)a + NLA_HDRLEN, 4);
				f->collect[f->ncollect++] = v;
			}
		}
	}
	if (!p)
		return;
	if (h->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(h);

		p->answered = true;
		if (h->nlmsg_len >= NLMSG_HDRLEN + sizeof(int))
			p->err = -e->error;
		return;
	}
	if (h->nlmsg_type == NLMSG_DONE) {
		int err = 0;

		if (h->nlmsg_len >= NLMSG_HDRLEN + sizeof(int))
			memcpy(&err, NLMSG_DATA(h), sizeof(int));
		p->answered = true;
		p->err = -err;
		return;
	}
	if (h->nlmsg_type != f->fam || h->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return;
	p->answered = true;
	g = NLMSG_DATA(h);
	if (g->cmd != SBEXEC_CMD_EXEC)
		return;
	for_each_nla(a, (const uint8_t *)g + GENL_HDRLEN,
		     h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN) {
		if ((a->nla_type & NLA_TYPE_MASK) == SBEXEC_A_SESSION_ID &&
		    a->nla_len >= NLA_HDRLEN + 4)
			memcpy(&p->sid, (const uint8_t *)a + NLA_HDRLEN, 4);
	}
}

/* Read and parse whatever is queued on @fd, without blocking. */
static void nl_drain(struct fuzz *f, int fd)
{
	for (;;) {
		ssize_t n = recv(fd, f->rx, RXBUF, MSG_DONTWAIT);
		const struct nlmsghdr *h;

		if (n < 0) {
			if (errno == EINTR || errno == ENOBUFS)
				continue;
			return;
		}
		if (n == 0 || fd == f->ev)
			continue;
		for (h = (void *)f->rx; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n))
			nl_handle(f, h);
	}
}

static void track_id(struct fuzz *f, uint32_t id, bool keep)
{
	f->ids[f->ids_pos] = id;
	f->ids_pos = (f->ids_pos + 1) % MAX_IDS;
	if (f->nids < MAX_IDS)
		f->nids++;
	f->last_id = id;
	f->sock_sessions++;
	if (f->rc.running && !f->private_ids) {
		pthread_mutex_lock(&f->rc.lock);
		f->rc.ids[f->rc.ids_pos] = id;
		f->rc.ids_pos = (f->rc.ids_pos + 1) % RACER_IDS;
		if (f->rc.nids < RACER_IDS)
			f->rc.nids++;
		pthread_mutex_unlock(&f->rc.lock);
	}
	if (keep && f->nkeep < MAX_KEEP)
		f->keep[f->nkeep++] = id;
}

/*
 * Send what is in f->tx (the messages listed in f->pend), collect the
 * answers and count each message under its op. @ms bounds how long a doit
 * may block (STDIN waits while the session's stdin buffer is full); an
 * interrupted doit sends no ack. With @wait, keep reading for up to a
 * second until every message is answered (for clean requests).
 */
void nl_xmit(struct fuzz *f, long ms, bool wait, bool counted)
{
	struct pollfd pfd = { .fd = f->nl, .events = POLLIN };
	unsigned int i, tries;
	int n, e;

	guard(ms);
	n = nl_sendto(f->nl, f->tx.p, f->tx.len);
	e = n < 0 ? errno : 0;
	guard(0);
	if (n < 0) {
		for (i = 0; i < f->npend; i++) {
			f->pend[i].answered = true;
			f->pend[i].err = e;
		}
	}
	nl_drain(f, f->nl);
	/* Doits answer before sendto() returns; only dumps need waiting for. */
	for (tries = 0; wait && !alarmed && tries < 20; tries++) {
		bool all = true;

		for (i = 0; i < f->npend; i++)
			all &= f->pend[i].answered;
		if (all)
			break;
		poll(&pfd, 1, 50);
		nl_drain(f, f->nl);
	}
	nl_settle(f, counted);
	if (f->ev >= 0)
		nl_drain(f, f->ev);
	f->sock_msgs += f->npend;
}

/* Take the answers of f->pend from @n bytes of netlink datagram at @p. */
void nl_take(struct fuzz *f, const void *p, size_t n)
{
	const struct nlmsghdr *h;
	int len = n > INT_MAX ? INT_MAX : (int)n;

	for (h = p; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len))
		nl_handle(f, h);
}

/* The answers of f->pend are in: track new session ids, count the ops. */
void nl_settle(struct fuzz *f, bool counted)
{
	unsigned int i;

	for (i = 0; i < f->npend; i++) {
		struct pend *p = &f->pend[i];

		if (p->sid && !p->err)
			track_id(f, p->sid, p->keep);
		if (counted)
			count(f, p->op, p->answered ? p->err : -1);
	}
}

void tx_reset(struct fuzz *f)
{
	f->tx.len = 0;
	f->npend = 0;
	f->nattrs = 0;
}

/* Start a generic netlink message; returns its offset in f->tx. */
size_t msg_start(struct fuzz *f, struct rng *r, enum op op, uint8_t cmd,
		 uint16_t flags, bool clean)
{
	struct nlmsghdr h = { 0 };
	struct genlmsghdr g = { 0 };
	size_t off;
	struct pend *p;

	buf_pad4(&f->tx);
	off = f->tx.len;
	h.nlmsg_type = f->fam;
	h.nlmsg_flags = flags;
	h.nlmsg_seq = ++f->seq;
	g.cmd = cmd;
	g.version = SBEXEC_GENL_VERSION;
	if (!clean) {
		if (chance(r, 3))
			h.nlmsg_seq = (uint32_t)rnd64(r);
		if (chance(r, 3))
			h.nlmsg_pid = (uint32_t)rnd64(r);
		if (chance(r, 4))
			g.version = (uint8_t)rnd64(r);
		if (chance(r, 4))
			g.reserved = (uint16_t)rnd64(r);
	}
	buf_put(&f->tx, &h, sizeof(h));
	buf_put(&f->tx, &g, sizeof(g));
	if (f->npend < MAX_PEND) {
		p = &f->pend[f->npend++];
		memset(p, 0, sizeof(*p));
		p->seq = h.nlmsg_seq;
		p->op = op;
	}
	return off;
}

void msg_end(struct fuzz *f, struct rng *r, size_t off, bool clean)
{
	struct nlmsghdr *h;
	uint32_t len;

	if (!clean && chance(r, 3)) {
		/* Trailing bytes without alignment padding. */
		size_t n = 1 + rnd(r, 3);

		rnd_bytes(r, buf_grow(&f->tx, n), n);
		mut(f, " unaligned-tail");
	}
	h = (void *)(f->tx.p + off);
	len = (uint32_t)(f->tx.len - off);
	if (!clean) {
		unsigned int m = rnd(r, 100);

		if (m < 3) {
			len += 1 + rnd(r, m ? 64 : 70000);
			mut(f, " nlmsg_len+%u", len - (uint32_t)(f->tx.len - off));
		} else if (m < 6) {
			len = rnd(r, len);
			mut(f, " nlmsg_len=%u/%zu", len, f->tx.len - off);
		}
	}
	h->nlmsg_len = len;
}

/* An attribute of the message being built, remembered for mutate_framing(). */
size_t nla_begin(struct fuzz *f, uint16_t type)
{
	size_t off = buf_nla_begin(&f->tx, type);

	if (f->nattrs < MAX_ATTRS)
		f->attrs[f->nattrs++] = off;
	return off;
}

void nla_finish(struct fuzz *f, size_t off)
{
	buf_nla_end(&f->tx, off);
}

void put_attr(struct fuzz *f, uint16_t type, const void *d, size_t n)
{
	size_t off = nla_begin(f, type);

	buf_put(&f->tx, d, n);
	nla_finish(f, off);
}

/* An integer attribute, now and then of the wrong size. */
void put_int(struct fuzz *f, struct rng *r, uint16_t type, uint64_t v,
	     size_t size, bool clean)
{
	static const size_t sizes[] = { 0, 1, 2, 3, 5, 6, 7, 8, 12, 16 };
	uint8_t b[16];
	size_t n = size;

	memcpy(b, &v, 8);
	rnd_bytes(r, b + 8, 8);
	if (!clean && chance(r, 8)) {
		do
			n = sizes[rnd(r, ARRAY_SIZE(sizes))];
		while (n == size);
		mut(f, " int%u:size%zu", type & NLA_TYPE_MASK, n);
	}
	put_attr(f, type, b, n);
}

void put_flag(struct fuzz *f, struct rng *r, uint16_t type, bool clean)
{
	uint8_t b[8];
	size_t n = 0;

	if (!clean && chance(r, 10)) {
		n = 1 + rnd(r, 8);
		rnd_bytes(r, b, sizeof(b));
		mut(f, " flag%u:size%zu", type, n);
	}
	put_attr(f, type, b, n);
}

/*
 * A string attribute: usually @s with its NUL, else without the NUL, with
 * an embedded NUL, empty, zero-length, over @maxlen, exactly @maxlen, or
 * random bytes. @prefix starts the oversized and random variants (for CMD:
 * a path that cannot exist, so nothing is ever run by accident).
 */
void put_str(struct fuzz *f, struct rng *r, uint16_t type, const char *s,
	     size_t maxlen, const char *prefix, bool clean)
{
	size_t len = strlen(s), off, n, plen = strlen(prefix);
	unsigned int m = clean ? 0 : rnd(r, 100);

	off = nla_begin(f, type);
	if (m < 72) {
		buf_put(&f->tx, s, len + 1);
	} else if (m < 77) {
		buf_put(&f->tx, len ? s : "x", len ? len : 1);
		mut(f, " str%u:no-nul", type);
	} else if (m < 82) {
		uint8_t *d;

		buf_put(&f->tx, len ? s : "x", len ? len : 1);
		buf_put(&f->tx, "", 1);
		d = f->tx.p + f->tx.len - 1 - (len ? len : 1);
		if (chance(r, 50)) {
			d[rnd(r, len ? (uint32_t)len : 1)] = 0;
		} else {
			/* NUL, then more text, then the final NUL */
			buf_put(&f->tx, "tail", 5);
		}
		mut(f, " str%u:embedded-nul", type);
	} else if (m < 85) {
		buf_put(&f->tx, "", 1);
		mut(f, " str%u:empty", type);
	} else if (m < 87) {
		mut(f, " str%u:zero-length", type);
	} else if (m < 95) {
		n = m < 92 ? maxlen + 1 + rnd(r, 16) : maxlen;
		if (n > 65530)
			n = 65530;
		if (n < plen)
			n = plen;
		buf_put(&f->tx, prefix, plen);
		buf_fill(&f->tx, 'A', n - plen);
		buf_put(&f->tx, "", 1);
		mut(f, " str%u:len%zu", type, n);
	} else {
		n = rnd(r, 64);
		buf_put(&f->tx, plen ? "\x01" : "", plen ? 1 : 0);
		rnd_bytes(r, buf_grow(&f->tx, n), n);
		if (chance(r, 50))
			buf_put(&f->tx, "", 1);
		mut(f, " str%u:random%zu", type, n);
	}
	nla_finish(f, off);
}
