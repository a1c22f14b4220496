// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lib_test.c - host-side checks of libsbexec that need no sbexec module:
 * record parsing and collection, names, and the request/ack machinery
 * (extack message, blamed attribute, replies, dumps) exercised against the
 * kernel's own "nlctrl" generic netlink family.
 *
 * Prints TAP; exits 1 when a check fails.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/socket.h>

#include "internal.h"

static int n_checks, n_failed;

#define CHECK(cond, ...) do {						\
	n_checks++;							\
	if (cond) {							\
		printf("ok %d - ", n_checks);				\
	} else {							\
		n_failed++;						\
		printf("not ok %d - %s:%d: ", n_checks, __FILE__, __LINE__); \
	}								\
	printf(__VA_ARGS__);						\
	printf("\n");							\
} while (0)

/* Append one record to @buf at @off; returns the new offset. */
static size_t put_record(unsigned char *buf, size_t off, uint16_t stream,
			 uint64_t seq, const void *payload, uint32_t len)
{
	struct sbexec_record rec = { .len = len, .stream = stream, .seq = seq };
	size_t size = sbexec_record_size(len);

	memset(buf + off, 0, size);
	memcpy(buf + off, &rec, sizeof(rec));
	memcpy(buf + off + sizeof(rec), payload, len);
	return off + size;
}

static void test_records(void)
{
	struct sbexec_exit_info ei = { .exited = 1, .code = 3 };
	unsigned char buf[512];
	struct sbexec_output o = { 0 };
	struct sbexec_record_iter it;
	const struct sbexec_record *rec;
	const void *payload;
	size_t off = 0;
	int ret;

	off = put_record(buf, off, SBEXEC_STREAM_STDOUT, 0, "hello", 5);
	off = put_record(buf, off, SBEXEC_STREAM_STDERR, 1, "err\n", 4);
	off = put_record(buf, off, SBEXEC_STREAM_STDOUT, 2, "", 0);
	off = put_record(buf, off, SBEXEC_STREAM_STDOUT, 3, " world", 6);
	CHECK(sbexec_record_size(5) == 24 && sbexec_record_size(0) == 16 &&
	      sbexec_record_size(8) == 24, "record sizes are padded to 8");

	sbexec_record_iter_init(&it, buf, off);
	ret = sbexec_record_next(&it, &rec, &payload);
	CHECK(ret == 1 && rec->len == 5 && !memcmp(payload, "hello", 5),
	      "iterator yields the first record");

	CHECK(sbexec_output_feed(&o, buf, off) == 0 && o.out.len == 11 &&
	      !strcmp(o.out.data, "hello world") && !strcmp(o.err.data, "err\n") &&
	      o.records == 4 && !o.have_exit, "feed splits stdout and stderr");

	off = put_record(buf, 0, SBEXEC_STREAM_EXIT, 4, &ei, sizeof(ei));
	CHECK(sbexec_output_feed(&o, buf, off) == 0 && o.have_exit &&
	      o.exit.code == 3 && sbexec_exit_status(&o.exit) == 3,
	      "exit record is collected");
	off = put_record(buf, 0, SBEXEC_STREAM_STDOUT, 5, "x", 1);
	CHECK(sbexec_output_feed(&o, buf, off) == -EPROTO,
	      "a record after the exit record is refused");
	sbexec_output_free(&o);

	off = put_record(buf, 0, SBEXEC_STREAM_STDOUT, 1, "x", 1);
	CHECK(sbexec_output_feed(&o, buf, off) == -EPROTO,
	      "a sequence gap is refused");
	sbexec_output_free(&o);

	off = put_record(buf, 0, SBEXEC_STREAM_STDOUT, 0, "x", 1);
	CHECK(sbexec_output_feed(&o, buf, off - 1) == -EBADMSG,
	      "a record without its padding is refused");
	sbexec_output_free(&o);

	off = put_record(buf, 0, 9, 0, "x", 1);
	CHECK(sbexec_output_feed(&o, buf, off) == -EBADMSG,
	      "an unknown stream is refused");
	sbexec_output_free(&o);

	off = put_record(buf, 0, SBEXEC_STREAM_EXIT, 0, &ei, 8);
	CHECK(sbexec_output_feed(&o, buf, off) == -EBADMSG,
	      "a short exit record is refused");
	sbexec_output_free(&o);

	ei = (struct sbexec_exit_info){ .exited = 0, .signal = 15 };
	CHECK(sbexec_exit_status(&ei) == 143, "signal death is 128+N");
}

static void test_big_output(void)
{
	struct sbexec_output o = { 0 };
	static unsigned char buf[70000];
	unsigned char chunk[65536];
	size_t off, total = 0;
	uint64_t seq;
	int ok = 1;

	for (size_t i = 0; i < sizeof(chunk); i++)
		chunk[i] = (unsigned char)(i * 7);
	for (seq = 0; seq < 130; seq++) {
		off = put_record(buf, 0, SBEXEC_STREAM_STDOUT, seq, chunk, sizeof(chunk));
		if (sbexec_output_feed(&o, buf, off))
			ok = 0;
		total += sizeof(chunk);
	}
	CHECK(ok && o.out.len == total && !memcmp(o.out.data + 65536, chunk, 65536),
	      "8 MiB of records are appended in order");
	sbexec_output_free(&o);
}

/*
 * A fake mapped ring in ordinary memory: @size data bytes followed by
 * their copy, as the module maps them, and the two control pages.
 */
struct fake_ring {
	struct sbexec_ring_consumer cons;
	struct sbexec_ring_producer prod;
	unsigned char data[2 * 4096];
	struct sbexec_ring_map m;
};

static void fake_ring_init(struct fake_ring *f)
{
	memset(f, 0, sizeof(*f));
	f->prod.size = 4096;
	f->m.fd = -1;
	f->m.ring_size = 4096;
	f->m.consumer = &f->cons;
	f->m.producer = &f->prod;
	f->m.data = f->data;
}

/* Produce one record at producer.pos, wrapping, and mirror the data. */
static void fake_ring_put(struct fake_ring *f, uint16_t stream, uint64_t seq,
			  const void *payload, uint32_t len)
{
	unsigned char rec[4096];
	size_t size = put_record(rec, 0, stream, seq, payload, len);

	for (size_t i = 0; i < size; i++)
		f->data[(f->prod.pos + i) & 4095] = rec[i];
	memcpy(f->data + 4096, f->data, 4096);
	f->prod.pos += size;
}

static void test_ring_iter(void)
{
	static struct fake_ring f;
	const struct sbexec_record *rec;
	unsigned char big[1000];
	const void *payload;
	uint64_t seq = 0;
	int ret, ok = 1;

	fake_ring_init(&f);
	CHECK(sbexec_ring_next(&f.m, &rec, &payload) == 0, "empty ring: no record");

	/* Three records of about 1000 bytes a round, some straddling the end. */
	memset(big, 'b', sizeof(big));
	for (int round = 0; round < 7; round++) {
		for (int i = 0; i < 3; i++)
			fake_ring_put(&f, SBEXEC_STREAM_STDOUT, seq + i, big,
				      (uint32_t)(sizeof(big) - round - i));
		for (int i = 0; i < 3; i++) {
			ret = sbexec_ring_next(&f.m, &rec, &payload);
			if (ret != 1 || rec->seq != seq ||
			    rec->len != sizeof(big) - round - i ||
			    memcmp(payload, big, rec->len))
				ok = 0;
			seq++;
		}
		if (sbexec_ring_next(&f.m, &rec, &payload) != 0)
			ok = 0;
		/* What release would store; the ioctl is not for the host. */
		f.cons.pos = f.m.pos;
		f.m.released = f.m.pos;
	}
	CHECK(ok && f.m.pos == f.prod.pos && f.prod.pos > 4 * 4096,
	      "records are walked in place across %d wraps",
	      (int)(f.prod.pos / 4096));

	/* With nothing pending, the consumer page's position is taken. */
	fake_ring_put(&f, SBEXEC_STREAM_STDERR, seq, "ab", 2);
	fake_ring_put(&f, SBEXEC_STREAM_STDOUT, seq + 1, "cd", 2);
	f.cons.pos += sbexec_record_size(2);	/* as after a read() */
	ret = sbexec_ring_next(&f.m, &rec, &payload);
	CHECK(ret == 1 && rec->seq == seq + 1 && !memcmp(payload, "cd", 2),
	      "an idle map follows the consumer page (read() mixed in)");

	CHECK(sbexec_ring_release(&f.m) == -EBADF && f.m.released != f.m.pos &&
	      f.cons.pos == f.m.pos,
	      "release stores consumer.pos, then reports the ioctl's error");
	f.m.released = f.m.pos;
	CHECK(sbexec_ring_release(&f.m) == 0, "release with nothing new is a no-op");

	f.prod.pos += 4;
	CHECK(sbexec_ring_next(&f.m, &rec, &payload) == -EBADMSG,
	      "a misaligned producer position is refused");
	f.prod.pos = f.m.pos + 4096 + 8;
	CHECK(sbexec_ring_next(&f.m, &rec, &payload) == -EBADMSG,
	      "a producer more than a ring ahead is refused");
	f.prod.pos = f.m.pos - 8;
	CHECK(sbexec_ring_next(&f.m, &rec, &payload) == -EBADMSG,
	      "a producer behind the consumer is refused");
	f.prod.pos = f.m.pos;
	fake_ring_put(&f, SBEXEC_STREAM_STDOUT, seq + 2, big, 100);
	f.prod.pos -= 8;
	CHECK(sbexec_ring_next(&f.m, &rec, &payload) == -EBADMSG,
	      "a record reaching past producer.pos is refused");
	f.prod.pos += 8;
	f.data[(f.m.pos & 4095) + 4] = 7;	/* stream */
	f.data[(f.m.pos & 4095) + 4096 + 4] = 7;
	CHECK(sbexec_ring_next(&f.m, &rec, &payload) == -EBADMSG &&
	      f.m.pos == f.prod.pos - sbexec_record_size(100),
	      "an unknown stream is refused and nothing is consumed");
}

static void test_names(void)
{
	CHECK(!strcmp(sbexec_fail_kind_name(SBEXEC_FAIL_NOT_FOUND), "NotFound") &&
	      !strcmp(sbexec_fail_kind_name(SBEXEC_FAIL_USER_SETUP), "UserSetupFailed") &&
	      !strcmp(sbexec_fail_kind_name(SBEXEC_FAIL_HELPER_UNAVAILABLE),
		      "HelperUnavailable") &&
	      !strcmp(sbexec_fail_kind_name(999), "Unknown"), "fail kind names");
	CHECK(!strcmp(sbexec_stage_name(SBEXEC_STAGE_ADMISSION), "admission") &&
	      !strcmp(sbexec_stage_name(SBEXEC_STAGE_EXEC), "exec") &&
	      !strcmp(sbexec_stage_name(SBEXEC_STAGE_PRIVILEGES), "privileges"),
	      "stage names");
}

static void test_open_without_module(void)
{
	struct sbexec *h = NULL;
	int err = sbexec_open(&h);

	CHECK(err == -ENOENT && !h &&
	      !strcmp(sbexec_open_error(err),
		      "sbexec module not loaded (no generic netlink family 'sbexec')"),
	      "open without the module: -ENOENT, clear message (got %d)", err);
	sbexec_close(h);
}

/* A handle on the "nlctrl" family, to drive sbx_request() on any kernel. */
static struct sbexec *ctrl_handle(void)
{
	struct sbexec *h = calloc(1, sizeof(*h));
	int one = 1;

	h->sk = nl_socket_alloc();
	if (genl_connect(h->sk) < 0) {
		nl_socket_free(h->sk);
		free(h);
		return NULL;
	}
	setsockopt(nl_socket_get_fd(h->sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl_socket_get_fd(h->sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	h->family = GENL_ID_CTRL;
	return h;
}

static int count_reply(struct nlattr **tb, void *arg)
{
	(void)tb;
	(*(int *)arg)++;
	return 0;
}

/* nlctrl's attributes are not sbexec's: no policy. */
static const struct sbx_reply count_replies = { .fn = count_reply };

static void test_ctrl_requests(void)
{
	struct sbexec *h = ctrl_handle();
	struct nl_msg *msg;
	int replies = 0, err;
	uint8_t byte = 1;

	if (!h) {
		CHECK(0, "cannot open a generic netlink socket");
		return;
	}
	/* A valid request: one reply, then the ack. */
	msg = sbx_msg_new(h, CTRL_CMD_GETFAMILY, 64, false);
	nla_put_string(msg, CTRL_ATTR_FAMILY_NAME, "nlctrl");
	err = sbx_request(h, msg, &count_replies, &replies);
	CHECK(err == 0 && replies == 1, "request with reply and ack (err %d, %d replies)",
	      err, replies);

	/* An attribute too short for its policy: -EINVAL, message, offset. */
	sbx_clear_error(h);
	msg = sbx_msg_new(h, CTRL_CMD_GETFAMILY, 64, false);
	nla_put(msg, CTRL_ATTR_FAMILY_ID, 1, &byte);
	err = sbx_request(h, msg, NULL, NULL);
	CHECK(err < 0 && sbexec_last_extack(h) && sbexec_last_bad_attr(h),
	      "policy violation: err %d, extack \"%s\", attribute %s", err,
	      sbexec_last_extack(h) ? sbexec_last_extack(h) : "(none)",
	      sbexec_last_bad_attr(h) ? sbexec_last_bad_attr(h) : "(none)");
	CHECK(strstr(sbexec_strerror_last(h), sbexec_last_extack(h) ?
		     sbexec_last_extack(h) : "\001") != NULL,
	      "strerror_last carries the extack: \"%s\"", sbexec_strerror_last(h));

	/* The socket is still in step: the next request works. */
	replies = 0;
	sbx_clear_error(h);
	msg = sbx_msg_new(h, CTRL_CMD_GETFAMILY, 64, false);
	nla_put_string(msg, CTRL_ATTR_FAMILY_NAME, "nlctrl");
	err = sbx_request(h, msg, &count_replies, &replies);
	CHECK(err == 0 && replies == 1 && sbexec_strerror_last(h)[0] == '\0',
	      "next request after an error");

	/* An unknown family: a plain error ack. */
	msg = sbx_msg_new(h, CTRL_CMD_GETFAMILY, 64, false);
	nla_put_string(msg, CTRL_ATTR_FAMILY_NAME, "sbexec-nosuch");
	err = sbx_request(h, msg, NULL, NULL);
	CHECK(err == -ENOENT && sbexec_strerror_last(h)[0],
	      "error ack: %d \"%s\"", err, sbexec_strerror_last(h));

	/* A dump: several replies, then NLMSG_DONE. */
	replies = 0;
	sbx_clear_error(h);
	msg = sbx_msg_new(h, CTRL_CMD_GETFAMILY, 0, true);
	err = sbx_request(h, msg, &count_replies, &replies);
	CHECK(err == 0 && replies >= 1, "dump: err %d, %d families", err, replies);

	sbexec_close(h);
}

int main(void)
{
	printf("TAP version 13\n");
	test_records();
	test_big_output();
	test_ring_iter();
	test_names();
	test_open_without_module();
	test_ctrl_requests();
	printf("1..%d\n", n_checks);
	return n_failed ? 1 : 0;
}
