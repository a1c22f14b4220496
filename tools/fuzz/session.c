// SPDX-License-Identifier: GPL-2.0
/*
 * sbexec-fuzz: a checked end-to-end session (cat echoing random stdin).
 */
#include "fuzz.h"

/* ---- a checked end-to-end session ---- */

struct exec_cat {
	uint32_t ring;
};

static void build_cat(struct fuzz *f, const void *arg)
{
	const struct exec_cat *c = arg;

	put_attr(f, SBEXEC_A_CMD, "cat", 4);
	if (c->ring)
		put_attr(f, SBEXEC_A_RING_SIZE, &c->ring, 4);
}

/*
 * EXEC cat, feed it random bytes through STDIN (retrying chunks that a
 * full stdin buffer interrupted), CLOSE_STDIN, and collect its output
 * through read() or the mapped ring: the output must be the input, on
 * stdout only, in gapless records, followed by exit code 0, EOF (or
 * EPOLLHUP), and the session must be gone once the reader closes.
 */
void op_roundtrip(struct fuzz *f, struct rng *r)
{
	static const uint32_t rings[] = { 4096, 8192, 65536, 0 };
	static uint64_t b[64];
	struct exec_cat c = { .ring = rings[rnd(r, ARRAY_SIZE(rings))] };
	size_t total = 1 + rnd(r, chance(r, 70) ? 8192 : 98304), sent = 0, chunk;
	bool use_mmap = chance(r, 40), closed = false, done = false;
	uint64_t deadline = now_ns() + (uint64_t)f->o->session_timeout * 1000000000ULL;
	struct sbexec_attach a = { 0 };
	struct reader rd = { .fd = -1, .want_seq = 0 };
	struct sink sk = { 0 };
	uint8_t *in = malloc(total);
	uint32_t id = 0;
	int err, ret;
	ssize_t n;

	sk.buf = malloc(total);
	sk.cap = total;
	if (!in || !sk.buf) {
		perror("sbexec-fuzz: malloc");
		exit(2);
	}
	rnd_bytes(r, in, total);
	desc(f, " cat ring=%u bytes=%zu via %s", c.ring, total, use_mmap ? "mmap" : "read");
	f->private_ids = true;	/* the racer must not feed or signal this cat */
	err = nl_request(f, SBEXEC_CMD_EXEC, NLM_F_REQUEST | NLM_F_ACK, build_cat, &c, 0, &id);
	f->private_ids = false;
	if (err == EAGAIN) {
		count(f, OP_ROUNDTRIP, err);
		goto out;
	}
	if (err || !id) {
		unexpected(f, "roundtrip: EXEC cat: %s, id %u", errname(err), id);
		goto out;
	}
	desc(f, " id=%u", id);
	rd.fd = open(DEV_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	a.session_id = id;
	if (rd.fd < 0 || ioctl(rd.fd, SBEXEC_IOC_ATTACH, &a)) {
		unexpected(f, "roundtrip: ATTACH to fresh session %u: %s", id, errname(errno));
		goto out;
	}
	if (a.next_seq != 0 || !ring_size_ok(f, a.ring_size) ||
	    (c.ring && a.ring_size != c.ring)) {
		unexpected(f, "roundtrip: ATTACH to fresh session %u: next_seq %llu ring_size %u (asked %u)",
			   id, (unsigned long long)a.next_seq, a.ring_size, c.ring);
		goto out;
	}
	rd.id = id;
	rd.ring_size = a.ring_size;
	if (use_mmap && ring_map(f, &rd))
		goto out;

	while (!done) {
		bool progress = false;

		if (now_ns() > deadline) {
			unexpected(f, "roundtrip: session %u (cat, ring %u) not finished after %u s: %zu of %zu bytes sent, %zu received, stdin %s, exit record %s",
				   id, rd.ring_size, f->o->session_timeout, sent, total, sk.len,
				   closed ? "closed" : "open", rd.exit_seen ? "seen" : "not seen");
			goto out;
		}
		if (sent < total) {
			chunk = 1 + rnd(r, 16384);
			if (chunk > total - sent)
				chunk = total - sent;
			err = nl_simple(f, SBEXEC_CMD_STDIN, id, 0, in + sent, chunk, 200);
			if (err == 0) {
				sent += chunk;
				progress = true;
			} else if (err > 0) {
				unexpected(f, "roundtrip: STDIN of %zu bytes to session %u: %s",
					   chunk, id, errname(err));
				goto out;
			}
			/* No answer: interrupted while stdin was full; retry. */
		} else if (!closed) {
			err = nl_simple(f, SBEXEC_CMD_CLOSE_STDIN, id, 0, NULL, 0, 2000);
			if (err) {
				unexpected(f, "roundtrip: CLOSE_STDIN of session %u: %s", id, errname(err));
				goto out;
			}
			closed = true;
		}
		if (use_mmap) {
			uint64_t cons = ring_cons(&rd), prod = ring_prod(&rd), seq0;
			long nb;

			if (prod != cons) {
				nb = ring_walk(f, &rd, cons, prod, b, ARRAY_SIZE(b), &seq0, &sk);
				if (nb < 0)
					goto out;
				__atomic_store_n(&rd.cons->pos, prod, __ATOMIC_RELEASE);
				if (chance(r, 70)) {
					ret = ioctl(rd.fd, SBEXEC_IOC_CONSUMED);
				} else {
					struct pollfd pfd = { .fd = rd.fd, .events = POLLIN };

					ret = poll(&pfd, 1, 0) >= 0 && (pfd.revents & POLLERR) ? -1 : 0;
					errno = EINVAL;
				}
				if (ret) {
					unexpected(f, "roundtrip: session %u refused consumer position %llu (a record boundary): %s",
						   id, (unsigned long long)prod, errname(errno));
					goto out;
				}
				progress = true;
			} else if (rd.exit_seen) {
				struct pollfd pfd = { .fd = rd.fd, .events = POLLIN };

				if (poll(&pfd, 1, 100) > 0 && (pfd.revents & POLLHUP))
					done = true;
			}
		} else {
			size_t bs = chance(r, 50) ? 65536 + 64 : 16 + rnd(r, 8192);

			n = read(rd.fd, f->scratch, bs);
			if (n > 0) {
				if (!take_records(f, &rd, f->scratch, (size_t)n, &sk))
					goto out;
				progress = true;
			} else if (n == 0) {
				if (!rd.exit_seen) {
					unexpected(f, "roundtrip: session %u: EOF before the exit record", id);
					goto out;
				}
				done = true;
			} else if (errno != EAGAIN && errno != EMSGSIZE) {
				unexpected(f, "roundtrip: read() of session %u: %s", id, errname(errno));
				goto out;
			}
		}
		if (!progress && !done) {
			struct pollfd pfd = { .fd = rd.fd, .events = POLLIN };

			poll(&pfd, 1, 10);
		}
	}
	if (sk.len != total || memcmp(sk.buf, in, total)) {
		unexpected(f, "roundtrip: session %u: cat returned %zu bytes for %zu%s",
			   id, sk.len, total, sk.len == total ? " (different bytes)" : "");
		goto out;
	}
	if (sk.stderr_seen || !sk.have_exit || !sk.exit.exited || sk.exit.code) {
		unexpected(f, "roundtrip: session %u: stderr %s, exit exited=%u code=%u signal=%u",
			   id, sk.stderr_seen ? "written" : "empty", sk.exit.exited,
			   sk.exit.code, sk.exit.signal);
		goto out;
	}
	reader_close(f, &rd);
	err = nl_simple(f, SBEXEC_CMD_GET, id, 0, NULL, 0, 2000);
	if (err != ENOENT) {
		unexpected(f, "roundtrip: session %u still answers GET (%s) after its reader read the exit record and closed",
			   id, errname(err));
		goto out;
	}
	count(f, OP_ROUNDTRIP, 0);
out:
	if (rd.fd >= 0 || rd.cons || rd.ring)
		reader_close(f, &rd);
	free(in);
	free(sk.buf);
}
