// SPDX-License-Identifier: GPL-2.0
/*
 * sbexec-fuzz: the racer thread.
 */
#include "fuzz.h"

/* ---- the racer thread ---- */

/*
 * A clean request about session @id: racer_begin() starts it in @b with
 * SESSION_ID, the caller appends attributes, racer_send() sends it.
 */
static void racer_begin(struct buf *b, uint32_t id)
{
	b->len = 0;
	buf_genl_hdr(b);
	buf_nla_put(b, SBEXEC_A_SESSION_ID, &id, 4);
}

static void racer_send(int nl, struct buf *b, uint16_t fam, uint8_t cmd,
		       uint16_t flags)
{
	struct nlmsghdr *h = (void *)b->p;
	struct genlmsghdr *g = (void *)(b->p + NLMSG_HDRLEN);
	static _Thread_local uint8_t rx[65536];

	h->nlmsg_len = (uint32_t)b->len;
	h->nlmsg_type = fam;
	h->nlmsg_flags = flags;
	g->cmd = cmd;
	g->version = SBEXEC_GENL_VERSION;
	nl_sendto(nl, b->p, b->len);
	while (recv(nl, rx, sizeof(rx), MSG_DONTWAIT) > 0 || errno == ENOBUFS)
		;
}

static void racer_fd_op(struct racer *rc, struct rng *r, int fd, uint32_t ring,
			uint8_t *buf)
{
	static const size_t sizes[] = { 16, 24, 40, 4096, 65536 };
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t len = (size_t)(2 + 2 * (ring / (uint32_t)rc->pg)) * (size_t)rc->pg, i;
	volatile uint8_t sink;
	uint8_t *m;

	switch (rnd(r, 6)) {
	case 0:
		/* Only non-blocking files: the racer never waits. */
		if (fcntl(fd, F_GETFL) & O_NONBLOCK)
			(void)!read(fd, buf, sizes[rnd(r, ARRAY_SIZE(sizes))]);
		break;
	case 1:
		poll(&pfd, 1, 0);
		break;
	case 2:
		ioctl(fd, SBEXEC_IOC_CONSUMED);
		break;
	case 3:
		m = mmap(NULL, len - (size_t)rc->pg, PROT_READ, MAP_SHARED, fd, rc->pg);
		if (m != MAP_FAILED) {
			for (i = 0; i < len - (size_t)rc->pg; i += (size_t)rc->pg)
				sink = m[i];
			(void)sink;
			munmap(m, len - (size_t)rc->pg);
		}
		break;
	default:
		m = mmap(NULL, (size_t)rc->pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (m != MAP_FAILED) {
			struct sbexec_ring_consumer *c = (void *)m;
			uint64_t pos = c->pos + 8 * rnd(r, 8);

			if (chance(r, 20))
				pos = rnd64(r);
			__atomic_store_n(&c->pos, pos, __ATOMIC_RELEASE);
			if (chance(r, 50))
				ioctl(fd, SBEXEC_IOC_CONSUMED);
			else
				poll(&pfd, 1, 0);
			munmap(m, (size_t)rc->pg);
		}
		break;
	}
}

static void *racer_main(void *arg)
{
	static const uint32_t sigs[] = { SIGCONT, SIGWINCH, SIGUSR1, SIGTERM, SIGSTOP };
	struct racer *rc = arg;
	struct rng r = { .s = rc->seed };
	struct {
		int fd;
		uint32_t ring;
	} own[RACER_FDS];
	unsigned int nown = 0, i, burst = 0;
	uint64_t last = 0;
	uint8_t *buf = malloc(65536);
	struct buf tx = { 0 };
	sigset_t set;
	int nl = nl_open(false);

	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	while (!rc->stop && buf && nl >= 0) {
		uint32_t id = 0, v;
		bool have = false;

		/* A few calls per main-thread message, not a busy loop. */
		if (burst >= 4) {
			pthread_mutex_lock(&rc->lock);
			while (rc->tick == last && !rc->stop)
				pthread_cond_wait(&rc->ticked, &rc->lock);
			last = rc->tick;
			pthread_mutex_unlock(&rc->lock);
			burst = 0;
			continue;
		}
		burst++;

		pthread_mutex_lock(&rc->lock);
		while (rc->nq) {
			if (nown == RACER_FDS) {
				i = rnd(&r, nown);
				close(own[i].fd);
				own[i] = own[--nown];
			}
			rc->nq--;
			own[nown].fd = rc->q[rc->nq].fd;
			own[nown++].ring = rc->q[rc->nq].ring_size;
		}
		if (rc->nids) {
			id = rc->ids[rnd(&r, rc->nids)];
			have = true;
		}
		pthread_mutex_unlock(&rc->lock);
		rc->calls++;
		if (nown && chance(&r, 50)) {
			i = rnd(&r, nown);
			if (chance(&r, 3)) {
				close(own[i].fd);
				own[i] = own[--nown];
			} else {
				racer_fd_op(rc, &r, own[i].fd, own[i].ring, buf);
			}
			continue;
		}
		if (!have)
			continue;
		uint8_t cmd;
		uint16_t flags = NLM_F_REQUEST | NLM_F_ACK, rows, cols;

		racer_begin(&tx, id);
		switch (rnd(&r, 7)) {
		case 0:
			cmd = SBEXEC_CMD_STDIN;
			rnd_bytes(&r, buf, 64);
			buf_nla_put(&tx, SBEXEC_A_STDIN_DATA, buf, 1 + rnd(&r, 64));
			break;
		case 1:
			cmd = SBEXEC_CMD_CLOSE_STDIN;
			break;
		case 2:
			cmd = SBEXEC_CMD_RESIZE;
			rows = (uint16_t)(1 + rnd(&r, 100));
			cols = (uint16_t)(1 + rnd(&r, 300));
			buf_nla_put(&tx, SBEXEC_A_ROWS, &rows, 2);
			buf_nla_put(&tx, SBEXEC_A_COLS, &cols, 2);
			break;
		case 3:
			cmd = SBEXEC_CMD_SIGNAL;
			v = sigs[rnd(&r, ARRAY_SIZE(sigs))];
			buf_nla_put(&tx, SBEXEC_A_SIGNAL, &v, 4);
			break;
		case 4:
			cmd = SBEXEC_CMD_LIST;
			flags |= NLM_F_DUMP;
			break;
		default:
			cmd = SBEXEC_CMD_GET;
			break;
		}
		racer_send(nl, &tx, rc->fam, cmd, flags);
	}
	for (i = 0; i < nown; i++)
		close(own[i].fd);
	if (nl >= 0)
		close(nl);
	free(buf);
	free(tx.p);
	return NULL;
}

void racer_start(struct fuzz *f)
{
	struct racer *rc = &f->rc;

	pthread_mutex_init(&rc->lock, NULL);
	pthread_cond_init(&rc->ticked, NULL);
	rc->seed = f->seed ^ 0x5ac3e7f00dULL;
	rc->fam = f->fam;
	rc->pg = f->pg;
	rc->running = !pthread_create(&rc->th, NULL, racer_main, rc);
}

void racer_stop(struct fuzz *f)
{
	struct racer *rc = &f->rc;
	unsigned int i;

	if (!rc->running)
		return;
	pthread_mutex_lock(&rc->lock);
	rc->stop = 1;
	pthread_cond_signal(&rc->ticked);
	pthread_mutex_unlock(&rc->lock);
	pthread_join(rc->th, NULL);
	rc->running = false;
	for (i = 0; i < rc->nq; i++)
		close(rc->q[i].fd);
	rc->nq = 0;
	f->st->racer_calls = rc->calls;
}
