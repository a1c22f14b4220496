// SPDX-License-Identifier: GPL-2.0
/*
 * sbexec output ring.
 *
 * Records are a struct sbexec_record header followed by the payload and
 * padding to SBEXEC_RECORD_ALIGN. The data pages are vmap()ed twice in a
 * row, so a record that starts near the end of the ring is still
 * contiguous in the kernel's view (one kernel_read() fills it, one
 * copy_to_user() copies it out); a reader's mmap() shows the same layout
 * after the consumer and producer pages, which the kernel reaches through
 * their direct-map addresses.
 *
 * A ring is paid for as it fills. At creation it gets its two meta pages
 * only, and no kernel view; every data page is allocated the first time
 * the producer needs it (or a mapped reader touches it, see
 * sbexec_ring_vm_fault()). Slots without a page are mapped in the kernel
 * view to the producer page as a filler, which nothing reads or writes
 * through that view: the producer only writes where sbexec_ring_reserve()
 * found pages, the consumers only read below the producer position. When
 * the producer needs a slot that has a page but is not in the kernel view
 * yet, it builds a new view of every page there is, swaps it in under
 * map_lock and unmaps the old one. Pages are wanted in growing steps (at
 * least one, then as many as the ring has, up to what the largest read can
 * fill), so a ring that fills is remapped about log2(its pages) times plus
 * once per SBEXEC_READ_CHUNK of it. A data page, once there, stays until
 * the ring is freed: giving pages back would need the producer and every
 * reader's mapping to agree that a slot is empty, and a drained ring fills
 * again at the next burst.
 *
 * After every data record the pages that the largest exit record would
 * take (SBEXEC_RING_TAIL bytes at the producer position) are already
 * there, so the exit record of a ring that had output never waits for
 * memory. A ring without output gets its first page (and view) for the
 * exit record. Any record that finds no memory is like a full ring: the
 * caller tries again later; nothing is dropped.
 *
 * Pages are charged (__GFP_ACCOUNT) to the memory cgroup of the task that
 * created the ring, wherever they are allocated (the session's io_work, a
 * reader's page fault).
 */

#include <linux/bitmap.h>
#include <linux/err.h>
#include <linux/log2.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "compat.h"
#include "sbexec.h"

#define SBEXEC_REC_HDR		sizeof(struct sbexec_record)
#define SBEXEC_RING_META	2	/* consumer and producer pages */
#define SBEXEC_RING_FILLER	1	/* pages[] index of the view's filler */

/* The room the exit record takes, kept mapped at the producer position. */
#define SBEXEC_RING_TAIL \
	ALIGN(SBEXEC_REC_HDR + sizeof(struct sbexec_exit_info), \
	      SBEXEC_RECORD_ALIGN)

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

/* A zeroed page (it is mapped into readers) charged to the ring's owner. */
static struct page *sbexec_ring_alloc_page(struct sbexec_ring *r, gfp_t gfp)
{
	struct mem_cgroup *old = set_active_memcg(r->memcg);
	struct page *page;

	page = alloc_page(gfp | __GFP_ACCOUNT | __GFP_ZERO);
	set_active_memcg(old);
	return page;
}

/*
 * The page of data slot @slot, allocated if it has none yet; NULL when
 * that fails.
 */
static struct page *sbexec_ring_data_page(struct sbexec_ring *r,
					  unsigned int slot)
{
	struct page **pp = &r->pages[SBEXEC_RING_META + slot];

	lockdep_assert_held(&r->pop_lock);
	if (!*pp) {
		*pp = sbexec_ring_alloc_page(r, GFP_KERNEL | __GFP_NOWARN);
		if (*pp)
			WRITE_ONCE(r->nr_present, r->nr_present + 1);
	}
	return *pp;
}

/*
 * Producer only (or init): replace the kernel view by one of every data
 * page there is now. The consumers use the view under map_lock, so the old
 * one is unmapped once it is swapped out.
 */
static int sbexec_ring_remap(struct sbexec_ring *r)
{
	unsigned int i, nr = r->nr_pages;
	struct page *filler = r->pages[SBEXEC_RING_FILLER];
	struct page **map;
	void *data, *old;

	map = kvmalloc_array(2 * nr, sizeof(*map), GFP_KERNEL);
	if (!map)
		return -ENOMEM;
	mutex_lock(&r->pop_lock);
	for (i = 0; i < nr; i++) {
		struct page *page = r->pages[SBEXEC_RING_META + i];

		map[i] = page ?: filler;
		map[nr + i] = map[i];
	}
	mutex_unlock(&r->pop_lock);
	data = vmap(map, 2 * nr, VM_MAP, PAGE_KERNEL);
	if (!data) {
		kvfree(map);
		return -ENOMEM;
	}
	for (i = 0; i < nr; i++)
		if (map[i] != filler)
			__set_bit(i, r->kmapped);
	kvfree(map);

	mutex_lock(&r->map_lock);
	old = r->data;
	r->data = data;
	mutex_unlock(&r->map_lock);
	if (old)
		vunmap(old);
	return 0;
}

/**
 * sbexec_ring_init - set up a ring
 * @r: ring to set up
 * @size: requested data size in bytes, rounded up to a power of two pages
 *
 * Allocates the consumer and producer pages; the data pages and the
 * kernel view of them come with the first record. Pages are zeroed (they are mapped
 * into readers) and charged to the caller's memory cgroup, now and later.
 *
 * Return: 0 or -ENOMEM.
 */
int sbexec_ring_init(struct sbexec_ring *r, size_t size)
{
	unsigned int i, nr = sbexec_ring_pages(size);
	unsigned int nr_meta_data = SBEXEC_RING_META + nr;

	/* Page pointers, then the bitmap of slots in the kernel view. */
	r->pages = kzalloc(nr_meta_data * sizeof(*r->pages) +
			   BITS_TO_LONGS(nr) * sizeof(long), GFP_KERNEL);
	if (!r->pages)
		return -ENOMEM;
	r->kmapped = (unsigned long *)(r->pages + nr_meta_data);
	r->nr_pages = nr;
	r->nr_present = 0;
	r->data = NULL;
	mutex_init(&r->pop_lock);
	mutex_init(&r->map_lock);
	r->memcg = get_mem_cgroup_from_mm(current->mm);

	for (i = 0; i < SBEXEC_RING_META; i++) {
		r->pages[i] = sbexec_ring_alloc_page(r, GFP_KERNEL);
		if (!r->pages[i])
			goto err_free_pages;
	}

	r->cpage = page_address(r->pages[0]);
	r->ppage = page_address(r->pages[1]);
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
	mem_cgroup_put(r->memcg);
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
	for (i = 0; i < SBEXEC_RING_META + r->nr_pages; i++)
		if (r->pages[i])
			__free_page(r->pages[i]);
	mem_cgroup_put(r->memcg);
	kfree(r->pages);
	r->pages = NULL;
}

/*
 * Producer only: bytes from position @pos on (at most @max) whose pages are
 * in the kernel view.
 */
static u64 sbexec_ring_mapped(struct sbexec_ring *r, u64 pos, u64 max)
{
	u64 end = pos + max, p = pos;

	while (p < end &&
	       test_bit((p >> PAGE_SHIFT) & (r->nr_pages - 1), r->kmapped))
		p = ((p >> PAGE_SHIFT) + 1) << PAGE_SHIFT;
	return min(p, end) - pos;
}

/*
 * Producer only: give the data slots under [@pos, @pos + @len) pages and
 * put them in the kernel view. What it got stays when a page or the new
 * view cannot be had.
 */
static void sbexec_ring_populate(struct sbexec_ring *r, u64 pos, u64 len)
{
	u64 first = pos >> PAGE_SHIFT, last = (pos + len - 1) >> PAGE_SHIFT;
	bool remap = false;
	u64 i;

	if (last - first >= r->nr_pages)
		last = first + r->nr_pages - 1;
	for (i = first; i <= last; i++) {
		unsigned int slot = i & (r->nr_pages - 1);
		struct page *page;

		if (test_bit(slot, r->kmapped))
			continue;
		mutex_lock(&r->pop_lock);
		page = sbexec_ring_data_page(r, slot);
		mutex_unlock(&r->pop_lock);
		if (!page)
			break;
		remap = true;
	}
	if (remap)
		sbexec_ring_remap(r);
}

/*
 * Room for a record of up to @max payload bytes that @tail more bytes
 * must be able to follow without an allocation: see sbexec_ring_reserve().
 */
static void *__sbexec_ring_reserve(struct sbexec_ring *r, size_t max,
				   u64 tail, size_t *room)
{
	/* Pairs with smp_store_release() of cons by the consumer. */
	u64 cons = smp_load_acquire(&r->cons);
	u64 free = r->size - (r->prod - cons);
	u64 want, full, need, run;

	if (free < SBEXEC_REC_HDR + SBEXEC_RECORD_ALIGN || !max)
		return NULL;
	want = min_t(u64, free - SBEXEC_REC_HDR, max);
	full = SBEXEC_REC_HDR + want + tail;
	need = SBEXEC_REC_HDR + min_t(u64, want, PAGE_SIZE) + tail;
	run = sbexec_ring_mapped(r, r->prod, full);
	if (run < need) {
		/* Grow in steps: as many pages as there are, up to @full. */
		u64 step = min_t(u64, full,
				 (u64)READ_ONCE(r->nr_present) << PAGE_SHIFT);

		sbexec_ring_populate(r, r->prod, max(need, step));
		run = sbexec_ring_mapped(r, r->prod, full);
	}
	/*
	 * The record ends at most at @prod + @run - @tail: @run is @full, or
	 * a run of whole pages from @prod (both 8-byte aligned).
	 */
	if (run <= SBEXEC_REC_HDR + tail)
		return ERR_PTR(-ENOMEM);
	*room = min_t(u64, want, run - SBEXEC_REC_HDR - tail);
	return r->data + ((r->prod + SBEXEC_REC_HDR) & (r->size - 1));
}

/**
 * sbexec_ring_reserve - find room for the next record (producer only)
 * @r: the ring
 * @max: the largest payload the caller will write
 * @room: set to the largest payload that fits now, at most @max
 *
 * Allocates the data pages the record may take when the ring has none
 * there yet, in growing steps (see the comment at the top of this file).
 * The pages an exit record would take after this record are allocated
 * with it.
 *
 * Return: where the payload of the next record goes; NULL when the ring
 * cannot take a record with at least one payload byte (the consumer makes
 * room); ERR_PTR(-ENOMEM) when pages for it could not be had (nobody makes
 * room: try again later).
 */
void *sbexec_ring_reserve(struct sbexec_ring *r, size_t max, size_t *room)
{
	return __sbexec_ring_reserve(r, max, SBEXEC_RING_TAIL, room);
}

/**
 * sbexec_ring_reserve_last - find room for the ring's last record
 * @r: the ring (producer only)
 * @len: its payload, at most sizeof(struct sbexec_exit_info)
 *
 * After output the pages it takes are always there (see
 * sbexec_ring_reserve()); a ring without output gets its first page here.
 * No record may follow it.
 *
 * Return: where the payload goes, NULL when the ring has no room for it
 * yet (the consumer makes room), or ERR_PTR(-ENOMEM) when that first page
 * cannot be had (then try again later).
 */
void *sbexec_ring_reserve_last(struct sbexec_ring *r, size_t len)
{
	/* Pairs with smp_store_release() of cons by the consumer. */
	u64 cons = smp_load_acquire(&r->cons);
	size_t room;
	void *p;

	if (WARN_ON_ONCE(sbexec_rec_total(len) > SBEXEC_RING_TAIL || !len))
		return ERR_PTR(-EINVAL);
	if (r->size - (r->prod - cons) < sbexec_rec_total(len))
		return NULL;
	/* There is room for it, so only missing pages can make it fail. */
	p = __sbexec_ring_reserve(r, len, 0, &room);
	if (IS_ERR_OR_NULL(p) || room < len)
		return ERR_PTR(-ENOMEM);
	return p;
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
 * sbexec_ring_room - the largest payload one record could take now
 * @r: the ring
 *
 * Without the producer's lock this is a hint (for a writer deciding to
 * wait, or poll()): the reserve that follows decides.
 *
 * Return: payload bytes, 0 when not even a record header fits.
 */
u64 sbexec_ring_room(struct sbexec_ring *r)
{
	/* Pairs with smp_store_release() of cons by the consumer. */
	u64 cons = smp_load_acquire(&r->cons);
	u64 free = r->size - (READ_ONCE(r->prod) - cons);

	return free >= SBEXEC_REC_HDR + SBEXEC_RECORD_ALIGN ?
	       free - SBEXEC_REC_HDR : 0;
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
 * Called with map_lock held (the kernel view may be swapped otherwise).
 */
static u64 sbexec_ring_walk(struct sbexec_ring *r, u64 prod, u64 limit,
			    u64 budget, u64 *nrec)
{
	u64 pos = r->cons;

	lockdep_assert_held(&r->map_lock);
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
	mutex_lock(&r->map_lock);
	pos = sbexec_ring_walk(r, prod, want, U64_MAX, &nrec);
	mutex_unlock(&r->map_lock);
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
	int err = 0;

	mutex_lock(&r->map_lock);
	pos = sbexec_ring_walk(r, prod, prod, count, &nrec);
	if (pos == r->cons)
		err = prod == r->cons ? 0 : -EMSGSIZE;
	else if (copy_to_user(buf, r->data + (r->cons & (r->size - 1)),
			      pos - r->cons))
		err = -EFAULT;
	mutex_unlock(&r->map_lock);
	if (err || pos == r->cons)
		return err;
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

/*
 * The page a reader sees at page offset @pgoff of the mapping, or NULL for
 * a data slot that has none yet. With @alloc such a slot gets its page
 * (charged like the others); the producer then adds it to the kernel view
 * when it gets there.
 */
static struct page *sbexec_ring_user_page(struct sbexec_ring *r,
					  unsigned long pgoff, bool alloc)
{
	unsigned int slot;

	lockdep_assert_held(&r->pop_lock);
	if (pgoff < SBEXEC_RING_META)
		return r->pages[pgoff];
	slot = (pgoff - SBEXEC_RING_META) & (r->nr_pages - 1);
	if (!alloc)
		return r->pages[SBEXEC_RING_META + slot];
	return sbexec_ring_data_page(r, slot);
}

/*
 * A reader touched a page that was not there at mmap() time. Runs with
 * the mm's mmap_lock held; takes pop_lock (never map_lock), so a consumer
 * whose copy_to_user() faults while it holds map_lock cannot deadlock
 * with the producer.
 */
static vm_fault_t sbexec_ring_vm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct sbexec_ring *r = vma->vm_private_data;
	struct page *page;
	int err;

	mutex_lock(&r->pop_lock);
	page = sbexec_ring_user_page(r, vmf->pgoff, true);
	if (!page) {
		mutex_unlock(&r->pop_lock);
		return VM_FAULT_OOM;
	}
	err = vm_insert_page(vma, vmf->address & PAGE_MASK, page);
	mutex_unlock(&r->pop_lock);
	/* -EBUSY: a racing fault of another thread inserted it already. */
	if (err && err != -EBUSY)
		return vmf_error(err);
	return VM_FAULT_NOPAGE;
}

static const struct vm_operations_struct sbexec_ring_vm_ops = {
	.fault = sbexec_ring_vm_fault,
	.mprotect = sbexec_ring_vm_mprotect,
};

/**
 * sbexec_ring_mmap - map (part of) the ring into a reader
 * @r: the ring
 * @vma: the mapping; its page offset selects the part
 *
 * The pages the ring has are inserted now; data pages it does not have yet
 * are allocated when the reader first touches them (sbexec_ring_vm_fault()).
 *
 * Return: 0, -EPERM for a writable mapping of anything but the consumer
 * page, -EINVAL for a range outside the ring, or the error of inserting a
 * page.
 */
int sbexec_ring_mmap(struct sbexec_ring *r, struct vm_area_struct *vma)
{
	unsigned long pages = vma_pages(vma);
	unsigned long total = SBEXEC_RING_META + 2UL * r->nr_pages;
	unsigned long i;
	int err = 0;

	if ((vma->vm_flags & VM_WRITE) &&
	    (vma->vm_pgoff != 0 || pages != 1))
		return -EPERM;
	if (vma->vm_pgoff >= total || pages > total - vma->vm_pgoff)
		return -EINVAL;
	vma->vm_ops = &sbexec_ring_vm_ops;
	vma->vm_private_data = r;
	/* The fault handler inserts pages: it cannot set VM_MIXEDMAP then. */
	sbexec_vm_flags_set(vma, VM_MIXEDMAP | VM_DONTEXPAND | VM_DONTDUMP);

	mutex_lock(&r->pop_lock);
	for (i = 0; i < pages && !err; i++) {
		struct page *page = sbexec_ring_user_page(r, vma->vm_pgoff + i,
							  false);

		if (page)
			err = vm_insert_page(vma, vma->vm_start +
					     (i << PAGE_SHIFT), page);
	}
	mutex_unlock(&r->pop_lock);
	return err;
}
