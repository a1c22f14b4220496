// SPDX-License-Identifier: GPL-2.0
/*
 * attr.c - bounds-checked netlink attribute parsing and encoding.
 */
#include <errno.h>
#include <string.h>

#include "attr.h"

void attr_iter_init(struct attr_iter *it, const void *data, size_t len)
{
	it->pos = data;
	it->rem = data ? len : 0;
}

void attr_iter_nested(struct attr_iter *it, const struct nlattr *nest)
{
	attr_iter_init(it, attr_data(nest), attr_len(nest));
}

int attr_next(struct attr_iter *it, const struct nlattr **out)
{
	struct nlattr hdr;
	size_t step;

	if (it->rem == 0)
		return 0;
	if (it->rem < NLA_HDRLEN)
		return -EINVAL;
	memcpy(&hdr, it->pos, sizeof(hdr));
	if (hdr.nla_len < NLA_HDRLEN || hdr.nla_len > it->rem)
		return -EINVAL;
	*out = (const struct nlattr *)it->pos;
	/* The last attribute's padding may be cut off by the container. */
	step = NLA_ALIGN((size_t)hdr.nla_len);
	if (step > it->rem)
		step = it->rem;
	it->pos += step;
	it->rem -= step;
	return 1;
}

static int attr_get_exact(const struct nlattr *a, void *v, size_t n)
{
	if (attr_len(a) != n)
		return -EINVAL;
	memcpy(v, attr_data(a), n);
	return 0;
}

int attr_get_u16(const struct nlattr *a, uint16_t *v)
{
	return attr_get_exact(a, v, sizeof(*v));
}

int attr_get_u32(const struct nlattr *a, uint32_t *v)
{
	return attr_get_exact(a, v, sizeof(*v));
}

int attr_get_u64(const struct nlattr *a, uint64_t *v)
{
	return attr_get_exact(a, v, sizeof(*v));
}

int attr_get_str(const struct nlattr *a, size_t max_len, const char **s)
{
	const char *p = attr_data(a);
	size_t n = attr_len(a);

	if (n == 0 || p[n - 1] != '\0')
		return -EINVAL;
	if (memchr(p, '\0', n - 1))
		return -EINVAL;
	if (n - 1 > max_len)
		return -E2BIG;
	*s = p;
	return 0;
}

int attr_get_flag(const struct nlattr *a)
{
	return attr_len(a) == 0 ? 0 : -EINVAL;
}

void attr_buf_init(struct attr_buf *b, void *data, size_t cap)
{
	b->data = data;
	b->len = 0;
	b->cap = cap;
}

int attr_buf_reserve(struct attr_buf *b, size_t n, void **out)
{
	if (n > b->cap - b->len)
		return -EMSGSIZE;
	memset(b->data + b->len, 0, n);
	if (out)
		*out = b->data + b->len;
	b->len += n;
	return 0;
}

int attr_put(struct attr_buf *b, uint16_t type, const void *data, size_t len)
{
	struct nlattr hdr;
	size_t total;
	void *p;

	if (len > UINT16_MAX - NLA_HDRLEN)
		return -EMSGSIZE;
	total = NLA_ALIGN(NLA_HDRLEN + len);
	if (attr_buf_reserve(b, total, &p))
		return -EMSGSIZE;
	hdr.nla_len = (uint16_t)(NLA_HDRLEN + len);
	hdr.nla_type = type;
	memcpy(p, &hdr, sizeof(hdr));
	if (len)
		memcpy((unsigned char *)p + NLA_HDRLEN, data, len);
	return 0;
}

int attr_put_u16(struct attr_buf *b, uint16_t type, uint16_t v)
{
	return attr_put(b, type, &v, sizeof(v));
}

int attr_put_u32(struct attr_buf *b, uint16_t type, uint32_t v)
{
	return attr_put(b, type, &v, sizeof(v));
}

int attr_put_u64(struct attr_buf *b, uint16_t type, uint64_t v)
{
	return attr_put(b, type, &v, sizeof(v));
}

int attr_put_str(struct attr_buf *b, uint16_t type, const char *s)
{
	return attr_put(b, type, s, strlen(s) + 1);
}

int attr_put_flag(struct attr_buf *b, uint16_t type)
{
	return attr_put(b, type, NULL, 0);
}

long attr_nest_start(struct attr_buf *b, uint16_t type)
{
	long start = (long)b->len;

	if (attr_put(b, type | NLA_F_NESTED, NULL, 0))
		return -EMSGSIZE;
	return start;
}

int attr_nest_end(struct attr_buf *b, long start)
{
	struct nlattr hdr;
	size_t len = b->len - (size_t)start;

	if (start < 0 || len > UINT16_MAX)
		return -EMSGSIZE;
	memcpy(&hdr, b->data + start, sizeof(hdr));
	hdr.nla_len = (uint16_t)len;
	memcpy(b->data + start, &hdr, sizeof(hdr));
	return 0;
}
