// SPDX-License-Identifier: GPL-2.0
/*
 * host_test - sbexec driven from outside the guest, through sbexec-bridge.
 *
 * Runs where SBEXEC_CONNECT names a bridge: on the host under
 * `scripts/vm --host` (unix:PATH, QEMU's socket of the guest's
 * virtio-serial port), or in the guest against a bridge on vsock_loopback
 * (bridge_vsock.sh). Whoever runs it restarts the bridge when it exits,
 * as a service manager would (bridge_restarts depends on that).
 *
 * A virtio-serial port has one host end: the link is opened per test and
 * closed before the next one connects.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/sbexec_bridge.h>
#include <linux/vm_sockets.h>

#include "kselftest_harness.h"
#include "util.h"

static const char *uri(void)
{
	const char *u = getenv("SBEXEC_CONNECT");

	return u && *u ? u : NULL;
}

/* Open the link, retrying while the bridge (re)starts; NULL on failure. */
static struct sbexec *link_open(int wait_ms)
{
	int64_t end = mono_ms() + wait_ms;
	struct sbexec *h;
	int err;

	for (;;) {
		err = sbexec_open_uri(uri(), &h);
		if (!err)
			return h;
		if (mono_ms() > end) {
			fprintf(stderr, "# cannot open %s: %s (%s)\n", uri(),
				sbexec_open_uri_error(uri(), err), strerror(-err));
			return NULL;
		}
		usleep(100 * 1000);
	}
}

/*
 * A raw connection to the bridge, synced, for frames the library never
 * sends.
 */
static int raw_connect(void)
{
	const char *u = uri();
	int fd = -1;

	if (!strncmp(u, "unix:", 5)) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", u + 5);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			close(fd);
			fd = -1;
		}
	} else if (!strncmp(u, "vsock:", 6)) {
		struct sockaddr_vm sa = { .svm_family = AF_VSOCK };
		unsigned int cid, port = SBEXEC_BRIDGE_VSOCK_PORT;

		if (sscanf(u + 6, "%u:%u", &cid, &port) < 1)
			return -1;
		sa.svm_cid = cid;
		sa.svm_port = port;
		fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			close(fd);
			fd = -1;
		}
	}
	if (fd >= 0 && bridge_sync_out(fd)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static int raw_send(int fd, uint16_t type, uint16_t flags, uint32_t len,
		    const void *payload, size_t n)
{
	struct sbexec_frame f = {
		.len = len, .type = type, .flags = flags,
	};

	if (write(fd, &f, sizeof(f)) != sizeof(f))
		return -1;
	if (n && write(fd, payload, n) != (ssize_t)n)
		return -1;
	return 0;
}

/* Read one frame header (payload into @buf, at most @n); -1 on EOF/timeout. */
static int raw_recv(int fd, struct sbexec_frame *f, void *buf, size_t n)
{
	unsigned char *p = (unsigned char *)f;
	size_t got = 0, want = sizeof(*f);

	while (got < want) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&pfd, 1, 10000) <= 0)
			return -1;
		r = read(fd, p + got, want - got);
		if (r <= 0)
			return -1;
		got += (size_t)r;
		if (got == want && p == (unsigned char *)f) {
			if (f->len > n)
				return -1;
			p = buf;
			got = 0;
			want = f->len;
		}
	}
	return 0;
}

static void hello(struct __test_metadata *_metadata, int fd)
{
	struct sbexec_bridge_hello hi = {
		.magic = SBEXEC_BRIDGE_MAGIC,
		.version = SBEXEC_BRIDGE_VERSION,
		.max_frame = SBEXEC_BRIDGE_MAX_FRAME,
	};
	struct sbexec_frame f;
	char buf[64];

	ASSERT_EQ(0, raw_send(fd, SBEXEC_FRAME_HELLO, 0, sizeof(hi), &hi, sizeof(hi)));
	ASSERT_EQ(0, bridge_hunt(fd, 10000));
	ASSERT_EQ(0, raw_recv(fd, &f, buf, sizeof(buf)));
	ASSERT_EQ(SBEXEC_FRAME_HELLO, f.type);
	ASSERT_EQ((uint32_t)sizeof(hi), f.len);
	memcpy(&hi, buf, sizeof(hi));
	ASSERT_EQ((uint32_t)SBEXEC_BRIDGE_MAGIC, hi.magic);
	ASSERT_NE(0U, hi.family);
}

/* A command runs over @h and its output comes back. */
static void echo_works(struct __test_metadata *_metadata, struct sbexec *h)
{
	const char *argv[] = { "still here", NULL };
	struct sbexec_exec_req req = { .cmd = "echo", .argv = argv };
	struct sbexec_exec_result res;
	struct sbexec_output o = { 0 };

	ASSERT_EQ(0, sbexec_run_capture(h, &req, NULL, 0, COLLECT_MS, &res, &o));
	EXPECT_STREQ("still here\n", o.out.data ? o.out.data : "");
	sbexec_output_free(&o);
}

/* A new link works: a command runs and its output comes back. */
static void still_serves(struct __test_metadata *_metadata)
{
	struct sbexec *h = link_open(20000);

	ASSERT_NE(NULL, h);
	echo_works(_metadata, h);
	sbexec_close(h);
}

FIXTURE(host) {
	struct sbexec *h;
};

FIXTURE_SETUP(host)
{
	ASSERT_NE(NULL, uri()) TH_LOG("SBEXEC_CONNECT is not set");
	self->h = link_open(20000);
	ASSERT_NE(NULL, self->h);
	ASSERT_TRUE(sbexec_is_remote(self->h));
}

FIXTURE_TEARDOWN(host)
{
	sbexec_close(self->h);
}

/* The README's first example, from the host: out, err, status 3. */
TEST_F_TIMEOUT(host, cli_stdout_stderr_status, 120)
{
	const char *argv[] = { cli_path(), "run", "--", "sh", "-c",
			       "echo out; echo err >&2; exit 3", NULL };
	struct proc_opts po = { .timeout_ms = 60000 };
	struct proc_result r;

	/* The CLI connects itself: this test's link must be closed. */
	sbexec_close(self->h);
	self->h = NULL;
	ASSERT_EQ(0, run_proc(argv, &po, &r));
	ASSERT_TRUE(WIFEXITED(r.status));
	EXPECT_EQ(3, WEXITSTATUS(r.status));
	EXPECT_STREQ("out\n", r.out.data ? r.out.data : "");
	EXPECT_STREQ("err\n", r.err.data ? r.err.data : "");
	proc_result_free(&r);
}

/* A refused request gets the module's own errno and message. */
TEST_F(host, refusal_carries_the_module_message)
{
	EXPECT_EQ(-ERANGE, sbexec_signal(self->h, 1, 0));
	EXPECT_NE(NULL, strstr(sbexec_strerror_last(self->h), "signal"))
		TH_LOG("message: %s", sbexec_strerror_last(self->h));
	EXPECT_EQ(-ENOENT, sbexec_attach(self->h, 999999));
}

/* stdin crosses the link and comes back through cat. */
TEST_F_TIMEOUT(host, stdin_round_trip, 60)
{
	static const char in[] = "over the link\nand back\n";
	const char *argv[] = { NULL };
	struct sbexec_exec_req req = { .cmd = "cat", .argv = argv };
	struct sbexec_exec_result res;
	struct sbexec_output o = { 0 };

	ASSERT_EQ(0, sbexec_run_capture(self->h, &req, in, strlen(in), COLLECT_MS,
					&res, &o));
	ASSERT_TRUE(o.have_exit);
	EXPECT_EQ(0, sbexec_exit_status(&o.exit));
	EXPECT_STREQ(in, o.out.data ? o.out.data : "");
	sbexec_output_free(&o);
}

/* A PTY session: a terminal, its size, a resize sent from the host. */
TEST_F_TIMEOUT(host, pty_and_resize, 60)
{
	const char *argv[] = { "-c",
			       "test -t 1 && echo tty; stty size; read x; stty size",
			       NULL };
	struct sbexec_exec_req req = {
		.cmd = "sh", .argv = argv, .tty = true, .rows = 33, .cols = 77,
	};
	struct sbexec_exec_result res;
	struct sbexec_output o = { 0 };
	static char buf[128 * 1024];
	int fd;

	ASSERT_EQ(0, sbexec_exec(self->h, &req, &res));
	fd = sbexec_attach(self->h, res.session_id);
	ASSERT_LE(0, fd);
	/* The first size is printed before the resize is sent. */
	while (!o.out.data || !strstr(o.out.data, "33 77")) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		ASSERT_LT(0, poll(&pfd, 1, COLLECT_MS));
		n = sbexec_read_records(fd, buf, sizeof(buf));
		ASSERT_LT(0, n);
		ASSERT_EQ(0, sbexec_output_feed(&o, buf, (size_t)n));
	}
	ASSERT_EQ(0, sbexec_resize(self->h, res.session_id, 40, 100));
	ASSERT_EQ(0, sbexec_stdin(self->h, res.session_id, "\n", 1));
	ASSERT_EQ(0, sbexec_collect(fd, &o, COLLECT_MS));
	close(fd);
	strip_cr(&o.out);
	ASSERT_NE(NULL, o.out.data);
	EXPECT_NE(NULL, strstr(o.out.data, "tty\n33 77\n")) TH_LOG("%s", o.out.data);
	EXPECT_NE(NULL, strstr(o.out.data, "40 100\n")) TH_LOG("%s", o.out.data);
	EXPECT_EQ(0, sbexec_exit_status(&o.exit));
	sbexec_output_free(&o);
}

#define PATTERN		"0123456789abcdefghijklmnopqrstu\n"	/* 32 bytes */

/*
 * MiB of the byte-exact stream: 64, or SBEXEC_HOST_TEST_MIB (1..1024;
 * make check-debug sets 16: the debug kernel moves bytes several times
 * slower). The slow reader's session writes a quarter of it, 4 MiB at least.
 */
static long test_mib(void)
{
	const char *e = getenv("SBEXEC_HOST_TEST_MIB");
	long n = e && *e ? strtol(e, NULL, 10) : 64;

	return n >= 1 && n <= 1024 ? n : 64;
}

/*
 * Read session @fd to its end, checking that stdout is PATTERN repeated;
 * returns the stdout bytes, or -1 on any mismatch (@ei: the exit record).
 */
static int64_t read_pattern(int fd, struct sbexec_exit_info *ei, int64_t *exits)
{
	static const char pat[] = PATTERN;
	size_t cap = 128 * 1024;
	char *buf = malloc(cap);
	int64_t total = 0;

	*exits = 0;
	if (!buf)
		return -1;
	for (;;) {
		struct sbexec_record_iter it;
		const struct sbexec_record *rec;
		const void *payload;
		ssize_t n = sbexec_read_records(fd, buf, cap);

		if (n == 0)
			break;
		if (n < 0) {
			total = -1;
			break;
		}
		sbexec_record_iter_init(&it, buf, (size_t)n);
		while (sbexec_record_next(&it, &rec, &payload) > 0) {
			const char *p = payload;
			uint32_t i;

			if (rec->stream == SBEXEC_STREAM_EXIT) {
				sbexec_exit_info_copy(ei, payload, rec->len);
				(*exits)++;
				continue;
			}
			if (rec->stream != SBEXEC_STREAM_STDOUT)
				continue;
			for (i = 0; i < rec->len; i++)
				if (p[i] != pat[(total + i) % 32])
					goto bad;
			total += rec->len;
		}
	}
	free(buf);
	return total;
bad:
	free(buf);
	return -1;
}

/* 64 MiB from the guest, byte-exact. */
TEST_F_TIMEOUT(host, stdout_64mib_byte_exact, 600)
{
	char script[128];
	const char *argv[] = { "-c", script, NULL };
	struct sbexec_exec_req req = { .cmd = "sh", .argv = argv };
	struct sbexec_exec_result res;
	struct sbexec_exit_info ei = { 0 };
	int64_t exits;
	int fd;

	snprintf(script, sizeof(script),
		 "yes 0123456789abcdefghijklmnopqrstu | head -c %ld", test_mib() << 20);
	ASSERT_EQ(0, sbexec_exec(self->h, &req, &res));
	fd = sbexec_attach(self->h, res.session_id);
	ASSERT_LE(0, fd);
	EXPECT_EQ(test_mib() << 20, read_pattern(fd, &ei, &exits));
	close(fd);
	EXPECT_EQ(1, exits);
	EXPECT_EQ(0, sbexec_exit_status(&ei));
}

#define NCONC	32
#define NLINES	200

/* 32 sessions at once over one link, each with its own output in order. */
TEST_F_TIMEOUT(host, concurrent_sessions_one_link, 300)
{
	struct sbexec_output o[NCONC];
	struct pollfd pfd[NCONC];
	char script[128], *buf;
	int i, open_fds = NCONC;
	size_t cap = 128 * 1024;

	memset(o, 0, sizeof(o));
	buf = malloc(cap);
	ASSERT_NE(NULL, buf);
	for (i = 0; i < NCONC; i++) {
		const char *argv[] = { "-c", script, NULL };
		struct sbexec_exec_req req = { .cmd = "sh", .argv = argv };
		struct sbexec_exec_result res;

		snprintf(script, sizeof(script),
			 "i=0; while [ $i -lt %d ]; do echo s%d-$i; i=$((i+1)); done",
			 NLINES, i);
		ASSERT_EQ(0, sbexec_exec(self->h, &req, &res));
		pfd[i].fd = sbexec_attach(self->h, res.session_id);
		ASSERT_LE(0, pfd[i].fd) TH_LOG("%s", sbexec_strerror_last(self->h));
		pfd[i].events = POLLIN;
	}
	while (open_fds) {
		ASSERT_LT(0, poll(pfd, NCONC, 60000));
		for (i = 0; i < NCONC; i++) {
			ssize_t n;

			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			n = sbexec_read_records(pfd[i].fd, buf, cap);
			ASSERT_LE(0, n);
			if (n == 0) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
				open_fds--;
				continue;
			}
			ASSERT_EQ(0, sbexec_output_feed(&o[i], buf, (size_t)n));
		}
	}
	for (i = 0; i < NCONC; i++) {
		char want[32];
		const char *p = o[i].out.data;
		int k;

		ASSERT_TRUE(o[i].have_exit);
		EXPECT_EQ(0, sbexec_exit_status(&o[i].exit));
		ASSERT_NE(NULL, p);
		for (k = 0; k < NLINES; k++) {
			snprintf(want, sizeof(want), "s%d-%d\n", i, k);
			ASSERT_EQ(0, strncmp(p, want, strlen(want)))
				TH_LOG("session %d line %d", i, k);
			p += strlen(want);
		}
		EXPECT_EQ('\0', *p);
		sbexec_output_free(&o[i]);
	}
	free(buf);
}

/*
 * A host that stops reading throttles that session's writer through the
 * ring (the guest buffers a bounded amount), while another session on the
 * same link runs as usual; reading again delivers every byte.
 */
TEST_F_TIMEOUT(host, slow_reader_backpressure, 600)
{
	long mib = test_mib() / 4 > 4 ? test_mib() / 4 : 4;
	char script[128];
	const char *argv[] = { "-c", script, NULL };
	struct sbexec_exec_req req = {
		.cmd = "sh", .argv = argv, .ring_size = 64 * 1024,
	};
	struct sbexec_session_info *info = calloc(1, sizeof(*info));
	struct sbexec_exec_result res;
	struct sbexec_exit_info ei = { 0 };
	uint64_t before;
	int64_t exits;
	int fd;

	ASSERT_NE(NULL, info);
	snprintf(script, sizeof(script),
		 "yes 0123456789abcdefghijklmnopqrstu | head -c %ld", mib << 20);
	ASSERT_EQ(0, sbexec_exec(self->h, &req, &res));
	fd = sbexec_attach(self->h, res.session_id);
	ASSERT_LE(0, fd);
	sleep(3);
	ASSERT_EQ(0, sbexec_get(self->h, res.session_id, info));
	EXPECT_EQ((uint32_t)SBEXEC_STATE_RUNNING, info->state);
	before = info->bytes_out;
	/*
	 * Stalled: at most the ring, the credit, the socket pair and pipe
	 * buffers are out of the writer (about 1 MiB), not all of it.
	 */
	EXPECT_GT(2ULL << 20, before) TH_LOG("bytes_out %llu",
					     (unsigned long long)before);
	sleep(1);
	ASSERT_EQ(0, sbexec_get(self->h, res.session_id, info));
	EXPECT_EQ(before, info->bytes_out);
	/* Another session is not held up by the stalled one. */
	echo_works(_metadata, self->h);
	EXPECT_EQ(mib << 20, read_pattern(fd, &ei, &exits));
	close(fd);
	EXPECT_EQ(1, exits);
	EXPECT_EQ(0, sbexec_exit_status(&ei));
	free(info);
}

/* How many of the guest's processes have exactly @cmdline; -1 on error. */
static int guest_count(struct sbexec *h, const char *cmdline)
{
	const char *argv[] = { "-c", "pgrep -c -f -x \"$0\"; true", cmdline, NULL };
	struct sbexec_exec_req req = { .cmd = "sh", .argv = argv };
	struct sbexec_exec_result res;
	struct sbexec_output o = { 0 };
	int n = -1;
	int err = sbexec_run_capture(h, &req, NULL, 0, COLLECT_MS, &res, &o);

	if (!err && o.out.data)
		n = atoi(o.out.data);
	else
		fprintf(stderr, "# counting '%s' failed: %d %s, stdout '%s', stderr '%s'\n",
			cmdline, err, sbexec_strerror_last(h),
			o.out.data ? o.out.data : "", o.err.data ? o.err.data : "");
	sbexec_output_free(&o);
	return n;
}

/* A host client killed mid-stream: its kill-on-close session ends. */
TEST_F_TIMEOUT(host, killed_client_ends_its_session, 120)
{
	const char *argv[] = { cli_path(), "run", "--", "sh", "-c",
			       "echo started; exec sleep 1001", NULL };
	struct proc_opts po = {
		.timeout_ms = 60000, .marker = "started", .sig = SIGKILL,
	};
	struct proc_result r;
	int64_t end;
	int n = -1;

	sbexec_close(self->h);
	self->h = NULL;
	ASSERT_EQ(0, run_proc(argv, &po, &r));
	ASSERT_TRUE(WIFSIGNALED(r.status));
	proc_result_free(&r);

	end = mono_ms() + 20000;
	while (mono_ms() < end) {
		self->h = link_open(20000);
		ASSERT_NE(NULL, self->h);
		n = guest_count(self->h, "sleep 1001");
		if (n == 0)
			break;
		sbexec_close(self->h);
		self->h = NULL;
		usleep(200 * 1000);
	}
	EXPECT_EQ(0, n);
}

/* The pid of the guest's sbexec-bridge, through @h; -1 on any failure. */
static long bridge_pid(struct sbexec *h)
{
	const char *argv[] = { "-x", "sbexec-bridge", NULL };
	struct sbexec_exec_req req = { .cmd = "pidof", .argv = argv };
	struct sbexec_exec_result res;
	struct sbexec_output o = { 0 };
	long pid = -1;

	if (!sbexec_run_capture(h, &req, NULL, 0, COLLECT_MS, &res, &o) &&
	    o.out.data && !sbexec_exit_status(&o.exit))
		pid = strtol(o.out.data, NULL, 10);
	sbexec_output_free(&o);
	return pid;
}

/*
 * The bridge killed (SIGTERM) and restarted while a keep-running session
 * writes: the session goes on, and a new link reads all of it.
 */
TEST_F_TIMEOUT(host, bridge_restart_keeps_sessions, 180)
{
	const char *argv[] = { "-c",
			       "i=0; while [ $i -lt 30 ]; do echo L$i; i=$((i+1)); "
			       "sleep 0.1; done", NULL };
	const char *kargv[] = { "-c", "sleep 0.5; kill $0", NULL, NULL };
	struct sbexec_exec_req req = {
		.cmd = "sh", .argv = argv, .flags = SBEXEC_EXEC_F_KEEP_RUNNING,
	};
	struct sbexec_exec_req kreq = {
		.cmd = "sh", .argv = kargv, .flags = SBEXEC_EXEC_F_KEEP_RUNNING,
	};
	struct sbexec_exec_result res, kres;
	struct sbexec_output o = { 0 };
	int64_t end = mono_ms() + 90000;
	char want[16], pidstr[24];
	long old, now = -1;
	const char *p;
	int fd, i;

	old = bridge_pid(self->h);
	ASSERT_LT(0, old);
	snprintf(pidstr, sizeof(pidstr), "%ld", old);
	kargv[2] = pidstr;
	ASSERT_EQ(0, sbexec_exec(self->h, &req, &res));
	ASSERT_EQ(0, sbexec_exec(self->h, &kreq, &kres));
	/*
	 * Off this link before its bridge goes (a virtio-serial host does not
	 * see the guest's end close), then on again until another bridge
	 * (the guest restarts it, as a service manager would) answers.
	 */
	sbexec_close(self->h);
	self->h = NULL;
	sleep(2);
	while (mono_ms() < end) {
		self->h = link_open(30000);
		ASSERT_NE(NULL, self->h);
		now = bridge_pid(self->h);
		if (now > 0 && now != old)
			break;
		sbexec_close(self->h);
		self->h = NULL;
		usleep(200 * 1000);
	}
	ASSERT_NE(old, now) TH_LOG("the bridge was not restarted");
	fd = sbexec_attach(self->h, res.session_id);
	ASSERT_LE(0, fd) TH_LOG("%s", sbexec_strerror_last(self->h));
	EXPECT_EQ(0, sbexec_collect(fd, &o, 60000))
		TH_LOG("%llu records, stdout '%s'", (unsigned long long)o.records,
		       o.out.data ? o.out.data : "");
	close(fd);
	EXPECT_EQ(0, sbexec_exit_status(&o.exit));
	p = o.out.data;
	ASSERT_NE(NULL, p);
	for (i = 0; i < 30; i++) {
		snprintf(want, sizeof(want), "L%d\n", i);
		ASSERT_EQ(0, strncmp(p, want, strlen(want))) TH_LOG("line %d", i);
		p += strlen(want);
	}
	sbexec_output_free(&o);
}

/* A link that closes in the middle of a frame leaves the bridge serving. */
TEST_F_TIMEOUT(host, link_closed_mid_frame, 120)
{
	static const char half[8] = { 100, 0, 0, 0, SBEXEC_FRAME_REQUEST };
	int fd;

	sbexec_close(self->h);
	self->h = NULL;
	fd = raw_connect();
	ASSERT_LE(0, fd);
	hello(_metadata, fd);
	ASSERT_EQ((ssize_t)sizeof(half), write(fd, half, sizeof(half)));
	close(fd);
	still_serves(_metadata);
}

/* Each malformed frame gets an ERROR frame; the bridge goes on. */
TEST_F_TIMEOUT(host, malformed_frames_refused, 180)
{
	static const struct {
		const char *what;
		bool hello_first;
		uint16_t type, flags;
		uint32_t len;
	} cases[] = {
		{ "request before hello", false, SBEXEC_FRAME_REQUEST, 0, 0 },
		{ "oversized frame", true, SBEXEC_FRAME_REQUEST, 0,
		  SBEXEC_BRIDGE_MAX_FRAME + 1 },
		{ "unknown type", true, 99, 0, 0 },
		{ "flags on a request", true, SBEXEC_FRAME_REQUEST, 0x8000, 0 },
		{ "second hello", true, SBEXEC_FRAME_HELLO, 0,
		  sizeof(struct sbexec_bridge_hello) },
		{ "short request", true, SBEXEC_FRAME_REQUEST, 0, 4 },
	};
	struct sbexec_bridge_hello hi = {
		.magic = SBEXEC_BRIDGE_MAGIC, .version = SBEXEC_BRIDGE_VERSION,
	};
	size_t i;

	sbexec_close(self->h);
	self->h = NULL;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sbexec_frame f;
		char buf[256], body[64] = { 0 };
		size_t n = cases[i].len <= sizeof(body) ? cases[i].len : 0;
		int fd = raw_connect();

		ASSERT_LE(0, fd) TH_LOG("%s", cases[i].what);
		if (cases[i].hello_first)
			hello(_metadata, fd);
		if (cases[i].type == SBEXEC_FRAME_HELLO)
			memcpy(body, &hi, sizeof(hi));
		ASSERT_EQ(0, raw_send(fd, cases[i].type, cases[i].flags,
				      cases[i].len, body, n));
		ASSERT_EQ(0, raw_recv(fd, &f, buf, sizeof(buf) - 1))
			TH_LOG("%s: no answer", cases[i].what);
		EXPECT_EQ(SBEXEC_FRAME_ERROR, f.type) TH_LOG("%s", cases[i].what);
		buf[f.len] = '\0';
		EXPECT_LT(0U, f.len) TH_LOG("%s: empty ERROR", cases[i].what);
		fprintf(stderr, "# %s: %s\n", cases[i].what, buf);
		close(fd);
	}
	still_serves(_metadata);
}

TEST_HARNESS_MAIN
