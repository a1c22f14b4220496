// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * remote.c - a handle whose requests go to sbexec-bridge over a link
 * (a unix socket such as QEMU's chardev of the guest's virtio-serial port,
 * or AF_VSOCK) instead of a local netlink socket; protocol in
 * <linux/sbexec_bridge.h>.
 *
 * One pump thread per link reads every frame. REPLY and ATTACHED frames go
 * to the one caller waiting for them (link->call allows one request at a
 * time per link, whichever handle of the link makes it); DATA frames go to
 * the session's stream: a SOCK_SEQPACKET socket pair whose other end the
 * caller of sbexec_attach() holds and reads as it would a /dev/sbexec file
 * (one packet: whole records; end of file after the final record).
 *
 * Flow control: the pump returns credit for a DATA frame only once its
 * records are in the socket pair. A caller that stops reading fills the
 * pair's buffer, then the pump holds at most the credit window of frames,
 * the bridge stops reading the session and the module's ring stops the
 * session's writers. Other sessions on the link go on.
 */
#include <errno.h>
#include <endian.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/sbexec_bridge.h>
#include <linux/vm_sockets.h>

#include "internal.h"

/* Bytes a session may have in flight from the bridge to the pump. */
#define SBX_CREDIT		(256 * 1024)
/* The socket pair's buffer; the largest packet must fit in it. */
#define SBX_PAIR_BUF		(256 * 1024)
/* How long sbexec_open_uri() waits for the bridge's hello. */
#define SBX_HELLO_MS		10000

struct sbx_frame_buf {
	struct sbx_frame_buf *next;
	struct sbexec_frame hdr;	/* host byte order */
	unsigned char data[];
};

/* One attached session: records go into @fd, the pump's end of the pair. */
struct sbx_stream {
	struct sbx_stream *next;
	uint32_t id;
	int fd;
	struct sbx_frame_buf *pending;	/* DATA not yet in the pair */
	struct sbx_frame_buf **pending_tail;
	bool ended;			/* END seen: close once flushed */
	size_t pidx;			/* its pollfd in the pump's poll, or 0 */
};

/*
 * struct sbx_link - one connection to a bridge, shared by the handles
 * sbexec_clone() makes. @lock protects everything after it and the
 * writes to @fd; @call is held by the caller whose request is outstanding
 * for the whole round trip (it nests outside @lock).
 */
struct sbx_link {
	int fd;
	uint32_t family;
	uint32_t max_frame;
	pthread_t pump;
	int wake[2];			/* a byte here makes the pump look again */
	pthread_mutex_t call;
	uint32_t seq;			/* under @call */

	pthread_mutex_t lock;
	pthread_cond_t cond;
	int refs;
	bool stop;
	int dead;			/* 0, or why the link is gone (-errno) */
	char why[160];
	struct sbx_frame_buf *replies;	/* REPLY/ATTACHED for the caller */
	struct sbx_frame_buf **replies_tail;
	struct sbx_stream *streams;
	struct sbx_stream *attaching;	/* the stream of an ATTACH in flight */
};

static int sbx_read_full(int fd, void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int sbx_write_full(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void sbx_frame_hdr(struct sbexec_frame *f, uint16_t type, uint32_t session,
			  int32_t arg, uint32_t len)
{
	f->len = htole32(len);
	f->type = htole16(type);
	f->flags = 0;
	f->session = htole32(session);
	f->arg = (int32_t)htole32((uint32_t)arg);
}

/* Send one frame; the caller holds l->lock (or owns the link alone). */
static int sbx_send_frame(struct sbx_link *l, uint16_t type, uint32_t session,
			  int32_t arg, const void *payload, uint32_t len)
{
	struct sbexec_frame f;
	int err;

	sbx_frame_hdr(&f, type, session, arg, len);
	err = sbx_write_full(l->fd, &f, sizeof(f));
	if (!err && len)
		err = sbx_write_full(l->fd, payload, len);
	return err;
}

/* Read one frame (header converted to host order); NULL and *err on failure. */
static struct sbx_frame_buf *sbx_recv_frame(int fd, uint32_t max, int *err)
{
	struct sbexec_frame f;
	struct sbx_frame_buf *b;

	*err = sbx_read_full(fd, &f, sizeof(f));
	if (*err)
		return NULL;
	f.len = le32toh(f.len);
	f.type = le16toh(f.type);
	f.flags = le16toh(f.flags);
	f.session = le32toh(f.session);
	f.arg = (int32_t)le32toh((uint32_t)f.arg);
	if (f.len > max) {
		*err = -EPROTO;
		return NULL;
	}
	b = malloc(sizeof(*b) + f.len);
	if (!b) {
		*err = -ENOMEM;
		return NULL;
	}
	b->next = NULL;
	b->hdr = f;
	*err = sbx_read_full(fd, b->data, f.len);
	if (*err) {
		free(b);
		return NULL;
	}
	return b;
}

static void sbx_free_frames(struct sbx_frame_buf *b)
{
	while (b) {
		struct sbx_frame_buf *next = b->next;

		free(b);
		b = next;
	}
}

static void sbx_stream_free(struct sbx_stream *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	sbx_free_frames(s->pending);
	free(s);
}

/* Mark the link dead (first reason wins) and wake the caller; under lock. */
static void sbx_link_kill(struct sbx_link *l, int err, const char *why)
{
	if (!l->dead) {
		l->dead = err;
		snprintf(l->why, sizeof(l->why), "%s", why);
	}
	pthread_cond_broadcast(&l->cond);
}

/*
 * Move @s's pending frames into its pair while they fit, returning credit
 * for each; under lock. Returns false when the stream is done with (its
 * reader went away, or it ended and everything was delivered).
 */
static bool sbx_stream_flush(struct sbx_link *l, struct sbx_stream *s)
{
	struct sbx_frame_buf *b;

	while ((b = s->pending)) {
		ssize_t n = send(s->fd, b->data, b->hdr.len,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		if (n < 0) {
			/* The reader closed its end: the bridge may stop. */
			sbx_send_frame(l, SBEXEC_FRAME_DETACH, s->id, 0, NULL, 0);
			return false;
		}
		s->pending = b->next;
		if (!s->pending)
			s->pending_tail = &s->pending;
		if (!s->ended &&
		    sbx_send_frame(l, SBEXEC_FRAME_CREDIT, s->id,
				   (int32_t)b->hdr.len, NULL, 0) < 0)
			sbx_link_kill(l, -ECONNRESET, "cannot write to the bridge");
		free(b);
	}
	return !s->ended;
}

/* Hand one frame from the bridge to whoever waits for it; under lock. */
static int sbx_dispatch(struct sbx_link *l, struct sbx_frame_buf *b)
{
	struct sbx_stream **pp, *s;

	switch (b->hdr.type) {
	case SBEXEC_FRAME_ATTACHED:
		s = l->attaching;
		if (s && s->id == b->hdr.session) {
			l->attaching = NULL;
			if (b->hdr.arg == 0) {
				s->next = l->streams;
				l->streams = s;
			} else {
				sbx_stream_free(s);
			}
		}
		/* fall through */
	case SBEXEC_FRAME_REPLY:
		*l->replies_tail = b;
		l->replies_tail = &b->next;
		pthread_cond_broadcast(&l->cond);
		return 0;
	case SBEXEC_FRAME_DATA:
	case SBEXEC_FRAME_END:
		for (pp = &l->streams; (s = *pp); pp = &s->next)
			if (s->id == b->hdr.session)
				break;
		if (!s) {
			/* Read after a DETACH crossed it: nobody wants it. */
			free(b);
			return 0;
		}
		if (b->hdr.type == SBEXEC_FRAME_END) {
			s->ended = true;
			free(b);
		} else {
			*s->pending_tail = b;
			s->pending_tail = &b->next;
		}
		if (!sbx_stream_flush(l, s)) {
			*pp = s->next;
			sbx_stream_free(s);
		}
		return 0;
	case SBEXEC_FRAME_ERROR: {
		char msg[128];

		snprintf(msg, sizeof(msg), "the bridge closed the link: %.*s",
			 (int)(b->hdr.len < 100 ? b->hdr.len : 100),
			 (const char *)b->data);
		free(b);
		sbx_link_kill(l, -ECONNRESET, msg);
		return -ECONNRESET;
	}
	default:
		free(b);
		sbx_link_kill(l, -EPROTO, "unexpected frame from the bridge");
		return -EPROTO;
	}
}

static void *sbx_pump(void *arg)
{
	struct sbx_link *l = arg;
	struct pollfd *pfd = NULL;
	size_t cap = 0;

	pthread_mutex_lock(&l->lock);
	while (!l->stop) {
		struct sbx_stream *s, **pp;
		size_t n = 2, i;

		for (s = l->streams; s; s = s->next)
			n++;
		if (n > cap) {
			struct pollfd *p = realloc(pfd, n * sizeof(*p));

			if (!p) {
				sbx_link_kill(l, -ENOMEM, "out of memory");
				break;
			}
			pfd = p;
			cap = n;
		}
		pfd[0] = (struct pollfd){ .fd = l->dead ? -1 : l->fd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = l->wake[0], .events = POLLIN };
		for (i = 2, s = l->streams; s; s = s->next, i++) {
			pfd[i] = (struct pollfd){
				.fd = s->fd, .events = s->pending ? POLLOUT : 0,
			};
			s->pidx = i;
		}
		pthread_mutex_unlock(&l->lock);
		if (poll(pfd, n, -1) < 0 && errno != EINTR) {
			pthread_mutex_lock(&l->lock);
			sbx_link_kill(l, -errno, "poll failed");
			break;
		}
		if (pfd[1].revents & POLLIN) {
			char c[16];

			if (read(l->wake[0], c, sizeof(c)) < 0 && errno != EAGAIN)
				break;
		}
		if (pfd[0].revents) {
			struct sbx_frame_buf *b;
			int err;

			b = sbx_recv_frame(l->fd, l->max_frame, &err);
			pthread_mutex_lock(&l->lock);
			if (!b)
				sbx_link_kill(l, err, err == -EPROTO ?
					      "frame from the bridge over the limit" :
					      "connection to the bridge lost");
			else
				sbx_dispatch(l, b);
		} else {
			pthread_mutex_lock(&l->lock);
		}
		/* Streams whose reader can take more, or went away. */
		for (pp = &l->streams; (s = *pp);) {
			short rev = s->pidx ? pfd[s->pidx].revents : 0;

			if (rev & (POLLHUP | POLLERR) && !s->pending) {
				sbx_send_frame(l, SBEXEC_FRAME_DETACH, s->id, 0,
					       NULL, 0);
				*pp = s->next;
				sbx_stream_free(s);
				continue;
			}
			if (rev && !sbx_stream_flush(l, s)) {
				*pp = s->next;
				sbx_stream_free(s);
				continue;
			}
			pp = &s->next;
		}
		if (l->dead) {
			/* Readers see end of file without a final record. */
			while ((s = l->streams)) {
				l->streams = s->next;
				sbx_stream_free(s);
			}
			while (!l->stop)
				pthread_cond_wait(&l->cond, &l->lock);
		}
	}
	pthread_mutex_unlock(&l->lock);
	free(pfd);
	return NULL;
}

static void sbx_link_free(struct sbx_link *l)
{
	struct sbx_stream *s;

	while ((s = l->streams)) {
		l->streams = s->next;
		sbx_stream_free(s);
	}
	sbx_stream_free(l->attaching);
	sbx_free_frames(l->replies);
	close(l->wake[0]);
	close(l->wake[1]);
	close(l->fd);
	pthread_cond_destroy(&l->cond);
	pthread_mutex_destroy(&l->lock);
	pthread_mutex_destroy(&l->call);
	free(l);
}

void sbx_link_put(struct sbx_link *l)
{
	bool last;

	pthread_mutex_lock(&l->lock);
	last = --l->refs == 0;
	if (last) {
		l->stop = true;
		pthread_cond_broadcast(&l->cond);
	}
	pthread_mutex_unlock(&l->lock);
	if (!last)
		return;
	if (write(l->wake[1], "x", 1) < 0) {
		/* The pump also wakes when the socket closes below. */
	}
	shutdown(l->fd, SHUT_RDWR);
	pthread_join(l->pump, NULL);
	sbx_link_free(l);
}

void sbx_link_get(struct sbx_link *l)
{
	pthread_mutex_lock(&l->lock);
	l->refs++;
	pthread_mutex_unlock(&l->lock);
}

uint32_t sbx_link_family(const struct sbx_link *l)
{
	return l->family;
}

/* Take the next REPLY/ATTACHED frame, waiting for it; under lock. */
static struct sbx_frame_buf *sbx_next_reply(struct sbx_link *l, int *err)
{
	struct sbx_frame_buf *b;

	while (!l->replies && !l->dead)
		pthread_cond_wait(&l->cond, &l->lock);
	b = l->replies;
	if (!b) {
		*err = l->dead;
		return NULL;
	}
	l->replies = b->next;
	if (!l->replies)
		l->replies_tail = &l->replies;
	b->next = NULL;
	return b;
}

int sbx_link_request(struct sbexec *h, struct nlmsghdr *nlh,
		     int (*feed)(void *arg, const void *buf, size_t len),
		     void *arg)
{
	struct sbx_link *l = h->link;
	struct sbx_frame_buf *b;
	int err = 0;
	bool last = false;

	pthread_mutex_lock(&l->call);
	nlh->nlmsg_seq = ++l->seq;
	nlh->nlmsg_pid = 0;
	nlh->nlmsg_type = (uint16_t)l->family;
	pthread_mutex_lock(&l->lock);
	if (l->dead)
		err = l->dead;
	else
		err = sbx_send_frame(l, SBEXEC_FRAME_REQUEST, 0, 0, nlh,
				     nlh->nlmsg_len);
	if (err && !l->dead)
		sbx_link_kill(l, err, "cannot write to the bridge");
	while (!err && !last) {
		b = sbx_next_reply(l, &err);
		if (!b)
			break;
		if (b->hdr.type != SBEXEC_FRAME_REPLY) {
			free(b);
			sbx_link_kill(l, -EPROTO, "the bridge answered out of order");
			err = -EPROTO;
			break;
		}
		last = b->hdr.flags & SBEXEC_FRAME_F_LAST;
		pthread_mutex_unlock(&l->lock);
		feed(arg, b->data, b->hdr.len);
		free(b);
		pthread_mutex_lock(&l->lock);
	}
	if (err)
		sbx_fail(h, err, "%s", l->why);
	pthread_mutex_unlock(&l->lock);
	pthread_mutex_unlock(&l->call);
	return err;
}

int sbx_link_attach(struct sbexec *h, uint32_t id, struct sbexec_attach *info)
{
	struct sbx_link *l = h->link;
	struct sbx_frame_buf *b = NULL;
	struct sbx_stream *s;
	int sv[2], buf = SBX_PAIR_BUF, err;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		err = -errno;
		return sbx_fail(h, err, "socketpair: %s", strerror(-err));
	}
	/* Best effort: the largest packet fits the default buffers too. */
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	s = calloc(1, sizeof(*s));
	if (!s) {
		close(sv[0]);
		close(sv[1]);
		return sbx_fail(h, -ENOMEM, "out of memory");
	}
	s->id = id;
	s->fd = sv[1];
	s->pending_tail = &s->pending;

	pthread_mutex_lock(&l->call);
	pthread_mutex_lock(&l->lock);
	err = l->dead;
	if (!err) {
		l->attaching = s;
		err = sbx_send_frame(l, SBEXEC_FRAME_ATTACH, id, SBX_CREDIT,
				     NULL, 0);
		if (err)
			sbx_link_kill(l, err, "cannot write to the bridge");
	}
	if (!err)
		b = sbx_next_reply(l, &err);
	if (b && (b->hdr.type != SBEXEC_FRAME_ATTACHED || b->hdr.session != id)) {
		sbx_link_kill(l, -EPROTO, "the bridge answered out of order");
		err = -EPROTO;
	}
	if (l->attaching == s) {
		/* Never answered: the pump will not take it now. */
		l->attaching = NULL;
		sbx_stream_free(s);
	}
	if (err) {
		sbx_fail(h, err, "%s", l->why);
	} else if (b->hdr.arg < 0) {
		err = b->hdr.arg;
		sbx_fail(h, err, "cannot attach to session %u: %.*s", id,
			 (int)(b->hdr.len < 200 ? b->hdr.len : 200),
			 (const char *)b->data);
	} else if (b->hdr.len != sizeof(*info)) {
		sbx_link_kill(l, -EPROTO, "malformed ATTACHED from the bridge");
		err = sbx_fail(h, -EPROTO, "%s", l->why);
	} else {
		memcpy(info, b->data, sizeof(*info));
		/* The pump may now deliver: wake it to poll the new stream. */
		if (write(l->wake[1], "x", 1) < 0 && errno != EAGAIN)
			err = sbx_fail(h, -errno, "cannot wake the link's thread");
	}
	pthread_mutex_unlock(&l->lock);
	pthread_mutex_unlock(&l->call);
	free(b);
	if (err < 0) {
		close(sv[0]);
		return err;
	}
	return sv[0];
}

/* Parse "vsock:CID:PORT" or "unix:PATH" and connect; -errno. */
static int sbx_connect_uri(const char *uri)
{
	int fd, err;

	if (!strncmp(uri, "unix:", 5)) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		const char *path = uri + 5;

		if (!*path || strlen(path) >= sizeof(sa.sun_path))
			return -EINVAL;
		memcpy(sa.sun_path, path, strlen(path));
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			goto fail;
		return fd;
	}
	if (!strncmp(uri, "vsock:", 6)) {
		struct sockaddr_vm sa = { .svm_family = AF_VSOCK };
		unsigned long cid, port = SBEXEC_BRIDGE_VSOCK_PORT;
		char *end;

		errno = 0;
		cid = strtoul(uri + 6, &end, 10);
		if (errno || end == uri + 6 || cid > UINT32_MAX)
			return -EINVAL;
		if (*end == ':') {
			const char *p = end + 1;

			port = strtoul(p, &end, 10);
			if (errno || end == p || port > UINT32_MAX)
				return -EINVAL;
		}
		if (*end)
			return -EINVAL;
		sa.svm_cid = (unsigned int)cid;
		sa.svm_port = (unsigned int)port;
		fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			goto fail;
		return fd;
	}
	return -EINVAL;
fail:
	err = -errno;
	close(fd);
	return err;
}

/* Wait up to @ms for input on @fd: 0, -ETIMEDOUT or -errno. */
static int sbx_wait_input(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int n;

	do {
		n = poll(&pfd, 1, ms);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n ? 0 : -ETIMEDOUT;
}

/* Protocol step 0: the host's sync preamble. */
static int sbx_sync(struct sbx_link *l)
{
	unsigned char pre[SBEXEC_BRIDGE_SYNC_HOST_LEN];
	size_t fill = sizeof(pre) - SBEXEC_BRIDGE_SYNC_TAG_LEN;

	memset(pre, SBEXEC_BRIDGE_SYNC_FILL, fill);
	memcpy(pre + fill, SBEXEC_BRIDGE_SYNC_TAG, SBEXEC_BRIDGE_SYNC_TAG_LEN);
	return sbx_write_full(l->fd, pre, sizeof(pre));
}

/* Drop input up to and including the bridge's sync tag. */
static int sbx_hunt(struct sbx_link *l)
{
	static const char tag[] = SBEXEC_BRIDGE_SYNC_TAG;
	unsigned char c;
	size_t got = 0, skipped = 0;
	int err;

	while (got < SBEXEC_BRIDGE_SYNC_TAG_LEN) {
		/* Old output is at most a frame: more is not a bridge. */
		if (++skipped > SBEXEC_BRIDGE_MAX_FRAME + 4096)
			return -EPROTO;
		err = sbx_wait_input(l->fd, SBX_HELLO_MS);
		if (err)
			return err;
		err = sbx_read_full(l->fd, &c, 1);
		if (err)
			return err;
		if (c == (unsigned char)tag[got])
			got++;
		else
			got = c == (unsigned char)tag[0];
	}
	return 0;
}

/* HELLO both ways; the link's family and frame limit from the answer. */
static int sbx_hello(struct sbx_link *l)
{
	struct sbexec_bridge_hello hello = {
		.magic = htole32(SBEXEC_BRIDGE_MAGIC),
		.version = htole16(SBEXEC_BRIDGE_VERSION),
		.max_frame = htole32(SBEXEC_BRIDGE_MAX_FRAME),
	};
	struct sbx_frame_buf *b;
	int err;

	err = sbx_sync(l);
	if (!err)
		err = sbx_send_frame(l, SBEXEC_FRAME_HELLO, 0, 0, &hello,
				     sizeof(hello));
	if (!err)
		err = sbx_hunt(l);
	if (!err)
		err = sbx_wait_input(l->fd, SBX_HELLO_MS);
	if (err)
		return err;
	b = sbx_recv_frame(l->fd, sizeof(hello), &err);
	if (!b)
		return err == -ECONNRESET ? -ECONNRESET : -EPROTO;
	if (b->hdr.type != SBEXEC_FRAME_HELLO || b->hdr.len != sizeof(hello)) {
		free(b);
		return -EPROTO;
	}
	memcpy(&hello, b->data, sizeof(hello));
	free(b);
	if (le32toh(hello.magic) != SBEXEC_BRIDGE_MAGIC)
		return -EPROTO;
	if (le16toh(hello.version) != SBEXEC_BRIDGE_VERSION)
		return -EPROTONOSUPPORT;
	l->family = le32toh(hello.family);
	l->max_frame = le32toh(hello.max_frame);
	if (!l->family || l->family > UINT16_MAX ||
	    l->max_frame < SBEXEC_BRIDGE_MIN_CREDIT)
		return -EPROTO;
	if (l->max_frame > SBEXEC_BRIDGE_MAX_FRAME)
		l->max_frame = SBEXEC_BRIDGE_MAX_FRAME;
	return 0;
}

int sbx_link_open(const char *uri, struct sbx_link **out)
{
	struct sbx_link *l;
	int err;

	*out = NULL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->refs = 1;
	l->replies_tail = &l->replies;
	l->wake[0] = l->wake[1] = -1;
	pthread_mutex_init(&l->call, NULL);
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->cond, NULL);
	l->fd = sbx_connect_uri(uri);
	if (l->fd < 0) {
		err = l->fd;
		goto free_link;
	}
	err = sbx_hello(l);
	if (err)
		goto close_fd;
	if (pipe2(l->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		err = -errno;
		goto close_fd;
	}
	err = -pthread_create(&l->pump, NULL, sbx_pump, l);
	if (err)
		goto close_pipe;
	*out = l;
	return 0;

close_pipe:
	close(l->wake[0]);
	close(l->wake[1]);
close_fd:
	close(l->fd);
free_link:
	pthread_cond_destroy(&l->cond);
	pthread_mutex_destroy(&l->lock);
	pthread_mutex_destroy(&l->call);
	free(l);
	return err;
}
