// SPDX-License-Identifier: GPL-2.0
/*
 * bridge_proto_test.c - sbexec-bridge's protocol (include/uapi/linux/
 * sbexec_bridge.h) spoken as raw frames over AF_VSOCK loopback.
 *
 * Runs as root in the test guest (sbexec.ko loaded, sbexec-helper
 * registered). Loads vsock_loopback, starts sbexec-bridge (see
 * bridge_path()) on a vsock port with --any-cid and connects to it
 * at VMADDR_CID_LOCAL. Checks: HELLO; an EXEC relayed as REQUEST/REPLY;
 * ATTACH and DATA/CREDIT/END carrying the session's records; refusals
 * that keep the link (ATTACH of an unknown session, a second ATTACH);
 * violations that end only their own link (oversized frame, unknown type,
 * REQUEST before HELLO, another family, bad credit) while a second link
 * keeps working; a keep-running session that outlives a bridge restart;
 * a request the module keeps waiting that holds up neither the other
 * links nor the exit, and is stopped when its link closes; a clean exit
 * on SIGTERM.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/sbexec.h>
#include <linux/sbexec_bridge.h>
#include <linux/vm_sockets.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "kselftest_harness.h"
#include "util.h"

#ifndef VMADDR_CID_LOCAL
#define VMADDR_CID_LOCAL 1
#endif

#define IO_TIMEOUT_S	30

/* ---- the bridge process ---- */

struct bridge_proc {
	pid_t pid;
	unsigned int port;
	char log[64];
};

/*
 * The bridge under test: $SBEXEC_BRIDGE, else the build in
 * $SBEXEC_PROJECT (the installed suite runs elsewhere), else the one
 * beside this program (selftests/../user/bridge).
 */
static void bridge_path(char *buf, size_t n)
{
	char exe[PATH_MAX];
	const char *env = getenv("SBEXEC_BRIDGE");
	const char *proj = getenv("SBEXEC_PROJECT");
	ssize_t len;

	if (env && *env) {
		snprintf(buf, n, "%s", env);
		return;
	}
	if (proj && *proj) {
		snprintf(buf, n, "%s/user/bridge/sbexec-bridge", proj);
		return;
	}
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len < 0) {
		snprintf(buf, n, "../user/bridge/sbexec-bridge");
		return;
	}
	exe[len] = '\0';
	snprintf(buf, n, "%s/../user/bridge/sbexec-bridge", dirname(exe));
}

static bool log_has(const char *path, const char *what)
{
	char buf[16384];
	ssize_t n = read_small_file(path, buf, sizeof(buf));

	return n > 0 && strstr(buf, what);
}

static void dump_log(const char *path)
{
	char buf[16384];

	if (read_small_file(path, buf, sizeof(buf)) > 0)
		fprintf(stderr, "# bridge log:\n%s", buf);
}

/*
 * Start the bridge on vsock @port (or on virtio-serial port @pname) and
 * wait for its "ready" line; 0 or -1.
 */
static int bridge_start_on(struct bridge_proc *b, unsigned int port,
			   const char *pname)
{
	char path[PATH_MAX], sport[16];
	int64_t deadline;
	int fd;

	bridge_path(path, sizeof(path));
	b->port = port;
	snprintf(b->log, sizeof(b->log), "/tmp/sbexec-bridge.%u.log", port);
	snprintf(sport, sizeof(sport), "%u", port);
	unlink(b->log);
	signal(SIGPIPE, SIG_IGN);
	b->pid = fork();
	if (b->pid < 0)
		return -1;
	if (b->pid == 0) {
		fd = open(b->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd < 0 || dup2(fd, 2) < 0)
			_exit(127);
		if (pname && !strcmp(pname, "-"))	/* vsock, host CID only */
			execl(path, "sbexec-bridge", "--vsock", sport,
			      (char *)NULL);
		else if (pname)
			execl(path, "sbexec-bridge", "--port", pname,
			      (char *)NULL);
		else
			execl(path, "sbexec-bridge", "--vsock", sport,
			      "--any-cid", (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	deadline = mono_ms() + 10000;
	while (mono_ms() < deadline) {
		if (log_has(b->log, "sbexec-bridge: ready\n"))
			return 0;
		if (waitpid(b->pid, NULL, WNOHANG) == b->pid) {
			b->pid = -1;
			break;
		}
		usleep(20000);
	}
	dump_log(b->log);
	return -1;
}

static int bridge_start(struct bridge_proc *b, unsigned int port)
{
	return bridge_start_on(b, port, NULL);
}

/* SIGTERM (or @sig) and reap; the exit status (-1: not a normal exit). */
static int bridge_stop(struct bridge_proc *b, int sig)
{
	int st;

	if (b->pid <= 0)
		return -1;
	kill(b->pid, sig);
	if (waitpid(b->pid, &st, 0) != b->pid)
		return -1;
	b->pid = -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ---- frames ---- */

/* A connection to the bridge on @port, synced (protocol step 0). */
static int vconnect(unsigned int port)
{
	struct sockaddr_vm sa = {
		.svm_family = AF_VSOCK,
		.svm_cid = VMADDR_CID_LOCAL,
		.svm_port = port,
	};
	struct timeval tv = { .tv_sec = IO_TIMEOUT_S };
	int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    bridge_sync_out(fd)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Sockets and virtio-serial ports alike (SIGPIPE is ignored). */
static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

static int read_all(int fd, void *buf, size_t len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint8_t *p = buf;
	ssize_t n;

	while (len) {
		if (poll(&pfd, 1, IO_TIMEOUT_S * 1000) == 0)
			return -1;
		n = read(fd, p, len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static int send_frame(int fd, uint16_t type, uint16_t flags, uint32_t session,
		      int32_t arg, const void *payload, uint32_t len)
{
	struct sbexec_frame f = {
		.len = htole32(len),
		.type = htole16(type),
		.flags = htole16(flags),
		.session = htole32(session),
		.arg = (int32_t)htole32((uint32_t)arg),
	};

	if (write_all(fd, &f, sizeof(f)))
		return -1;
	return len ? write_all(fd, payload, len) : 0;
}

/* A received frame: header in host order and its payload (malloc'ed). */
struct frame {
	struct sbexec_frame h;
	uint8_t *p;
};

static int recv_frame(int fd, struct frame *f)
{
	f->p = NULL;
	if (read_all(fd, &f->h, sizeof(f->h)))
		return -1;
	f->h.len = le32toh(f->h.len);
	f->h.type = le16toh(f->h.type);
	f->h.flags = le16toh(f->h.flags);
	f->h.session = le32toh(f->h.session);
	f->h.arg = (int32_t)le32toh((uint32_t)f->h.arg);
	if (f->h.len > SBEXEC_BRIDGE_MAX_FRAME)
		return -1;
	f->p = malloc(f->h.len + 1);
	if (!f->p || read_all(fd, f->p, f->h.len)) {
		free(f->p);
		f->p = NULL;
		return -1;
	}
	f->p[f->h.len] = '\0';	/* messages print as strings */
	return 0;
}

/* True when the peer closed the link (EOF, not a timeout). */
static bool link_closed(int fd)
{
	char c;
	ssize_t n;

	do
		n = recv(fd, &c, 1, 0);
	while (n < 0 && errno == EINTR);
	return n == 0 || (n < 0 && errno == ECONNRESET);
}

/* HELLO both ways (after the preamble); the family id, or -1. */
static int hello(int fd)
{
	struct sbexec_bridge_hello h = {
		.magic = htole32(SBEXEC_BRIDGE_MAGIC),
		.version = htole16(SBEXEC_BRIDGE_VERSION),
		.max_frame = htole32(SBEXEC_BRIDGE_MAX_FRAME),
	};
	struct frame f;
	int family;

	if (send_frame(fd, SBEXEC_FRAME_HELLO, 0, 0, 0, &h, sizeof(h)) ||
	    bridge_hunt(fd, IO_TIMEOUT_S * 1000) || recv_frame(fd, &f))
		return -1;
	if (f.h.type != SBEXEC_FRAME_HELLO || f.h.len != sizeof(h)) {
		free(f.p);
		return -1;
	}
	memcpy(&h, f.p, sizeof(h));
	free(f.p);
	if (le32toh(h.magic) != SBEXEC_BRIDGE_MAGIC ||
	    le16toh(h.version) != SBEXEC_BRIDGE_VERSION ||
	    le32toh(h.max_frame) != SBEXEC_BRIDGE_MAX_FRAME)
		return -1;
	family = (int)le32toh(h.family);
	return family > GENL_ID_CTRL ? family : -1;
}

/* ---- requests ---- */

static uint32_t next_seq = 1000;

static struct nl_msg *msg_new(int family, uint8_t cmd, uint32_t *seq)
{
	struct nl_msg *msg = nlmsg_alloc_size(16384);

	if (!msg)
		return NULL;
	*seq = next_seq++;
	if (!genlmsg_put(msg, 0, *seq, family, 0, NLM_F_REQUEST | NLM_F_ACK,
			 cmd, SBEXEC_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/*
 * What an answer brought: the ack's error, a SESSION_ID attribute if a
 * reply message had one, and the number of REPLY frames.
 */
struct answer {
	int error;
	uint32_t session;
	int replies;
	bool acked;
};

static void parse_reply(const uint8_t *buf, size_t len, uint32_t seq,
			struct answer *a)
{
	const struct nlmsghdr *nh = (const void *)buf;
	int left = (int)len;

	for (; NLMSG_OK(nh, left); nh = NLMSG_NEXT(nh, left)) {
		if (nh->nlmsg_seq != seq)
			continue;
		if (nh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(nh);

			a->error = e->error;
			a->acked = true;
		} else if (nh->nlmsg_type >= NLMSG_MIN_TYPE) {
			struct nlattr *tb[SBEXEC_A_MAX + 1];

			if (genlmsg_parse((struct nlmsghdr *)nh, 0, tb,
					  SBEXEC_A_MAX, NULL) == 0 &&
			    tb[SBEXEC_A_SESSION_ID])
				a->session = nla_get_u32(tb[SBEXEC_A_SESSION_ID]);
		}
	}
}

/* Send @msg as REQUEST and read REPLY frames to the one marked last. */
static int request(int fd, struct nl_msg *msg, uint32_t seq, struct answer *a)
{
	struct nlmsghdr *nh = nlmsg_hdr(msg);
	struct frame f;

	memset(a, 0, sizeof(*a));
	if (send_frame(fd, SBEXEC_FRAME_REQUEST, 0, 0, 0, nh, nh->nlmsg_len))
		return -1;
	for (;;) {
		if (recv_frame(fd, &f))
			return -1;
		if (f.h.type != SBEXEC_FRAME_REPLY) {
			fprintf(stderr, "# frame type %u instead of REPLY: %s\n",
				f.h.type, f.p);
			free(f.p);
			return -1;
		}
		a->replies++;
		parse_reply(f.p, f.h.len, seq, a);
		free(f.p);
		if (f.h.flags & SBEXEC_FRAME_F_LAST)
			return a->acked ? 0 : -1;
	}
}

/* EXEC /bin/sh -c @script; the session id, or 0. */
static uint32_t exec_sh(int fd, int family, const char *script, uint32_t flags)
{
	struct answer a;
	struct nl_msg *msg;
	uint32_t seq;
	int rc;

	msg = msg_new(family, SBEXEC_CMD_EXEC, &seq);
	if (!msg)
		return 0;
	if (nla_put_string(msg, SBEXEC_A_CMD, "/bin/sh") < 0 ||
	    nla_put_string(msg, SBEXEC_A_ARG, "-c") < 0 ||
	    nla_put_string(msg, SBEXEC_A_ARG, script) < 0 ||
	    (flags && nla_put_u32(msg, SBEXEC_A_FLAGS, flags) < 0)) {
		nlmsg_free(msg);
		return 0;
	}
	rc = request(fd, msg, seq, &a);
	nlmsg_free(msg);
	if (rc || a.error) {
		fprintf(stderr, "# EXEC: rc %d, ack %d\n", rc, a.error);
		return 0;
	}
	return a.session;
}

/* GET of a session that does not exist: -ENOENT in the ack. */
static int get_missing(int fd, int family)
{
	struct answer a;
	struct nl_msg *msg;
	uint32_t seq;
	int rc;

	msg = msg_new(family, SBEXEC_CMD_GET, &seq);
	if (!msg)
		return -1;
	if (nla_put_u32(msg, SBEXEC_A_SESSION_ID, 0x7ffffff0) < 0) {
		nlmsg_free(msg);
		return -1;
	}
	rc = request(fd, msg, seq, &a);
	nlmsg_free(msg);
	return rc ? -1 : a.error;
}

/* ---- reading a session ---- */

struct output {
	char out[4096], err[4096];
	size_t nout, nerr;
	bool exited;
	struct sbexec_exit_info exit;
	uint64_t next_seq;
	int end_arg;
	int data_frames;
};

/* Take the records of one DATA frame; 0, or -1 on a malformed one. */
static int take_records(const uint8_t *p, size_t len, struct output *o)
{
	size_t off = 0;

	while (off < len) {
		struct sbexec_record rec;
		size_t sz;

		if (len - off < sizeof(rec))
			return -1;
		memcpy(&rec, p + off, sizeof(rec));
		sz = (sizeof(rec) + rec.len + SBEXEC_RECORD_ALIGN - 1) &
		     ~(size_t)(SBEXEC_RECORD_ALIGN - 1);
		if (sz > len - off || rec.seq != o->next_seq)
			return -1;
		o->next_seq++;
		switch (rec.stream) {
		case SBEXEC_STREAM_STDOUT:
			if (o->nout + rec.len > sizeof(o->out))
				return -1;
			memcpy(o->out + o->nout, p + off + sizeof(rec), rec.len);
			o->nout += rec.len;
			break;
		case SBEXEC_STREAM_STDERR:
			if (o->nerr + rec.len > sizeof(o->err))
				return -1;
			memcpy(o->err + o->nerr, p + off + sizeof(rec), rec.len);
			o->nerr += rec.len;
			break;
		case SBEXEC_STREAM_EXIT:
			memcpy(&o->exit, p + off + sizeof(rec),
			       rec.len < sizeof(o->exit) ? rec.len : sizeof(o->exit));
			o->exited = true;
			break;
		default:
			return -1;
		}
		off += sz;
	}
	return 0;
}

/* ATTACH @session; the ATTACHED arg (0 or -errno), message in @msg. */
static int attach(int fd, uint32_t session, int32_t credit, char *msg,
		  size_t n)
{
	struct frame f;
	int arg;

	if (send_frame(fd, SBEXEC_FRAME_ATTACH, 0, session, credit, NULL, 0) ||
	    recv_frame(fd, &f))
		return INT_MIN;
	if (f.h.type != SBEXEC_FRAME_ATTACHED || f.h.session != session) {
		free(f.p);
		return INT_MIN;
	}
	arg = f.h.arg;
	if (msg)
		snprintf(msg, n, "%s", arg ? (char *)f.p : "");
	if (!arg && f.h.len != sizeof(struct sbexec_attach))
		arg = INT_MIN;
	free(f.p);
	return arg;
}

/* DATA frames of @session to END, returning credit as they arrive. */
static int collect(int fd, uint32_t session, struct output *o)
{
	struct frame f;

	memset(o, 0, sizeof(*o));
	for (;;) {
		if (recv_frame(fd, &f))
			return -1;
		if (f.h.session != session) {
			free(f.p);
			return -1;
		}
		if (f.h.type == SBEXEC_FRAME_END) {
			o->end_arg = f.h.arg;
			free(f.p);
			return 0;
		}
		if (f.h.type != SBEXEC_FRAME_DATA ||
		    take_records(f.p, f.h.len, o)) {
			free(f.p);
			return -1;
		}
		o->data_frames++;
		free(f.p);
		if (send_frame(fd, SBEXEC_FRAME_CREDIT, 0, session,
			       (int32_t)f.h.len, NULL, 0))
			return -1;
	}
}

/* ---- the tests ---- */

FIXTURE(bridge) {
	struct bridge_proc b;
	int fd;
	int family;
};

FIXTURE_SETUP(bridge)
{
	int s;

	self->fd = -1;
	self->b.pid = -1;
	if (system("modprobe vsock_loopback >/dev/null 2>&1"))
		TH_LOG("modprobe vsock_loopback failed (built in?)");
	s = socket(AF_VSOCK, SOCK_STREAM, 0);
	if (s < 0)
		SKIP(return, "no AF_VSOCK (vsock_loopback): %s", strerror(errno));
	close(s);
	ASSERT_EQ(0, bridge_start(&self->b, 20000 + getpid() % 20000));
	self->fd = vconnect(self->b.port);
	ASSERT_LE(0, self->fd) TH_LOG("connect to CID 1 port %u: %s",
				      self->b.port, strerror(errno));
	self->family = hello(self->fd);
	ASSERT_LT(0, self->family);
}

FIXTURE_TEARDOWN(bridge)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->b.pid > 0) {
		EXPECT_EQ(0, bridge_stop(&self->b, SIGTERM));
		if (_metadata->passed == 0)
			dump_log(self->b.log);
	}
	if (self->b.log[0])
		unlink(self->b.log);
}

TEST_F(bridge, exec_attach_collect)
{
	struct output o;
	uint32_t id;

	id = exec_sh(self->fd, self->family,
		     "echo out; echo err >&2; exit 3", 0);
	ASSERT_NE(0U, id);
	ASSERT_EQ(0, attach(self->fd, id, SBEXEC_BRIDGE_MIN_CREDIT, NULL, 0));
	ASSERT_EQ(0, collect(self->fd, id, &o));
	EXPECT_EQ(0, o.end_arg);
	ASSERT_TRUE(o.exited);
	EXPECT_EQ(4U, o.nout);
	EXPECT_EQ(0, memcmp(o.out, "out\n", 4));
	EXPECT_EQ(4U, o.nerr);
	EXPECT_EQ(0, memcmp(o.err, "err\n", 4));
	EXPECT_EQ(1U, o.exit.exited);
	EXPECT_EQ(3U, o.exit.code);
	/* The link goes on: the next request is answered. */
	EXPECT_EQ(-ENOENT, get_missing(self->fd, self->family));
}

TEST_F(bridge, attach_refusals_keep_the_link)
{
	char msg[128];
	uint32_t id;
	struct output o;

	EXPECT_EQ(-ENOENT, attach(self->fd, 0x7ffffff0,
				  SBEXEC_BRIDGE_MIN_CREDIT, msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "no session"));
	id = exec_sh(self->fd, self->family, "sleep 0.5; echo x", 0);
	ASSERT_NE(0U, id);
	ASSERT_EQ(0, attach(self->fd, id, SBEXEC_BRIDGE_MIN_CREDIT, NULL, 0));
	EXPECT_EQ(-EBUSY, attach(self->fd, id, SBEXEC_BRIDGE_MIN_CREDIT, msg,
				 sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "already has a reader"));
	/* CREDIT and DETACH of sessions the link does not read: ignored. */
	ASSERT_EQ(0, send_frame(self->fd, SBEXEC_FRAME_CREDIT, 0, 0x7ffffff0,
				4096, NULL, 0));
	ASSERT_EQ(0, send_frame(self->fd, SBEXEC_FRAME_DETACH, 0, 0x7ffffff0,
				0, NULL, 0));
	ASSERT_EQ(0, collect(self->fd, id, &o));
	EXPECT_EQ(2U, o.nout);
	EXPECT_TRUE(o.exited);
	EXPECT_EQ(-ENOENT, get_missing(self->fd, self->family));
}

/* Output larger than the credit arrives whole, paced by CREDIT. */
TEST_F(bridge, credit_paces_large_output)
{
	struct frame f;
	uint64_t bytes = 0, sent_credit = 0, got = 0, next = 0;
	bool ended = false;
	uint32_t id;

	id = exec_sh(self->fd, self->family,
		     "head -c 1000000 /dev/zero | tr '\\0' x", 0);
	ASSERT_NE(0U, id);
	ASSERT_EQ(0, attach(self->fd, id, SBEXEC_BRIDGE_MIN_CREDIT, NULL, 0));
	sent_credit = SBEXEC_BRIDGE_MIN_CREDIT;
	while (!ended) {
		size_t off = 0;

		ASSERT_EQ(0, recv_frame(self->fd, &f));
		if (f.h.type == SBEXEC_FRAME_END) {
			EXPECT_EQ(0, f.h.arg);
			free(f.p);
			break;
		}
		ASSERT_EQ(SBEXEC_FRAME_DATA, f.h.type);
		got += f.h.len;
		/* Never more in flight than the credit given. */
		ASSERT_LE(got, sent_credit);
		while (off < f.h.len) {
			struct sbexec_record rec;

			memcpy(&rec, f.p + off, sizeof(rec));
			ASSERT_EQ(next, rec.seq);
			next++;
			if (rec.stream == SBEXEC_STREAM_STDOUT)
				bytes += rec.len;
			off += (sizeof(rec) + rec.len + 7) & ~(size_t)7;
		}
		/* Return credit lazily, half a window at a time. */
		if (sent_credit - got < SBEXEC_BRIDGE_MIN_CREDIT / 2) {
			int32_t more = (int32_t)(got + SBEXEC_BRIDGE_MIN_CREDIT -
						 sent_credit);

			ASSERT_EQ(0, send_frame(self->fd, SBEXEC_FRAME_CREDIT, 0,
						id, more, NULL, 0));
			sent_credit += more;
		}
		free(f.p);
	}
	EXPECT_EQ(1000000U, bytes);
}

/* Send @bad (a header plus @len payload bytes) and expect ERROR + close. */
static int expect_error(int fd, const struct sbexec_frame *bad,
			const void *payload, size_t len, const char *want)
{
	struct frame f;
	int rc = 0;

	if (write_all(fd, bad, sizeof(*bad)))
		return -1;
	/* The bridge may refuse on the header and close before the rest. */
	if (len)
		write_all(fd, payload, len);
	if (recv_frame(fd, &f))
		return -2;
	if (f.h.type != SBEXEC_FRAME_ERROR) {
		rc = -3;
	} else if (want && !strstr((char *)f.p, want)) {
		fprintf(stderr, "# ERROR says \"%s\", wanted \"%s\"\n",
			(char *)f.p, want);
		rc = -4;
	}
	free(f.p);
	if (!rc && !link_closed(fd))
		rc = -5;
	return rc;
}

TEST_F(bridge, violations_end_only_their_link)
{
	/* A peer of the other byte order reads the magic reversed. */
	struct sbexec_bridge_hello hh = {
		.magic = htobe32(SBEXEC_BRIDGE_MAGIC),
		.version = htole16(SBEXEC_BRIDGE_VERSION),
	};
	struct sbexec_frame h;
	struct nl_msg *msg;
	uint32_t seq, id;
	struct output o;
	int fd;

	/* Oversized: refused from the header alone. */
	fd = vconnect(self->b.port);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, hello(fd));
	h = (struct sbexec_frame){ .len = htole32(2000000),
				   .type = htole16(SBEXEC_FRAME_REQUEST) };
	EXPECT_EQ(0, expect_error(fd, &h, NULL, 0, "exceeds the limit"));
	close(fd);

	/* Unknown type. */
	fd = vconnect(self->b.port);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, hello(fd));
	h = (struct sbexec_frame){ .type = htole16(99) };
	EXPECT_EQ(0, expect_error(fd, &h, NULL, 0, "unknown frame type"));
	close(fd);

	/* A frame only the bridge sends. */
	fd = vconnect(self->b.port);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, hello(fd));
	h = (struct sbexec_frame){ .type = htole16(SBEXEC_FRAME_DATA) };
	EXPECT_EQ(0, expect_error(fd, &h, NULL, 0, "not a frame the host sends"));
	close(fd);

	/* REQUEST before HELLO. */
	msg = msg_new(self->family, SBEXEC_CMD_GET, &seq);
	ASSERT_NE(NULL, msg);
	ASSERT_LE(0, nla_put_u32(msg, SBEXEC_A_SESSION_ID, 1));
	fd = vconnect(self->b.port);
	ASSERT_LE(0, fd);
	h = (struct sbexec_frame){ .len = htole32(nlmsg_hdr(msg)->nlmsg_len),
				   .type = htole16(SBEXEC_FRAME_REQUEST) };
	EXPECT_EQ(0, expect_error(fd, &h, nlmsg_hdr(msg),
				  nlmsg_hdr(msg)->nlmsg_len, "before HELLO"));
	close(fd);

	/* Another family (the controller's). */
	fd = vconnect(self->b.port);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, hello(fd));
	nlmsg_hdr(msg)->nlmsg_type = GENL_ID_CTRL;
	EXPECT_EQ(0, expect_error(fd, &h, nlmsg_hdr(msg),
				  nlmsg_hdr(msg)->nlmsg_len, "family"));
	close(fd);

	/* nlmsg_len that disagrees with the frame. */
	fd = vconnect(self->b.port);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, hello(fd));
	nlmsg_hdr(msg)->nlmsg_type = self->family;
	nlmsg_hdr(msg)->nlmsg_len += 4;
	EXPECT_EQ(0, expect_error(fd, &h, nlmsg_hdr(msg),
				  nlmsg_hdr(msg)->nlmsg_len - 4, "nlmsg_len"));
	nlmsg_hdr(msg)->nlmsg_len -= 4;
	close(fd);
	nlmsg_free(msg);

	/* Non-zero flags; a second HELLO; credit out of bounds. */
	fd = vconnect(self->b.port);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, hello(fd));
	h = (struct sbexec_frame){ .type = htole16(SBEXEC_FRAME_DETACH),
				   .flags = htole16(1), .session = htole32(1) };
	EXPECT_EQ(0, expect_error(fd, &h, NULL, 0, "flags"));
	close(fd);

	fd = vconnect(self->b.port);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, hello(fd));
	EXPECT_GT(0, hello(fd));
	EXPECT_TRUE(link_closed(fd));
	close(fd);

	fd = vconnect(self->b.port);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, hello(fd));
	h = (struct sbexec_frame){ .type = htole16(SBEXEC_FRAME_ATTACH),
				   .session = htole32(1),
				   .arg = (int32_t)htole32(4096) };
	EXPECT_EQ(0, expect_error(fd, &h, NULL, 0, "credit"));
	close(fd);

	/* A short HELLO, and a bad magic. */
	fd = vconnect(self->b.port);
	ASSERT_LE(0, fd);
	h = (struct sbexec_frame){ .len = htole32(4),
				   .type = htole16(SBEXEC_FRAME_HELLO) };
	EXPECT_EQ(0, expect_error(fd, &h, "abcd", 4, "HELLO of 4 bytes"));
	close(fd);

	fd = vconnect(self->b.port);
	ASSERT_LE(0, fd);
	h = (struct sbexec_frame){ .len = htole32(sizeof(hh)),
				   .type = htole16(SBEXEC_FRAME_HELLO) };
	EXPECT_EQ(0, expect_error(fd, &h, &hh, sizeof(hh), "magic"));
	close(fd);

	/* The fixture's link was never disturbed. */
	EXPECT_EQ(-ENOENT, get_missing(self->fd, self->family));
	id = exec_sh(self->fd, self->family, "echo still", 0);
	ASSERT_NE(0U, id);
	ASSERT_EQ(0, attach(self->fd, id, SBEXEC_BRIDGE_MIN_CREDIT, NULL, 0));
	ASSERT_EQ(0, collect(self->fd, id, &o));
	EXPECT_EQ(6U, o.nout);
	EXPECT_EQ(0U, o.exit.code);

	/* And a new link is still served. */
	fd = vconnect(self->b.port);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, hello(fd));
	EXPECT_EQ(-ENOENT, get_missing(fd, self->family));
	close(fd);
	EXPECT_TRUE(pid_alive(self->b.pid));
}

/* VmHWM of @pid in KiB, or -1. */
static long vm_hwm_kb(pid_t pid)
{
	char path[64], buf[4096], *p;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (read_small_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	p = strstr(buf, "VmHWM:");
	return p ? strtol(p + 6, NULL, 10) : -1;
}

/*
 * A host that stops reading: the bridge stops reading that link's
 * sessions once its output buffer is full (its memory stays bounded) and
 * other links go on; then everything arrives, in order.
 */
TEST_F(bridge, slow_host_bounds_the_bridge)
{
	uint64_t bytes = 0, got = 0, next = 0;
	long before, after;
	struct frame f;
	uint32_t id;
	int fd2;

	before = vm_hwm_kb(self->b.pid);
	ASSERT_LT(0, before);
	id = exec_sh(self->fd, self->family,
		     "head -c 24000000 /dev/zero | tr '\\0' y", 0);
	ASSERT_NE(0U, id);
	ASSERT_EQ(0, attach(self->fd, id, SBEXEC_BRIDGE_MAX_CREDIT, NULL, 0));
	/* Do not read for a while; another link is served meanwhile. */
	sleep(3);
	fd2 = vconnect(self->b.port);
	ASSERT_LE(0, fd2);
	ASSERT_LT(0, hello(fd2));
	EXPECT_EQ(-ENOENT, get_missing(fd2, self->family));
	close(fd2);
	after = vm_hwm_kb(self->b.pid);
	TH_LOG("bridge VmHWM %ld KiB before, %ld KiB with a 16 MiB credit unread",
	       before, after);
	/* The output buffer's mark plus a read: far below the credit. */
	EXPECT_GT(4096, after - before) TH_LOG("VmHWM %ld -> %ld KiB", before,
					       after);
	for (;;) {
		size_t off = 0;

		ASSERT_EQ(0, recv_frame(self->fd, &f));
		if (f.h.type == SBEXEC_FRAME_END) {
			free(f.p);
			break;
		}
		ASSERT_EQ(SBEXEC_FRAME_DATA, f.h.type);
		got += f.h.len;
		while (off < f.h.len) {
			struct sbexec_record rec;

			memcpy(&rec, f.p + off, sizeof(rec));
			ASSERT_EQ(next, rec.seq);
			next++;
			if (rec.stream == SBEXEC_STREAM_STDOUT)
				bytes += rec.len;
			off += (sizeof(rec) + rec.len + 7) & ~(size_t)7;
		}
		ASSERT_EQ(0, send_frame(self->fd, SBEXEC_FRAME_CREDIT, 0, id,
					(int32_t)f.h.len, NULL, 0));
		free(f.p);
	}
	EXPECT_EQ(24000000U, bytes);
}

/*
 * Send 4 KiB STDIN requests for @id on @fd until one gets no answer within
 * 2 s (the module blocks STDIN while the session's 64 KiB stdin buffer is
 * full, it does not answer EAGAIN); the index of that one, or -1.
 */
static int fill_stdin(int fd, int family, uint32_t id)
{
	static uint8_t chunk[4096];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct nlmsghdr *nh;
	struct nl_msg *msg;
	struct answer a;
	struct frame f;
	uint32_t seq;
	int i, rc;

	for (i = 0; i < 64; i++) {
		msg = msg_new(family, SBEXEC_CMD_STDIN, &seq);
		if (!msg)
			return -1;
		if (nla_put_u32(msg, SBEXEC_A_SESSION_ID, id) < 0 ||
		    nla_put(msg, SBEXEC_A_STDIN_DATA, sizeof(chunk), chunk) < 0) {
			nlmsg_free(msg);
			return -1;
		}
		nh = nlmsg_hdr(msg);
		rc = send_frame(fd, SBEXEC_FRAME_REQUEST, 0, 0, 0, nh,
				nh->nlmsg_len);
		nlmsg_free(msg);
		if (rc)
			return -1;
		if (poll(&pfd, 1, 2000) == 0)
			return i;
		memset(&a, 0, sizeof(a));
		do {
			if (recv_frame(fd, &f))
				return -1;
			rc = f.h.type == SBEXEC_FRAME_REPLY ? 0 : -1;
			if (!rc)
				parse_reply(f.p, f.h.len, seq, &a);
			free(f.p);
			if (rc)
				return -1;
		} while (!(f.h.flags & SBEXEC_FRAME_F_LAST));
		if (!a.acked || a.error) {
			fprintf(stderr, "# STDIN %d: ack %d\n", i, a.error);
			return -1;
		}
	}
	return -1;
}

/*
 * A request the module keeps waiting (STDIN to a session that never reads
 * its stdin, once the session's stdin buffer and pipe are full: the module
 * blocks the STDIN, it does not answer EAGAIN) holds up only its own link:
 * another link does EXEC, ATTACH and reads the output meanwhile, and
 * SIGTERM still ends the bridge at once, with status 0.
 */
TEST_F(bridge, slow_request_stalls_only_its_link)
{
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN };
	struct output o;
	uint32_t id, id2;
	int fd2, st, blocked;
	int64_t t0, took;
	pid_t pid;

	id = exec_sh(self->fd, self->family, "exec sleep 1000", 0);
	ASSERT_NE(0U, id);
	blocked = fill_stdin(self->fd, self->family, id);
	ASSERT_LE(0, blocked) TH_LOG("no STDIN request of 4 KiB blocked");
	TH_LOG("STDIN request %d (%d KiB queued before it) waits in the module",
	       blocked, blocked * 4);

	/* Another link is served while that request waits. */
	t0 = mono_ms();
	fd2 = vconnect(self->b.port);
	ASSERT_LE(0, fd2);
	ASSERT_LT(0, hello(fd2));
	id2 = exec_sh(fd2, self->family, "echo other", 0);
	ASSERT_NE(0U, id2);
	ASSERT_EQ(0, attach(fd2, id2, SBEXEC_BRIDGE_MIN_CREDIT, NULL, 0));
	ASSERT_EQ(0, collect(fd2, id2, &o));
	took = mono_ms() - t0;
	close(fd2);
	TH_LOG("the other link's EXEC + ATTACH + output took %lld ms",
	       (long long)took);
	EXPECT_GT(10000, took);
	EXPECT_TRUE(o.exited);
	ASSERT_EQ(6U, o.nout);
	EXPECT_EQ(0, memcmp(o.out, "other\n", 6));
	/* The first link's request still waits: no answer yet. */
	EXPECT_EQ(0, poll(&pfd, 1, 0));

	/* SIGTERM ends the bridge even so, at once and cleanly. */
	pid = self->b.pid;
	t0 = mono_ms();
	ASSERT_EQ(0, kill(pid, SIGTERM));
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (mono_ms() - t0 > 5000) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			self->b.pid = -1;
			dump_log(self->b.log);
			ASSERT_TRUE(false) TH_LOG("no exit 5 s after SIGTERM");
		}
		usleep(20000);
	}
	self->b.pid = -1;
	TH_LOG("the bridge exited %lld ms after SIGTERM",
	       (long long)(mono_ms() - t0));
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	/* The link and its kill-on-close session went with it. */
	EXPECT_TRUE(link_closed(self->fd));
	if (!_metadata->passed)
		dump_log(self->b.log);
}

/*
 * A link that closes while its request waits in the module: the bridge
 * interrupts the request, closes the link's netlink socket and so ends
 * the link's kill-on-close sessions, and goes on serving.
 */
TEST_F(bridge, closed_link_stops_its_waiting_request)
{
	char msg[128];
	struct output o;
	uint32_t id;
	int fd, i, rc = 0;

	fd = vconnect(self->b.port);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, hello(fd));
	id = exec_sh(fd, self->family, "exec sleep 1000", 0);
	ASSERT_NE(0U, id);
	ASSERT_LE(0, fill_stdin(fd, self->family, id));
	close(fd);
	for (i = 0; i < 100; i++) {
		rc = attach(self->fd, id, SBEXEC_BRIDGE_MIN_CREDIT, msg,
			    sizeof(msg));
		if (rc == -ENOENT)
			break;
		if (rc == 0) {
			/* Still there, but killed: its records end. */
			ASSERT_EQ(0, collect(self->fd, id, &o));
			EXPECT_TRUE(o.exited);
			EXPECT_EQ(0U, o.exit.exited);
			break;
		}
		usleep(50000);
	}
	EXPECT_TRUE(rc == -ENOENT || rc == 0) TH_LOG("ATTACH: %d %s", rc, msg);
	EXPECT_EQ(-ENOENT, get_missing(self->fd, self->family));
}

/* Without --any-cid only the host (CID 2) may connect. */
TEST(other_cids_refused)
{
	struct bridge_proc b = { .pid = -1 };
	int fd, s;

	if (system("modprobe vsock_loopback >/dev/null 2>&1"))
		TH_LOG("modprobe vsock_loopback failed (built in?)");
	s = socket(AF_VSOCK, SOCK_STREAM, 0);
	if (s < 0)
		SKIP(return, "no AF_VSOCK (vsock_loopback): %s", strerror(errno));
	close(s);
	ASSERT_EQ(0, bridge_start_on(&b, 40000 + getpid() % 20000, "-"));
	fd = vconnect(b.port);
	if (fd >= 0) {
		EXPECT_TRUE(link_closed(fd));
		close(fd);
	}
	usleep(100000);
	EXPECT_TRUE(log_has(b.log, "refused: peer CID 1"));
	EXPECT_EQ(0, bridge_stop(&b, SIGTERM));
	if (_metadata->passed == 0)
		dump_log(b.log);
	unlink(b.log);
}

/* The bridge keeps nothing the module does not: restart and re-attach. */
TEST_F(bridge, keep_running_session_outlives_a_restart)
{
	struct output o;
	uint32_t id;

	id = exec_sh(self->fd, self->family, "sleep 1; echo late",
		     SBEXEC_EXEC_F_KEEP_RUNNING);
	ASSERT_NE(0U, id);
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(-1, bridge_stop(&self->b, SIGKILL));
	ASSERT_EQ(0, bridge_start(&self->b, self->b.port + 1));
	self->fd = vconnect(self->b.port);
	ASSERT_LE(0, self->fd);
	self->family = hello(self->fd);
	ASSERT_LT(0, self->family);
	ASSERT_EQ(0, attach(self->fd, id, SBEXEC_BRIDGE_MIN_CREDIT, NULL, 0));
	ASSERT_EQ(0, collect(self->fd, id, &o));
	EXPECT_EQ(5U, o.nout);
	EXPECT_EQ(0, memcmp(o.out, "late\n", 5));
	EXPECT_TRUE(o.exited);
}

/* A kill-on-close session ends when its link closes. */
TEST_F(bridge, kill_on_close_session_ends_with_its_link)
{
	char msg[128];
	uint32_t id;
	int fd, i, rc = 0;

	fd = vconnect(self->b.port);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, hello(fd));
	id = exec_sh(fd, self->family, "sleep 100", 0);
	ASSERT_NE(0U, id);
	close(fd);
	/* The session goes once the bridge has closed that link's socket. */
	for (i = 0; i < 100; i++) {
		rc = attach(self->fd, id, SBEXEC_BRIDGE_MIN_CREDIT, msg,
			    sizeof(msg));
		if (rc == -ENOENT)
			break;
		if (rc == 0) {
			struct output o;

			/* Still there, but killed: its records end. */
			ASSERT_EQ(0, collect(self->fd, id, &o));
			EXPECT_TRUE(o.exited);
			EXPECT_EQ(0U, o.exit.exited);
			break;
		}
		usleep(50000);
	}
	EXPECT_TRUE(rc == -ENOENT || rc == 0) TH_LOG("ATTACH: %d %s", rc, msg);
}

TEST(no_link_no_start)
{
	char path[PATH_MAX];
	int st;
	pid_t pid;

	bridge_path(path, sizeof(path));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 2);
		execl(path, "sbexec-bridge", (char *)NULL);
		_exit(127);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(1, WEXITSTATUS(st));
}

/* The /dev path of the virtio-serial port named @name, waiting for it. */
static int find_port(const char *name, char *dev, size_t n)
{
	int64_t deadline = mono_ms() + 5000;
	char path[128], buf[128];
	int i;

	while (mono_ms() < deadline) {
		for (i = 0; i < 64; i++) {
			snprintf(path, sizeof(path),
				 "/sys/class/virtio-ports/vport%dp%d/name",
				 i / 8, i % 8);
			if (read_small_file(path, buf, sizeof(buf)) <= 0)
				continue;
			buf[strcspn(buf, "\n")] = '\0';
			if (!strcmp(buf, name)) {
				snprintf(dev, n, "/dev/vport%dp%d", i / 8, i % 8);
				return 0;
			}
		}
		usleep(50000);
	}
	return -1;
}

/*
 * The virtio-serial link: scripts/vm joins the host ends of the ports
 * org.sbexec.0 (the bridge's, found by its name in sysfs) and
 * org.sbexec.test (this test's, the host side of the conversation).
 */
TEST(virtio_serial_port)
{
	struct bridge_proc b = { .pid = -1 };
	char dev[64];
	struct output o;
	struct sbexec_frame h;
	struct frame f;
	int fd, family;
	uint32_t id;

	if (system("modprobe virtio_console >/dev/null 2>&1"))
		TH_LOG("modprobe virtio_console failed (built in?)");
	if (find_port("org.sbexec.test", dev, sizeof(dev)) ||
	    find_port(SBEXEC_BRIDGE_PORT_NAME, dev + 32, sizeof(dev) - 32))
		SKIP(return, "no virtio-serial ports org.sbexec.0 and org.sbexec.test (scripts/vm makes them)");
	find_port("org.sbexec.test", dev, sizeof(dev));
	fd = open(dev, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", dev, strerror(errno));
	ASSERT_EQ(0, bridge_start_on(&b, 1, SBEXEC_BRIDGE_PORT_NAME));
	ASSERT_EQ(0, bridge_sync_out(fd));
	family = hello(fd);
	if (family <= 0)
		dump_log(b.log);
	ASSERT_LT(0, family);
	id = exec_sh(fd, family, "echo out; echo err >&2; exit 3", 0);
	ASSERT_NE(0U, id);
	ASSERT_EQ(0, attach(fd, id, SBEXEC_BRIDGE_MIN_CREDIT, NULL, 0));
	ASSERT_EQ(0, collect(fd, id, &o));
	EXPECT_EQ(4U, o.nout);
	EXPECT_EQ(0, memcmp(o.out, "out\n", 4));
	EXPECT_EQ(4U, o.nerr);
	EXPECT_EQ(3U, o.exit.code);
	/*
	 * A violation resets the port: ERROR, then the bridge drops input
	 * (here: a frame cut short) up to the next sync, and a new
	 * conversation starts there.
	 */
	h = (struct sbexec_frame){ .type = htole16(99) };
	ASSERT_EQ(0, write_all(fd, &h, sizeof(h)));
	ASSERT_EQ(0, recv_frame(fd, &f));
	EXPECT_EQ(SBEXEC_FRAME_ERROR, f.h.type);
	free(f.p);
	h = (struct sbexec_frame){ .len = htole32(100),
				   .type = htole16(SBEXEC_FRAME_REQUEST) };
	ASSERT_EQ(0, write_all(fd, &h, 8));
	ASSERT_EQ(0, bridge_sync_out(fd));
	EXPECT_LT(0, hello(fd));
	usleep(200000);
	EXPECT_TRUE(log_has(b.log, "reset: unknown frame type 99"));
	EXPECT_TRUE(pid_alive(b.pid));
	close(fd);
	EXPECT_EQ(0, bridge_stop(&b, SIGTERM));
	if (_metadata->passed == 0)
		dump_log(b.log);
	unlink(b.log);
}

TEST_HARNESS_MAIN
