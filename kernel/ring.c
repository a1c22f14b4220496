// SPDX-License-Identifier: GPL-2.0
/*
 * sbexec output ring.
 *
 * Records are a struct sbexec_record header followed by the payload and
 * padding to SBEXEC_RECORD_ALIGN. The data pages are vmap()ed twice in a
 * row after the consumer and producer pages, so a record that starts near
 * the end of the ring is still contiguous in the kernel mapping (one
 * kernel_read() fills it, one copy_to_user() copies it out) and in a
 * reader's mmap() of the same area.
 */

#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "sbexec.h"

#define SBEXEC_REC_HDR		sizeof(struct sbexec_record)
#define SBEXEC_RING_META	2	/* consumer and producer pages */

static u64 sbexec_rec_total(u32 len)
{
	return ALIGN((u64)SBEXEC_REC_HDR + len, SBEXEC_RECORD_ALIGN);
}

/* Data pages of a ring of @size bytes: a power of two, one at least. */
static unsigned int sbexec_ring_pages(size_t size)
{
	return roundup_pow_of_two(DIV_ROUND_UP(max_t(size_t, size, PAGE_SIZE),
					       PAGE_SIZE));
}

/**
 * sbexec_ring_data_size - bytes of data a ring of a requested size gets
 * @size: requested bytes
 *
 * Return: @size rounded up to a power of two pages, in bytes.
 */
u64 sbexec_ring_data_size(size_t size)
{
	return (u64)sbexec_ring_pages(size) << PAGE_SHIFT;
}

/**
 * sbexec_ring_init - allocate a ring
 * @r: ring to set up
 * @size: requested data size in bytes, rounded up to a power of two pages
 *
 * Pages are zeroed: they are mapped into readers.
 *
 * Return: 0 or -ENOMEM.
 */
int sbexec_ring_init(struct sbexec_ring *r, size_t size)
{
	unsigned int i, nr = sbexec_ring_pages(size);
	unsigned int nr_meta_data = SBEXEC_RING_META + nr;
	struct page **map;

	r->pages = kcalloc(nr_meta_data, sizeof(*r->pages), GFP_KERNEL);
	if (!r->pages)
		return -ENOMEM;
	map = kcalloc(SBEXEC_RING_META + 2 * nr, sizeof(*map), GFP_KERNEL);
	if (!map)
		goto err_free_array;

	for (i = 0; i < nr_meta_data; i++) {
		r->pages[i] = alloc_page(GFP_KERNEL | __GFP_ACCOUNT |
					 __GFP_ZERO);
		if (!r->pages[i])
			goto err_free_pages;
		map[i] = r->pages[i];
		if (i >= SBEXEC_RING_META)
			map[nr + i] = r->pages[i];
	}
	r->nr_pages = nr;
	r->base = vmap(map, SBEXEC_RING_META + 2 * nr, VM_MAP | VM_USERMAP,
		       PAGE_KERNEL);
	if (!r->base)
		goto err_free_pages;
	kfree(map);

	r->cpage = r->base;
	r->ppage = r->base + PAGE_SIZE;
	r->data = r->base + SBEXEC_RING_META * PAGE_SIZE;
	r->size = (u64)nr << PAGE_SHIFT;
	r->ppage->size = r->size;
	r->prod = 0;
	r->cons = 0;
	r->seq = 0;
	r->cons_seq = 0;
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
	vunmap(r->base);
	for (i = 0; i < SBEXEC_RING_META + r->nr_pages; i++)
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
	/* Pairs with smp_store_release() of cons by the consumer. */
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
	u64 prod = r->prod + sbexec_rec_total(len);

	hdr->len = len;
	hdr->stream = stream;
	hdr->flags = 0;
	hdr->seq = r->seq++;
	/* Pairs with smp_load_acquire() of prod by the consumers. */
	smp_store_release(&r->prod, prod);
	/* Same for readers of the mapped producer page. */
	smp_store_release(&r->ppage->pos, prod);
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

/* Consumer only: the module's consumer position moves to @pos. */
static void sbexec_ring_set_cons(struct sbexec_ring *r, u64 pos, u64 nrec)
{
	r->cons_seq += nrec;
	WRITE_ONCE(r->cpage->pos, pos);
	/* Pairs with smp_load_acquire() in sbexec_ring_reserve(). */
	smp_store_release(&r->cons, pos);
}

/*
 * Walk whole records from the module's consumer position towards @limit
 * (at most @budget bytes of them). Only headers below the published
 * producer position are read; userspace cannot write the data pages.
 */
static u64 sbexec_ring_walk(struct sbexec_ring *r, u64 prod, u64 limit,
			    u64 budget, u64 *nrec)
{
	u64 pos = r->cons;

	*nrec = 0;
	while (pos < prod && pos < limit) {
		const struct sbexec_record *hdr =
			r->data + (pos & (r->size - 1));
		u64 rec = sbexec_rec_total(READ_ONCE(hdr->len));

		if (WARN_ON_ONCE(rec > prod - pos))
			break;
		if (pos - r->cons + rec > budget)
			break;
		pos += rec;
		(*nrec)++;
	}
	return pos;
}

/**
 * sbexec_ring_adopt_user_cons - accept a mapped reader's consumer position
 * @r: the ring (consumer side serialised by the caller)
 *
 * The position in the consumer page is the reader's claim. It is accepted
 * only if it lies between the module's position and the producer position
 * on a record boundary; otherwise the page is rewritten with the module's
 * position and nothing changes (CVE-2024-41009 came from trusting such a
 * position).
 *
 * Return: 1 if the position advanced, 0 if unchanged, -EINVAL if refused.
 */
int sbexec_ring_adopt_user_cons(struct sbexec_ring *r)
{
	u64 want = READ_ONCE(r->cpage->pos);
	/* Pairs with smp_store_release() in sbexec_ring_commit(). */
	u64 prod = smp_load_acquire(&r->prod);
	u64 pos, nrec;

	if (want == r->cons)
		return 0;
	if (want < r->cons || want > prod)
		goto refuse;
	pos = sbexec_ring_walk(r, prod, want, U64_MAX, &nrec);
	if (pos != want)
		goto refuse;
	sbexec_ring_set_cons(r, pos, nrec);
	return 1;

refuse:
	WRITE_ONCE(r->cpage->pos, r->cons);
	return -EINVAL;
}

/**
 * sbexec_ring_read_user - copy whole records to userspace (consumer only)
 * @r: the ring
 * @buf: user buffer
 * @count: its size
 *
 * The caller serialises consumers.
 *
 * Return: bytes copied, 0 if the ring is empty, -EMSGSIZE if the next
 * record does not fit in @count, -EFAULT.
 */
ssize_t sbexec_ring_read_user(struct sbexec_ring *r, char __user *buf,
			      size_t count)
{
	/* Pairs with smp_store_release() in sbexec_ring_commit(). */
	u64 prod = smp_load_acquire(&r->prod);
	u64 pos, nrec;

	pos = sbexec_ring_walk(r, prod, prod, count, &nrec);
	if (pos == r->cons)
		return prod == r->cons ? 0 : -EMSGSIZE;
	if (copy_to_user(buf, r->data + (r->cons & (r->size - 1)),
			 pos - r->cons))
		return -EFAULT;
	count = pos - r->cons;
	sbexec_ring_set_cons(r, pos, nrec);
	return count;
}

static int sbexec_ring_vm_mprotect(struct vm_area_struct *vma,
				   unsigned long start, unsigned long end,
				   unsigned long newflags)
{
	unsigned long pgoff = vma->vm_pgoff +
			      ((start - vma->vm_start) >> PAGE_SHIFT);

	/* Only the consumer page, and nothing with it, may be writable. */
	if ((newflags & VM_WRITE) && (pgoff != 0 || end - start != PAGE_SIZE))
		return -EACCES;
	return 0;
}

static const struct vm_operations_struct sbexec_ring_vm_ops = {
	.mprotect = sbexec_ring_vm_mprotect,
};

/**
 * sbexec_ring_mmap - map (part of) the ring into a reader
 * @r: the ring
 * @vma: the mapping; its page offset selects the part
 *
 * Return: 0, -EPERM for a writable mapping of anything but the consumer
 * page, -EINVAL for a range outside the ring.
 */
int sbexec_ring_mmap(struct sbexec_ring *r, struct vm_area_struct *vma)
{
	unsigned long pages = vma_pages(vma);
	unsigned long total = SBEXEC_RING_META + 2UL * r->nr_pages;

	if ((vma->vm_flags & VM_WRITE) &&
	    (vma->vm_pgoff != 0 || pages != 1))
		return -EPERM;
	if (vma->vm_pgoff >= total || pages > total - vma->vm_pgoff)
		return -EINVAL;
	vma->vm_ops = &sbexec_ring_vm_ops;
	return remap_vmalloc_range(vma, r->base, vma->vm_pgoff);
}
