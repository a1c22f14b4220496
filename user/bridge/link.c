// SPDX-License-Identifier: GPL-2.0
/*
 * link.c - the bridge protocol on one link (include/uapi/linux/
 * sbexec_bridge.h): frame parsing and validation, HELLO, REQUEST relayed
 * on the link's own generic netlink socket, ATTACH/CREDIT/DETACH on
 * /dev/sbexec readers, and the output buffer to the host.
 *
 * Everything the host sends is checked before it is used: the frame
 * length against SBEXEC_BRIDGE_MAX_FRAME before any allocation, the type,
 * flags and the fields a type must leave zero, the payload size of each
 * type, the netlink header of a REQUEST. A violation gets an ERROR frame
 * (best effort) and ends the link; nothing else is touched.
 *
 * A REQUEST may block in the module for long (STDIN while the session's
 * stdin buffer is full, EXEC while the helper starts the child), so it is
 * performed by a worker thread of its own: send() and recv() to the ack on
 * the link's netlink socket, the REPLY frames collected in the request.
 * The main thread hands the request over and handles no further frame of
 * that link until the worker has finished (the protocol allows one
 * request outstanding); then it queues the REPLY frames. The worker
 * touches nothing but its struct request and the netlink socket, which the
 * main thread leaves alone meanwhile. A link that goes away with a request
 * in flight leaves it as an orphan: flagged to stop and sent
 * LINK_STOP_SIGNAL, which interrupts a wait in the kernel (the doit then
 * ends without an ack, or the recv() with EINTR); its netlink socket, and
 * with it the link's kill-on-close sessions, is closed when it is joined.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/sbexec.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/socket.h>

#include "link.h"
#include "log.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define SBEXEC_DEVICE		"/dev/sbexec"
/* Socket buffers: an EXEC may carry SBEXEC_MAX_ARGV_BYTES of strings. */
#define LINK_NL_SOCK_BUF	(1024 * 1024)
/*
 * The module always answers a request, but a bridge must not hang on a
 * bug: a request without an answer for this long ends the link.
 */
#define LINK_NL_TIMEOUT_S	120
/* A worker needs little stack: its buffers are on the heap. */
#define LINK_WORKER_STACK	(256 * 1024)

struct request {
	pthread_t thread;
	struct nl_sock *nl;	/* the link's; owned once orphaned */
	int fd;			/* of @nl */
	uint8_t *msg;
	size_t len;
	uint32_t seq;
	/* REPLY frames, encoded, for the link's output */
	uint8_t *out;
	size_t out_len, out_cap;
	char err[256];		/* set: the link fails with this message */
	atomic_bool stop;
	atomic_bool done;
	struct request *next;	/* on the orphan list */
};

static int wake_fd = -1;
static struct request *orphans;

static void request_free(struct request *q)
{
	free(q->msg);
	free(q->out);
	free(q);
}

/* Give @l's request up: it stops and is joined by link_orphans(). */
static void request_orphan(struct link *l)
{
	struct request *q = l->req;

	l->req = NULL;
	q->nl = l->nl;
	l->nl = NULL;
	atomic_store(&q->stop, true);
	pthread_kill(q->thread, LINK_STOP_SIGNAL);
	q->next = orphans;
	orphans = q;
}

struct link *link_new(enum link_kind kind, int fd, const char *name)
{
	struct link *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->kind = kind;
	l->fd = fd;
	l->connected = true;
	l->hunting = true;
	snprintf(l->name, sizeof(l->name), "%s", name);
	return l;
}

static void reader_close(struct link *l, struct reader *r)
{
	struct reader **pp;

	for (pp = &l->readers; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
	close(r->fd);
	free(r);
}

static struct reader *reader_find(struct link *l, uint32_t session)
{
	struct reader *r;

	for (r = l->readers; r; r = r->next)
		if (r->session == session)
			return r;
	return NULL;
}

/*
 * End the conversation (readers, netlink socket, parser, output) but keep
 * the bytes read and not yet looked at: they may hold the next one's sync.
 */
void link_restart(struct link *l)
{
	if (l->req)
		request_orphan(l);
	while (l->readers)
		reader_close(l, l->readers);
	if (l->nl) {
		nl_socket_free(l->nl);
		l->nl = NULL;
	}
	l->family = 0;
	l->hello = false;
	l->dead = false;
	l->hup = false;
	l->hunting = true;
	l->sync_got = 0;
	l->hdr_got = 0;
	free(l->payload);
	l->payload = NULL;
	l->pay_got = 0;
	free(l->out);
	l->out = NULL;
	l->out_off = l->out_len = l->out_cap = 0;
}

/* End the conversation and drop the input too (the host went away). */
void link_reset(struct link *l)
{
	link_restart(l);
	l->in_off = l->in_len = 0;
}

void link_free(struct link *l)
{
	if (!l)
		return;
	link_reset(l);
	if (l->fd >= 0)
		close(l->fd);
	free(l);
}

void link_kill(struct link *l, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	if (l->dead)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	blog("link %s: %s: %s", l->name,
	     l->kind == LINK_PORT ? "reset" : "closed", why);
	l->dead = true;
}

bool link_throttled(const struct link *l)
{
	return l->out_len - l->out_off > LINK_OUT_HIGH;
}

void link_flush(struct link *l)
{
	ssize_t n;

	while (!l->dead && l->out_off < l->out_len) {
		n = write(l->fd, l->out + l->out_off, l->out_len - l->out_off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			link_kill(l, "write: %s", strerror(errno));
			return;
		}
		l->out_off += n;
	}
	if (l->out_off == l->out_len)
		l->out_off = l->out_len = 0;
}

/* Append @a and @b to the output; 0, or -1 after link_kill(). */
static int link_queue(struct link *l, const void *a, size_t alen,
		      const void *b, size_t blen)
{
	size_t need;

	if (l->out_off) {
		memmove(l->out, l->out + l->out_off, l->out_len - l->out_off);
		l->out_len -= l->out_off;
		l->out_off = 0;
	}
	need = l->out_len + alen + blen;
	if (need > l->out_cap) {
		size_t cap = l->out_cap ? l->out_cap : 4096;
		uint8_t *p;

		while (cap < need)
			cap *= 2;
		p = realloc(l->out, cap);
		if (!p) {
			link_kill(l, "out of memory");
			return -1;
		}
		l->out = p;
		l->out_cap = cap;
	}
	if (alen)
		memcpy(l->out + l->out_len, a, alen);
	if (blen)
		memcpy(l->out + l->out_len + alen, b, blen);
	l->out_len = need;
	return 0;
}

/* Queue the bridge's sync preamble (step 0 of the protocol). */
static int link_send_sync(struct link *l)
{
	uint8_t pre[SBEXEC_BRIDGE_SYNC_GUEST_LEN];
	size_t fill = sizeof(pre) - SBEXEC_BRIDGE_SYNC_TAG_LEN;

	if (l->dead)
		return -1;
	memset(pre, SBEXEC_BRIDGE_SYNC_FILL, fill);
	memcpy(pre + fill, SBEXEC_BRIDGE_SYNC_TAG, SBEXEC_BRIDGE_SYNC_TAG_LEN);
	return link_queue(l, pre, sizeof(pre), NULL, 0);
	return 0;
}

/* Queue one frame for the host and try to write it at once. */
static int link_send(struct link *l, uint16_t type, uint16_t flags,
		     uint32_t session, int32_t arg, const void *payload,
		     size_t len)
{
	struct sbexec_frame f = {
		.len = htole32((uint32_t)len),
		.type = htole16(type),
		.flags = htole16(flags),
		.session = htole32(session),
		.arg = (int32_t)htole32((uint32_t)arg),
	};

	if (l->dead)
		return -1;
	if (link_queue(l, &f, sizeof(f), payload, len))
		return -1;
	link_flush(l);
	return l->dead ? -1 : 0;
}

/* ERROR with @fmt as its message, then the link ends. */
static void link_fail(struct link *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void link_fail(struct link *l, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	link_send(l, SBEXEC_FRAME_ERROR, 0, 0, 0, msg, strlen(msg));
	link_kill(l, "%s", msg);
}

/* ---- HELLO ---- */

static int link_nl_open(struct link *l)
{
	int one = 1, err, fd;
	struct timeval tv = { .tv_sec = LINK_NL_TIMEOUT_S };

	l->nl = nl_socket_alloc();
	if (!l->nl)
		return -ENOMEM;
	err = genl_connect(l->nl);
	if (err < 0) {
		err = -EPROTONOSUPPORT;
		goto fail;
	}
	nl_socket_set_buffer_size(l->nl, LINK_NL_SOCK_BUF, LINK_NL_SOCK_BUF);
	fd = nl_socket_get_fd(l->nl);
	/* Errors with a readable message; acks without the request echoed. */
	if (setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		err = -errno;
		goto fail;
	}
	l->family = genl_ctrl_resolve(l->nl, SBEXEC_GENL_NAME);
	if (l->family < 0) {
		err = -ENOENT;
		goto fail;
	}
	return 0;
fail:
	nl_socket_free(l->nl);
	l->nl = NULL;
	l->family = 0;
	return err;
}

static void handle_hello(struct link *l, const uint8_t *p)
{
	struct sbexec_bridge_hello h;
	int err;

	memcpy(&h, p, sizeof(h));
	if (l->hello) {
		link_fail(l, "second HELLO");
		return;
	}
	if (le32toh(h.magic) != SBEXEC_BRIDGE_MAGIC) {
		link_fail(l, "HELLO: bad magic 0x%08x (expected 0x%08x)",
			  le32toh(h.magic), SBEXEC_BRIDGE_MAGIC);
		return;
	}
	if (le16toh(h.version) != SBEXEC_BRIDGE_VERSION) {
		link_fail(l, "HELLO: version %u not supported (this bridge speaks %u)",
			  le16toh(h.version), SBEXEC_BRIDGE_VERSION);
		return;
	}
	if (h.reserved || h.family) {
		link_fail(l, "HELLO: reserved and family must be 0");
		return;
	}
	err = link_nl_open(l);
	if (err) {
		link_fail(l, "%s", err == -ENOENT ?
			  "sbexec module not loaded (no generic netlink family 'sbexec')" :
			  "cannot open a generic netlink socket");
		return;
	}
	l->hello = true;
	h.magic = htole32(SBEXEC_BRIDGE_MAGIC);
	h.version = htole16(SBEXEC_BRIDGE_VERSION);
	h.reserved = 0;
	h.family = htole32((uint32_t)l->family);
	h.max_frame = htole32(SBEXEC_BRIDGE_MAX_FRAME);
	if (link_send_sync(l) == 0 && link_send(l, SBEXEC_FRAME_HELLO, 0, 0, 0, &h, sizeof(h)) == 0)
		blog("link %s: hello, family %d", l->name, l->family);
}

/* ---- REQUEST ---- */

/* Whether datagram @buf of @len bytes ends the answer to @seq. */
static bool reply_is_last(const void *buf, size_t len, uint32_t seq)
{
	const struct nlmsghdr *nh = buf;
	int left = (int)len;

	for (; NLMSG_OK(nh, left); nh = NLMSG_NEXT(nh, left)) {
		if (nh->nlmsg_seq != seq)
			continue;
		if (nh->nlmsg_type == NLMSG_ERROR || nh->nlmsg_type == NLMSG_DONE)
			return true;
	}
	return false;
}

/* Append a REPLY frame to the request's answer; 0 or -1 (out of memory). */
static int request_reply(struct request *q, bool last, const void *buf,
			 size_t len)
{
	struct sbexec_frame f = {
		.len = htole32((uint32_t)len),
		.type = htole16(SBEXEC_FRAME_REPLY),
		.flags = htole16(last ? SBEXEC_FRAME_F_LAST : 0),
	};
	size_t need = q->out_len + sizeof(f) + len;

	if (need > q->out_cap) {
		size_t cap = q->out_cap ? q->out_cap : 4096;
		uint8_t *p;

		while (cap < need)
			cap *= 2;
		p = realloc(q->out, cap);
		if (!p)
			return -1;
		q->out = p;
		q->out_cap = cap;
	}
	memcpy(q->out + q->out_len, &f, sizeof(f));
	memcpy(q->out + q->out_len + sizeof(f), buf, len);
	q->out_len = need;
	return 0;
}

/*
 * The worker's part: send the request, collect the answer to its ack (or
 * NLMSG_DONE). An EINTR is LINK_STOP_SIGNAL when @stop is set (the
 * request is dropped: the module may have ended it without an ack), else
 * a stray signal, and the call is repeated.
 */
static void request_run(struct request *q)
{
	uint8_t *buf = NULL;
	size_t cap = 0;
	ssize_t n;
	bool last;

	for (;;) {
		if (atomic_load(&q->stop))
			return;
		n = send(q->fd, q->msg, q->len, 0);
		if (n >= 0 || errno != EINTR)
			break;
	}
	if (n < 0) {
		snprintf(q->err, sizeof(q->err), "netlink send: %s",
			 strerror(errno));
		return;
	}
	for (;;) {
		if (atomic_load(&q->stop))
			break;
		n = recv(q->fd, NULL, 0, MSG_PEEK | MSG_TRUNC);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			snprintf(q->err, sizeof(q->err), "netlink recv: %s",
				 errno == EAGAIN ? "no answer from the module" :
				 strerror(errno));
			break;
		}
		if ((size_t)n > SBEXEC_BRIDGE_MAX_FRAME) {
			snprintf(q->err, sizeof(q->err),
				 "netlink datagram of %zd bytes exceeds the frame limit",
				 n);
			break;
		}
		if ((size_t)n > cap) {
			uint8_t *nb = realloc(buf, n ? n : 1);

			if (!nb) {
				snprintf(q->err, sizeof(q->err), "out of memory");
				break;
			}
			buf = nb;
			cap = n;
		}
		n = recv(q->fd, buf, cap, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			snprintf(q->err, sizeof(q->err), "netlink recv: %s",
				 strerror(errno));
			break;
		}
		last = reply_is_last(buf, n, q->seq);
		if (request_reply(q, last, buf, n)) {
			snprintf(q->err, sizeof(q->err), "out of memory");
			break;
		}
		if (last)
			break;
	}
	free(buf);
}

static void request_wake(void)
{
	ssize_t n;

	/* A full pipe is readable already. */
	do
		n = write(wake_fd, "", 1);
	while (n < 0 && errno == EINTR);
}

static void *request_worker(void *arg)
{
	struct request *q = arg;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, LINK_STOP_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	request_run(q);
	atomic_store(&q->done, true);
	request_wake();
	return NULL;
}

static void stop_handler(int sig)
{
	(void)sig;	/* only interrupts the worker's system call */
}

int link_workers_init(int fd)
{
	struct sigaction sa = { .sa_handler = stop_handler };

	wake_fd = fd;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: blocking calls return EINTR */
	return sigaction(LINK_STOP_SIGNAL, &sa, NULL);
}

void link_complete(struct link *l)
{
	struct request *q = l->req;

	if (!q || !atomic_load(&q->done))
		return;
	pthread_join(q->thread, NULL);
	l->req = NULL;
	if (!link_queue(l, q->out, q->out_len, NULL, 0)) {
		if (q->err[0])
			link_fail(l, "%s", q->err);
		else
			link_flush(l);
	}
	request_free(q);
}

int link_orphans(void)
{
	struct request **pp = &orphans, *q;
	int left = 0;

	while ((q = *pp)) {
		if (atomic_load(&q->done)) {
			pthread_join(q->thread, NULL);
			*pp = q->next;
			if (q->nl)
				nl_socket_free(q->nl);
			request_free(q);
			continue;
		}
		/* It may have missed the signal on its way into the kernel. */
		pthread_kill(q->thread, LINK_STOP_SIGNAL);
		left++;
		pp = &q->next;
	}
	return left;
}

static void handle_request(struct link *l, uint8_t *p, size_t len)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)p;
	struct request *q;
	pthread_attr_t attr;
	int err;

	if (len < NLMSG_HDRLEN + GENL_HDRLEN) {
		link_fail(l, "REQUEST of %zu bytes is shorter than the netlink and genetlink headers",
			  len);
		return;
	}
	if (nh->nlmsg_len != len) {
		link_fail(l, "REQUEST: nlmsg_len %u differs from the frame's %zu bytes",
			  nh->nlmsg_len, len);
		return;
	}
	if (nh->nlmsg_type != l->family) {
		link_fail(l, "REQUEST for family %u, not sbexec's %d",
			  nh->nlmsg_type, l->family);
		return;
	}
	if (!(nh->nlmsg_flags & NLM_F_REQUEST)) {
		link_fail(l, "REQUEST without NLM_F_REQUEST");
		return;
	}
	/*
	 * The answer ends with the ack (or NLMSG_DONE of a dump): ask for
	 * the ack, or a successful do without one would leave us waiting.
	 */
	if (!(nh->nlmsg_flags & NLM_F_DUMP))
		nh->nlmsg_flags |= NLM_F_ACK;
	nh->nlmsg_pid = 0;

	q = calloc(1, sizeof(*q));
	if (!q) {
		link_fail(l, "out of memory");
		return;
	}
	q->fd = nl_socket_get_fd(l->nl);
	q->msg = p;		/* the frame's payload: taken over */
	q->len = len;
	q->seq = nh->nlmsg_seq;
	atomic_init(&q->stop, false);
	atomic_init(&q->done, false);
	err = pthread_attr_init(&attr);
	if (!err) {
		pthread_attr_setstacksize(&attr, LINK_WORKER_STACK);
		err = pthread_create(&q->thread, &attr, request_worker, q);
		pthread_attr_destroy(&attr);
	}
	if (err) {
		free(q);
		link_fail(l, "cannot start a request thread: %s", strerror(err));
		return;
	}
	l->payload = NULL;
	l->req = q;
}

/* ---- ATTACH, CREDIT, DETACH ---- */

static void attach_refuse(struct link *l, uint32_t session, int err)
{
	char msg[128];

	switch (err) {
	case ENOENT:
		snprintf(msg, sizeof(msg), "no session %u", session);
		break;
	case EBUSY:
		snprintf(msg, sizeof(msg), "session %u already has a reader",
			 session);
		break;
	case ERANGE:
		snprintf(msg, sizeof(msg), "session id %u out of range", session);
		break;
	case EPERM:
	case EACCES:
		snprintf(msg, sizeof(msg), "session %u: permission denied",
			 session);
		break;
	default:
		snprintf(msg, sizeof(msg), "session %u: %s", session,
			 strerror(err));
	}
	link_send(l, SBEXEC_FRAME_ATTACHED, 0, session, -err, msg, strlen(msg));
}

static void handle_attach(struct link *l, uint32_t session, int32_t credit)
{
	struct sbexec_attach a = { .session_id = session };
	struct reader *r;
	int fd, err;

	if (credit < SBEXEC_BRIDGE_MIN_CREDIT ||
	    credit > SBEXEC_BRIDGE_MAX_CREDIT) {
		link_fail(l, "ATTACH %u: credit %d outside %d..%d", session,
			  credit, SBEXEC_BRIDGE_MIN_CREDIT,
			  SBEXEC_BRIDGE_MAX_CREDIT);
		return;
	}
	if (reader_find(l, session)) {
		attach_refuse(l, session, EBUSY);
		return;
	}
	fd = open(SBEXEC_DEVICE, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		err = errno;
		blog("link %s: cannot open %s: %s", l->name, SBEXEC_DEVICE,
		     strerror(err));
		attach_refuse(l, session, err);
		return;
	}
	if (ioctl(fd, SBEXEC_IOC_ATTACH, &a)) {
		err = errno;
		close(fd);
		attach_refuse(l, session, err);
		return;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		close(fd);
		attach_refuse(l, session, ENOMEM);
		return;
	}
	r->session = session;
	r->fd = fd;
	r->credit = (uint64_t)credit;
	r->next = l->readers;
	l->readers = r;
	link_send(l, SBEXEC_FRAME_ATTACHED, 0, session, 0, &a, sizeof(a));
}

static void handle_credit(struct link *l, uint32_t session, int32_t arg)
{
	struct reader *r;

	if (arg < 0 || arg > SBEXEC_BRIDGE_MAX_CREDIT) {
		link_fail(l, "CREDIT %u: %d bytes", session, arg);
		return;
	}
	r = reader_find(l, session);
	if (!r)
		return;		/* it may cross END */
	if (r->credit + (uint64_t)arg > SBEXEC_BRIDGE_MAX_CREDIT) {
		link_fail(l, "CREDIT %u: credit %llu beyond %d", session,
			  (unsigned long long)(r->credit + (uint64_t)arg),
			  SBEXEC_BRIDGE_MAX_CREDIT);
		return;
	}
	r->credit += (uint64_t)arg;
	if (arg)
		r->stalled = false;
}

static void handle_detach(struct link *l, uint32_t session)
{
	struct reader *r = reader_find(l, session);

	if (r)
		reader_close(l, r);
}

void link_pump(struct link *l, struct reader *r)
{
	uint8_t buf[LINK_READ_MAX];
	size_t want;
	ssize_t n;
	int rounds, err;

	/* A few reads at a time, so that one session does not hog the loop. */
	for (rounds = 0; rounds < 4; rounds++) {
		if (l->dead || r->stalled || !r->credit || link_throttled(l))
			return;
		want = r->credit < sizeof(buf) ? (size_t)r->credit : sizeof(buf);
		n = read(r->fd, buf, want);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			if (errno == EMSGSIZE) {
				/* The next record needs more credit. */
				r->stalled = true;
				return;
			}
			err = errno;
			blog("link %s: session %u: read: %s", l->name,
			     r->session, strerror(err));
			link_send(l, SBEXEC_FRAME_END, 0, r->session, -err,
				  NULL, 0);
			reader_close(l, r);
			return;
		}
		if (n == 0) {
			link_send(l, SBEXEC_FRAME_END, 0, r->session, 0, NULL, 0);
			reader_close(l, r);
			return;
		}
		r->credit -= (uint64_t)n;
		if (link_send(l, SBEXEC_FRAME_DATA, 0, r->session, 0, buf, n))
			return;
	}
}

/* ---- frames ---- */

static const char *const frame_names[] = {
	[SBEXEC_FRAME_HELLO] = "HELLO",
	[SBEXEC_FRAME_REQUEST] = "REQUEST",
	[SBEXEC_FRAME_REPLY] = "REPLY",
	[SBEXEC_FRAME_ATTACH] = "ATTACH",
	[SBEXEC_FRAME_ATTACHED] = "ATTACHED",
	[SBEXEC_FRAME_DATA] = "DATA",
	[SBEXEC_FRAME_CREDIT] = "CREDIT",
	[SBEXEC_FRAME_END] = "END",
	[SBEXEC_FRAME_DETACH] = "DETACH",
	[SBEXEC_FRAME_ERROR] = "ERROR",
};

/* Check a complete header; 0 or -1 after link_fail(). */
static int check_header(struct link *l, const struct sbexec_frame *f)
{
	const char *name;

	if (f->len > SBEXEC_BRIDGE_MAX_FRAME) {
		link_fail(l, "frame of %u bytes exceeds the limit", f->len);
		return -1;
	}
	switch (f->type) {
	case SBEXEC_FRAME_HELLO:
	case SBEXEC_FRAME_REQUEST:
	case SBEXEC_FRAME_ATTACH:
	case SBEXEC_FRAME_CREDIT:
	case SBEXEC_FRAME_DETACH:
		break;
	case SBEXEC_FRAME_REPLY:
	case SBEXEC_FRAME_ATTACHED:
	case SBEXEC_FRAME_DATA:
	case SBEXEC_FRAME_END:
	case SBEXEC_FRAME_ERROR:
		link_fail(l, "%s is not a frame the host sends",
			  frame_names[f->type]);
		return -1;
	default:
		link_fail(l, "unknown frame type %u", f->type);
		return -1;
	}
	name = frame_names[f->type];
	if (f->flags) {
		link_fail(l, "%s with flags 0x%x", name, f->flags);
		return -1;
	}
	if (!l->hello && f->type != SBEXEC_FRAME_HELLO) {
		link_fail(l, "%s before HELLO", name);
		return -1;
	}
	switch (f->type) {
	case SBEXEC_FRAME_HELLO:
		if (f->len != sizeof(struct sbexec_bridge_hello)) {
			link_fail(l, "HELLO of %u bytes (expected %zu)", f->len,
				  sizeof(struct sbexec_bridge_hello));
			return -1;
		}
		break;
	case SBEXEC_FRAME_REQUEST:
		if (f->len < NLMSG_HDRLEN + GENL_HDRLEN) {
			link_fail(l, "REQUEST of %u bytes is shorter than the netlink and genetlink headers",
				  f->len);
			return -1;
		}
		break;
	default:
		if (f->len) {
			link_fail(l, "%s with a payload of %u bytes", name,
				  f->len);
			return -1;
		}
	}
	if (f->type == SBEXEC_FRAME_HELLO || f->type == SBEXEC_FRAME_REQUEST) {
		if (f->session || f->arg) {
			link_fail(l, "%s with session or arg set", name);
			return -1;
		}
	} else if (f->type == SBEXEC_FRAME_DETACH && f->arg) {
		link_fail(l, "DETACH with arg set");
		return -1;
	}
	return 0;
}

static void handle_frame(struct link *l, const struct sbexec_frame *f,
			 uint8_t *p)
{
	switch (f->type) {
	case SBEXEC_FRAME_HELLO:
		handle_hello(l, p);
		break;
	case SBEXEC_FRAME_REQUEST:
		handle_request(l, p, f->len);
		break;
	case SBEXEC_FRAME_ATTACH:
		handle_attach(l, f->session, f->arg);
		break;
	case SBEXEC_FRAME_CREDIT:
		handle_credit(l, f->session, f->arg);
		break;
	case SBEXEC_FRAME_DETACH:
		handle_detach(l, f->session);
		break;
	}
}

/*
 * Step 0: drop input up to and including the sync tag. A conversation the
 * bridge still had (the host went and came back unseen) ends there.
 */
static void link_hunt(struct link *l)
{
	static const char tag[] = SBEXEC_BRIDGE_SYNC_TAG;

	while (l->in_off < l->in_len) {
		uint8_t c = l->in[l->in_off++];

		if (c == (uint8_t)tag[l->sync_got])
			l->sync_got++;
		else
			l->sync_got = c == (uint8_t)tag[0];
		if (l->sync_got == SBEXEC_BRIDGE_SYNC_TAG_LEN) {
			if (l->hello || l->readers) {
				blog("link %s: sync: a new conversation ends the old one",
				     l->name);
				link_restart(l);
			}
			l->hunting = false;
			l->sync_got = 0;
			return;
		}
	}
}

void link_process(struct link *l)
{
	size_t n;

	while (!l->dead && !l->req && l->in_off < l->in_len &&
	       !link_throttled(l)) {
		if (l->hunting) {
			link_hunt(l);
			continue;
		}
		if (l->hdr_got < sizeof(l->hdr)) {
			n = sizeof(l->hdr) - l->hdr_got;
			if (n > l->in_len - l->in_off)
				n = l->in_len - l->in_off;
			memcpy((uint8_t *)&l->hdr + l->hdr_got, l->in + l->in_off, n);
			l->hdr_got += n;
			l->in_off += n;
			if (l->hdr_got < sizeof(l->hdr))
				break;
			l->hdr.len = le32toh(l->hdr.len);
			l->hdr.type = le16toh(l->hdr.type);
			l->hdr.flags = le16toh(l->hdr.flags);
			l->hdr.session = le32toh(l->hdr.session);
			l->hdr.arg = (int32_t)le32toh((uint32_t)l->hdr.arg);
			if (check_header(l, &l->hdr))
				break;
			if (l->hdr.len) {
				l->payload = malloc(l->hdr.len);
				if (!l->payload) {
					link_fail(l, "out of memory for a frame of %u bytes",
						  l->hdr.len);
					break;
				}
			}
			l->pay_got = 0;
		}
		n = l->hdr.len - l->pay_got;
		if (n > l->in_len - l->in_off)
			n = l->in_len - l->in_off;
		if (n) {
			memcpy(l->payload + l->pay_got, l->in + l->in_off, n);
			l->pay_got += n;
			l->in_off += n;
		}
		if (l->pay_got < l->hdr.len)
			break;
		handle_frame(l, &l->hdr, l->payload);
		free(l->payload);
		l->payload = NULL;
		l->hdr_got = 0;
		l->pay_got = 0;
	}
	if (l->in_off == l->in_len)
		l->in_off = l->in_len = 0;
}

void link_input(struct link *l)
{
	ssize_t n;

	if (l->in_off < l->in_len) {
		link_process(l);
		return;
	}
	n = read(l->fd, l->in, sizeof(l->in));
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return;
		link_kill(l, "read: %s", strerror(errno));
		return;
	}
	if (n == 0) {
		l->hup = true;
		link_kill(l, l->kind == LINK_PORT ? "host disconnected" : "EOF");
		return;
	}
	l->in_off = 0;
	l->in_len = (size_t)n;
	link_process(l);
}
