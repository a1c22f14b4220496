// SPDX-License-Identifier: GPL-2.0
/*
 * What the helper_*_test programs share (helper_units.h declares it).
 */

#include "helper_units.h"

/* Read @fd to EOF (or EIO, as a pty master gives) into @buf. */
size_t read_all(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len + 1 < size) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return len;
}

int wait_exit_code(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* A uid and a gid that have no passwd/group entry. */
uid_t unknown_uid(void)
{
	uid_t uid = 4000001;

	while (getpwuid(uid))
		uid++;
	return uid;
}

void msg_init(struct msg *m)
{
	attr_buf_init(&m->b, m->buf, sizeof(m->buf));
}

int decode_reply(const void *buf, size_t len, struct decoded_reply *d)
{
	const struct nlattr *a, *x;
	struct attr_iter it, in;
	const char *s;

	memset(d, 0, sizeof(*d));
	if (len < sizeof(d->hdr))
		return -1;
	memcpy(&d->hdr, buf, sizeof(d->hdr));
	if (d->hdr.len != len)
		return -1;
	attr_iter_init(&it, (const unsigned char *)buf + sizeof(d->hdr),
		       len - sizeof(d->hdr));
	while (attr_next(&it, &a) > 0) {
		switch (attr_type(a)) {
		case SBEXEC_UA_PID:
			d->has_pid = !attr_get_u32(a, &d->pid);
			break;
		case SBEXEC_UA_STDIN_FD:
			d->has_pipes = !attr_get_u32(a, &d->in);
			break;
		case SBEXEC_UA_STDOUT_FD:
			attr_get_u32(a, &d->out);
			break;
		case SBEXEC_UA_STDERR_FD:
			attr_get_u32(a, &d->err);
			break;
		case SBEXEC_UA_PTY_FD:
			d->has_pty = !attr_get_u32(a, &d->pty);
			break;
		case SBEXEC_UA_FAILURE:
			if (!(a->nla_type & NLA_F_NESTED))
				return -1;
			d->has_failure = true;
			attr_iter_nested(&in, a);
			while (attr_next(&in, &x) > 0) {
				switch (attr_type(x)) {
				case SBEXEC_FAILURE_A_KIND:
					attr_get_u32(x, &d->kind);
					break;
				case SBEXEC_FAILURE_A_ERRNO:
					attr_get_u32(x, &d->errnum);
					break;
				case SBEXEC_FAILURE_A_STAGE:
					attr_get_u32(x, &d->stage);
					break;
				case SBEXEC_FAILURE_A_ERRNO_NAME:
					if (attr_get_str(x, 63, &s))
						return -1;
					strcpy(d->name, s);
					d->has_name = true;
					break;
				case SBEXEC_FAILURE_A_MESSAGE:
					if (attr_get_str(x,
							 SBEXEC_MAX_MESSAGE_LEN,
							 &s))
						return -1;
					strcpy(d->message, s);
					break;
				}
			}
			break;
		default:
			return -1;
		}
	}
	return 0;
}
