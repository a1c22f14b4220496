// SPDX-License-Identifier: GPL-2.0
/*
 * sbexec-fuzz: /dev/sbexec: open, close, ATTACH, CONSUMED, HELPER_REGISTER,
 * ioctl.
 */
#include "fuzz.h"

/* ---- /dev/sbexec ---- */

static int dev_open(struct rng *r)
{
	int flags = O_RDWR | O_CLOEXEC;

	if (chance(r, 50))
		flags |= O_NONBLOCK;
	if (chance(r, 4))
		flags = (flags & ~O_ACCMODE) | (chance(r, 50) ? O_RDONLY : O_WRONLY);
	return open(DEV_PATH, flags);
}

void dev_gone_check(struct fuzz *f, int e)
{
	if (e == ENOENT || e == ENODEV || e == ENXIO || e == EPERM || e == EACCES)
		unexpected(f, "open(" DEV_PATH "): %s", errname(e));
}

void op_open(struct fuzz *f, struct rng *r)
{
	int fd = dev_open(r), e = res_errno(fd);
	unsigned int s = rnd(r, MAX_PLAIN);

	count(f, OP_OPEN, e);
	desc(f, " fd=%d %s", fd, errname(e));
	if (fd < 0) {
		dev_gone_check(f, e);
		return;
	}
	if (f->plain[s] >= 0)
		close(f->plain[s]);
	f->plain[s] = fd;
}

/* An unattached /dev/sbexec file from the pool (opened on demand). */
int plain_fd(struct fuzz *f, struct rng *r, unsigned int *slot)
{
	unsigned int s = rnd(r, MAX_PLAIN);

	if (f->plain[s] < 0) {
		f->plain[s] = dev_open(r);
		if (f->plain[s] < 0)
			dev_gone_check(f, errno);
	}
	if (slot)
		*slot = s;
	return f->plain[s];
}

struct reader *pick_reader(struct fuzz *f, struct rng *r)
{
	unsigned int i, n = 0;
	struct reader *c[MAX_READERS];

	for (i = 0; i < MAX_READERS; i++)
		if (f->rd[i].fd >= 0)
			c[n++] = &f->rd[i];
	return n ? c[rnd(r, n)] : NULL;
}

static struct reader *reader_for(struct fuzz *f, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < MAX_READERS; i++)
		if (f->rd[i].fd >= 0 && f->rd[i].id == id)
			return &f->rd[i];
	return NULL;
}

void reader_close(struct fuzz *f, struct reader *rd)
{
	if (rd->cons)
		munmap(rd->cons, (size_t)f->pg);
	if (rd->ring)
		munmap((void *)rd->ring, rd->ring_len);
	if (rd->fd >= 0)
		close(rd->fd);
	memset(rd, 0, sizeof(*rd));
	rd->fd = -1;
	rd->want_seq = -1;
}

/* Any pool file: a reader (@rdp set) or an unattached one. */
int any_fd(struct fuzz *f, struct rng *r, struct reader **rdp)
{
	struct reader *rd = chance(r, 65) ? pick_reader(f, r) : NULL;

	*rdp = rd;
	return rd ? rd->fd : plain_fd(f, r, NULL);
}

void op_close(struct fuzz *f, struct rng *r)
{
	struct reader *rd;
	unsigned int s;
	int ret;

	if (chance(r, 50) && (rd = pick_reader(f, r))) {
		desc(f, " reader id=%u", rd->id);
		reader_close(f, rd);
		count(f, OP_CLOSE, 0);
		return;
	}
	s = rnd(r, MAX_PLAIN);
	ret = f->plain[s] >= 0 ? close(f->plain[s]) : 0;
	f->plain[s] = -1;
	count(f, OP_CLOSE, res_errno(ret));
}

/*
 * Pointers the kernel may write through that can never hit our own memory:
 * NULL, 1, kernel addresses, a PROT_NONE page, a read-only page, or one
 * that straddles the end of a writable page into a PROT_NONE one (@need
 * bytes: the first part fits).
 */
void *bad_ptr(struct fuzz *f, struct rng *r, size_t need, const char **what)
{
	size_t k;

	switch (rnd(r, 8)) {
	case 0:
		*what = "NULL";
		return NULL;
	case 1:
		*what = "1";
		return (void *)1;
	case 2:
		*what = "kernel";
		return (void *)(uintptr_t)0xffffffff81000000ULL;
	case 3:
		*what = "high";
		return (void *)(uintptr_t)(0x8000000000000000ULL | rnd64(r));
	case 4:
		*what = "prot-none";
		return f->none_page;
	case 5:
		*what = "read-only";
		return f->ro_page;
	default:
		/* Within the writable page: k < need bytes fit before the hole. */
		if (need > (size_t)f->pg)
			need = (size_t)f->pg;
		k = need > 1 ? 1 + rnd(r, (uint32_t)need - 1) : 1;
		*what = "straddling";
		return f->edge + f->pg - k;
	}
}

/* Put @a where ATTACH will read it from (the read-only page too). */
static void stage_attach(struct fuzz *f, void *p, const struct sbexec_attach *a)
{
	size_t room;

	if (p == f->ro_page) {
		mprotect(f->ro_page, (size_t)f->pg, PROT_READ | PROT_WRITE);
		memcpy(f->ro_page, a, sizeof(*a));
		mprotect(f->ro_page, (size_t)f->pg, PROT_READ);
	} else if ((uint8_t *)p >= f->edge && (uint8_t *)p < f->edge + f->pg) {
		room = (size_t)(f->edge + f->pg - (uint8_t *)p);
		memcpy(p, a, room < sizeof(*a) ? room : sizeof(*a));
	}
}

bool ring_size_ok(const struct fuzz *f, uint32_t s)
{
	return s >= (uint32_t)f->pg && !(s & (s - 1));
}

/* A file that just became a reader: into the reader pool. */
static void adopt_reader(struct fuzz *f, struct rng *r, int fd, int slot,
			 const struct sbexec_attach *a)
{
	struct reader *rd = NULL;
	unsigned int i;

	if (slot >= 0)
		f->plain[slot] = -1;
	for (i = 0; i < MAX_READERS && !rd; i++)
		if (f->rd[i].fd < 0)
			rd = &f->rd[i];
	if (!rd) {
		rd = &f->rd[rnd(r, MAX_READERS)];
		reader_close(f, rd);
	}
	rd->fd = fd;
	rd->id = a->session_id;
	rd->ring_size = a->ring_size;
	rd->want_seq = (int64_t)a->next_seq;
	rd->exit_seen = false;
	rd->shared = false;
	if (f->rc.running && chance(r, 40)) {
		int d = fcntl(fd, F_DUPFD_CLOEXEC, 3);

		pthread_mutex_lock(&f->rc.lock);
		if (d >= 0 && f->rc.nq < RACER_FDS) {
			f->rc.q[f->rc.nq].fd = d;
			f->rc.q[f->rc.nq++].ring_size = a->ring_size;
			rd->shared = true;
			d = -1;
		}
		pthread_mutex_unlock(&f->rc.lock);
		if (d >= 0)
			close(d);
	}
}

void op_attach(struct fuzz *f, struct rng *r)
{
	struct sbexec_attach a = { 0 }, back;
	struct reader *on = NULL;
	const char *what = "valid";
	int fd, ret, e;
	unsigned int s = 0;
	void *p = &a;

	a.session_id = pick_id(f, r, true);
	if (chance(r, 8))
		a.flags = interesting_u32(r);
	if (chance(r, 8))
		a.reserved = interesting_u32(r);
	a.ring_size = (uint32_t)rnd64(r);
	a.next_seq = rnd64(r);
	if (chance(r, 10) && (on = pick_reader(f, r)))
		fd = on->fd;
	else
		fd = plain_fd(f, r, &s);
	if (fd < 0)
		return;
	if (chance(r, 15)) {
		p = bad_ptr(f, r, sizeof(a), &what);
		stage_attach(f, p, &a);
	}
	ret = ioctl(fd, SBEXEC_IOC_ATTACH, p);
	e = res_errno(ret);
	count(f, OP_ATTACH, e);
	desc(f, " id=%u flags=%#x reserved=%#x ptr=%s%s -> %s", a.session_id,
	     a.flags, a.reserved, what, on ? " (on a reader)" : "", errname(e));
	if (ret)
		return;
	if (on) {
		unexpected(f, "ATTACH succeeded on a file that is already the reader of session %u",
			   on->id);
		return;
	}
	if (a.flags || a.reserved) {
		unexpected(f, "ATTACH succeeded with flags %#x reserved %#x", a.flags,
			   a.reserved);
		return;
	}
	if (p != &a) {
		/* Only a straddling pointer with the whole struct readable can get here. */
		if ((uint8_t *)p < f->edge || (uint8_t *)p + sizeof(back) > f->edge + f->pg) {
			unexpected(f, "ATTACH through a %s pointer succeeded", what);
			return;
		}
		memcpy(&back, p, sizeof(back));
		a = back;
	}
	if (reader_for(f, a.session_id)) {
		unexpected(f, "a second reader attached to session %u", a.session_id);
		return;
	}
	if (!ring_size_ok(f, a.ring_size)) {
		unexpected(f, "ATTACH to session %u: ring_size %u is not a power of two pages",
			   a.session_id, a.ring_size);
		return;
	}
	desc(f, " ring=%u next_seq=%llu", a.ring_size, (unsigned long long)a.next_seq);
	adopt_reader(f, r, fd, (int)s, &a);
}

/*
 * Issue @req with a random argument on any open file (@fd, and @rd when it
 * is a reader), counted as @op; the errno, or -1 when no file is open.
 */
static int ioctl_any_fd(struct fuzz *f, struct rng *r, enum op op,
			unsigned long req, int *fd, struct reader **rd)
{
	int e;

	*fd = any_fd(f, r, rd);
	if (*fd < 0)
		return -1;
	e = res_errno(ioctl(*fd, req, (unsigned long)rnd64(r)));
	count(f, op, e);
	desc(f, " %s -> %s", *rd ? "reader" : "unattached", errname(e));
	return e;
}

void op_consumed(struct fuzz *f, struct rng *r)
{
	struct reader *rd;
	int fd, e = ioctl_any_fd(f, r, OP_CONSUMED, SBEXEC_IOC_CONSUMED, &fd, &rd);

	if (e < 0)
		return;
	if (!rd && e != EBADFD)
		unexpected(f, "CONSUMED on an unattached file: %s, want EBADFD", errname(e));
	if (rd && e && e != EINVAL)
		unexpected(f, "CONSUMED on a reader: %s, want 0 or EINVAL", errname(e));
}

/* Never kill or displace the real helper: every registration must fail. */
static void registered_anyway(struct fuzz *f, int fd)
{
	unsigned int i;

	for (i = 0; i < MAX_PLAIN; i++)
		if (f->plain[i] == fd)
			f->plain[i] = -1;
	close(fd);	/* unregisters us again at once */
	unexpected(f, "HELPER_REGISTER succeeded: sbexec-helper was not registered (did it die?)");
}

void op_register(struct fuzz *f, struct rng *r)
{
	struct reader *rd;
	int fd, e = ioctl_any_fd(f, r, OP_REGISTER, SBEXEC_IOC_HELPER_REGISTER,
				 &fd, &rd);

	if (e < 0)
		return;
	if (!e)
		registered_anyway(f, fd);
	else if (e != EBUSY)
		unexpected(f, "a second HELPER_REGISTER failed with %s, want EBUSY", errname(e));
}

static unsigned int ioc_type(unsigned int cmd)
{
	return (cmd >> _IOC_TYPESHIFT) & _IOC_TYPEMASK;
}

/*
 * A random ioctl number: the real ones, near misses (other numbers, sizes,
 * directions of the sbexec magic), bit flips, anything. Numbers the VFS
 * handles itself for every file (FIONBIO, FIFREEZE, FICLONE, FIGETBSZ...:
 * types 0x00, 'T', 'X', 'f', 0x94) are moved to the sbexec magic.
 */
static unsigned int gen_ioctl_cmd(struct rng *r)
{
	static const unsigned int real[] = {
		SBEXEC_IOC_HELPER_REGISTER, SBEXEC_IOC_ATTACH, SBEXEC_IOC_CONSUMED,
	};
	static const unsigned int sizes[] = { 0, 1, 4, 8, 16, 23, 24, 25, 32, 4096 };
	unsigned int cmd, t;

	switch (rnd(r, 10)) {
	case 0:
	case 1:
		cmd = real[rnd(r, ARRAY_SIZE(real))];
		break;
	case 2:
	case 3:
	case 4:
		cmd = _IOC(rnd(r, 4), SBEXEC_IOC_MAGIC,
			   chance(r, 70) ? rnd(r, 8) : rnd(r, 256),
			   chance(r, 80) ? sizes[rnd(r, ARRAY_SIZE(sizes))] :
					   rnd(r, 1 << _IOC_SIZEBITS));
		break;
	case 5:
	case 6:
		cmd = real[rnd(r, ARRAY_SIZE(real))] ^ (1u << rnd(r, 32));
		break;
	default:
		cmd = (uint32_t)rnd64(r);
		break;
	}
	t = ioc_type(cmd);
	if (t == 0x00 || t == 'T' || t == 'X' || t == 'f' || t == 0x94)
		cmd = _IOC(_IOC_DIR(cmd), SBEXEC_IOC_MAGIC, 0x40 + rnd(r, 64),
			   _IOC_SIZE(cmd));
	return cmd;
}

void op_ioctl(struct fuzz *f, struct rng *r)
{
	unsigned int cmd = gen_ioctl_cmd(r), i;
	struct sbexec_attach *a = (void *)f->scratch;
	const char *what = "buffer";
	struct reader *rd;
	int fd = any_fd(f, r, &rd), ret, e;
	void *p = f->scratch;

	if (fd < 0)
		return;
	rnd_bytes(r, f->scratch, 64);
	if (chance(r, 50)) {
		a->session_id = pick_id(f, r, true);
		a->flags = chance(r, 80) ? 0 : interesting_u32(r);
		a->reserved = chance(r, 80) ? 0 : interesting_u32(r);
	}
	if (chance(r, 30))
		p = bad_ptr(f, r, 32, &what);
	ret = ioctl(fd, cmd, p);
	e = res_errno(ret);
	count(f, OP_IOCTL, e);
	desc(f, " cmd=%#x ptr=%s on %s -> %s", cmd, what, rd ? "reader" : "unattached",
	     errname(e));
	if (ret)
		return;
	if (cmd == SBEXEC_IOC_HELPER_REGISTER) {
		registered_anyway(f, fd);
	} else if (cmd == SBEXEC_IOC_ATTACH) {
		/* Attached through a random buffer: not worth tracking. */
		for (i = 0; i < MAX_PLAIN; i++)
			if (f->plain[i] == fd)
				f->plain[i] = -1;
		if (rd)
			unexpected(f, "ATTACH succeeded on a reader");
		else
			close(fd);
	} else if (cmd != SBEXEC_IOC_CONSUMED) {
		unexpected(f, "unknown ioctl %#x succeeded", cmd);
	}
}
