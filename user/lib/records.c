// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * records.c - the reader side: attach to a session on /dev/sbexec, read
 * whole output records, walk and collect them.
 *
 * Record layout (linux/sbexec.h): struct sbexec_record, rec.len payload
 * bytes, zero padding up to SBEXEC_RECORD_ALIGN. Sequence numbers start at
 * 0 and have no gaps; the exit record is the last one.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/sbexec_bridge.h>

#include "internal.h"

/*
 * First read buffer, and the most a single record may need. The first
 * holds a default ring's worth of records (and is above
 * SBEXEC_BRIDGE_MAX_DATA, so a remote descriptor needs no peek first).
 */
#define SBX_READ_BUF		(256 * 1024)
#define SBX_READ_BUF_MAX	(64 * 1024 * 1024)

int sbexec_attach(struct sbexec *h, uint32_t id)
{
	struct sbexec_attach info;

	return sbexec_attach_info(h, id, &info);
}

int sbexec_attach_info(struct sbexec *h, uint32_t id, struct sbexec_attach *arg)
{
	int fd, err;

	memset(arg, 0, sizeof(*arg));
	arg->session_id = id;

	if (h)
		sbx_clear_error(h);
	if (h && h->link)
		return sbx_link_attach(h, id, arg);
	fd = open(SBEXEC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		return sbx_fail(h, err, "cannot open %s: %s", SBEXEC_DEVICE_PATH,
				strerror(-err));
	}
	if (ioctl(fd, SBEXEC_IOC_ATTACH, arg) < 0) {
		err = -errno;
		close(fd);
		return sbx_fail(h, err, "cannot attach to session %u: %s", id,
				strerror(-err));
	}
	return fd;
}

/*
 * A remote reader (the socket pair of sbx_link_attach()) has packets of up
 * to SBEXEC_BRIDGE_MAX_DATA bytes, which a smaller buffer would truncate:
 * for such a buffer the packet's length is looked at first, so both kinds
 * of descriptor say -EMSGSIZE alike. A buffer that large needs no look.
 */
static ssize_t sbx_read_small(int fd, void *buf, size_t len)
{
	ssize_t n = recv(fd, buf, len, MSG_PEEK | MSG_TRUNC);

	if (n < 0 && errno == ENOTSOCK)
		return read(fd, buf, len);
	if (n > 0 && (size_t)n > len) {
		errno = EMSGSIZE;
		return -1;
	}
	if (n <= 0)
		return n;
	return recv(fd, buf, len, 0);
}

ssize_t sbexec_read_records(int fd, void *buf, size_t len)
{
	ssize_t n;

	do {
		if (len < SBEXEC_BRIDGE_MAX_DATA)
			n = sbx_read_small(fd, buf, len);
		else
			n = read(fd, buf, len);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

void sbexec_record_iter_init(struct sbexec_record_iter *it, const void *buf,
			     size_t len)
{
	it->pos = buf;
	it->end = it->pos + len;
}

int sbexec_record_next(struct sbexec_record_iter *it,
		       const struct sbexec_record **rec, const void **payload)
{
	struct sbexec_record hdr;
	size_t left = (size_t)(it->end - it->pos);
	size_t size;

	if (!left)
		return 0;
	if (left < sizeof(hdr))
		return -EBADMSG;
	memcpy(&hdr, it->pos, sizeof(hdr));
	if (hdr.len > left - sizeof(hdr))
		return -EBADMSG;
	size = sbexec_record_size(hdr.len);
	if (size > left)
		return -EBADMSG;
	switch (hdr.stream) {
	case SBEXEC_STREAM_STDOUT:
	case SBEXEC_STREAM_STDERR:
		break;
	case SBEXEC_STREAM_EXIT:
		if (hdr.len < SBEXEC_EXIT_INFO_MIN)
			return -EBADMSG;
		break;
	default:
		return -EBADMSG;
	}
	*rec = (const struct sbexec_record *)it->pos;
	*payload = it->pos + sizeof(hdr);
	it->pos += size;
	return 1;
}

int sbx_buf_append(struct sbexec_buf *b, const void *data, size_t len)
{
	if (b->cap - b->len <= len || !b->data) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap - b->len <= len) {
			if (cap > SIZE_MAX / 2)
				return -ENOMEM;
			cap *= 2;
		}
		p = realloc(b->data, cap);
		if (!p)
			return -ENOMEM;
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int sbexec_output_feed(struct sbexec_output *o, const void *buf, size_t len)
{
	struct sbexec_record_iter it;
	const struct sbexec_record *rec;
	const void *payload;
	int ret;

	sbexec_record_iter_init(&it, buf, len);
	while ((ret = sbexec_record_next(&it, &rec, &payload)) > 0) {
		if (o->have_exit || rec->seq != o->next_seq)
			return -EPROTO;
		o->next_seq++;
		o->records++;
		switch (rec->stream) {
		case SBEXEC_STREAM_STDOUT:
			ret = sbx_buf_append(&o->out, payload, rec->len);
			break;
		case SBEXEC_STREAM_STDERR:
			ret = sbx_buf_append(&o->err, payload, rec->len);
			break;
		default:
			sbexec_exit_info_copy(&o->exit, payload, rec->len);
			o->have_exit = true;
			ret = 0;
			break;
		}
		if (ret < 0)
			return ret;
	}
	return ret;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sbexec_collect(int fd, struct sbexec_output *o, int timeout_ms)
{
	int64_t deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : 0;
	size_t cap = SBX_READ_BUF;
	char *buf, *p;
	ssize_t n;
	int err = 0;

	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int wait = -1;

		if (timeout_ms >= 0) {
			int64_t left = deadline - now_ms();

			if (left <= 0) {
				err = -ETIMEDOUT;
				break;
			}
			wait = left > 60000 ? 60000 : (int)left;
		}
		n = poll(&pfd, 1, wait);
		if (n < 0 && errno != EINTR) {
			err = -errno;
			break;
		}
		if (n <= 0)
			continue;

		n = sbexec_read_records(fd, buf, cap);
		if (n == -EMSGSIZE) {
			if (cap >= SBX_READ_BUF_MAX) {
				err = -EMSGSIZE;
				break;
			}
			cap *= 2;
			p = realloc(buf, cap);
			if (!p) {
				err = -ENOMEM;
				break;
			}
			buf = p;
			continue;
		}
		if (n == -EAGAIN)
			continue;
		if (n < 0) {
			err = (int)n;
			break;
		}
		if (n == 0) {
			err = o->have_exit ? 0 : -EPROTO;
			break;
		}
		err = sbexec_output_feed(o, buf, (size_t)n);
		if (err < 0)
			break;
	}
	free(buf);
	return err;
}

void sbexec_output_free(struct sbexec_output *o)
{
	free(o->out.data);
	free(o->err.data);
	memset(o, 0, sizeof(*o));
}

void sbexec_exit_info_copy(struct sbexec_exit_info *ei, const void *payload,
			   size_t len)
{
	if (len > sizeof(*ei))
		len = sizeof(*ei);
	memset(ei, 0, sizeof(*ei));
	memcpy(ei, payload, len);
}

int sbexec_exit_status(const struct sbexec_exit_info *ei)
{
	if (ei->exited)
		return (int)(ei->code & 0xff);
	return 128 + (int)ei->signal;
}

int sbexec_run_capture(struct sbexec *h, const struct sbexec_exec_req *req,
		       const void *stdin_data, size_t stdin_len, int timeout_ms,
		       struct sbexec_exec_result *res, struct sbexec_output *o)
{
	struct sbexec_attach info;
	int fd, err;

	err = sbexec_exec(h, req, res);
	if (err < 0)
		return err;
	fd = sbexec_attach_info(h, res->session_id, &info);
	if (fd < 0)
		return fd;
	o->next_seq = info.next_seq;
	err = sbexec_stdin(h, res->session_id, stdin_data, stdin_len);
	/*
	 * Best effort: a command that has already exited has no stdin left
	 * to close, and its output is still to be read.
	 */
	if (!err)
		sbexec_close_stdin(h, res->session_id);
	if (!err) {
		err = sbexec_collect(fd, o, timeout_ms);
		if (err < 0)
			sbx_fail(h, err, "reading session %u: %s", res->session_id,
				 strerror(-err));
	}
	close(fd);
	return err;
}
