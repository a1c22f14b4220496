// SPDX-License-Identifier: GPL-2.0
/*
 * sbexec-fuzz: --bridge vsock:CID:PORT: frames (include/uapi/linux/
 * sbexec_bridge.h) at a running sbexec-bridge over AF_VSOCK instead of
 * messages at the module.
 *
 * Each "message" is one frame action: a valid REQUEST carrying one message
 * of the netlink generator (gen_one(), nlmsg_type the family id of the
 * bridge's HELLO), a clean EXEC, ATTACH/CREDIT/DETACH for real and random
 * session ids, or a malformed frame (random header fields, a length over
 * the limit, a truncated frame and close, an unknown type, a frame before
 * HELLO or a bad HELLO, random bytes, a second HELLO, a second request,
 * another family, a batch, a guest-to-host type), or dropping the link.
 * The bridge answers a violation with ERROR and closes the link: that is
 * expected, the next action connects and says HELLO again.
 *
 * Findings: the bridge process gone (--bridge-pid), a fresh link that
 * cannot connect or say HELLO, a HELLO naming another family than nlctrl
 * does, a well-formed EXEC through the bridge that fails, and the health
 * check (every --bridge-check actions and at the end: a fresh link, HELLO,
 * EXEC of /bin/true, ATTACH, its records to END) failing; plus the kernel
 * log and taint checks of every mode.
 */
#include "fuzz.h"
#include <sys/socket.h>
#include <linux/vm_sockets.h>
#include <linux/sbexec_bridge.h>

enum bk {
	BK_REQUEST, BK_EXEC_OK, BK_ATTACH, BK_CREDIT, BK_DETACH, BK_BAD_HDR,
	BK_TOO_LONG, BK_TRUNC, BK_UNKNOWN, BK_PRE_HELLO, BK_RANDOM, BK_HELLO2,
	BK_ODD_REQ, BK_DROP,
};

const char *const bk_names[N_BK] = {
	"request", "exec-ok", "attach", "credit", "detach", "bad-header",
	"too-long", "truncated", "unknown-type", "pre-hello", "random-bytes",
	"second-hello", "odd-request", "drop-link",
};

static const unsigned int bk_weight[N_BK] = {
	40, 4, 8, 6, 5, 5, 2, 3, 3, 3, 2, 2, 4, 2,
};

#define IO_MS		10000	/* an answer the bridge owes */
#define CLOSE_MS	500	/* ERROR and close after a violation */
#define CHECK_MS	30000	/* the health check's EXEC and records */

struct blink {
	int fd;
};

enum { RX_FRAME, RX_EOF, RX_TIMEOUT, RX_NONE };

static int send_all(int fd, const void *p, size_t n);

/* A fresh link with the host's sync preamble sent (protocol step 0). */
static int b_connect(struct fuzz *f)
{
	uint8_t pre[SBEXEC_BRIDGE_SYNC_HOST_LEN];
	size_t fill = sizeof(pre) - SBEXEC_BRIDGE_SYNC_TAG_LEN;
	struct sockaddr_vm sa = {
		.svm_family = AF_VSOCK,
		.svm_cid = f->o->bridge_cid,
		.svm_port = f->o->bridge_port,
	};
	struct timeval tv = { .tv_sec = IO_MS / 1000 };
	int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0), e;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	memset(pre, SBEXEC_BRIDGE_SYNC_FILL, fill);
	memcpy(pre + fill, SBEXEC_BRIDGE_SYNC_TAG, SBEXEC_BRIDGE_SYNC_TAG_LEN);
	if (send_all(fd, pre, sizeof(pre))) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	f->st->br_connects++;
	return fd;
}

static void b_close(struct blink *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

static int send_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n) {
		ssize_t k = send(fd, b, n, MSG_NOSIGNAL);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Send a frame; a link the bridge closed meanwhile is closed here too. */
static int send_frame(struct blink *l, uint32_t len, uint16_t type,
		      uint16_t flags, uint32_t session, int32_t arg,
		      const void *p, size_t n)
{
	struct sbexec_frame h = {
		.len = len, .type = type, .flags = flags,
		.session = session, .arg = arg,
	};

	if (l->fd < 0)
		return -1;
	if (send_all(l->fd, &h, sizeof(h)) || (n && send_all(l->fd, p, n))) {
		b_close(l);
		return -1;
	}
	return 0;
}

static int read_full(int fd, void *p, size_t n, uint64_t deadline)
{
	uint8_t *b = p;

	while (n) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now = now_ns();
		ssize_t k;
		int pr;

		if (now >= deadline)
			return RX_TIMEOUT;
		pr = poll(&pfd, 1, (int)((deadline - now) / 1000000 + 1));
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			return RX_TIMEOUT;
		k = recv(fd, b, n, MSG_DONTWAIT);
		if (k == 0)
			return RX_EOF;
		if (k < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return RX_EOF;	/* reset: closed all the same */
		}
		b += k;
		n -= (size_t)k;
	}
	return RX_FRAME;
}

/*
 * Read one frame (payload into f->scratch) within @ms; @ms 0: only when
 * one is already waiting. A frame announcing more than 2 MiB is the
 * bridge's bug, but not one this tool reports: the link is dropped.
 */
static int rx_frame(struct fuzz *f, struct blink *l, struct sbexec_frame *h,
		    long ms)
{
	uint64_t deadline = now_ns() + (uint64_t)(ms ? ms : IO_MS) * 1000000ULL;
	int rc;

	if (!ms) {
		struct pollfd pfd = { .fd = l->fd, .events = POLLIN };

		if (poll(&pfd, 1, 0) <= 0)
			return RX_NONE;
	}
	rc = read_full(l->fd, h, sizeof(*h), deadline);
	if (rc == RX_FRAME && h->len > (2u << 20))
		rc = RX_EOF;
	if (rc == RX_FRAME)
		rc = read_full(l->fd, f->scratch, h->len, deadline);
	if (rc == RX_EOF) {
		f->st->br_eofs++;
		b_close(l);
	}
	return rc;
}

static void handle(struct fuzz *f, const struct sbexec_frame *h)
{
	switch (h->type) {
	case SBEXEC_FRAME_REPLY:
		nl_take(f, f->scratch, h->len);
		break;
	case SBEXEC_FRAME_ERROR:
		f->st->br_errors++;
		if (f->o->verbose)
			fprintf(stderr, "[w%u] bridge ERROR: %.*s\n", f->worker,
				(int)(h->len > 200 ? 200 : h->len), (const char *)f->scratch);
		break;
	default:
		break;
	}
}

/*
 * Read frames until one of @type arrives (REPLY: the last one), the link
 * closes or @ms pass (then the link is dropped). Return: 1 found (@h is
 * it), 0 closed or timed out.
 */
static int wait_for(struct fuzz *f, struct blink *l, uint16_t type, long ms,
		    struct sbexec_frame *h)
{
	uint64_t deadline = now_ns() + (uint64_t)ms * 1000000ULL;

	while (l->fd >= 0) {
		uint64_t now = now_ns();
		int rc;

		if (now >= deadline) {
			f->st->br_timeouts++;
			b_close(l);
			return 0;
		}
		rc = rx_frame(f, l, h, (long)((deadline - now) / 1000000 + 1));
		if (rc == RX_TIMEOUT) {
			f->st->br_timeouts++;
			b_close(l);
			return 0;
		}
		if (rc != RX_FRAME)
			return 0;
		handle(f, h);
		if (h->type == type &&
		    (type != SBEXEC_FRAME_REPLY || (h->flags & SBEXEC_FRAME_F_LAST)))
			return 1;
	}
	return 0;
}

/* After a violation: read up to ERROR and the close; a link still open
 * after CLOSE_MS took the frame as valid and is kept. */
static void expect_close(struct fuzz *f, struct blink *l)
{
	uint64_t deadline = now_ns() + CLOSE_MS * 1000000ULL;
	struct sbexec_frame h;

	while (l->fd >= 0) {
		uint64_t now = now_ns();

		if (now >= deadline ||
		    rx_frame(f, l, &h, (long)((deadline - now) / 1000000 + 1)) != RX_FRAME)
			break;
		handle(f, &h);
	}
	if (l->fd >= 0)
		f->st->br_kept++;
	desc(f, " %s", l->fd < 0 ? "closed" : "kept");
}

/* Whatever the bridge sent meanwhile (DATA, END, late answers). */
static void drain(struct fuzz *f, struct blink *l)
{
	struct sbexec_frame h;

	while (l->fd >= 0 && rx_frame(f, l, &h, 0) == RX_FRAME)
		handle(f, &h);
}

/* Drop input up to the bridge's sync tag (it precedes its HELLO). */
static int hunt(struct blink *l, long ms)
{
	static const char tag[] = SBEXEC_BRIDGE_SYNC_TAG;
	uint64_t deadline = now_ns() + (uint64_t)ms * 1000000ULL;
	size_t got = 0;
	uint8_t c;

	while (got < SBEXEC_BRIDGE_SYNC_TAG_LEN) {
		if (read_full(l->fd, &c, 1, deadline) != RX_FRAME)
			return -1;
		if (c == (uint8_t)tag[got])
			got++;
		else
			got = c == (uint8_t)tag[0];
	}
	return 0;
}

/* HELLO on a fresh link. Return: 0, or -1 (the link is closed). */
static int hello(struct fuzz *f, struct blink *l, long ms)
{
	struct sbexec_bridge_hello hh = {
		.magic = SBEXEC_BRIDGE_MAGIC, .version = SBEXEC_BRIDGE_VERSION,
		.max_frame = SBEXEC_BRIDGE_MAX_FRAME,
	}, ans;
	struct sbexec_frame h;

	if (send_frame(l, sizeof(hh), SBEXEC_FRAME_HELLO, 0, 0, 0, &hh, sizeof(hh)) ||
	    hunt(l, ms) || !wait_for(f, l, SBEXEC_FRAME_HELLO, ms, &h)) {
		b_close(l);
		return -1;
	}
	if (h.len != sizeof(ans)) {
		unexpected(f, "the bridge's HELLO has %u bytes", h.len);
		b_close(l);
		return -1;
	}
	memcpy(&ans, f->scratch, sizeof(ans));
	if (ans.magic != SBEXEC_BRIDGE_MAGIC || ans.version != SBEXEC_BRIDGE_VERSION ||
	    ans.family != f->fam) {
		unexpected(f, "the bridge's HELLO: magic %#x version %u family %u (nlctrl says %u)",
			   ans.magic, ans.version, ans.family, f->fam);
		b_close(l);
		return -1;
	}
	return 0;
}

static void pid_check(struct fuzz *f)
{
	char path[64], st[512], *p;
	FILE *fp;

	if (!f->o->bridge_pid)
		return;
	snprintf(path, sizeof(path), "/proc/%d/stat", f->o->bridge_pid);
	fp = fopen(path, "r");
	if (!fp) {
		unexpected(f, "the bridge (pid %d) is gone", f->o->bridge_pid);
		return;
	}
	if (!fgets(st, sizeof(st), fp))
		st[0] = 0;
	fclose(fp);
	p = strrchr(st, ')');
	if (!p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
		unexpected(f, "the bridge (pid %d) has died", f->o->bridge_pid);
}

/* A link that says HELLO, or a finding. */
static int ensure(struct fuzz *f, struct blink *l)
{
	int tries;

	for (tries = 0; l->fd < 0 && tries < 3; tries++) {
		l->fd = b_connect(f);
		if (l->fd < 0) {
			usleep(200000);
			continue;
		}
		if (!hello(f, l, IO_MS))
			return 0;
		if (f->sh->unexpected)
			return -1;
		usleep(100000);
	}
	if (l->fd >= 0)
		return 0;
	pid_check(f);
	unexpected(f, "no link to the bridge at vsock %u:%u: %s",
		   f->o->bridge_cid, f->o->bridge_port,
		   errno ? strerror(errno) : "no HELLO");
	return -1;
}

/* f->tx: a clean EXEC of @cmd (with @arg). */
static void build_exec(struct fuzz *f, enum op op, const char *cmd, const char *arg)
{
	struct rng none = { 0 };
	size_t off;

	tx_reset(f);
	off = msg_start(f, &none, op, SBEXEC_CMD_EXEC, NLM_F_REQUEST | NLM_F_ACK, true);
	put_attr(f, SBEXEC_A_CMD, cmd, strlen(cmd) + 1);
	if (arg)
		put_attr(f, SBEXEC_A_ARG, arg, strlen(arg) + 1);
	msg_end(f, &none, off, true);
}

/* REQUEST with f->tx as payload; 1 when the last REPLY came. */
static int request(struct fuzz *f, struct blink *l, long ms)
{
	struct sbexec_frame h;

	if (send_frame(l, (uint32_t)f->tx.len, SBEXEC_FRAME_REQUEST, 0, 0, 0,
		       f->tx.p, f->tx.len))
		return 0;
	return wait_for(f, l, SBEXEC_FRAME_REPLY, ms, &h);
}

/*
 * The health check: a fresh link, HELLO, EXEC of /bin/true, ATTACH, its
 * records up to END.
 */
static void health(struct fuzz *f)
{
	struct blink l = { .fd = -1 };
	struct sbexec_frame h;
	struct pend *p = &f->pend[0];
	uint32_t sid;
	int tries;

	f->st->br_checks++;
	pid_check(f);
	if (f->sh->unexpected)
		return;
	errno = 0;
	l.fd = b_connect(f);
	if (l.fd < 0) {
		unexpected(f, "health check: connect to the bridge: %s", strerror(errno));
		return;
	}
	if (hello(f, &l, CHECK_MS)) {
		if (!f->sh->unexpected)
			unexpected(f, "health check: the bridge did not answer HELLO");
		return;
	}
	for (tries = 0;; tries++) {
		build_exec(f, OP_EXEC_OK, "/bin/true", NULL);
		if (!request(f, &l, CHECK_MS)) {
			unexpected(f, "health check: EXEC of /bin/true: no last REPLY (link %s)",
				   l.fd < 0 ? "closed" : "open");
			b_close(&l);
			return;
		}
		if (!(p->answered && p->err == EAGAIN && tries < 5))
			break;
		usleep(200000);
	}
	if (!p->answered || p->err || !p->sid) {
		unexpected(f, "health check: EXEC of /bin/true through the bridge: %s%s",
			   errname(p->answered ? p->err : -1),
			   p->answered && !p->err ? " without SESSION_ID" : "");
		b_close(&l);
		return;
	}
	sid = p->sid;
	if (send_frame(&l, 0, SBEXEC_FRAME_ATTACH, 0, sid, SBEXEC_BRIDGE_MIN_CREDIT, NULL, 0) ||
	    !wait_for(f, &l, SBEXEC_FRAME_ATTACHED, CHECK_MS, &h) || h.session != sid) {
		unexpected(f, "health check: ATTACH %u: no ATTACHED", sid);
		b_close(&l);
		return;
	}
	if (h.arg == -ENOENT) {
		b_close(&l);
		return;
	}
	if (h.arg) {
		unexpected(f, "health check: ATTACH %u: %s", sid, errname(-h.arg));
		b_close(&l);
		return;
	}
	for (;;) {
		if (!wait_for(f, &l, SBEXEC_FRAME_END, CHECK_MS, &h)) {
			unexpected(f, "health check: session %u: no END", sid);
			return;
		}
		if (h.session == sid)
			break;
	}
	if (h.arg)
		unexpected(f, "health check: session %u: END %s", sid, errname(-h.arg));
	b_close(&l);
}

static enum bk pick_kind(struct rng *r)
{
	unsigned int sum = 0, i;
	uint32_t x;

	for (i = 0; i < N_BK; i++)
		sum += bk_weight[i];
	x = rnd(r, sum);
	for (i = 0; i < N_BK; i++) {
		if (x < bk_weight[i])
			return (enum bk)i;
		x -= bk_weight[i];
	}
	return BK_REQUEST;
}

static enum op pick_genl_op(struct fuzz *f, struct rng *r)
{
	unsigned int sum = 0, i;
	uint32_t x;

	for (i = OP_EXEC; i <= OP_GENL_RAW; i++)
		sum += f->o->weight[i];
	if (!sum)
		return OP_GET;
	x = rnd(r, sum);
	for (i = OP_EXEC; i <= OP_GENL_RAW; i++) {
		if (x < f->o->weight[i])
			return (enum op)i;
		x -= f->o->weight[i];
	}
	return OP_GET;
}

/* A session id: mostly ours, never one that existed before we started. */
static uint32_t pick_sid(struct fuzz *f, struct rng *r)
{
	uint32_t id = pick_id(f, r, false);
	unsigned int i;

	for (i = 0; i < f->nforeign; i++)
		if (f->foreign[i] == id)
			return 0xfffffff0u;
	return id;
}

static void act(struct fuzz *f, struct rng *r, struct blink *l, enum bk k)
{
	struct sbexec_frame h;
	uint8_t junk[256];
	uint32_t id, len;
	int32_t arg;
	enum op op;
	size_t n;

	switch (k) {
	case BK_REQUEST:
		op = pick_genl_op(f, r);
		f->op = op;
		gen_one(f, r, op);
		request(f, l, IO_MS);
		nl_settle(f, true);
		break;
	case BK_EXEC_OK:
		f->op = OP_EXEC_OK;
		if (chance(r, 50))
			build_exec(f, OP_EXEC_OK, "/bin/true", NULL);
		else
			build_exec(f, OP_EXEC_OK, "sleep", "0.1");
		request(f, l, IO_MS);
		nl_settle(f, true);
		if (f->pend[0].answered && f->pend[0].err && f->pend[0].err != EAGAIN)
			unexpected(f, "well-formed EXEC through the bridge failed: %s",
				   errname(f->pend[0].err));
		desc(f, " id=%u", f->pend[0].sid);
		break;
	case BK_ATTACH:
		id = pick_sid(f, r);
		arg = chance(r, 85) ? (int32_t)(SBEXEC_BRIDGE_MIN_CREDIT +
			rnd(r, SBEXEC_BRIDGE_MAX_CREDIT - SBEXEC_BRIDGE_MIN_CREDIT + 1)) :
			(int32_t)interesting_u32(r);
		desc(f, " id=%u credit=%d", id, arg);
		if (!send_frame(l, 0, SBEXEC_FRAME_ATTACH, 0, id, arg, NULL, 0) &&
		    wait_for(f, l, SBEXEC_FRAME_ATTACHED, IO_MS, &h))
			desc(f, " -> %d", h.arg);
		break;
	case BK_CREDIT:
	case BK_DETACH:
		id = pick_sid(f, r);
		arg = 0;
		if (k == BK_CREDIT)
			arg = chance(r, 80) ? (int32_t)(1 + rnd(r, SBEXEC_BRIDGE_MIN_CREDIT)) :
			      (int32_t)interesting_u32(r);
		desc(f, " id=%u arg=%d", id, arg);
		send_frame(l, 0, k == BK_CREDIT ? SBEXEC_FRAME_CREDIT : SBEXEC_FRAME_DETACH,
			   0, id, arg, NULL, 0);
		drain(f, l);
		break;
	case BK_BAD_HDR:
		len = chance(r, 70) ? rnd(r, 64) : rnd(r, sizeof(junk) + 1);
		rnd_bytes(r, junk, sizeof(junk));
		memcpy(&h, junk, sizeof(h));
		h.len = len;
		h.type = (uint16_t)rnd(r, 12);
		if (chance(r, 50))
			h.flags = 0;
		desc(f, " len=%u type=%u flags=%#x session=%u arg=%d", h.len, h.type,
		     h.flags, h.session, h.arg);
		send_frame(l, h.len, h.type, h.flags, h.session, h.arg, junk + 16,
			   len > sizeof(junk) - 16 ? sizeof(junk) - 16 : len);
		if (len > sizeof(junk) - 16) {
			b_close(l);	/* the rest never comes */
			break;
		}
		expect_close(f, l);
		break;
	case BK_TOO_LONG:
		len = SBEXEC_BRIDGE_MAX_FRAME + 1 +
		      (chance(r, 50) ? rnd(r, 64) : rnd(r, UINT32_MAX - SBEXEC_BRIDGE_MAX_FRAME - 1));
		n = rnd(r, sizeof(junk));
		rnd_bytes(r, junk, n);
		desc(f, " len=%u sent=%zu", len, n);
		send_frame(l, len, chance(r, 70) ? SBEXEC_FRAME_REQUEST : (uint16_t)(1 + rnd(r, 10)),
			   0, 0, 0, junk, n);
		expect_close(f, l);
		break;
	case BK_TRUNC:
		op = pick_genl_op(f, r);
		gen_one(f, r, op);
		n = rnd(r, (uint32_t)(f->tx.len + sizeof(h)));
		desc(f, " %s len=%zu cut at %zu", op_info[op].name, f->tx.len, n);
		h = (struct sbexec_frame){ .len = (uint32_t)f->tx.len,
					   .type = SBEXEC_FRAME_REQUEST };
		if (n <= sizeof(h)) {
			if (l->fd >= 0)
				send_all(l->fd, &h, n);
		} else {
			send_frame(l, h.len, h.type, 0, 0, 0, f->tx.p, n - sizeof(h));
		}
		b_close(l);
		break;
	case BK_UNKNOWN:
		h.type = chance(r, 20) ? 0 : (uint16_t)(SBEXEC_FRAME_ERROR + 1 +
						      rnd(r, 0xffff - SBEXEC_FRAME_ERROR));
		len = rnd(r, 32);
		rnd_bytes(r, junk, len);
		desc(f, " type=%u len=%u", h.type, len);
		send_frame(l, len, h.type, 0, 0, 0, junk, len);
		expect_close(f, l);
		break;
	case BK_PRE_HELLO: {
		struct sbexec_bridge_hello hh = {
			.magic = SBEXEC_BRIDGE_MAGIC, .version = SBEXEC_BRIDGE_VERSION,
			.max_frame = SBEXEC_BRIDGE_MAX_FRAME,
		};
		unsigned int m = rnd(r, 6);

		b_close(l);
		l->fd = b_connect(f);
		if (l->fd < 0) {
			ensure(f, l);	/* a finding unless it comes back */
			break;
		}
		desc(f, " variant=%u", m);
		if (m == 0) {
			op = pick_genl_op(f, r);
			gen_one(f, r, op);
			send_frame(l, (uint32_t)f->tx.len, SBEXEC_FRAME_REQUEST, 0, 0, 0,
				   f->tx.p, f->tx.len);
		} else if (m == 1) {
			send_frame(l, 0, (uint16_t)(SBEXEC_FRAME_ATTACH + rnd(r, 6)), 0,
				   pick_sid(f, r), SBEXEC_BRIDGE_MIN_CREDIT, NULL, 0);
		} else {
			len = sizeof(hh);
			if (m == 2)
				hh.magic = chance(r, 50) ? __builtin_bswap32(hh.magic) :
					   (uint32_t)rnd64(r);
			else if (m == 3)
				hh.version = (uint16_t)(chance(r, 50) ? 0 : 2 + rnd(r, 0xfffe));
			else if (m == 4)
				hh.reserved = (uint16_t)(1 + rnd(r, 0xffff));
			else
				len = rnd(r, 2 * sizeof(hh));
			rnd_bytes(r, junk, sizeof(junk));
			memcpy(junk, &hh, sizeof(hh));
			send_frame(l, len, SBEXEC_FRAME_HELLO, 0, 0, 0, junk, len);
		}
		expect_close(f, l);
		break;
	}
	case BK_RANDOM:
		n = 1 + rnd(r, sizeof(junk));
		rnd_bytes(r, junk, n);
		desc(f, " %zu bytes", n);
		if (l->fd >= 0 && send_all(l->fd, junk, n))
			b_close(l);
		expect_close(f, l);
		break;
	case BK_HELLO2: {
		struct sbexec_bridge_hello hh = {
			.magic = SBEXEC_BRIDGE_MAGIC, .version = SBEXEC_BRIDGE_VERSION,
			.max_frame = SBEXEC_BRIDGE_MAX_FRAME,
		};

		send_frame(l, sizeof(hh), SBEXEC_FRAME_HELLO, 0, 0, 0, &hh, sizeof(hh));
		expect_close(f, l);
		break;
	}
	case BK_ODD_REQ: {
		unsigned int m = rnd(r, 5);
		struct nlmsghdr *nh;

		op = pick_genl_op(f, r);
		f->op = op;
		gen_one(f, r, op);
		nh = (void *)f->tx.p;
		desc(f, " variant=%u", m);
		if (m == 0) {
			/* a second REQUEST before the first is answered */
			send_frame(l, (uint32_t)f->tx.len, SBEXEC_FRAME_REQUEST, 0, 0, 0,
				   f->tx.p, f->tx.len);
			send_frame(l, (uint32_t)f->tx.len, SBEXEC_FRAME_REQUEST, 0, 0, 0,
				   f->tx.p, f->tx.len);
			/* the bridge may take them one after the other */
			if (wait_for(f, l, SBEXEC_FRAME_REPLY, IO_MS, &h))
				wait_for(f, l, SBEXEC_FRAME_REPLY, IO_MS, &h);
			desc(f, " %s", l->fd < 0 ? "closed" : "both answered");
			nl_settle(f, false);
			break;
		} else if (m == 1 && f->tx.len >= NLMSG_HDRLEN) {
			/* another family (nlctrl, or any id) */
			nh->nlmsg_type = chance(r, 50) ? GENL_ID_CTRL : (uint16_t)rnd64(r);
			send_frame(l, (uint32_t)f->tx.len, SBEXEC_FRAME_REQUEST, 0, 0, 0,
				   f->tx.p, f->tx.len);
		} else if (m == 2) {
			/* two messages in one REQUEST */
			uint8_t *copy = malloc(f->tx.len);

			n = f->tx.len;
			if (copy) {
				memcpy(copy, f->tx.p, n);
				buf_put(&f->tx, copy, n);
				free(copy);
			}
			send_frame(l, (uint32_t)f->tx.len, SBEXEC_FRAME_REQUEST, 0, 0, 0,
				   f->tx.p, f->tx.len);
		} else if (m == 3) {
			/* a type only the bridge sends */
			static const uint16_t gt[] = {
				SBEXEC_FRAME_REPLY, SBEXEC_FRAME_ATTACHED, SBEXEC_FRAME_DATA,
				SBEXEC_FRAME_END, SBEXEC_FRAME_ERROR,
			};

			send_frame(l, (uint32_t)f->tx.len, gt[rnd(r, ARRAY_SIZE(gt))], 0,
				   pick_sid(f, r), 0, f->tx.p, f->tx.len);
		} else {
			/* flags, session or arg set on a REQUEST */
			send_frame(l, (uint32_t)f->tx.len, SBEXEC_FRAME_REQUEST,
				   (uint16_t)rnd(r, 2), pick_sid(f, r), (int32_t)rnd(r, 2),
				   f->tx.p, f->tx.len);
		}
		expect_close(f, l);
		nl_settle(f, false);
		break;
	}
	case BK_DROP:
		b_close(l);
		break;
	}
}

void bridge_loop(struct fuzz *f, uint64_t quota)
{
	const struct opts *o = f->o;
	struct blink l = { .fd = -1 };
	uint64_t start = now_ns(), last = start, sent = 0, i, t0;

	for (i = o->start; !f->sh->stop && sent < quota; i++, sent++) {
		struct rng r;
		uint64_t x = f->seed ^ (i * 0xd1b54a32d192ed03ULL);
		enum bk k;

		r.s = splitmix(&x);
		t0 = now_ns();
		if (o->seconds && t0 - start > (uint64_t)o->seconds * 1000000000ULL)
			break;
		f->idx = i;
		f->op = OP_GENL_RAW;
		f->desc[0] = 0;
		k = pick_kind(&r);
		desc(f, "#%" PRIu64 " bridge %s", i, bk_names[k]);
		if (k != BK_PRE_HELLO && l.fd < 0 && ensure(f, &l))
			break;
		act(f, &r, &l, k);
		f->st->frames[k]++;
		f->st->frames_ns[k] += now_ns() - t0;
		memcpy(f->hist[f->nhist++ % HIST], f->desc, sizeof(f->desc));
		if (o->verbose)
			fprintf(stderr, "[w%u] %s\n", f->worker, f->desc);
		if (!(i & 15))
			kmsg_check(f);
		if (!(i & 63))
			pid_check(f);
		if (!(i & 255))
			taint_check(f);
		if (o->bridge_check && sent && !(sent % o->bridge_check)) {
			f->desc[0] = 0;
			desc(f, "health check after #%" PRIu64, i);
			health(f);
		}
		if (t0 - last > 10000000000ULL) {
			last = t0;
			fprintf(stderr, "sbexec-fuzz: [w%u] %" PRIu64 " frames, %.0f/s\n",
				f->worker, sent, (double)sent * 1e9 / (double)(t0 - start));
		}
	}
	b_close(&l);
	if (!f->sh->unexpected) {
		f->desc[0] = 0;
		desc(f, "final health check");
		health(f);
	}
}

void bridge_summary(const struct opts *o, const struct stats *tot)
{
	uint64_t all = 0;
	unsigned int i;

	for (i = 0; i < N_BK; i++)
		all += tot->frames[i];
	printf("bridge vsock %u:%u: %" PRIu64 " frames, %" PRIu64 " connections, %" PRIu64
	       " ERROR frames, %" PRIu64 " closes seen, %" PRIu64 " odd frames taken as valid, %"
	       PRIu64 " timeouts, %" PRIu64 " health checks\n", o->bridge_cid, o->bridge_port,
	       all, tot->br_connects, tot->br_errors, tot->br_eofs, tot->br_kept,
	       tot->br_timeouts, tot->br_checks);
	printf("frames (count/ms):");
	for (i = 0; i < N_BK; i++)
		printf(" %s:%" PRIu64 "/%" PRIu64, bk_names[i], tot->frames[i],
		       tot->frames_ns[i] / 1000000);
	printf("\n");
}
