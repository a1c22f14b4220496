// SPDX-License-Identifier: GPL-2.0
/*
 * direct_test.c - SBEXEC_EXEC_F_DIRECT_OUTPUT: the session's stdout and
 * stderr are the module's own files, whose write() copies straight into
 * the ring. What programs depend on must hold as with pipes (the bytes,
 * their order, the exit record, backpressure, PIPE_BUF atomicity, the ways
 * of writing, /dev/stdout), and the differences must be the documented
 * ones (a fifo that is not a pipe; EPIPE after the exit record).
 *
 * The commands are direct_probe (next to this program) and /bin/sh.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "util.h"

#define SH		"/bin/sh"
#define SMALL_RING	16384

/* direct_probe's path: next to this program. */
static const char *probe_path(void)
{
	static char path[4096];
	char *slash;
	ssize_t n;

	if (path[0])
		return path;
	n = readlink("/proc/self/exe", path, sizeof(path) - sizeof("direct_probe"));
	if (n <= 0)
		return "direct_probe";
	path[n] = '\0';
	slash = strrchr(path, '/');
	strcpy(slash ? slash + 1 : path, "direct_probe");
	return path;
}

FIXTURE(direct) {
	struct sbexec *h;
	struct sbexec_exec_result res;
	struct sbexec_output out;
	struct sbexec_exec_req req;
};

FIXTURE_SETUP(direct)
{
	int err = sbexec_open(&self->h);

	ASSERT_EQ(0, err) TH_LOG("sbexec_open: %s", sbexec_open_error(err));
	memset(&self->out, 0, sizeof(self->out));
	memset(&self->req, 0, sizeof(self->req));
	self->req.flags = SBEXEC_EXEC_F_DIRECT_OUTPUT;
}

FIXTURE_TEARDOWN(direct)
{
	sbexec_output_free(&self->out);
	sbexec_close(self->h);
}

/* Run @argv (argv[0] is the command) with @self->req's settings. */
static int run_direct(struct sbexec *h, struct sbexec_exec_req *req,
		      const char *const *argv, struct sbexec_exec_result *res,
		      struct sbexec_output *o)
{
	req->cmd = argv[0];
	req->argv = &argv[1];
	return sbexec_run_capture(h, req, NULL, 0, COLLECT_MS, res, o);
}

TEST_F(direct, output_and_exit_status)
{
	const char *argv[] = { SH, "-c", "echo out; echo err >&2; exit 3", NULL };

	ASSERT_EQ(0, run_direct(self->h, &self->req, argv, &self->res,
				&self->out)) TH_LOG("%s", self->res.extack);
	ASSERT_TRUE(self->out.have_exit);
	EXPECT_EQ(1U, self->out.exit.exited);
	EXPECT_EQ(3U, self->out.exit.code);
	EXPECT_STREQ("out\n", self->out.out.data);
	EXPECT_STREQ("err\n", self->out.err.data);
	EXPECT_EQ(4ULL, (unsigned long long)self->out.exit.stdout_bytes);
	EXPECT_EQ(4ULL, (unsigned long long)self->out.exit.stderr_bytes);
}

/*
 * One ring, written in the order the writes happen: stdout and stderr
 * interleave exactly as the program wrote them (pipes read by io_work
 * cannot promise that).
 */
TEST_F(direct, records_keep_the_order_of_both_streams)
{
	const char *argv[] = { SH, "-c",
		"for i in 1 2 3 4 5 6; do echo o$i; echo e$i >&2; done", NULL };
	static char buf[65536];
	const struct sbexec_record *rec;
	struct sbexec_record_iter it;
	char seen[128] = "";
	const void *payload;
	int fd, done = 0;
	ssize_t n;

	self->req.cmd = argv[0];
	self->req.argv = &argv[1];
	ASSERT_EQ(0, sbexec_exec(self->h, &self->req, &self->res))
		TH_LOG("%s", self->res.extack);
	fd = sbexec_attach(self->h, self->res.session_id);
	ASSERT_LE(0, fd);
	while (!done && (n = sbexec_read_records(fd, buf, sizeof(buf))) > 0) {
		sbexec_record_iter_init(&it, buf, (size_t)n);
		while (sbexec_record_next(&it, &rec, &payload) > 0) {
			if (rec->stream == SBEXEC_STREAM_EXIT) {
				done = 1;
				continue;
			}
			strncat(seen, rec->stream == SBEXEC_STREAM_STDOUT ?
				"O:" : "E:", sizeof(seen) - strlen(seen) - 1);
			strncat(seen, payload, rec->len < sizeof(seen) -
				strlen(seen) - 1 ? rec->len :
				sizeof(seen) - strlen(seen) - 1);
		}
	}
	close(fd);
	EXPECT_TRUE(done);
	EXPECT_STREQ("O:o1\nE:e1\nO:o2\nE:e2\nO:o3\nE:e3\nO:o4\nE:e4\n"
		     "O:o5\nE:e5\nO:o6\nE:e6\n", seen);
}

/* What fstat() and friends tell a program about its stdout. */
TEST_F(direct, a_fifo_that_is_not_a_pipe)
{
	const char *argv[] = { probe_path(), "kinds", NULL };

	ASSERT_EQ(0, run_direct(self->h, &self->req, argv, &self->res,
				&self->out)) TH_LOG("%s", self->res.extack);
	EXPECT_EQ(0U, self->out.exit.code) TH_LOG("stderr: %s",
						   self->out.err.data);
	EXPECT_STREQ("fifo=1 reg=0 chr=0 mode=600\n"
		     "isatty=0 ENOTTY\n"
		     "lseek=ESPIPE\n"
		     "pwrite=ESPIPE\n"
		     "getpipesz=EBADF\n"
		     "reopen_rd=ENXIO\n"
		     "reopen_wr=ok\n"
		     "via-proc\n", self->out.out.data);
}

TEST_F(direct, write_writev_splice_sendfile_append)
{
	const char *argv[] = { probe_path(), "ways", NULL };

	ASSERT_EQ(0, run_direct(self->h, &self->req, argv, &self->res,
				&self->out)) TH_LOG("%s", self->res.extack);
	EXPECT_EQ(0U, self->out.exit.code);
	EXPECT_STREQ("write\nwritev\nsplice\nsendfile\nappend\n",
		     self->out.out.data);
	/* As for any file that is not a pipe: no splice() into O_APPEND. */
	EXPECT_STREQ("splice_append=EINVAL\n", self->out.err.data);
}

TEST_F(direct, dev_stdout_and_dev_stderr_reopen)
{
	const char *argv[] = { SH, "-c",
		"echo a >/dev/stdout; echo b >>/dev/stderr; echo c", NULL };

	ASSERT_EQ(0, run_direct(self->h, &self->req, argv, &self->res,
				&self->out)) TH_LOG("%s", self->res.extack);
	EXPECT_EQ(0U, self->out.exit.code);
	EXPECT_STREQ("a\nc\n", self->out.out.data);
	EXPECT_STREQ("b\n", self->out.err.data);
}

/*
 * Wait until session @id has produced at least @min bytes and then nothing
 * more for 500 ms (its writer is held by the full ring, no reader being
 * attached). Returns the bytes, or 0 after COLLECT_MS.
 */
static uint64_t wait_held(struct sbexec *h, uint32_t id, uint64_t min)
{
	struct sbexec_session_info si;
	int64_t end = mono_ms() + COLLECT_MS, since = 0;
	uint64_t last = 0;

	while (mono_ms() < end) {
		if (sbexec_get(h, id, &si))
			return 0;
		if (si.bytes_out != last || si.bytes_out < min) {
			last = si.bytes_out;
			since = mono_ms();
		} else if (mono_ms() - since >= 500) {
			return last;
		}
		usleep(20 * 1000);
	}
	return 0;
}

/*
 * Start @argv with a ring of @ring bytes and wait until its writer is held
 * by the full ring (wait_held(): half of it at least). 0, or -1.
 */
static int start_held(struct sbexec *h, struct sbexec_exec_req *req,
		      const char *const *argv, uint32_t ring,
		      struct sbexec_exec_result *res)
{
	req->ring_size = ring;
	req->cmd = argv[0];
	req->argv = &argv[1];
	if (sbexec_exec(h, req, res))
		return -1;
	return wait_held(h, res->session_id, ring / 2) >= ring / 2 ? 0 : -1;
}

/* Attach to session @id and collect everything: sbexec_collect()'s result. */
static int attach_collect(struct sbexec *h, uint32_t id, struct sbexec_output *o)
{
	int fd = sbexec_attach(h, id), rc;

	if (fd < 0)
		return fd;
	rc = sbexec_collect(fd, o, COLLECT_MS);
	close(fd);
	return rc;
}

/*
 * A full ring holds the writer: O_NONBLOCK gets EAGAIN and poll() no
 * POLLOUT; once the reader drains it, poll() says POLLOUT and the rest
 * arrives. Nothing is lost: every byte the writer was told it wrote is
 * read. With a one-page ring too, whose whole-write bound is half a page.
 */
static void fill_then_drain(struct __test_metadata *_metadata,
			    FIXTURE_DATA(direct) *self, uint32_t ring_size)
{
	const char *argv[] = { probe_path(), "fill", NULL };
	unsigned long n = 0;
	const char *end;
	size_t i;

	/* The probe fills the ring and polls before anyone reads. */
	ASSERT_EQ(0, start_held(self->h, &self->req, argv, ring_size,
				&self->res)) TH_LOG("%s", self->res.extack);
	ASSERT_EQ(0, attach_collect(self->h, self->res.session_id, &self->out));
	ASSERT_TRUE(self->out.have_exit);
	ASSERT_EQ(0U, self->out.exit.code)
		TH_LOG("probe exit %u (2: POLLOUT on a full ring, 3: no POLLOUT after the reader drained it)",
		       self->out.exit.code);
	end = memmem(self->out.out.data, self->out.out.len, "END ", 4);
	ASSERT_NE(NULL, end);
	n = strtoul(end + 4, NULL, 10);
	/* What fit before EAGAIN: most of the ring, not less than half. */
	EXPECT_GE(n * 1000, ring_size / 2UL);
	EXPECT_LE(n * 1000, (unsigned long)ring_size);
	ASSERT_EQ(n * 1000, (unsigned long)(end - self->out.out.data));
	for (i = 0; i < n * 1000; i++)
		if (self->out.out.data[i] != 'x')
			break;
	EXPECT_EQ(n * 1000, i);
}

TEST_F(direct, full_ring_holds_the_writer)
{
	fill_then_drain(_metadata, self, SMALL_RING);
}

TEST_F(direct, full_one_page_ring_holds_the_writer)
{
	fill_then_drain(_metadata, self, 4096);
}

/*
 * Writes of PIPE_BUF bytes from two processes through a small ring that
 * keeps both waiting: each one arrives whole, never interleaved.
 */
TEST_F(direct, pipe_buf_writes_stay_whole)
{
	char cmd[4300];
	const char *argv[] = { SH, "-c", cmd, NULL };
	size_t blk, na = 0, nb = 0, bad = 0, i;

	snprintf(cmd, sizeof(cmd), "'%s' blocks a 300 & '%s' blocks b 300; wait",
		 probe_path(), probe_path());
	self->req.ring_size = SMALL_RING;
	ASSERT_EQ(0, run_direct(self->h, &self->req, argv, &self->res,
				&self->out)) TH_LOG("%s", self->res.extack);
	EXPECT_EQ(0U, self->out.exit.code);
	ASSERT_EQ(600UL * PIPE_BUF, self->out.out.len);
	for (blk = 0; blk < 600; blk++) {
		const char *p = self->out.out.data + blk * PIPE_BUF;

		for (i = 1; i < PIPE_BUF && p[i] == p[0]; i++)
			;
		if (i < PIPE_BUF)
			bad++;
		else if (p[0] == 'a')
			na++;
		else if (p[0] == 'b')
			nb++;
	}
	EXPECT_EQ(0U, bad);
	EXPECT_EQ(300U, na);
	EXPECT_EQ(300U, nb);
}

/*
 * A ring of one page cannot hold a PIPE_BUF write in one record: such
 * writes are split (the whole-write promise shrinks to half the ring)
 * instead of waiting forever.
 */
TEST_F(direct, one_page_ring_takes_page_writes)
{
	char cmd[4300];
	const char *argv[] = { SH, "-c", cmd, NULL };
	size_t i;

	snprintf(cmd, sizeof(cmd), "'%s' blocks z 64", probe_path());
	self->req.ring_size = 4096;
	ASSERT_EQ(0, run_direct(self->h, &self->req, argv, &self->res,
				&self->out)) TH_LOG("%s", self->res.extack);
	EXPECT_EQ(0U, self->out.exit.code);
	ASSERT_EQ(64UL * PIPE_BUF, self->out.out.len);
	for (i = 0; i < 64UL * PIPE_BUF; i++)
		if (self->out.out.data[i] != 'z')
			break;
	EXPECT_EQ(64UL * PIPE_BUF, i);
}

/*
 * 24 MiB (SBEXEC_DIRECT_TEST_MIB) in writes of many sizes, through the
 * default ring: byte-exact.
 */
TEST_F(direct, large_output_byte_exact)
{
	const char *mib = getenv("SBEXEC_DIRECT_TEST_MIB");
	const long total = (mib ? atol(mib) : 24L) << 20;
	char count[32];
	const char *argv[] = { probe_path(), "pattern", count, NULL };
	long i;

	ASSERT_LT(0, total);
	snprintf(count, sizeof(count), "%ld", total);

	ASSERT_EQ(0, run_direct(self->h, &self->req, argv, &self->res,
				&self->out)) TH_LOG("%s", self->res.extack);
	EXPECT_EQ(0U, self->out.exit.code);
	ASSERT_EQ((size_t)total, self->out.out.len);
	for (i = 0; i < total; i++)
		if ((unsigned char)self->out.out.data[i] != i % 251)
			break;
	EXPECT_EQ(total, i);
	EXPECT_EQ((unsigned long long)total,
		  (unsigned long long)self->out.exit.stdout_bytes);
}

/*
 * Another writer of the same file (here this test, through
 * /proc/PID/fd/1) holds the stream open: the exit record waits for the
 * linger, and writes after the record fail with EPIPE (and SIGPIPE, ignored
 * here), poll() says POLLERR.
 */
TEST_F(direct, epipe_after_the_exit_record)
{
	const char *argv[] = { SH, "-c", "sleep 1", NULL };
	struct pollfd pfd = { .events = POLLOUT };
	char path[64];
	int fd;

	signal(SIGPIPE, SIG_IGN);
	self->req.linger_ms = 100;
	self->req.cmd = argv[0];
	self->req.argv = &argv[1];
	ASSERT_EQ(0, sbexec_exec(self->h, &self->req, &self->res))
		TH_LOG("%s", self->res.extack);
	snprintf(path, sizeof(path), "/proc/%u/fd/1", self->res.pid);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", path, strerror(errno));
	ASSERT_EQ(8, write(fd, "outside\n", 8));
	ASSERT_EQ(0, attach_collect(self->h, self->res.session_id, &self->out));
	EXPECT_EQ(0U, self->out.exit.code);
	EXPECT_STREQ("outside\n", self->out.out.data);
	errno = 0;
	EXPECT_EQ(-1, write(fd, "late\n", 5));
	EXPECT_EQ(EPIPE, errno);
	pfd.fd = fd;
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_TRUE(pfd.revents & POLLERR);
	close(fd);
	signal(SIGPIPE, SIG_DFL);
}

/* A writer held by a full ring is released when the session is killed. */
TEST_F(direct, kill_releases_a_held_writer)
{
	const char *argv[] = { SH, "-c", "exec cat /dev/zero", NULL };

	ASSERT_EQ(0, start_held(self->h, &self->req, argv, SMALL_RING,
				&self->res)) TH_LOG("%s", self->res.extack);
	ASSERT_EQ(0, sbexec_signal(self->h, self->res.session_id, SIGKILL));
	ASSERT_EQ(0, attach_collect(self->h, self->res.session_id, &self->out));
	EXPECT_EQ(SIGKILL, (int)self->out.exit.signal);
	EXPECT_GE(self->out.out.len, (size_t)SMALL_RING / 2);
}

TEST_F(direct, refused_with_a_tty)
{
	const char *argv[] = { SH, "-c", "true", NULL };
	int err;

	self->req.tty = true;
	self->req.cmd = argv[0];
	self->req.argv = &argv[1];
	err = sbexec_exec(self->h, &self->req, &self->res);
	EXPECT_EQ(-EINVAL, err);
	EXPECT_EQ((uint32_t)SBEXEC_FAIL_NONE, self->res.failure.kind);
	EXPECT_NE(NULL, strstr(self->res.extack, "DIRECT_OUTPUT"))
		TH_LOG("extack: %s", self->res.extack);
}

/* Only the helper's file hands out output files. */
TEST(output_fd_ioctl_needs_the_helper_file)
{
	struct sbexec_output_fd arg = { .id = 1,
					.stream = SBEXEC_STREAM_STDOUT };
	int fd = open(SBEXEC_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, ioctl(fd, SBEXEC_IOC_OUTPUT_FD, &arg));
	EXPECT_EQ(EBADFD, errno);
	close(fd);
}

TEST_HARNESS_MAIN
