// SPDX-License-Identifier: GPL-2.0
/*
 * sbexec-fuzz: sockets and the worker: picking and running operations,
 * setup, cleanup.
 */
#include "fuzz.h"

/* ---- sockets ---- */

static int sock_reopen(struct fuzz *f, struct rng *r, bool events)
{
	uint16_t fam;
	uint32_t grp;

	if (f->nl >= 0)
		close(f->nl);	/* kills its kill-on-close sessions */
	f->nl = nl_open(true);
	if (f->nl < 0 || nl_resolve(f->nl, &fam, &grp)) {
		unexpected(f, "the sbexec generic netlink family is gone");
		return -1;
	}
	if (fam != f->fam)
		unexpected(f, "the sbexec family id changed from %u to %u", f->fam, fam);
	if (events) {
		if (f->ev >= 0)
			close(f->ev);
		f->ev = nl_open(false);
		if (f->ev >= 0 && (!grp || setsockopt(f->ev, SOL_NETLINK,
						      NETLINK_ADD_MEMBERSHIP,
						      &grp, sizeof(grp)))) {
			close(f->ev);
			f->ev = -1;
		}
	}
	f->sock_msgs = 0;
	f->sock_sessions = 0;
	f->sock_limit = 300 + rnd(r, 3000);
	return 0;
}

/* ---- the worker ---- */

static enum op pick_op(struct fuzz *f, struct rng *r)
{
	uint32_t x = rnd(r, f->wsum);
	unsigned int i;

	for (i = 0; i < N_OPS; i++) {
		if (x < f->o->weight[i])
			return (enum op)i;
		x -= f->o->weight[i];
	}
	return OP_GET;
}

static void run_op(struct fuzz *f, struct rng *r, enum op op)
{
	switch (op) {
	case OP_EXEC_OK: op_exec_ok(f, r); break;
	case OP_OPEN: op_open(f, r); break;
	case OP_CLOSE: op_close(f, r); break;
	case OP_IOCTL: op_ioctl(f, r); break;
	case OP_ATTACH: op_attach(f, r); break;
	case OP_CONSUMED: op_consumed(f, r); break;
	case OP_REGISTER: op_register(f, r); break;
	case OP_READ: op_read(f, r); break;
	case OP_WRITE: op_write(f, r); break;
	case OP_POLL: op_poll(f, r); break;
	case OP_MMAP: op_mmap(f, r); break;
	case OP_MPROTECT: op_mprotect(f, r); break;
	case OP_MUNMAP: op_munmap(f, r); break;
	case OP_FORGE: op_forge(f, r); break;
	case OP_ROUNDTRIP: op_roundtrip(f, r); break;
	default: op_genl(f, r, op); break;
	}
}

static uint64_t sent_total(const struct stats *st)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < N_OPS; i++)
		n += st->sent[i];
	return n;
}

/* The ids of sessions that exist before we start: never touched. */
static void list_foreign(struct fuzz *f)
{
	f->collect = f->foreign;
	f->ncollect = 0;
	nl_request(f, SBEXEC_CMD_LIST, NLM_F_REQUEST | NLM_F_DUMP, NULL, NULL, 0, NULL);
	f->nforeign = f->ncollect;
	f->collect = NULL;
}

/* Kill our keep-running sessions and read each to its end. */
static void drain_keep(struct fuzz *f, uint32_t id)
{
	uint64_t deadline = now_ns() + (uint64_t)f->o->session_timeout * 1000000000ULL;
	struct sbexec_attach a = { .session_id = id };
	struct reader rd = { .fd = -1, .id = id, .want_seq = -1 };
	int tries, err;
	ssize_t n;

	nl_simple(f, SBEXEC_CMD_SIGNAL, id, SIGCONT, NULL, 0, 2000);
	nl_simple(f, SBEXEC_CMD_SIGNAL, id, SIGKILL, NULL, 0, 2000);
	rd.fd = open(DEV_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (rd.fd < 0) {
		dev_gone_check(f, errno);
		return;
	}
	for (tries = 0; ioctl(rd.fd, SBEXEC_IOC_ATTACH, &a); tries++) {
		if (errno == ENOENT || tries > 50) {
			if (errno != ENOENT)
				fprintf(stderr, "sbexec-fuzz: keep-running session %u: ATTACH: %s\n",
					id, errname(errno));
			close(rd.fd);
			return;
		}
		usleep(100000);
	}
	rd.ring_size = a.ring_size;
	rd.want_seq = (int64_t)a.next_seq;
	for (;;) {
		n = read(rd.fd, f->scratch, 1 << 20);
		if (n > 0) {
			if (!take_records(f, &rd, f->scratch, (size_t)n, NULL))
				break;
			continue;
		}
		if (n == 0)
			break;
		if (errno != EAGAIN || now_ns() > deadline) {
			unexpected(f, "keep-running session %u: no end after SIGKILL: %s",
				   id, errname(errno));
			break;
		}
		usleep(10000);
	}
	close(rd.fd);
	if (n != 0)
		return;
	err = nl_simple(f, SBEXEC_CMD_GET, id, 0, NULL, 0, 2000);
	if (err != ENOENT)
		unexpected(f, "keep-running session %u still answers GET (%s) after its reader read the exit record and closed",
			   id, errname(err));
}

static void cleanup(struct fuzz *f)
{
	unsigned int i;

	racer_stop(f);
	f->desc[0] = 0;
	desc(f, "cleanup");
	for (i = 0; i < MAX_MAPS; i++)
		if (f->maps[i].addr)
			munmap(f->maps[i].addr, f->maps[i].len);
	memset(f->maps, 0, sizeof(f->maps));
	for (i = 0; i < MAX_READERS; i++)
		if (f->rd[i].fd >= 0)
			reader_close(f, &f->rd[i]);
	for (i = 0; i < MAX_PLAIN; i++)
		if (f->plain[i] >= 0)
			close(f->plain[i]);
	for (i = 0; i < f->nkeep && f->nl >= 0; i++)
		drain_keep(f, f->keep[i]);
	if (f->nl >= 0)
		close(f->nl);
	if (f->ev >= 0)
		close(f->ev);
	f->nl = f->ev = -1;
}

static int setup(struct fuzz *f)
{
	struct rng r = { .s = f->seed };
	unsigned int i;
	int fd;

	f->pg = sysconf(_SC_PAGESIZE);
	f->nl = f->ev = f->kmsg = -1;
	f->fam = 0;
	for (i = 0; i < MAX_PLAIN; i++)
		f->plain[i] = -1;
	for (i = 0; i < MAX_READERS; i++) {
		f->rd[i].fd = -1;
		f->rd[i].want_seq = -1;
	}
	for (i = 0; i < N_OPS; i++)
		f->wsum += f->o->weight[i];
	f->rx = malloc(RXBUF);
	f->scratch = mmap(NULL, (2 << 20), PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	f->none_page = mmap(NULL, (size_t)f->pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	f->ro_page = mmap(NULL, (size_t)f->pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	f->edge = mmap(NULL, 2 * (size_t)f->pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!f->rx || f->scratch == MAP_FAILED || f->none_page == MAP_FAILED ||
	    f->ro_page == MAP_FAILED || f->edge == MAP_FAILED ||
	    mprotect(f->edge + f->pg, (size_t)f->pg, PROT_NONE)) {
		perror("sbexec-fuzz: setup");
		return -1;
	}
	if (f->o->kmsg) {
		if (load_patterns(f))
			return -1;
		f->kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (f->kmsg < 0)
			fprintf(stderr, "sbexec-fuzz: /dev/kmsg: %s (kernel log not watched)\n",
				strerror(errno));
		else
			lseek(f->kmsg, 0, SEEK_END);
	}
	read_taint(f->taint0, sizeof(f->taint0));

	f->nl = nl_open(true);
	if (f->nl < 0 || nl_resolve(f->nl, &f->fam, &f->grp)) {
		fprintf(stderr, "sbexec-fuzz: the \"%s\" generic netlink family is not there (sbexec.ko loaded?)\n",
			SBEXEC_GENL_NAME);
		return -1;
	}
	if (sock_reopen(f, &r, true))
		return -1;
	fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "sbexec-fuzz: %s: %s\n", DEV_PATH, strerror(errno));
		return -1;
	}
	if (!ioctl(fd, SBEXEC_IOC_HELPER_REGISTER)) {
		close(fd);
		fprintf(stderr, "sbexec-fuzz: no sbexec-helper is registered (start it first)\n");
		return -1;
	}
	if (errno != EBUSY) {
		fprintf(stderr, "sbexec-fuzz: HELPER_REGISTER: %s, want EBUSY\n", strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	list_foreign(f);
	if (f->o->racer)
		racer_start(f);
	return 0;
}

int worker(const struct opts *o, struct shared *sh, unsigned int w)
{
	struct fuzz *f = calloc(1, sizeof(*f));
	uint64_t quota, start = now_ns(), last = start, t0, dt, i;

	if (!f)
		return 2;
	f->o = o;
	f->sh = sh;
	f->st = &sh->st[w];
	f->worker = w;
	f->seed = o->seed + w;
	if (setup(f))
		return 2;
	quota = o->count ? o->count / o->jobs + (w < o->count % o->jobs) : UINT64_MAX;
	if (w == 0)
		fprintf(stderr, "sbexec-fuzz: family %u, events group %u, %u sessions existed before (left alone)\n",
			f->fam, f->grp, f->nforeign);
	if (o->bridge)
		bridge_loop(f, quota);
	for (i = o->start; !o->bridge && !sh->stop && sent_total(f->st) < quota; i++) {
		struct rng r;
		uint64_t x = f->seed ^ (i * 0xd1b54a32d192ed03ULL);
		enum op op;

		r.s = splitmix(&x);
		if (o->seconds && now_ns() - start > (uint64_t)o->seconds * 1000000000ULL)
			break;
		f->idx = i;
		if (f->rc.running && !(i & 7)) {
			/* Wake the racer every 8 messages: a wakeup costs. */
			pthread_mutex_lock(&f->rc.lock);
			f->rc.tick = i;
			pthread_cond_signal(&f->rc.ticked);
			pthread_mutex_unlock(&f->rc.lock);
		}
		if (f->sock_msgs >= f->sock_limit || f->sock_sessions >= 24) {
			if (sock_reopen(f, &r, chance(&r, 20)))
				break;
		}
		op = pick_op(f, &r);
		f->op = op;
		f->desc[0] = 0;
		desc(f, "#%" PRIu64 " %s", i, op_info[op].name);
		t0 = now_ns();
		run_op(f, &r, op);
		dt = now_ns() - t0;
		f->st->ns[op] += dt;
		if (dt > OP_SLOW_NS && op != OP_ROUNDTRIP)
			unexpected(f, "%s took %.1f s", op_info[op].name, (double)dt / 1e9);
		memcpy(f->hist[f->nhist++ % HIST], f->desc, sizeof(f->desc));
		if (o->verbose)
			fprintf(stderr, "[w%u] %s\n", w, f->desc);
		if (!(i & 15))
			kmsg_check(f);
		if (!(i & 255))
			taint_check(f);
		if (t0 - last > 10000000000ULL) {
			last = t0;
			fprintf(stderr, "sbexec-fuzz: [w%u] %" PRIu64 " messages, %.0f/s\n", w,
				sent_total(f->st),
				(double)sent_total(f->st) * 1e9 / (double)(t0 - start));
		}
	}
	cleanup(f);
	kmsg_check(f);
	taint_check(f);
	return sh->unexpected ? 1 : 0;
}
