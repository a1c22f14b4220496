/* SPDX-License-Identifier: GPL-2.0 */
/*
 * attr.h - a small, bounds-checked netlink attribute reader and writer.
 *
 * The upcall messages on /dev/sbexec carry struct nlattr TLVs (4-byte
 * aligned, NLA_ALIGN). This reader never trusts a length: every attribute
 * must fit in what is left of its container, and a container must be used
 * up exactly (only the alignment padding of its last attribute may be
 * missing). The writer works on a caller-supplied fixed buffer and fails
 * with -EMSGSIZE instead of overrunning it.
 */
#ifndef SBEXEC_HELPER_ATTR_H
#define SBEXEC_HELPER_ATTR_H

#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>

/* Iterator over the attributes of one container (message body or nest). */
struct attr_iter {
	const unsigned char *pos;
	size_t rem;
};

void attr_iter_init(struct attr_iter *it, const void *data, size_t len);
/* Start iterating over the payload of a nested attribute. */
void attr_iter_nested(struct attr_iter *it, const struct nlattr *nest);
/*
 * Next attribute: 1 and *out set, 0 at the clean end, -EINVAL when the
 * container is malformed (truncated header, length below the header size
 * or beyond the container, stray trailing bytes).
 */
int attr_next(struct attr_iter *it, const struct nlattr **out);

/* Type without the NLA_F_NESTED / NLA_F_NET_BYTEORDER flag bits. */
static inline uint16_t attr_type(const struct nlattr *a)
{
	return a->nla_type & NLA_TYPE_MASK;
}

static inline size_t attr_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

static inline const void *attr_data(const struct nlattr *a)
{
	return (const unsigned char *)a + NLA_HDRLEN;
}

/* Fixed-size getters: -EINVAL unless the payload has exactly that size. */
int attr_get_u16(const struct nlattr *a, uint16_t *v);
int attr_get_u32(const struct nlattr *a, uint32_t *v);
int attr_get_u64(const struct nlattr *a, uint64_t *v);
/*
 * String getter: the payload must be a NUL-terminated string with no
 * embedded NUL and at most max_len bytes before the NUL; -EINVAL or
 * -E2BIG (too long) otherwise. *s points into the message.
 */
int attr_get_str(const struct nlattr *a, size_t max_len, const char **s);
/* Flag attribute: zero-length payload. */
int attr_get_flag(const struct nlattr *a);

/* Writer over a fixed buffer; len is the bytes used so far. */
struct attr_buf {
	unsigned char *data;
	size_t len;
	size_t cap;
};

void attr_buf_init(struct attr_buf *b, void *data, size_t cap);
/* Reserve n zeroed bytes (e.g. a message header); -EMSGSIZE if no room. */
int attr_buf_reserve(struct attr_buf *b, size_t n, void **out);
int attr_put(struct attr_buf *b, uint16_t type, const void *data, size_t len);
int attr_put_u16(struct attr_buf *b, uint16_t type, uint16_t v);
int attr_put_u32(struct attr_buf *b, uint16_t type, uint32_t v);
int attr_put_u64(struct attr_buf *b, uint16_t type, uint64_t v);
int attr_put_str(struct attr_buf *b, uint16_t type, const char *s);
int attr_put_flag(struct attr_buf *b, uint16_t type);
/*
 * Nests: attr_nest_start() returns the nest's offset (>= 0) or -EMSGSIZE;
 * attr_nest_end() fixes up its length (sets NLA_F_NESTED).
 */
long attr_nest_start(struct attr_buf *b, uint16_t type);
int attr_nest_end(struct attr_buf *b, long start);

#endif /* SBEXEC_HELPER_ATTR_H */
