// SPDX-License-Identifier: GPL-2.0
/*
 * host_link.c - the three ways sbexec-hostbench reaches the guest, all
 * over virtio-serial ports of the same virtio-serial-pci device, each
 * behind a unix socket chardev that QEMU listens on:
 *
 *  - sbexec: libsbexec's remote handle (sbexec_open_uri("unix:PATH")) to
 *    sbexec-bridge; sbexec_exec, sbexec_attach (a socket that reads like
 *    the device), sbexec_read_records to the exit record;
 *  - qemu-ga: one JSON command per line in, one reply per line out;
 *    guest-sync (after a 0xff byte, which resets its parser) until the
 *    random id comes back, since bytes the host sends before qemu-ga has
 *    opened its port are lost; then guest-exec {"capture-output": true}
 *    and guest-exec-status until "exited", the output base64 in
 *    "out-data" (qemu-ga keeps at most 16 MiB of it);
 *  - raw: the guest's feeder reads a line "N" from its port and answers
 *    with `head -c N /dev/zero` written to the same port.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <sbexec.h>

#include "host.h"
#include "qga_json.h"

#define CMD_TRUE	"/bin/true"
#define CMD_HEAD	"/usr/bin/head"
#define BUF_SIZE	(1 << 20)

uint64_t hb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void hb_reason(char *reason, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, HB_REASON_LEN, fmt, ap);
	va_end(ap);
}

/* Milliseconds left until @end (ns), at least 0, for poll(). */
static int ms_left(uint64_t end)
{
	uint64_t now = hb_now_ns();

	if (now >= end)
		return 0;
	return (int)((end - now) / 1000000ull) + 1;
}

/* Wait until @fd is readable or @end passes: 1, 0 (timeout) or -errno. */
static int wait_readable(int fd, uint64_t end)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	for (;;) {
		int r = poll(&p, 1, ms_left(end));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		return r > 0;
	}
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int connect_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

/* ------------------------------------------------------------------ */
/* sbexec through sbexec-bridge                                         */
/* ------------------------------------------------------------------ */

static struct sbexec *H;
static char *sbuf;

int hb_sbx_open(const char *uri, char *reason)
{
	int rc = sbexec_open_uri(uri, &H);

	if (rc) {
		hb_reason(reason, "%s", sbexec_open_uri_error(uri, rc));
		H = NULL;
		return rc;
	}
	sbuf = malloc(BUF_SIZE);
	if (!sbuf) {
		hb_reason(reason, "out of memory");
		hb_sbx_close();
		return -ENOMEM;
	}
	return 0;
}

void hb_sbx_close(void)
{
	if (H)
		sbexec_close(H);
	H = NULL;
	free(sbuf);
	sbuf = NULL;
}

struct drain {
	uint64_t records, out_bytes;
	bool nonzero, have_exit;
	struct sbexec_exit_info exit;
};

static int drain_records(struct drain *d, const void *buf, size_t len, char *reason)
{
	const struct sbexec_record *rec;
	struct sbexec_record_iter it;
	const void *payload;
	int r;

	sbexec_record_iter_init(&it, buf, len);
	while ((r = sbexec_record_next(&it, &rec, &payload)) > 0) {
		if (d->have_exit || rec->seq != d->records) {
			hb_reason(reason, "record sequence broken at %llu",
				  (unsigned long long)d->records);
			return -EPROTO;
		}
		d->records++;
		if (rec->stream == SBEXEC_STREAM_STDOUT) {
			const unsigned char *p = payload;

			for (uint32_t i = 0; i < rec->len && !d->nonzero; i++)
				d->nonzero = p[i] != 0;
			d->out_bytes += rec->len;
		} else if (rec->stream == SBEXEC_STREAM_EXIT) {
			sbexec_exit_info_copy(&d->exit, payload, rec->len);
			d->have_exit = true;
		}
	}
	if (r < 0) {
		hb_reason(reason, "malformed records: %s", strerror(-r));
		return r;
	}
	return 0;
}

/*
 * Start @cmd @argv, attach and read every record to the exit record, or
 * until @timeout_s (then the session is killed). 0 or -errno.
 */
static int sbx_run(const char *cmd, const char *const *argv, struct drain *d,
		   double timeout_s, char *reason)
{
	struct sbexec_exec_req req = { .cmd = cmd, .argv = argv };
	struct sbexec_exec_result res;
	uint64_t end = hb_now_ns() + (uint64_t)(timeout_s * 1e9);
	int rc, fd;

	memset(d, 0, sizeof(*d));
	if (!H) {
		hb_reason(reason, "no link to sbexec-bridge");
		return -ENOTCONN;
	}
	rc = sbexec_exec(H, &req, &res);
	if (rc < 0) {
		if (res.failure.kind != SBEXEC_FAIL_NONE)
			hb_reason(reason, "EXEC: %s", res.failure.message);
		else
			hb_reason(reason, "EXEC: %s", sbexec_strerror_last(H));
		return rc;
	}
	fd = sbexec_attach(H, res.session_id);
	if (fd < 0) {
		hb_reason(reason, "attach: %s", sbexec_strerror_last(H));
		sbexec_signal(H, res.session_id, SIGKILL);
		return fd;
	}
	while (!d->have_exit) {
		ssize_t n;

		rc = wait_readable(fd, end);
		if (rc <= 0) {
			if (!rc)
				hb_reason(reason, "no exit record within %.0f s", timeout_s);
			else
				hb_reason(reason, "poll: %s", strerror(-rc));
			rc = rc ? rc : -ETIMEDOUT;
			goto fail;
		}
		n = sbexec_read_records(fd, sbuf, BUF_SIZE);
		if (n <= 0) {
			rc = n ? (int)n : -EPROTO;
			hb_reason(reason, "%s", n ? strerror((int)-n) :
				  "end of records without an exit record");
			goto fail;
		}
		rc = drain_records(d, sbuf, (size_t)n, reason);
		if (rc)
			goto fail;
	}
	close(fd);
	if (!d->exit.exited || d->exit.code) {
		hb_reason(reason, "session ended with status %d", sbexec_exit_status(&d->exit));
		return -EPROTO;
	}
	return 0;
fail:
	sbexec_signal(H, res.session_id, SIGKILL);
	close(fd);
	return rc;
}

int hb_sbx_true_once(uint64_t *ns, char *reason)
{
	uint64_t t0 = hb_now_ns();
	struct drain d;
	int rc;

	rc = sbx_run(CMD_TRUE, NULL, &d, 60, reason);
	*ns = hb_now_ns() - t0;
	return rc;
}

void hb_sbx_xfer(struct hb_xfer *x, uint64_t bytes, double timeout_s)
{
	char count[32];
	const char *argv[] = { "-c", count, "/dev/zero", NULL };
	struct drain d;
	uint64_t t0;

	memset(x, 0, sizeof(*x));
	x->bytes_asked = bytes;
	snprintf(count, sizeof(count), "%llu", (unsigned long long)bytes);
	t0 = hb_now_ns();
	if (sbx_run(CMD_HEAD, argv, &d, timeout_s, x->reason) == 0) {
		if (d.out_bytes != bytes)
			hb_reason(x->reason, "got %llu of %llu bytes",
				  (unsigned long long)d.out_bytes, (unsigned long long)bytes);
		else if (d.nonzero)
			hb_reason(x->reason, "stdout is not all zero bytes");
		else
			x->ok = true;
	}
	x->seconds = (double)(hb_now_ns() - t0) / 1e9;
	x->bytes = d.out_bytes;
}

/* ------------------------------------------------------------------ */
/* qemu-guest-agent over its virtio-serial port                        */
/* ------------------------------------------------------------------ */

static int qfd = -1;
static char *qbuf;		/* reply buffer, grows */
static size_t qcap, qlen;	/* allocated, bytes held (replies and beyond) */
static char qversion[64] = "unknown";

const char *hb_qga_version(void)
{
	return qversion;
}

/*
 * Read one reply line (the first complete line in the buffer) by @end:
 * returns its length (NUL-terminated in place of the newline, at qbuf),
 * -ETIMEDOUT or -errno. Bytes after it are kept for the next call.
 */
static size_t qline;	/* length + 1 of the line handed out last, to drop */

static ssize_t qga_line(uint64_t end)
{
	size_t scanned = 0;

	if (qline) {
		memmove(qbuf, qbuf + qline, qlen - qline);
		qlen -= qline;
		qline = 0;
	}
	for (;;) {
		char *nl = qlen ? memchr(qbuf + scanned, '\n', qlen - scanned) : NULL;
		ssize_t r;
		int w;

		if (nl) {
			*nl = '\0';
			qline = (size_t)(nl - qbuf) + 1;
			return nl - qbuf;
		}
		scanned = qlen;
		if (qcap - qlen < 65536) {
			size_t ncap = qcap ? qcap * 2 : 1 << 20;
			char *n = realloc(qbuf, ncap);

			if (!n)
				return -ENOMEM;
			qbuf = n;
			qcap = ncap;
		}
		w = wait_readable(qfd, end);
		if (w < 0)
			return w;
		if (!w)
			return -ETIMEDOUT;
		r = read(qfd, qbuf + qlen, qcap - qlen - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (!r)
			return -ECONNRESET;
		qlen += (size_t)r;
	}
}

/* Send @cmd and read one reply line into qbuf by @end. */
static ssize_t qga_transact(const char *cmd, uint64_t end)
{
	int rc = write_all(qfd, cmd, strlen(cmd));

	if (rc)
		return rc;
	return qga_line(end);
}

static void qga_error(char *reason, const char *what)
{
	const char *d = json_value(qbuf, "desc");

	if (d && *d == '"') {
		const char *e = strchr(d + 1, '"');

		hb_reason(reason, "%s: %.*s", what, e ? (int)(e - d - 1) : 80, d + 1);
	} else {
		hb_reason(reason, "%s: unexpected reply %.120s", what, qbuf);
	}
}

int hb_qga_open(const char *path, double timeout_s, char *reason)
{
	uint64_t end = hb_now_ns() + (uint64_t)(timeout_s * 1e9);
	unsigned int tries = 0;
	char cmd[160];
	const char *v;

	qfd = connect_unix(path);
	if (qfd < 0) {
		hb_reason(reason, "connect %s: %s", path, strerror(-qfd));
		return qfd;
	}
	/*
	 * guest-sync until our id comes back: bytes sent before qemu-ga
	 * opened its end are lost, and a half-parsed command is reset by
	 * the 0xff byte (answered by an error line, skipped here).
	 */
	for (;;) {
		long id = (long)(hb_now_ns() % 1000000007ull);
		uint64_t try_end = hb_now_ns() + 2000000000ull;
		ssize_t n;

		if (hb_now_ns() > end) {
			hb_reason(reason, "qemu-ga did not answer guest-sync within %.0f s (%u tries)",
				  timeout_s, tries);
			goto fail;
		}
		tries++;
		snprintf(cmd, sizeof(cmd),
			 "\xff{\"execute\":\"guest-sync\",\"arguments\":{\"id\":%ld}}\n", id);
		if (write_all(qfd, cmd, strlen(cmd))) {
			hb_reason(reason, "write to %s: %s", path, strerror(errno));
			goto fail;
		}
		while ((n = qga_line(try_end < end ? try_end : end)) >= 0) {
			v = json_value(qbuf, "return");
			if (v && strtol(v, NULL, 10) == id)
				goto synced;
		}
		if (n != -ETIMEDOUT) {
			hb_reason(reason, "reading %s: %s", path, strerror((int)-n));
			goto fail;
		}
	}
synced:
	if (qga_transact("{\"execute\":\"guest-info\"}\n", end) >= 0 &&
	    (v = json_value(qbuf, "version")) && *v == '"') {
		const char *e = strchr(v + 1, '"');

		if (e)
			snprintf(qversion, sizeof(qversion), "%.*s", (int)(e - v - 1), v + 1);
	}
	return 0;
fail:
	hb_qga_close();
	return -EPROTO;
}

void hb_qga_close(void)
{
	if (qfd >= 0)
		close(qfd);
	qfd = -1;
	free(qbuf);
	qbuf = NULL;
	qcap = qlen = qline = 0;
}

static long qga_exec(const char *path, const char *args, char *reason)
{
	char cmd[512];
	const char *v;
	long pid;

	if (qfd < 0) {
		hb_reason(reason, "no link to qemu-ga");
		return -1;
	}
	snprintf(cmd, sizeof(cmd),
		 "{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"%s\"%s%s%s,"
		 "\"capture-output\":true}}\n",
		 path, args ? ",\"arg\":[" : "", args ? args : "", args ? "]" : "");
	if (qga_transact(cmd, hb_now_ns() + 60000000000ull) < 0) {
		hb_reason(reason, "guest-exec: no reply");
		return -1;
	}
	v = json_value(qbuf, "pid");
	pid = v ? strtol(v, NULL, 10) : 0;
	if (pid <= 0) {
		qga_error(reason, "guest-exec");
		return -1;
	}
	return pid;
}

/* guest-exec-status until "exited": true (reply in qbuf); 0 or -errno. */
static int qga_wait(long pid, uint64_t interval_ns, double timeout_s, char *reason)
{
	uint64_t end = hb_now_ns() + (uint64_t)(timeout_s * 1e9);
	char cmd[128];

	snprintf(cmd, sizeof(cmd),
		 "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":%ld}}\n", pid);
	for (;;) {
		const char *v;
		ssize_t n = qga_transact(cmd, end + 60000000000ull);

		if (n < 0) {
			hb_reason(reason, "guest-exec-status: %s", strerror((int)-n));
			return (int)n;
		}
		v = json_value(qbuf, "exited");
		if (!v) {
			qga_error(reason, "guest-exec-status");
			return -EPROTO;
		}
		if (!strncmp(v, "true", 4))
			return 0;
		if (hb_now_ns() > end) {
			hb_reason(reason, "not exited after %.0f s", timeout_s);
			return -ETIMEDOUT;
		}
		if (interval_ns) {
			struct timespec ts = {
				.tv_sec = (time_t)(interval_ns / 1000000000ull),
				.tv_nsec = (long)(interval_ns % 1000000000ull),
			};

			nanosleep(&ts, NULL);
		}
	}
}

static int qga_exit0(char *reason)
{
	const char *v = json_value(qbuf, "exitcode");

	if (!v || strtol(v, NULL, 10) != 0) {
		hb_reason(reason, "command did not exit 0: %.120s", qbuf);
		return -EPROTO;
	}
	return 0;
}

int hb_qga_true_once(uint64_t *ns, char *reason)
{
	uint64_t t0 = hb_now_ns();
	long pid;
	int rc;

	pid = qga_exec(CMD_TRUE, NULL, reason);
	if (pid < 0)
		return -EPROTO;
	rc = qga_wait(pid, 0, 60, reason);
	*ns = hb_now_ns() - t0;
	return rc ? rc : qga_exit0(reason);
}

void hb_qga_xfer(struct hb_xfer *x, uint64_t bytes, double timeout_s)
{
	char args[128];
	const char *v;
	bool nonzero = false, truncated;
	int64_t got = 0;
	uint64_t t0;
	long pid;
	int rc;

	memset(x, 0, sizeof(*x));
	x->bytes_asked = bytes;
	snprintf(args, sizeof(args), "\"-c\",\"%llu\",\"/dev/zero\"",
		 (unsigned long long)bytes);
	t0 = hb_now_ns();
	pid = qga_exec(CMD_HEAD, args, x->reason);
	if (pid < 0)
		return;
	/* every 10 ms, as the guest's bench polls */
	rc = qga_wait(pid, 10000000ull, timeout_s, x->reason);
	x->seconds = (double)(hb_now_ns() - t0) / 1e9;
	if (rc)
		return;
	v = json_value(qbuf, "out-data");
	if (v && *v == '"')
		got = b64_count(v + 1, &nonzero);
	if (got < 0) {
		hb_reason(x->reason, "out-data is not base64");
		return;
	}
	x->bytes = (uint64_t)got;
	v = json_value(qbuf, "out-truncated");
	truncated = v && !strncmp(v, "true", 4);
	if (qga_exit0(x->reason))
		return;
	if (nonzero) {
		hb_reason(x->reason, "captured output is not all zero bytes");
		return;
	}
	if (x->bytes != bytes) {
		hb_reason(x->reason, "returned %llu of %llu bytes%s",
			  (unsigned long long)x->bytes, (unsigned long long)bytes,
			  truncated ? " (out-truncated: its capture cap)" : "");
		return;
	}
	x->ok = true;
}

/* ------------------------------------------------------------------ */
/* the raw link                                                         */
/* ------------------------------------------------------------------ */

static int rfd = -1;
static char *rbuf;

int hb_raw_open(const char *path, char *reason)
{
	rfd = connect_unix(path);
	if (rfd < 0) {
		hb_reason(reason, "connect %s: %s", path, strerror(-rfd));
		return rfd;
	}
	rbuf = malloc(BUF_SIZE);
	if (!rbuf) {
		hb_reason(reason, "out of memory");
		hb_raw_close();
		return -ENOMEM;
	}
	return 0;
}

void hb_raw_close(void)
{
	if (rfd >= 0)
		close(rfd);
	rfd = -1;
	free(rbuf);
	rbuf = NULL;
}

void hb_raw_xfer(struct hb_xfer *x, uint64_t bytes, double timeout_s)
{
	uint64_t t0, end;
	bool nonzero = false;
	char req[32];
	int rc;

	memset(x, 0, sizeof(*x));
	x->bytes_asked = bytes;
	if (rfd < 0) {
		hb_reason(x->reason, "no link to the raw port");
		return;
	}
	snprintf(req, sizeof(req), "%llu\n", (unsigned long long)bytes);
	t0 = hb_now_ns();
	end = t0 + (uint64_t)(timeout_s * 1e9);
	rc = write_all(rfd, req, strlen(req));
	if (rc) {
		hb_reason(x->reason, "write: %s", strerror(-rc));
		goto broken;
	}
	while (x->bytes < bytes) {
		size_t want = bytes - x->bytes < BUF_SIZE ? bytes - x->bytes : BUF_SIZE;
		ssize_t r;

		rc = wait_readable(rfd, end);
		if (rc <= 0) {
			hb_reason(x->reason, "%llu of %llu bytes after %.0f s",
				  (unsigned long long)x->bytes, (unsigned long long)bytes,
				  timeout_s);
			goto broken;
		}
		r = read(rfd, rbuf, want);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			hb_reason(x->reason, "%s after %llu of %llu bytes",
				  r ? strerror(errno) : "end of file",
				  (unsigned long long)x->bytes, (unsigned long long)bytes);
			goto broken;
		}
		for (ssize_t i = 0; i < r && !nonzero; i++)
			nonzero = rbuf[i] != 0;
		x->bytes += (uint64_t)r;
	}
	x->seconds = (double)(hb_now_ns() - t0) / 1e9;
	if (nonzero) {
		hb_reason(x->reason, "the bytes are not all zero");
		return;
	}
	/* Nothing may follow: the feeder sends exactly what was asked. */
	if (wait_readable(rfd, hb_now_ns()) > 0) {
		hb_reason(x->reason, "more than %llu bytes arrived", (unsigned long long)bytes);
		goto broken;
	}
	x->ok = true;
	return;
broken:
	/* out of step with the feeder: no later transfer can be trusted */
	x->seconds = (double)(hb_now_ns() - t0) / 1e9;
	hb_raw_close();
}
