// SPDX-License-Identifier: GPL-2.0
/*
 * sbexec output ring.
 *
 * Records are a struct sbexec_record header followed by the payload and
 * padding to SBEXEC_RECORD_ALIGN. The data pages are vmap()ed twice in a
 * row, so a record that starts near the end of the ring is still
 * contiguous in the kernel mapping and can be filled by one kernel_read()
 * and copied out by one copy_to_user().
 */

#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "sbexec.h"

#define SBEXEC_REC_HDR	sizeof(struct sbexec_record)

static u64 sbexec_rec_total(u32 len)
{
	return ALIGN((u64)SBEXEC_REC_HDR + len, SBEXEC_RECORD_ALIGN);
}

/**
 * sbexec_ring_init - allocate a ring
 * @r: ring to set up
 * @size: requested data size in bytes, rounded up to a power of two pages
 *
 * Return: 0 or -ENOMEM.
 */
int sbexec_ring_init(struct sbexec_ring *r, size_t size)
{
	struct page **map;
	unsigned int i, nr;

	nr = roundup_pow_of_two(DIV_ROUND_UP(max_t(size_t, size, PAGE_SIZE),
					     PAGE_SIZE));
	r->pages = kcalloc(nr, sizeof(*r->pages), GFP_KERNEL);
	if (!r->pages)
		return -ENOMEM;
	map = kcalloc(2 * nr, sizeof(*map), GFP_KERNEL);
	if (!map)
		goto err_free_array;

	for (i = 0; i < nr; i++) {
		r->pages[i] = alloc_page(GFP_KERNEL | __GFP_ACCOUNT);
		if (!r->pages[i])
			goto err_free_pages;
		map[i] = r->pages[i];
		map[nr + i] = r->pages[i];
	}
	r->nr_pages = nr;
	r->data = vmap(map, 2 * nr, VM_MAP, PAGE_KERNEL);
	if (!r->data)
		goto err_free_pages;
	kfree(map);

	r->size = (u64)nr << PAGE_SHIFT;
	r->prod = 0;
	r->cons = 0;
	r->seq = 0;
	return 0;

err_free_pages:
	while (i--)
		__free_page(r->pages[i]);
	kfree(map);
err_free_array:
	kfree(r->pages);
	r->pages = NULL;
	return -ENOMEM;
}

/**
 * sbexec_ring_destroy - free a ring set up by sbexec_ring_init()
 * @r: the ring; may be one whose init failed or never ran
 */
void sbexec_ring_destroy(struct sbexec_ring *r)
{
	unsigned int i;

	if (!r->pages)
		return;
	vunmap(r->data);
	for (i = 0; i < r->nr_pages; i++)
		__free_page(r->pages[i]);
	kfree(r->pages);
	r->pages = NULL;
}

/**
 * sbexec_ring_reserve - find room for the next record (producer only)
 * @r: the ring
 * @room: set to the largest payload that fits now
 *
 * Return: where the payload of the next record goes, or NULL when the ring
 * cannot take a record with at least one payload byte.
 */
void *sbexec_ring_reserve(struct sbexec_ring *r, size_t *room)
{
	/* Pairs with smp_store_release() in sbexec_ring_read_user(). */
	u64 cons = smp_load_acquire(&r->cons);
	u64 free = r->size - (r->prod - cons);

	if (free < SBEXEC_REC_HDR + SBEXEC_RECORD_ALIGN)
		return NULL;
	*room = free - SBEXEC_REC_HDR;
	return r->data + ((r->prod + SBEXEC_REC_HDR) & (r->size - 1));
}

/**
 * sbexec_ring_commit - publish the record whose payload was just written
 * @r: the ring
 * @stream: enum sbexec_stream
 * @len: payload length, at most the room sbexec_ring_reserve() gave
 */
void sbexec_ring_commit(struct sbexec_ring *r, u16 stream, u32 len)
{
	struct sbexec_record *hdr = r->data + (r->prod & (r->size - 1));

	hdr->len = len;
	hdr->stream = stream;
	hdr->flags = 0;
	hdr->seq = r->seq++;
	/* Pairs with smp_load_acquire() in sbexec_ring_read_user(). */
	smp_store_release(&r->prod, r->prod + sbexec_rec_total(len));
}

/**
 * sbexec_ring_empty - whether every committed record has been consumed
 * @r: the ring
 *
 * Return: true if there is nothing to read.
 */
bool sbexec_ring_empty(struct sbexec_ring *r)
{
	/* Pairs with smp_store_release() in sbexec_ring_commit(). */
	return smp_load_acquire(&r->prod) == READ_ONCE(r->cons);
}

/**
 * sbexec_ring_read_user - copy whole records to userspace (consumer only)
 * @r: the ring
 * @buf: user buffer
 * @count: its size
 *
 * The caller serialises consumers. Only positions the module itself
 * computed are used; nothing here is read back from userspace.
 *
 * Return: bytes copied, 0 if the ring is empty, -EMSGSIZE if the next
 * record does not fit in @count, -EFAULT.
 */
ssize_t sbexec_ring_read_user(struct sbexec_ring *r, char __user *buf,
			      size_t count)
{
	/* Pairs with smp_store_release() in sbexec_ring_commit(). */
	u64 prod = smp_load_acquire(&r->prod);
	u64 cons = r->cons;
	u64 pos = cons;
	size_t total;

	while (pos < prod) {
		const struct sbexec_record *hdr =
			r->data + (pos & (r->size - 1));
		u64 rec = sbexec_rec_total(hdr->len);

		if (WARN_ON_ONCE(rec > prod - pos))
			return -EIO;
		if (pos - cons + rec > count)
			break;
		pos += rec;
	}
	if (pos == cons)
		return prod == cons ? 0 : -EMSGSIZE;

	total = pos - cons;
	if (copy_to_user(buf, r->data + (cons & (r->size - 1)), total))
		return -EFAULT;
	/* Pairs with smp_load_acquire() in sbexec_ring_reserve(). */
	smp_store_release(&r->cons, pos);
	return total;
}
