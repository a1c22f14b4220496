// SPDX-License-Identifier: GPL-2.0
/*
 * upcall.c - decode a spawn upcall, run it, encode the reply.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "attr.h"
#include "upcall.h"

static int encode_hdr(struct attr_buf *b, void *buf, size_t cap)
{
	attr_buf_init(b, buf, cap);
	return attr_buf_reserve(b, sizeof(struct sbexec_upcall_hdr), NULL);
}

static void finish_hdr_type(struct attr_buf *b, uint16_t type, uint64_t id,
			    size_t *len)
{
	struct sbexec_upcall_hdr hdr = {
		.len = (uint32_t)b->len,
		.type = type,
		.flags = 0,
		.id = id,
	};

	memcpy(b->data, &hdr, sizeof(hdr));
	*len = b->len;
}

static void finish_hdr(struct attr_buf *b, uint64_t id, size_t *len)
{
	finish_hdr_type(b, SBEXEC_UP_SPAWNED, id, len);
}

int upcall_encode_forked(void *buf, size_t cap, uint64_t id, pid_t pid,
			 size_t *len)
{
	struct attr_buf b;
	int rc;

	rc = encode_hdr(&b, buf, cap);
	if (!rc)
		rc = attr_put_u32(&b, SBEXEC_UA_PID, (uint32_t)pid);
	if (rc)
		return rc;
	finish_hdr_type(&b, SBEXEC_UP_FORKED, id, len);
	return 0;
}

struct forked_ctx {
	int devfd;
	uint64_t id;
};

/* spawn_hook: tell the module which child is this request's. */
static int send_forked(void *arg, pid_t pid)
{
	const struct forked_ctx *c = arg;
	unsigned char buf[64];
	size_t len;
	ssize_t n;
	int rc;

	rc = upcall_encode_forked(buf, sizeof(buf), c->id, pid, &len);
	if (rc)
		return rc;
	do {
		n = write(c->devfd, buf, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/* spawn_hook: the module's output file for @stream of this request. */
static int get_output_fd(void *arg, unsigned int stream)
{
	const struct forked_ctx *c = arg;
	struct sbexec_output_fd req = { .id = c->id, .stream = stream };
	int fd;

	fd = ioctl(c->devfd, SBEXEC_IOC_OUTPUT_FD, &req);
	return fd < 0 ? -errno : fd;
}

int upcall_encode_spawned(void *buf, size_t cap, uint64_t id,
			  const struct spawn_result *res, size_t *len)
{
	struct attr_buf b;
	int rc;

	rc = encode_hdr(&b, buf, cap);
	if (!rc)
		rc = attr_put_u32(&b, SBEXEC_UA_PID, (uint32_t)res->pid);
	if (!rc && res->pty_fd >= 0) {
		rc = attr_put_u32(&b, SBEXEC_UA_PTY_FD, (uint32_t)res->pty_fd);
	} else if (!rc) {
		rc = attr_put_u32(&b, SBEXEC_UA_STDIN_FD,
				  (uint32_t)res->stdin_fd);
		/* None with the module's output files (direct output). */
		if (!rc && res->stdout_fd >= 0)
			rc = attr_put_u32(&b, SBEXEC_UA_STDOUT_FD,
					  (uint32_t)res->stdout_fd);
		if (!rc && res->stderr_fd >= 0)
			rc = attr_put_u32(&b, SBEXEC_UA_STDERR_FD,
					  (uint32_t)res->stderr_fd);
	}
	if (rc)
		return rc;
	finish_hdr(&b, id, len);
	return 0;
}

int upcall_encode_failure(void *buf, size_t cap, uint64_t id,
			  const struct spawn_failure *f, size_t *len)
{
	const char *name = errno_name(f->err);
	char msg[SBEXEC_MAX_MESSAGE_LEN + 1];
	struct attr_buf b;
	long nest;
	int rc;

	/* The struct's buffer is always terminated; copy to be sure. */
	memcpy(msg, f->message, sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	rc = encode_hdr(&b, buf, cap);
	if (rc)
		return rc;
	nest = attr_nest_start(&b, SBEXEC_UA_FAILURE);
	if (nest < 0)
		return (int)nest;
	rc = attr_put_u32(&b, SBEXEC_FAILURE_A_KIND, f->kind);
	if (!rc)
		rc = attr_put_u32(&b, SBEXEC_FAILURE_A_ERRNO,
				  (uint32_t)(f->err > 0 ? f->err : 0));
	if (!rc && name)
		rc = attr_put_str(&b, SBEXEC_FAILURE_A_ERRNO_NAME, name);
	if (!rc)
		rc = attr_put_str(&b, SBEXEC_FAILURE_A_MESSAGE, msg);
	if (!rc)
		rc = attr_put_u32(&b, SBEXEC_FAILURE_A_STAGE, f->stage);
	if (!rc)
		rc = attr_nest_end(&b, nest);
	if (rc)
		return rc;
	finish_hdr(&b, id, len);
	return 0;
}

/* A spawn whose child executes or fails while the helper goes on. */
struct upcall_inflight {
	uint64_t id;
	void *msg;			/* a copy: @req points into it */
	struct spawn_request req;
	struct spawn_pending sp;
};

static void inflight_free(struct upcall_inflight *in)
{
	spawn_request_free(&in->req);
	free(in->msg);
	free(in);
}

/*
 * Parse and start the spawn of @hdr's request. 0 with *@inflight set, or
 * -1 with out->failure filled.
 */
static int start_spawn(const struct sbexec_upcall_hdr *hdr, const void *msg,
		       const char *default_user, int devfd,
		       struct upcall_outcome *out,
		       struct upcall_inflight **inflight)
{
	struct forked_ctx ctx = { .devfd = devfd, .id = hdr->id };
	struct spawn_hook hook = { .forked = send_forked,
				   .output_fd = get_output_fd, .arg = &ctx };
	struct upcall_inflight *in;

	if (hdr->type != SBEXEC_UP_SPAWN) {
		failure_set(&out->failure, SBEXEC_STAGE_UPCALL, EINVAL,
			    "bad spawn request: unknown upcall type %u",
			    hdr->type);
		return -1;
	}
	in = calloc(1, sizeof(*in));
	if (in)
		in->msg = malloc(hdr->len);
	if (!in || !in->msg) {
		free(in);
		failure_set(&out->failure, SBEXEC_STAGE_UPCALL, ENOMEM,
			    "spawn request: %s", strerror(ENOMEM));
		return -1;
	}
	memcpy(in->msg, msg, hdr->len);
	in->id = hdr->id;
	if (spawn_request_parse(&in->req,
				(const unsigned char *)in->msg + sizeof(*hdr),
				hdr->len - sizeof(*hdr), &out->failure)) {
		free(in->msg);
		free(in);
		return -1;
	}
	if (spawn_start(&in->req, default_user, devfd >= 0 ? &hook : NULL,
			&in->sp, &out->failure)) {
		inflight_free(in);
		return -1;
	}
	*inflight = in;
	return 0;
}

/* Encode @out's reply: success if out->spawned, else its failure. */
static int encode_outcome(struct upcall_outcome *out)
{
	int rc;

	if (out->spawned) {
		rc = upcall_encode_spawned(out->reply, sizeof(out->reply),
					   out->id, &out->res,
					   &out->reply_len);
		if (rc == 0)
			return 0;
		/* Cannot happen with SBEXEC_UPCALL_MAX_REPLY; never leak the child. */
		kill(-out->res.pid, SIGKILL);
		spawn_result_close(&out->res);
		out->spawned = false;
		failure_set(&out->failure, SBEXEC_STAGE_UPCALL, -rc,
			    "reply does not fit");
	}
	rc = upcall_encode_failure(out->reply, sizeof(out->reply), out->id,
				   &out->failure, &out->reply_len);
	return rc ? -1 : 0;
}

static void outcome_init(struct upcall_outcome *out)
{
	memset(out, 0, sizeof(*out));
	out->res = (struct spawn_result){ .pid = -1, .stdin_fd = -1,
		.stdout_fd = -1, .stderr_fd = -1, .pty_fd = -1 };
}

int upcall_start(const void *msg, size_t n, const char *default_user,
		 int devfd, struct upcall_outcome *out,
		 struct upcall_inflight **inflight)
{
	struct sbexec_upcall_hdr hdr;

	*inflight = NULL;
	outcome_init(out);
	if (n < sizeof(hdr))
		return -1;
	memcpy(&hdr, msg, sizeof(hdr));
	out->id = hdr.id;
	if (hdr.len != n) {
		failure_set(&out->failure, SBEXEC_STAGE_UPCALL, EINVAL,
			    "bad spawn request: length %u, read %zu",
			    hdr.len, n);
	} else if (start_spawn(&hdr, msg, default_user, devfd, out,
			       inflight) == 0) {
		return 0;
	}
	return encode_outcome(out);
}

int upcall_inflight_fd(const struct upcall_inflight *in)
{
	return in->sp.err_fd;
}

pid_t upcall_inflight_pid(const struct upcall_inflight *in)
{
	return in->sp.pid;
}

uint64_t upcall_inflight_id(const struct upcall_inflight *in)
{
	return in->id;
}

int upcall_finish(struct upcall_inflight *in, struct upcall_outcome *out)
{
	int rc;

	outcome_init(out);
	out->id = in->id;
	out->spawned = !spawn_finish(&in->req, &in->sp, &out->res,
				     &out->failure);
	inflight_free(in);
	rc = encode_outcome(out);
	if (rc && out->spawned) {
		kill(-out->res.pid, SIGKILL);
		spawn_result_close(&out->res);
		out->spawned = false;
	}
	return rc;
}

int upcall_handle(const void *msg, size_t n, const char *default_user,
		  int devfd, struct upcall_outcome *out)
{
	struct upcall_inflight *in;
	int rc;

	rc = upcall_start(msg, n, default_user, devfd, out, &in);
	if (rc || !in)
		return rc;
	return upcall_finish(in, out);
}
