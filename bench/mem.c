// SPDX-License-Identifier: GPL-2.0
/*
 * mem.c - kernel memory snapshots from /proc/meminfo and /proc/slabinfo.
 *
 * A snapshot first syncs and drops the page, dentry and inode caches so
 * that what remains is what the processes and sessions hold, then waits a
 * moment for deferred frees (RCU, workqueues) to run.
 *
 * Free memory is counted from /proc/zoneinfo as the buddy allocator's free
 * pages plus the pages parked on the per-CPU free lists: MemFree leaves the
 * latter out, and they come and go by megabytes, which would swamp the
 * per-session figures.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define SETTLE_US 700000

static int drop_caches(void)
{
	int fd, rc = 0;

	sync();
	fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, "3\n", 2) != 2)
		rc = -errno;
	close(fd);
	return rc;
}

static long long meminfo_field(const char *text, const char *key)
{
	size_t klen = strlen(key);
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, key, klen) && p[klen] == ':')
			return strtoll(p + klen + 1, NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

/* Free pages plus per-CPU list pages, in KiB; -1 if unreadable. */
static long long zone_free_kb(void)
{
	FILE *f = fopen("/proc/zoneinfo", "re");
	long long pages = 0, v;
	char line[256];
	bool seen = false;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " pages free %lld", &v) == 1) {
			pages += v;
			seen = true;
		} else if (sscanf(line, " count: %lld", &v) == 1) {
			pages += v;
		}
	}
	fclose(f);
	return seen ? pages * (sysconf(_SC_PAGESIZE) / 1024) : -1;
}

static void read_slabinfo(struct memsnap *m)
{
	FILE *f = fopen("/proc/slabinfo", "re");
	char line[512];
	size_t cap = 0;

	m->slabs = NULL;
	m->nslabs = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		struct slab_entry e;
		long long active, num, size;

		if (line[0] == '#' || !strncmp(line, "slabinfo", 8))
			continue;
		if (sscanf(line, "%47s %lld %lld %lld", e.name, &active, &num, &size) != 4)
			continue;
		e.bytes = active * size;
		if (m->nslabs == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			struct slab_entry *n = realloc(m->slabs, ncap * sizeof(*n));

			if (!n)
				break;
			m->slabs = n;
			cap = ncap;
		}
		m->slabs[m->nslabs++] = e;
	}
	fclose(f);
}

int memsnap_take(struct memsnap *m, char *reason)
{
	static char text[16384];
	ssize_t r;
	int rc;

	memset(m, 0, sizeof(*m));
	rc = drop_caches();
	if (rc) {
		set_reason(reason, "cannot drop caches: %s", strerror(-rc));
		return rc;
	}
	usleep(SETTLE_US);
	r = read_small_file("/proc/meminfo", text, sizeof(text));
	if (r < 0) {
		set_reason(reason, "cannot read /proc/meminfo: %s", strerror((int)-r));
		return (int)r;
	}
	m->memfree_kb = meminfo_field(text, "MemFree");
	m->free_kb = zone_free_kb();
	if (m->free_kb < 0)
		m->free_kb = m->memfree_kb;
	m->slab_kb = meminfo_field(text, "Slab");
	m->sreclaim_kb = meminfo_field(text, "SReclaimable");
	m->sunreclaim_kb = meminfo_field(text, "SUnreclaim");
	m->vmalloc_kb = meminfo_field(text, "VmallocUsed");
	m->pagetables_kb = meminfo_field(text, "PageTables");
	m->kernelstack_kb = meminfo_field(text, "KernelStack");
	if (m->memfree_kb < 0 || m->slab_kb < 0 || m->vmalloc_kb < 0) {
		set_reason(reason, "/proc/meminfo lacks MemFree, Slab or VmallocUsed");
		return -EPROTO;
	}
	read_slabinfo(m);
	return 0;
}

void memsnap_free(struct memsnap *m)
{
	free(m->slabs);
	m->slabs = NULL;
	m->nslabs = 0;
}

void memcost_from(struct memcost *c, const struct memsnap *before,
		  const struct memsnap *after, size_t n)
{
	double dn = (double)n;

	c->sessions = n;
	c->total_kib = (double)(before->free_kb - after->free_kb) / dn;
	c->slab_kib = (double)(after->slab_kb - before->slab_kb) / dn;
	c->vmalloc_kib = (double)(after->vmalloc_kb - before->vmalloc_kb) / dn;
	c->pagetables_kib = (double)(after->pagetables_kb - before->pagetables_kb) / dn;
	c->kernelstack_kib = (double)(after->kernelstack_kb - before->kernelstack_kb) / dn;
	c->have_slabinfo = before->nslabs && after->nslabs;
	c->ntop = 0;
	if (!c->have_slabinfo) {
		c->ok = true;
		return;
	}
	for (size_t i = 0; i < after->nslabs; i++) {
		const struct slab_entry *a = &after->slabs[i];
		long long prev = 0, d;
		size_t j, k;

		for (j = 0; j < before->nslabs; j++) {
			if (!strcmp(before->slabs[j].name, a->name)) {
				prev = before->slabs[j].bytes;
				break;
			}
		}
		d = a->bytes - prev;
		if (d <= 0)
			continue;
		/* insertion into the top list, largest first */
		for (k = 0; k < c->ntop && c->top[k].bytes >= d; k++)
			;
		if (k >= MEM_TOP_SLABS)
			continue;
		if (c->ntop < MEM_TOP_SLABS)
			c->ntop++;
		memmove(&c->top[k + 1], &c->top[k],
			(c->ntop - 1 - k) * sizeof(c->top[0]));
		c->top[k] = *a;
		c->top[k].bytes = d;
	}
	c->ok = true;
}

void memcost_residual(struct memcost *c, const struct memsnap *before,
		      const struct memsnap *final)
{
	c->residual_kib = (double)(before->free_kb - final->free_kb) / (double)c->sessions;
	c->have_residual = true;
}
