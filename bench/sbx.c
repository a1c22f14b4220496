// SPDX-License-Identifier: GPL-2.0
/*
 * sbx.c - the sbexec cases.
 *
 * Round trips, read() throughput and the burst go through libsbexec
 * (sbexec_exec, sbexec_attach, sbexec_read_records, sbexec_record_next).
 * The mmap() reader follows the ABI in <linux/sbexec.h> directly, and the
 * idle-session figures send EXEC with SBEXEC_A_RING_SIZE over a libnl
 * socket of their own, so that they do not depend on the library exposing
 * either.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <netlink/attr.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include <sbexec.h>

#include "bench.h"
#include "cmds.h"

#define READ_BUF (1 << 20)

static struct sbexec *H;
static char *rbuf;

int sbx_init(char *reason)
{
	int rc = sbexec_open(&H);

	if (rc) {
		set_reason(reason, "%s", sbexec_open_error(rc));
		return rc;
	}
	rbuf = malloc(READ_BUF);
	if (!rbuf) {
		set_reason(reason, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

void sbx_fini(void)
{
	sbexec_close(H);
	H = NULL;
	free(rbuf);
	rbuf = NULL;
}

long long sbx_param(const char *name)
{
	char path[128], buf[64];

	snprintf(path, sizeof(path), "/sys/module/sbexec/parameters/%s", name);
	if (read_small_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	return strtoll(buf, NULL, 10);
}

/* What reading one session to its exit record found. */
struct drain {
	uint64_t out_bytes;
	uint64_t records;
	struct sbexec_exit_info exit;
	bool have_exit;
	uint64_t batches;	/* read() calls, or mmap batches consumed */
	uint64_t waits;		/* mmap: poll() calls */
};

static int check_exit(const struct drain *d, char *reason)
{
	if (!d->have_exit) {
		set_reason(reason, "no exit record");
		return -EPROTO;
	}
	if (!d->exit.exited || d->exit.code) {
		set_reason(reason, "session ended with status %d",
			   sbexec_exit_status(&d->exit));
		return -EPROTO;
	}
	return 0;
}

/* Walk @len bytes of records; stop at the exit record. */
static int walk_records(struct drain *d, const void *buf, size_t len, char *reason)
{
	struct sbexec_record_iter it;
	const struct sbexec_record *rec;
	const void *payload;
	int r;

	sbexec_record_iter_init(&it, buf, len);
	while ((r = sbexec_record_next(&it, &rec, &payload)) > 0) {
		if (d->have_exit || rec->seq != d->records) {
			set_reason(reason, "record sequence broken at %llu",
				   (unsigned long long)d->records);
			return -EPROTO;
		}
		d->records++;
		if (rec->stream == SBEXEC_STREAM_STDOUT) {
			d->out_bytes += rec->len;
		} else if (rec->stream == SBEXEC_STREAM_EXIT) {
			memcpy(&d->exit, payload, sizeof(d->exit));
			d->have_exit = true;
		}
	}
	if (r < 0) {
		set_reason(reason, "malformed records: %s", strerror(-r));
		return r;
	}
	return 0;
}

/* read() an attached descriptor until the exit record. */
static int read_to_exit(int fd, char *buf, size_t len, struct drain *d, char *reason)
{
	memset(d, 0, sizeof(*d));
	while (!d->have_exit) {
		ssize_t n = sbexec_read_records(fd, buf, len);

		if (n < 0) {
			set_reason(reason, "read: %s", strerror((int)-n));
			return (int)n;
		}
		if (!n) {
			set_reason(reason, "end of records without an exit record");
			return -EPROTO;
		}
		d->batches++;
		if (walk_records(d, buf, (size_t)n, reason))
			return -EPROTO;
	}
	return 0;
}

static int exec_fail(struct sbexec *h, const struct sbexec_exec_result *res,
		     int rc, char *reason)
{
	if (res->failure.kind != SBEXEC_FAIL_NONE)
		set_reason(reason, "EXEC: %s: %s", sbexec_fail_kind_name(res->failure.kind),
			   res->failure.message);
	else
		set_reason(reason, "EXEC: %s", h ? sbexec_strerror_last(h) : strerror(-rc));
	return rc;
}

int sbx_true_once(uint64_t *ns, char *reason)
{
	struct sbexec_exec_req req = { .cmd = CMD_TRUE };
	struct sbexec_exec_result res;
	struct drain d;
	uint64_t t0 = now_ns();
	int rc, fd;

	rc = sbexec_exec(H, &req, &res);
	if (rc < 0)
		return exec_fail(H, &res, rc, reason);
	fd = sbexec_attach(H, res.session_id);
	if (fd < 0) {
		set_reason(reason, "attach: %s", sbexec_strerror_last(H));
		return fd;
	}
	rc = read_to_exit(fd, rbuf, READ_BUF, &d, reason);
	close(fd);
	*ns = now_ns() - t0;
	return rc ? rc : check_exit(&d, reason);
}

static int exec_head(struct xfer *x, uint64_t bytes, uint32_t *id)
{
	char count[32];
	const char *argv[] = { "-c", count, "/dev/zero", NULL };
	struct sbexec_exec_req req = { .cmd = CMD_HEAD, .argv = argv };
	struct sbexec_exec_result res;
	int rc;

	snprintf(count, sizeof(count), "%llu", (unsigned long long)bytes);
	rc = sbexec_exec(H, &req, &res);
	if (rc < 0)
		return exec_fail(H, &res, rc, x->reason);
	*id = res.session_id;
	return 0;
}

static void xfer_finish(struct xfer *x, const struct drain *d, uint64_t t0)
{
	x->seconds = (double)(now_ns() - t0) / 1e9;
	x->bytes = d->out_bytes;
	if (check_exit(d, x->reason))
		return;
	if (d->out_bytes != x->bytes_asked) {
		set_reason(x->reason, "got %llu of %llu bytes",
			   (unsigned long long)d->out_bytes,
			   (unsigned long long)x->bytes_asked);
		return;
	}
	x->ok = true;
}

void sbx_throughput_read(struct xfer *x, uint64_t bytes)
{
	struct drain d;
	uint32_t id;
	uint64_t t0;
	int fd;

	memset(x, 0, sizeof(*x));
	x->bytes_asked = bytes;
	t0 = now_ns();
	if (exec_head(x, bytes, &id))
		return;
	fd = sbexec_attach(H, id);
	if (fd < 0) {
		set_reason(x->reason, "attach: %s", sbexec_strerror_last(H));
		return;
	}
	if (!read_to_exit(fd, rbuf, READ_BUF, &d, x->reason)) {
		xfer_finish(x, &d, t0);
		snprintf(x->note, sizeof(x->note), "%llu records in %llu read()s",
			 (unsigned long long)d.records, (unsigned long long)d.batches);
	}
	close(fd);
}

/*
 * The mmap() consumer, as the ABI describes it: records up to producer.pos
 * (load-acquire), consumer.pos stored with release semantics, then
 * SBEXEC_IOC_CONSUMED so that the module refills; poll() when caught up.
 */
static int mmap_to_exit(int fd, uint32_t ring_size, struct drain *d, char *reason)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t dlen = (size_t)pg + 2 * (size_t)ring_size;
	struct sbexec_ring_consumer *cp;
	const struct sbexec_ring_producer *pp;
	const unsigned char *data;
	uint64_t cons, mask = ring_size - 1;
	void *cmap, *pmap;
	int rc = 0;

	memset(d, 0, sizeof(*d));
	cmap = mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (cmap == MAP_FAILED) {
		set_reason(reason, "mmap of the consumer page: %s", strerror(errno));
		return -errno;
	}
	pmap = mmap(NULL, dlen, PROT_READ, MAP_SHARED, fd, pg);
	if (pmap == MAP_FAILED) {
		rc = -errno;
		set_reason(reason, "mmap of the producer page and data: %s", strerror(errno));
		munmap(cmap, (size_t)pg);
		return rc;
	}
	cp = cmap;
	pp = pmap;
	data = (const unsigned char *)pmap + pg;
	if (pp->size != ring_size) {
		set_reason(reason, "producer page says %llu ring bytes, ATTACH said %u",
			   (unsigned long long)pp->size, ring_size);
		rc = -EPROTO;
		goto out;
	}
	cons = __atomic_load_n(&cp->pos, __ATOMIC_RELAXED);
	while (!d->have_exit) {
		uint64_t prod = __atomic_load_n(&pp->pos, __ATOMIC_ACQUIRE);
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (prod == cons) {
			d->waits++;
			if (poll(&pfd, 1, -1) < 0 && errno != EINTR) {
				rc = -errno;
				set_reason(reason, "poll: %s", strerror(errno));
				goto out;
			}
			if (pfd.revents & POLLERR) {
				rc = -EPROTO;
				set_reason(reason, "poll reported an error (consumer position refused)");
				goto out;
			}
			if ((pfd.revents & POLLHUP) && !(pfd.revents & POLLIN) &&
			    __atomic_load_n(&pp->pos, __ATOMIC_ACQUIRE) == cons) {
				rc = -EPROTO;
				set_reason(reason, "hang-up without an exit record");
				goto out;
			}
			continue;
		}
		if (prod - cons > ring_size) {
			rc = -EPROTO;
			set_reason(reason, "producer %llu is more than a ring ahead of %llu",
				   (unsigned long long)prod, (unsigned long long)cons);
			goto out;
		}
		/* Records never wrap: the data is mapped twice in a row. */
		d->batches++;
		rc = walk_records(d, data + (cons & mask), prod - cons, reason);
		if (rc)
			goto out;
		cons = prod;
		__atomic_store_n(&cp->pos, cons, __ATOMIC_RELEASE);
		if (ioctl(fd, SBEXEC_IOC_CONSUMED) < 0) {
			rc = -errno;
			set_reason(reason, "SBEXEC_IOC_CONSUMED: %s", strerror(errno));
			goto out;
		}
	}
out:
	munmap(pmap, dlen);
	munmap(cmap, (size_t)pg);
	return rc;
}

void sbx_throughput_mmap(struct xfer *x, uint64_t bytes)
{
	struct sbexec_attach a;
	struct drain d;
	uint32_t id;
	uint64_t t0;
	int fd;

	memset(x, 0, sizeof(*x));
	x->bytes_asked = bytes;
	t0 = now_ns();
	if (exec_head(x, bytes, &id))
		return;
	fd = open(SBEXEC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		set_reason(x->reason, "open %s: %s", SBEXEC_DEVICE_PATH, strerror(errno));
		return;
	}
	memset(&a, 0, sizeof(a));
	a.session_id = id;
	if (ioctl(fd, SBEXEC_IOC_ATTACH, &a) < 0) {
		set_reason(x->reason, "SBEXEC_IOC_ATTACH: %s", strerror(errno));
		close(fd);
		return;
	}
	if (!a.ring_size || (a.ring_size & (a.ring_size - 1))) {
		set_reason(x->reason, "ATTACH returned ring size %u", a.ring_size);
		close(fd);
		return;
	}
	if (!mmap_to_exit(fd, a.ring_size, &d, x->reason)) {
		xfer_finish(x, &d, t0);
		snprintf(x->note, sizeof(x->note),
			 "ring %u KiB; %llu records in %llu batches, %llu polls",
			 a.ring_size / 1024, (unsigned long long)d.records,
			 (unsigned long long)d.batches, (unsigned long long)d.waits);
	}
	close(fd);
}

/* ---- many sessions at once ---- */

struct starter {
	struct sbexec *h;
	uint32_t *ids;
	size_t from, to;
	int err;
	char reason[BENCH_REASON_LEN];
};

static void *start_range(void *arg)
{
	const char *argv[] = { BURST_SLEEP_ARG, NULL };
	struct sbexec_exec_req req = { .cmd = CMD_SLEEP, .argv = argv };
	struct starter *s = arg;

	for (size_t i = s->from; i < s->to; i++) {
		struct sbexec_exec_result res;
		int rc = sbexec_exec(s->h, &req, &res);

		if (rc < 0) {
			s->err = rc;
			exec_fail(s->h, &res, rc, s->reason);
			break;
		}
		s->ids[i] = res.session_id;
	}
	return NULL;
}

void sbx_burst(struct burst *b, size_t n, unsigned int threads)
{
	struct starter st[64];
	pthread_t tid[64];
	uint32_t *ids = calloc(n, sizeof(*ids));
	size_t bad = 0, missing = 0;
	unsigned int t;
	uint64_t t0;

	memset(b, 0, sizeof(*b));
	memset(st, 0, sizeof(st));
	if (threads < 1)
		threads = 1;
	if (threads > 64)
		threads = 64;
	b->sessions = n;
	b->threads = threads;
	if (!ids) {
		set_reason(b->reason, "out of memory");
		return;
	}
	/* One handle per thread (a handle is not thread safe); opened first. */
	for (t = 0; t < threads; t++) {
		int rc = sbexec_open(&st[t].h);

		if (rc) {
			set_reason(b->reason, "%s", sbexec_open_error(rc));
			goto close;
		}
		st[t].ids = ids;
		st[t].from = n * t / threads;
		st[t].to = n * (t + 1) / threads;
	}
	t0 = now_ns();
	for (t = 0; t < threads; t++) {
		if (pthread_create(&tid[t], NULL, start_range, &st[t])) {
			start_range(&st[t]);
			tid[t] = 0;
		}
	}
	for (t = 0; t < threads; t++) {
		if (tid[t])
			pthread_join(tid[t], NULL);
		if (st[t].err && !b->reason[0])
			memcpy(b->reason, st[t].reason, sizeof(b->reason));
	}
	b->start_seconds = (double)(now_ns() - t0) / 1e9;
	for (size_t i = 0; i < n; i++) {
		char why[BENCH_REASON_LEN];
		struct drain d;
		int fd;

		if (!ids[i]) {
			missing++;
			continue;
		}
		fd = sbexec_attach(NULL, ids[i]);
		if (fd < 0) {
			bad++;
			continue;
		}
		if (read_to_exit(fd, rbuf, READ_BUF, &d, why) || check_exit(&d, why)) {
			bad++;
			if (!b->reason[0])
				set_reason(b->reason, "session %u: %s", ids[i], why);
		}
		close(fd);
	}
	b->seconds = (double)(now_ns() - t0) / 1e9;
	if (missing && b->reason[0]) {
		char r[BENCH_REASON_LEN];

		memcpy(r, b->reason, sizeof(r));
		set_reason(b->reason, "%zu of %zu not started: %s", missing, n, r);
	} else if (bad && !b->reason[0]) {
		set_reason(b->reason, "%zu of %zu sessions failed", bad, n);
	}
	b->ok = !missing && !bad;
close:
	/* Kill-on-close: closing the handles forgets their sessions. */
	for (t = 0; t < threads; t++)
		sbexec_close(st[t].h);
	free(ids);
}

/* ---- idle sessions: EXEC with RING_SIZE over a socket of our own ---- */

struct raw {
	struct nl_sock *sk;
	int family;
	uint32_t id, pid;
	bool failed;	/* the reply carried a FAILURE nest */
	bool done;	/* the ack arrived */
	int error;	/* its errno, 0 for success */
};

static int raw_reply(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[SBEXEC_A_MAX + 1];
	struct raw *r = arg;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, SBEXEC_A_MAX, NULL) < 0)
		return NL_SKIP;
	if (tb[SBEXEC_A_FAILURE])
		r->failed = true;
	if (tb[SBEXEC_A_SESSION_ID])
		r->id = nla_get_u32(tb[SBEXEC_A_SESSION_ID]);
	if (tb[SBEXEC_A_PID])
		r->pid = nla_get_u32(tb[SBEXEC_A_PID]);
	return NL_OK;
}

static int raw_ack(struct nl_msg *msg, void *arg)
{
	struct raw *r = arg;

	(void)msg;
	r->done = true;
	return NL_STOP;
}

static int raw_err(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct raw *r = arg;

	(void)nla;
	r->error = e->error;
	r->done = true;
	return NL_STOP;
}

static int raw_open(struct raw *r, char *reason)
{
	memset(r, 0, sizeof(*r));
	r->sk = nl_socket_alloc();
	if (!r->sk || genl_connect(r->sk) < 0) {
		set_reason(reason, "cannot open a generic netlink socket");
		return -EIO;
	}
	r->family = genl_ctrl_resolve(r->sk, SBEXEC_GENL_NAME);
	if (r->family < 0) {
		set_reason(reason, "no generic netlink family %s", SBEXEC_GENL_NAME);
		return -ENOENT;
	}
	nl_socket_modify_cb(r->sk, NL_CB_VALID, NL_CB_CUSTOM, raw_reply, r);
	nl_socket_modify_cb(r->sk, NL_CB_ACK, NL_CB_CUSTOM, raw_ack, r);
	nl_socket_modify_err_cb(r->sk, NL_CB_CUSTOM, raw_err, r);
	return 0;
}

static void raw_close(struct raw *r)
{
	if (r->sk)
		nl_socket_free(r->sk);
	r->sk = NULL;
}

/* Send @msg (freed) and read its replies up to and including the ack. */
static int raw_send(struct raw *r, struct nl_msg *msg, const char *what, char *reason)
{
	int err;

	r->done = false;
	r->error = 0;
	r->failed = false;
	err = nl_send_auto(r->sk, msg);
	nlmsg_free(msg);
	while (err >= 0 && !r->done)
		err = nl_recvmsgs_default(r->sk);
	if (err < 0) {
		set_reason(reason, "%s: %s", what, nl_geterror(err));
		return -EIO;
	}
	if (r->error || r->failed) {
		set_reason(reason, "%s: %s%s", what, strerror(-r->error),
			   r->failed ? " (spawn failure)" : "");
		return -EIO;
	}
	return 0;
}

static int raw_exec(struct raw *r, const char *const *argv, uint32_t ring_size,
		    char *reason)
{
	struct nl_msg *msg = nlmsg_alloc();

	r->id = r->pid = 0;
	if (!msg || !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, r->family, 0, 0,
				 SBEXEC_CMD_EXEC, SBEXEC_GENL_VERSION))
		goto nomem;
	if (nla_put_string(msg, SBEXEC_A_CMD, argv[0]) < 0)
		goto nomem;
	for (size_t i = 1; argv[i]; i++)
		if (nla_put_string(msg, SBEXEC_A_ARG, argv[i]) < 0)
			goto nomem;
	if (ring_size && nla_put_u32(msg, SBEXEC_A_RING_SIZE, ring_size) < 0)
		goto nomem;
	if (raw_send(r, msg, "EXEC", reason))
		return -EIO;
	if (!r->id) {
		set_reason(reason, "EXEC reply without a session id");
		return -EPROTO;
	}
	return 0;
nomem:
	nlmsg_free(msg);
	set_reason(reason, "out of memory building EXEC");
	return -ENOMEM;
}

static int raw_close_stdin(struct raw *r, uint32_t id, char *reason)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg || !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, r->family, 0, 0,
				 SBEXEC_CMD_CLOSE_STDIN, SBEXEC_GENL_VERSION) ||
	    nla_put_u32(msg, SBEXEC_A_SESSION_ID, id) < 0) {
		nlmsg_free(msg);
		set_reason(reason, "out of memory building CLOSE_STDIN");
		return -ENOMEM;
	}
	return raw_send(r, msg, "CLOSE_STDIN", reason);
}

static int count_cb(const struct sbexec_session_info *info, void *arg)
{
	(void)info;
	(*(size_t *)arg)++;
	return 0;
}

/* Wait until the module lists no session; 0, or -ETIMEDOUT. */
static int wait_no_sessions(double timeout_s)
{
	uint64_t end = now_ns() + (uint64_t)(timeout_s * 1e9);

	for (;;) {
		size_t n = 0;

		if (sbexec_list(H, count_cb, &n) == 0 && !n)
			return 0;
		if (now_ns() > end)
			return -ETIMEDOUT;
		usleep(50000);
	}
}

void sbx_idle(struct memcost *c, size_t n, uint32_t ring_size)
{
	const char *argv[] = { CMD_SLEEP, IDLE_SLEEP_ARG, NULL };
	pid_t *pids = calloc(n, sizeof(*pids));
	struct memsnap before, after, final;
	bool have_before = false;
	size_t started = 0;
	struct raw r;

	memset(c, 0, sizeof(*c));
	memset(&r, 0, sizeof(r));
	c->sessions = n;
	c->ring_size = ring_size;
	if (!pids) {
		set_reason(c->reason, "out of memory");
		return;
	}
	if (wait_no_sessions(30)) {
		set_reason(c->reason, "sessions of an earlier case are still listed");
		goto out;
	}
	if (raw_open(&r, c->reason))
		goto close;
	if (memsnap_take(&before, c->reason))
		goto close;
	have_before = true;
	for (; started < n; started++) {
		if (raw_exec(&r, argv, ring_size, c->reason))
			break;
		pids[started] = (pid_t)r.pid;
		if (raw_close_stdin(&r, r.id, c->reason))
			break;
	}
	if (started == n && wait_comm(pids, n, "sleep", 60)) {
		set_reason(c->reason, "sessions did not all reach sleep within 60 s");
	} else if (started == n && !memsnap_take(&after, c->reason)) {
		memcost_from(c, &before, &after, n);
		memsnap_free(&after);
	} else if (started < n) {
		char why[BENCH_REASON_LEN];

		memcpy(why, c->reason, sizeof(why));
		set_reason(c->reason, "session %zu of %zu: %s", started + 1, n, why);
	}
close:
	/* Kill-on-close: the module kills and forgets this socket's sessions. */
	raw_close(&r);
	if (wait_no_sessions(60) && c->ok) {
		c->ok = false;
		set_reason(c->reason, "sessions still listed 60 s after their client closed");
	}
	if (wait_gone(pids, started, 60) && c->ok) {
		c->ok = false;
		set_reason(c->reason, "session processes alive 60 s after their client closed");
	}
	if (c->ok && !memsnap_take(&final, c->reason)) {
		memcost_residual(c, &before, &final);
		memsnap_free(&final);
	}
	if (have_before)
		memsnap_free(&before);
out:
	free(pids);
}
