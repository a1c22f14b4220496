// SPDX-License-Identifier: GPL-2.0
/*
 * sbexec-fuzz: message generators: random and malformed generic netlink
 * requests, clean requests, a well-formed EXEC that must succeed.
 */
#include "fuzz.h"

/* ---- message generators ---- */

static bool is_foreign(const struct fuzz *f, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < f->nforeign; i++)
		if (f->foreign[i] == id)
			return true;
	return false;
}

/*
 * A session id to aim at. @destructive ids (STDIN, CLOSE_STDIN, RESIZE,
 * SIGNAL, ATTACH) are our own sessions', 0, or >= 2^31, never a session
 * that existed before we started.
 */
uint32_t pick_id(struct fuzz *f, struct rng *r, bool destructive)
{
	unsigned int m = rnd(r, 100);
	uint32_t id;

	if (m < 40 && f->nids)	/* the newest: most likely still alive */
		id = f->ids[(f->ids_pos + MAX_IDS - 1 - rnd(r, f->nids < 4 ? f->nids : 4)) % MAX_IDS];
	else if (m < 75 && f->nids)
		id = f->ids[rnd(r, f->nids)];
	else if (m < 82 && f->nkeep)
		id = f->keep[rnd(r, f->nkeep)];
	else if (m < 87)
		id = 0;
	else if (m < 94 || destructive)
		id = (destructive ? 0x80000000u : 0) | (uint32_t)rnd64(r);
	else
		id = f->last_id + rnd(r, 4);
	if (destructive && id && id < 0x80000000u && is_foreign(f, id))
		id = 0xfffffff0u;
	return id;
}

/* Every slot is filled on the architectures the module is built for. */
static const char *const rlimit_names[RLIM_NLIMITS] = { SBEXEC_RLIMIT_NAMES };

static const char *const bogus_rlimits[] = {
	"bogus", "CPU", "nofile\n", "", "nofilexxxxxxxxx", "as ", "rttimes",
};

static void gen_rlimit(struct fuzz *f, struct rng *r, bool clean)
{
	uint16_t type = SBEXEC_A_RLIMIT | NLA_F_NESTED;
	size_t off;
	uint64_t soft, hard;

	if (!clean && chance(r, 8))
		type &= (uint16_t)~NLA_F_NESTED;
	off = nla_begin(f, type);
	if (clean || chance(r, 92)) {
		const char *name = clean || chance(r, 85) ?
			rlimit_names[rnd(r, ARRAY_SIZE(rlimit_names))] :
			bogus_rlimits[rnd(r, ARRAY_SIZE(bogus_rlimits))];

		put_str(f, r, SBEXEC_RLIMIT_A_NAME, name,
			SBEXEC_MAX_RLIMIT_NAME, "", clean);
	}
	soft = interesting_u64(r);
	hard = interesting_u64(r);
	if (clean || chance(r, 70)) {
		if (soft > hard) {
			uint64_t t = soft;

			soft = hard;
			hard = t;
		}
	}
	if (clean || chance(r, 92))
		put_int(f, r, SBEXEC_RLIMIT_A_SOFT, soft, 8, clean);
	if (clean || chance(r, 92))
		put_int(f, r, SBEXEC_RLIMIT_A_HARD, hard, 8, clean);
	if (!clean && chance(r, 5))
		put_int(f, r, SBEXEC_RLIMIT_A_PAD, 0, 8, false);
	if (!clean && chance(r, 5))
		put_int(f, r, (uint16_t)(5 + rnd(r, 40)), rnd64(r), 4, false);
	if (!clean && chance(r, 4))
		put_int(f, r, SBEXEC_RLIMIT_A_SOFT, soft, 8, false);
	nla_finish(f, off);
}

/* A random attribute type; in an EXEC never CMD. */
static uint16_t junk_type(struct fuzz *f, struct rng *r)
{
	uint16_t t;

	do
		t = chance(r, 80) ? (uint16_t)rnd(r, SBEXEC_A_MAX + 4) :
				    (uint16_t)rnd64(r);
	while (f->in_exec && (t & NLA_TYPE_MASK) == SBEXEC_A_CMD);
	return t;
}

static void gen_junk(struct fuzz *f, struct rng *r)
{
	uint16_t t = junk_type(f, r);
	size_t n = chance(r, 50) ? 4 : rnd(r, 80);
	uint8_t b[80];

	rnd_bytes(r, b, sizeof(b));
	put_attr(f, t, b, n);
	mut(f, " junk%u:%zu", t, n);
}

/* Nests inside nests, @depth deep, with garbage at the bottom. */
static void gen_deep_nest(struct fuzz *f, struct rng *r, uint16_t type)
{
	unsigned int depth = 2 + rnd(r, chance(r, 80) ? 16 : 400), i;
	size_t offs[402];
	uint8_t b[16];

	for (i = 0; i < depth; i++) {
		uint16_t t = i ? (uint16_t)rnd(r, 8) : type;

		if (f->in_exec && t == SBEXEC_A_CMD)
			t = SBEXEC_A_RLIMIT;
		if (chance(r, 85))
			t |= NLA_F_NESTED;
		offs[i] = nla_begin(f, t);
	}
	if (chance(r, 50)) {
		rnd_bytes(r, b, sizeof(b));
		put_attr(f, (uint16_t)rnd(r, 6), b, rnd(r, 16));
	}
	while (i--)
		nla_finish(f, offs[i]);
	mut(f, " deep-nest%u:%u", type, depth);
}

static const char *const exec_cmds[] = {
	"/bin/true", "true", "/usr/bin/true", NONEXISTENT "x",
	"sbexec-fuzz-no-such-command", "/", "/dev/null", "/etc/hostname", ".",
	"/bin/true/", "./sbexec-fuzz-no-such", "/proc/self/fd/999",
};

static const char *const arg_dict[] = {
	"", "-", "--", "-n", "-c", "%s%s%s%n", "\xff\xfe", "\n", " ", "A",
	"x=y", "--help", "--version", "\x1b[2J", "$HOME", "*", "../..",
};

static const char *const env_dict[] = {
	"A=1", "PATH=/nonexistent", "HOME=/", "TERM=dumb", "=x", "NOEQUALS",
	"K=", "LANG=C", "A=2", "PATH=", "HOME=", "X==", "TERM=xterm-256color",
	"LD_PRELOAD=" NONEXISTENT "x.so", "\xff=\xfe",
};

static const char *const user_dict[] = {
	"root", "0", "0:0", "nobody", "65534", "65534:65534", "root:root",
	"sbexec-fuzz-nosuch", ":", "0:", ":0", " 0 ", "4294967295", "-1",
	"99999", "99999:99999", "root:sbexec-fuzz-nosuch", "nobody:nogroup",
	"root:", "a:b:c",
};

static const char *const cwd_dict[] = {
	"/", "/tmp", NONEXISTENT, "/etc/hostname", ".", "..", "/proc/self",
	"/dev", "relative/dir",
};

static void rnd_printable(struct rng *r, char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		s[i] = (char)(' ' + 1 + rnd(r, 94));
	s[n] = 0;
}

static void gen_args(struct fuzz *f, struct rng *r, uint16_t type, bool env)
{
	unsigned int m = rnd(r, 100), n, i;
	char s[80];

	if (m < 45)
		return;
	if (m < 80)
		n = 1 + rnd(r, 4);
	else if (m < 94)
		n = 5 + rnd(r, 60);
	else if (m < 97)
		n = 1018 + rnd(r, 12);	/* around SBEXEC_MAX_ARGS */
	else
		n = 3 + rnd(r, 3);	/* huge ones: over SBEXEC_MAX_ARGV_BYTES */
	desc(f, " %s*%u", env ? "env" : "arg", n);
	for (i = 0; i < n; i++) {
		if (m >= 97) {
			size_t len = 60000 + rnd(r, 5000), off;

			off = nla_begin(f, type);
			buf_put(&f->tx, env ? "BIG=" : "", env ? 4 : 0);
			buf_fill(&f->tx, 'B', len);
			buf_put(&f->tx, "", 1);
			nla_finish(f, off);
			continue;
		}
		if (m >= 94) {
			put_attr(f, type, env ? "A=1" : "a", env ? 4 : 2);
			continue;
		}
		if (chance(r, 50)) {
			const char *d = env ? env_dict[rnd(r, ARRAY_SIZE(env_dict))] :
					      arg_dict[rnd(r, ARRAY_SIZE(arg_dict))];

			put_str(f, r, type, d, SBEXEC_MAX_ARG_LEN, "", false);
		} else {
			size_t len = rnd(r, 40);

			rnd_printable(r, s, len);
			if (env && len > 2)
				s[rnd(r, (uint32_t)len)] = '=';
			put_str(f, r, type, s, SBEXEC_MAX_ARG_LEN, "", false);
		}
	}
}

static void gen_exec(struct fuzz *f, struct rng *r, struct pend *p)
{
	unsigned int i, n;
	uint32_t flags;

	f->in_exec = true;
	if (chance(r, 95)) {
		const char *c = exec_cmds[rnd(r, ARRAY_SIZE(exec_cmds))];

		desc(f, " cmd=%s", c);
		put_str(f, r, SBEXEC_A_CMD, c, SBEXEC_MAX_PATH_LEN, NONEXISTENT,
			false);
		if (chance(r, 3))
			put_str(f, r, SBEXEC_A_CMD, "/bin/true", SBEXEC_MAX_PATH_LEN,
				NONEXISTENT, false);
	}
	gen_args(f, r, SBEXEC_A_ARG, false);
	gen_args(f, r, SBEXEC_A_ENV, true);
	if (chance(r, 25))
		put_str(f, r, SBEXEC_A_CWD, cwd_dict[rnd(r, ARRAY_SIZE(cwd_dict))],
			SBEXEC_MAX_PATH_LEN, "/", false);
	if (chance(r, 25))
		put_str(f, r, SBEXEC_A_USER, user_dict[rnd(r, ARRAY_SIZE(user_dict))],
			SBEXEC_MAX_USER_LEN, "", false);
	if (chance(r, 15))
		put_flag(f, r, SBEXEC_A_TTY, false);
	if (chance(r, 15))
		put_int(f, r, SBEXEC_A_ROWS, interesting_u32(r), 2, false);
	if (chance(r, 15))
		put_int(f, r, SBEXEC_A_COLS, interesting_u32(r), 2, false);
	n = chance(r, 70) ? 0 : chance(r, 85) ? 1 + rnd(r, 3) : 15 + rnd(r, 4);
	for (i = 0; i < n; i++)
		gen_rlimit(f, r, false);
	if (chance(r, 10)) {
		flags = chance(r, 50) ? interesting_u32(r) : SBEXEC_EXEC_F_KEEP_RUNNING;
		/* KEEP_RUNNING only while the budget lasts, valid or not. */
		if (flags & SBEXEC_EXEC_F_KEEP_RUNNING) {
			if (f->keep_tried < f->o->max_keep) {
				f->keep_tried++;
				p->keep = true;
			} else {
				flags &= ~SBEXEC_EXEC_F_KEEP_RUNNING;
			}
		}
		desc(f, " flags=%#x", flags);
		put_int(f, r, SBEXEC_A_FLAGS, flags, 4, false);
	}
	if (chance(r, 15)) {
		static const uint32_t sizes[] = {
			0, 1, 4095, 4096, 4097, 65536, 1 << 20, 3 << 20,
			16 << 20, (16 << 20) + 1, 0xffffffff,
		};
		uint32_t rs = chance(r, 70) ? sizes[rnd(r, 6)] :
			      chance(r, 90) ? sizes[rnd(r, ARRAY_SIZE(sizes))] :
					      (uint32_t)rnd64(r);

		desc(f, " ring=%u", rs);
		put_int(f, r, SBEXEC_A_RING_SIZE, rs, 4, false);
	}
}

static size_t stdin_len(struct rng *r)
{
	unsigned int m = rnd(r, 100);

	if (m < 60)
		return 1 + rnd(r, 64);
	if (m < 85)
		return 65 + rnd(r, 4032);
	if (m < 94)
		return 4097 + rnd(r, SBEXEC_MAX_STDIN_CHUNK - 4096);
	if (m < 97)
		return SBEXEC_MAX_STDIN_CHUNK + rnd(r, 64);
	return 0;
}

static uint32_t pick_signal(struct rng *r)
{
	static const uint32_t sigs[] = {
		SIGHUP, SIGINT, SIGQUIT, SIGKILL, SIGUSR1, SIGPIPE, SIGTERM,
		SIGCONT, SIGSTOP, SIGTSTP, SIGWINCH, 32, 33, 34, 64, 0, 65, 128,
		0xffffffff, 0x80000001,
	};

	return chance(r, 80) ? sigs[rnd(r, ARRAY_SIZE(sigs))] : (uint32_t)rnd64(r);
}

/* Break the framing of one attribute of the message being built. */
void mutate_framing(struct fuzz *f, struct rng *r)
{
	struct nlattr *a;
	size_t off, real;
	unsigned int i;

	if (!f->nattrs)
		return;
	off = f->attrs[rnd(r, f->nattrs)];
	if (off + NLA_HDRLEN > f->tx.len)
		return;
	a = (void *)(f->tx.p + off);
	real = a->nla_len;
	switch (rnd(r, 8)) {
	case 0:
		a->nla_len = (uint16_t)rnd(r, NLA_HDRLEN);
		break;
	case 1:
		a->nla_len = (uint16_t)(real + 1 + rnd(r, 64) > 0xffff ?
					0xffff : real + 1 + rnd(r, 64));
		break;
	case 2:
		a->nla_len = 0xffff;
		break;
	case 3:
		if (real > NLA_HDRLEN)
			a->nla_len = (uint16_t)(NLA_HDRLEN +
						rnd(r, (uint32_t)(real - NLA_HDRLEN)));
		break;
	case 4:
		a->nla_type ^= NLA_F_NESTED;
		break;
	case 5:
		a->nla_type ^= NLA_F_NET_BYTEORDER;
		break;
	case 6:
		a->nla_type = junk_type(f, r);
		break;
	default:
		/* Cut the message inside this attribute. */
		f->tx.len = off + rnd(r, (uint32_t)(real ? real : 1));
		for (i = 0; i < f->nattrs; i++)
			if (f->attrs[i] + NLA_HDRLEN > f->tx.len)
				f->attrs[i] = 0;
		mut(f, " cut@%zu", off);
		return;
	}
	mut(f, " nla@%zu:len%zu->%u,type%#x", off, real, a->nla_len, a->nla_type);
}

static void gen_body(struct fuzz *f, struct rng *r, enum op op, struct pend *p)
{
	size_t n;
	uint8_t *d;
	uint32_t id;

	switch (op) {
	case OP_EXEC:
		gen_exec(f, r, p);
		return;
	case OP_STDIN:
		if (chance(r, 92)) {
			id = pick_id(f, r, true);
			desc(f, " id=%u", id);
			put_int(f, r, SBEXEC_A_SESSION_ID, id, 4, false);
		}
		if (chance(r, 92)) {
			size_t off = nla_begin(f, SBEXEC_A_STDIN_DATA);

			n = stdin_len(r);
			d = buf_grow(&f->tx, n);
			rnd_bytes(r, d, n);
			nla_finish(f, off);
			desc(f, " data=%zu", n);
		}
		return;
	case OP_CLOSE_STDIN:
	case OP_RESIZE:
	case OP_SIGNAL:
		if (chance(r, 92)) {
			id = pick_id(f, r, true);
			desc(f, " id=%u", id);
			put_int(f, r, SBEXEC_A_SESSION_ID, id, 4, false);
		}
		if (op == OP_RESIZE) {
			if (chance(r, 92))
				put_int(f, r, SBEXEC_A_ROWS, interesting_u32(r), 2, false);
			if (chance(r, 92))
				put_int(f, r, SBEXEC_A_COLS, interesting_u32(r), 2, false);
		}
		if (op == OP_SIGNAL && chance(r, 92)) {
			uint32_t sig = pick_signal(r);

			desc(f, " sig=%u", sig);
			put_int(f, r, SBEXEC_A_SIGNAL, sig, 4, false);
		}
		return;
	case OP_GET:
	case OP_LIST:
		if (chance(r, op == OP_GET ? 92 : 30)) {
			id = pick_id(f, r, false);
			desc(f, " id=%u", id);
			put_int(f, r, SBEXEC_A_SESSION_ID, id, 4, false);
		}
		return;
	default:
		/* Event and unknown commands: any other command's attributes. */
		gen_body(f, r, (enum op)(OP_STDIN + rnd(r, OP_LIST - OP_STDIN + 1)), p);
		if (chance(r, 30))
			put_str(f, r, SBEXEC_A_CMD, NONEXISTENT "x", SBEXEC_MAX_PATH_LEN,
				NONEXISTENT, false);
		return;
	}
}

/* Append one fuzzed generic netlink message of @op to f->tx. */
static void gen_msg(struct fuzz *f, struct rng *r, enum op op)
{
	uint16_t flags = NLM_F_REQUEST | NLM_F_ACK;
	uint8_t cmd;
	size_t off;
	unsigned int i, n;

	switch (op) {
	case OP_EXEC: cmd = SBEXEC_CMD_EXEC; break;
	case OP_STDIN: cmd = SBEXEC_CMD_STDIN; break;
	case OP_CLOSE_STDIN: cmd = SBEXEC_CMD_CLOSE_STDIN; break;
	case OP_RESIZE: cmd = SBEXEC_CMD_RESIZE; break;
	case OP_SIGNAL: cmd = SBEXEC_CMD_SIGNAL; break;
	case OP_GET: cmd = SBEXEC_CMD_GET; break;
	case OP_LIST:
		cmd = SBEXEC_CMD_LIST;
		flags |= NLM_F_DUMP;
		break;
	case OP_EVENT_CMD:
		cmd = (uint8_t)(SBEXEC_CMD_EVENT_STARTED + rnd(r, 3));
		break;
	case OP_UNKNOWN_CMD:
		cmd = chance(r, 30) ? SBEXEC_CMD_UNSPEC :
		      (uint8_t)(SBEXEC_CMD_MAX + 1 + rnd(r, 255 - SBEXEC_CMD_MAX));
		break;
	default:	/* OP_GENL_RAW: anything but EXEC */
		do
			cmd = (uint8_t)rnd(r, 256);
		while (cmd == SBEXEC_CMD_EXEC);
		break;
	}
	if (chance(r, 3)) {
		flags = (uint16_t)rnd64(r);
		if (chance(r, 70))
			flags |= NLM_F_REQUEST;
	} else {
		if (chance(r, 4))
			flags &= (uint16_t)~NLM_F_ACK;
		if (chance(r, 3))
			flags |= NLM_F_ECHO;
		if (op != OP_LIST && chance(r, 2))
			flags |= NLM_F_DUMP;
		if (op == OP_LIST && chance(r, 5))
			flags &= (uint16_t)~NLM_F_DUMP;
	}
	if (op == OP_EXEC && (flags & NLM_F_DUMP) != NLM_F_DUMP)
		f->in_exec = true;
	off = msg_start(f, r, op, cmd, flags, false);
	desc(f, " [%s cmd=%u flags=%#x", op_info[op].name, cmd, flags);
	f->nattrs = 0;
	f->nmut = 0;
	if (op == OP_GENL_RAW) {
		n = chance(r, 50) ? rnd(r, 64) : rnd(r, 2048);
		rnd_bytes(r, buf_grow(&f->tx, n), n);
		desc(f, " raw=%u", n);
	} else {
		gen_body(f, r, op, &f->pend[f->npend - 1]);
		if (chance(r, 20))
			for (i = 1 + rnd(r, 3); i; i--)
				gen_junk(f, r);
		if (chance(r, 3))
			gen_deep_nest(f, r, chance(r, 50) ? SBEXEC_A_RLIMIT :
					junk_type(f, r) & NLA_TYPE_MASK);
		if (chance(r, 10))
			mutate_framing(f, r);
		/*
		 * An EXEC the module accepts costs a fork and exec in the
		 * helper (about 0.1 s under TCG): spoil most of the clean ones
		 * with an attribute type beyond SBEXEC_A_MAX.
		 */
		if (op == OP_EXEC && !f->nmut && chance(r, 80)) {
			uint32_t v = (uint32_t)rnd64(r);

			put_attr(f, (uint16_t)(SBEXEC_A_MAX + 1 + rnd(r, 3)), &v, 4);
			mut(f, " unknown-attr");
		}
	}
	msg_end(f, r, off, false);
	desc(f, " len=%zu]", f->tx.len - off);
	f->in_exec = false;
}

/* f->tx: exactly one fuzzed message of @op (a bridge REQUEST's payload). */
void gen_one(struct fuzz *f, struct rng *r, enum op op)
{
	tx_reset(f);
	gen_msg(f, r, op);
}

void op_genl(struct fuzz *f, struct rng *r, enum op op)
{
	unsigned int extra = chance(r, 5) ? 1 + rnd(r, 3) : 0;

	tx_reset(f);
	gen_msg(f, r, op);
	while (extra--)
		gen_msg(f, r, (enum op)(OP_STDIN + rnd(r, OP_GENL_RAW - OP_STDIN + 1)));
	nl_xmit(f, 300, false, true);
}

/* A clean request: @build appends attributes; returns the answer's errno
 * (0, positive, or -1 for no answer) and the session id of an EXEC. */
int nl_request(struct fuzz *f, uint8_t cmd, uint16_t flags,
	       void (*build)(struct fuzz *, const void *), const void *arg,
	       long ms, uint32_t *sid)
{
	struct rng none = { 0 };
	size_t off;

	tx_reset(f);
	off = msg_start(f, &none, OP_GET, cmd, flags, true);
	if (build)
		build(f, arg);
	msg_end(f, &none, off, true);
	nl_xmit(f, ms, true, false);
	if (sid)
		*sid = f->pend[0].sid;
	return f->pend[0].answered ? f->pend[0].err : -1;
}

struct id_arg {
	uint32_t id;
	uint32_t sig;
	const void *data;
	size_t len;
};

static void build_id(struct fuzz *f, const void *arg)
{
	const struct id_arg *a = arg;

	put_attr(f, SBEXEC_A_SESSION_ID, &a->id, 4);
	if (a->sig)
		put_attr(f, SBEXEC_A_SIGNAL, &a->sig, 4);
	if (a->data)
		put_attr(f, SBEXEC_A_STDIN_DATA, a->data, a->len);
}

int nl_simple(struct fuzz *f, uint8_t cmd, uint32_t id, uint32_t sig,
	      const void *data, size_t len, long ms)
{
	struct id_arg a = { .id = id, .sig = sig, .data = data, .len = len };

	return nl_request(f, cmd, NLM_F_REQUEST | NLM_F_ACK, build_id, &a, ms, NULL);
}

const char *errname(int e)
{
	static char b[16];
	const char *n;

	if (e == 0)
		return "ok";
	if (e < 0)
		return "no-reply";
	n = strerrorname_np(e);
	if (n)
		return n;
	snprintf(b, sizeof(b), "E%d", e);
	return b;
}

/* A well-formed EXEC of a harmless command; its id joins the pool. */
void op_exec_ok(struct fuzz *f, struct rng *r)
{
	unsigned int t = rnd(r, 100);
	struct rng none = { 0 };
	const char *what;
	struct pend *p;
	uint32_t flags = 0;
	size_t off;

	tx_reset(f);
	off = msg_start(f, &none, OP_EXEC_OK, SBEXEC_CMD_EXEC,
			NLM_F_REQUEST | NLM_F_ACK, true);
	p = &f->pend[0];
	if (t < 45) {
		what = "/bin/true";
		put_attr(f, SBEXEC_A_CMD, what, strlen(what) + 1);
		if (chance(r, 30)) {
			put_attr(f, SBEXEC_A_TTY, NULL, 0);
			what = "/bin/true (tty)";
		}
		if (chance(r, 20)) {
			uint16_t rows = 24, cols = 80;

			put_attr(f, SBEXEC_A_ROWS, &rows, 2);
			put_attr(f, SBEXEC_A_COLS, &cols, 2);
		}
		if (chance(r, 20))
			put_attr(f, SBEXEC_A_ENV, "A=1", 4);
		if (chance(r, 10))
			put_attr(f, SBEXEC_A_USER, "nobody", 7);
		if (chance(r, 10))
			put_attr(f, SBEXEC_A_CWD, "/", 2);
		if (chance(r, 10)) {
			size_t n = nla_begin(f, SBEXEC_A_RLIMIT | NLA_F_NESTED);
			uint64_t v = 1024;

			put_attr(f, SBEXEC_RLIMIT_A_NAME, "nofile", 7);
			put_attr(f, SBEXEC_RLIMIT_A_SOFT, &v, 8);
			put_attr(f, SBEXEC_RLIMIT_A_HARD, &v, 8);
			nla_finish(f, n);
		}
	} else if (t < 70) {
		what = "sleep 0.1";
		put_attr(f, SBEXEC_A_CMD, "sleep", 6);
		put_attr(f, SBEXEC_A_ARG, "0.1", 4);
	} else {
		what = "cat";
		put_attr(f, SBEXEC_A_CMD, "cat", 4);
		if (chance(r, 20)) {
			put_attr(f, SBEXEC_A_TTY, NULL, 0);
			what = "cat (tty)";
		}
	}
	if (chance(r, 15)) {
		uint32_t rs = chance(r, 50) ? 4096 : 65536;

		put_attr(f, SBEXEC_A_RING_SIZE, &rs, 4);
	}
	if (t < 70 && f->keep_tried < f->o->max_keep && chance(r, 10)) {
		f->keep_tried++;
		flags = SBEXEC_EXEC_F_KEEP_RUNNING;
		put_attr(f, SBEXEC_A_FLAGS, &flags, 4);
		p->keep = true;
	}
	msg_end(f, &none, off, true);
	desc(f, " %s%s", what, flags ? " keep-running" : "");
	nl_xmit(f, 0, true, true);
	if (p->answered && p->err == EAGAIN)
		return;
	if (!p->answered)
		unexpected(f, "well-formed EXEC of %s got no answer", what);
	else if (p->err)
		unexpected(f, "well-formed EXEC of %s failed: %s", what, errname(p->err));
	else if (!p->sid)
		unexpected(f, "well-formed EXEC of %s: the reply has no SESSION_ID", what);
	else
		desc(f, " id=%u", p->sid);
}
