// SPDX-License-Identifier: GPL-2.0
/*
 * sbx.c - the sbexec cases.
 *
 * Everything goes through libsbexec: sbexec_exec (with ring_size for the
 * small-ring memory case, with flags SBEXEC_EXEC_F_DIRECT_OUTPUT for the
 * direct-output throughput rows), sbexec_attach / sbexec_read_records /
 * sbexec_record_next for read(), and the mapped reader (sbexec_ring_map,
 * sbexec_ring_next, sbexec_ring_release, sbexec_ring_wait) for mmap().
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

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

static int account(struct drain *d, const struct sbexec_record *rec,
		   const void *payload, char *reason);

/* Walk @len bytes of records; stop at the exit record. */
static int walk_records(struct drain *d, const void *buf, size_t len, char *reason)
{
	struct sbexec_record_iter it;
	const struct sbexec_record *rec;
	const void *payload;
	int r;

	sbexec_record_iter_init(&it, buf, len);
	while ((r = sbexec_record_next(&it, &rec, &payload)) > 0) {
		if (account(d, rec, payload, reason))
			return -EPROTO;
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

static int exec_head(struct xfer *x, uint64_t bytes, uint32_t flags, uint32_t *id)
{
	char count[32];
	const char *argv[] = { "-c", count, "/dev/zero", NULL };
	struct sbexec_exec_req req = { .cmd = CMD_HEAD, .argv = argv, .flags = flags };
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

/* Account one record (sequence, stdout bytes, exit). */
static int account(struct drain *d, const struct sbexec_record *rec,
		   const void *payload, char *reason)
{
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
	return 0;
}

/*
 * The mapped reader of libsbexec, used as its header shows: records in
 * place up to the producer position, released to the module (at least
 * every half ring, so it refills while we go on), poll() when caught up.
 */
static int mmap_to_exit(int fd, uint32_t ring_size, struct drain *d, char *reason)
{
	const struct sbexec_record *rec;
	struct sbexec_ring_map m;
	const void *payload;
	bool hung_up = false;
	int rc;

	memset(d, 0, sizeof(*d));
	rc = sbexec_ring_map(fd, ring_size, &m);
	if (rc) {
		set_reason(reason, "sbexec_ring_map: %s", strerror(-rc));
		return rc;
	}
	for (;;) {
		bool any = false;

		while ((rc = sbexec_ring_next(&m, &rec, &payload)) > 0) {
			any = true;
			rc = account(d, rec, payload, reason);
			if (rc)
				goto out;
			if (m.pos - m.released >= m.ring_size / 2 &&
			    (rc = sbexec_ring_release(&m)) < 0) {
				set_reason(reason, "sbexec_ring_release: %s", strerror(-rc));
				goto out;
			}
		}
		if (rc < 0) {
			set_reason(reason, "sbexec_ring_next: %s", strerror(-rc));
			goto out;
		}
		d->batches += any;
		rc = sbexec_ring_release(&m);
		if (rc < 0) {
			set_reason(reason, "sbexec_ring_release: %s", strerror(-rc));
			goto out;
		}
		if (d->have_exit)
			break;
		if (hung_up) {
			rc = -EPROTO;
			set_reason(reason, "hang-up without an exit record");
			goto out;
		}
		d->waits++;
		rc = sbexec_ring_wait(&m, -1);
		if (rc == -EPIPE) {
			hung_up = true;	/* look once more, then give up */
		} else if (rc < 0) {
			set_reason(reason, "sbexec_ring_wait: %s", strerror(-rc));
			goto out;
		}
	}
	rc = 0;
out:
	sbexec_ring_unmap(&m);
	return rc;
}

/*
 * One throughput run of @bytes into @x: exec the producer (with EXEC
 * @flags), attach, and drain to the exit through read() or, when @mapped,
 * the mapped ring.
 */
static void throughput(struct xfer *x, uint64_t bytes, bool mapped, uint32_t flags)
{
	struct sbexec_attach a;
	struct drain d;
	uint32_t id = 0;
	uint64_t t0;
	int fd, rc;

	memset(x, 0, sizeof(*x));
	x->bytes_asked = bytes;
	t0 = now_ns();
	if (exec_head(x, bytes, flags, &id))
		return;
	fd = sbexec_attach_info(H, id, &a);
	if (fd < 0) {
		set_reason(x->reason, "attach: %s", sbexec_strerror_last(H));
		return;
	}
	rc = mapped ? mmap_to_exit(fd, a.ring_size, &d, x->reason) :
		      read_to_exit(fd, rbuf, READ_BUF, &d, x->reason);
	if (!rc) {
		xfer_finish(x, &d, t0);
		if (mapped)
			snprintf(x->note, sizeof(x->note),
				 "ring %u KiB; %llu records in %llu batches, %llu polls",
				 a.ring_size / 1024, (unsigned long long)d.records,
				 (unsigned long long)d.batches,
				 (unsigned long long)d.waits);
		else
			snprintf(x->note, sizeof(x->note),
				 "%llu records in %llu read()s",
				 (unsigned long long)d.records,
				 (unsigned long long)d.batches);
	}
	close(fd);
}

void sbx_throughput_read(struct xfer *x, uint64_t bytes)
{
	throughput(x, bytes, false, 0);
}

void sbx_throughput_mmap(struct xfer *x, uint64_t bytes)
{
	throughput(x, bytes, true, 0);
}

void sbx_throughput_read_direct(struct xfer *x, uint64_t bytes)
{
	throughput(x, bytes, false, SBEXEC_EXEC_F_DIRECT_OUTPUT);
}

void sbx_throughput_mmap_direct(struct xfer *x, uint64_t bytes)
{
	throughput(x, bytes, true, SBEXEC_EXEC_F_DIRECT_OUTPUT);
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

/* ---- idle sessions ---- */

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
	const char *argv[] = { IDLE_SLEEP_ARG, NULL };
	struct sbexec_exec_req req = {
		.cmd = CMD_SLEEP, .argv = argv, .ring_size = ring_size,
	};
	pid_t *pids = calloc(n, sizeof(*pids));
	struct memsnap before, after, final;
	bool have_before = false;
	struct sbexec *h = NULL;
	size_t started = 0;
	int rc;

	memset(c, 0, sizeof(*c));
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
	/* A handle of their own: closing it kills them (kill-on-close). */
	rc = sbexec_open(&h);
	if (rc) {
		set_reason(c->reason, "%s", sbexec_open_error(rc));
		goto out;
	}
	if (memsnap_take(&before, c->reason))
		goto close;
	have_before = true;
	for (; started < n; started++) {
		struct sbexec_exec_result res;
		char why[BENCH_REASON_LEN];

		rc = sbexec_exec(h, &req, &res);
		if (rc < 0) {
			exec_fail(h, &res, rc, why);
			set_reason(c->reason, "session %zu of %zu: %s", started + 1, n, why);
			break;
		}
		pids[started] = (pid_t)res.pid;
		rc = sbexec_close_stdin(h, res.session_id);
		if (rc < 0) {
			set_reason(c->reason, "session %zu of %zu: CLOSE_STDIN: %s",
				   started + 1, n, sbexec_strerror_last(h));
			started++;
			break;
		}
	}
	if (!c->reason[0]) {
		if (wait_comm(pids, n, "sleep", 60)) {
			set_reason(c->reason, "sessions did not all reach sleep within 60 s");
		} else if (!memsnap_take(&after, c->reason)) {
			memcost_from(c, &before, &after, n);
			memsnap_free(&after);
		}
	}
close:
	sbexec_close(h);
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

int sbx_run_output(const char *cmd, const char *const *argv, char *out, size_t len,
		   uint32_t *members, char *reason)
{
	struct sbexec_exec_req req = { .cmd = cmd, .argv = argv };
	struct sbexec_exec_result res = { 0 };
	struct sbexec_output o = { 0 };
	int rc;

	rc = sbexec_run_capture(H, &req, NULL, 0, 600 * 1000, &res, &o);
	if (rc < 0) {
		if (res.failure.kind != SBEXEC_FAIL_NONE || !o.records)
			exec_fail(H, &res, rc, reason);
		else
			set_reason(reason, "collecting the session: %s", strerror(-rc));
		goto out;
	}
	if (!o.exit.exited || o.exit.code) {
		set_reason(reason, "session ended with status %d%s%.100s",
			   sbexec_exit_status(&o.exit), o.err.len ? ": " : "",
			   o.err.len ? o.err.data : "");
		rc = -EPROTO;
		goto out;
	}
	snprintf(out, len, "%s", o.out.len ? o.out.data : "");
	*members = o.exit.members;
	if (o.exit.members_refused) {
		set_reason(reason, "the session refused %u forks (member limit)",
			   o.exit.members_refused);
		rc = -EPROTO;
	}
out:
	sbexec_output_free(&o);
	return rc;
}
