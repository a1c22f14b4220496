// SPDX-License-Identifier: GPL-2.0
/*
 * run.c - `sbexec run` and `sbexec attach`: start (or find) a session and
 * stream it.
 *
 * One thread streams: it polls the session's reader descriptor and a
 * signalfd, writes stdout and stderr records to our own stdout and stderr,
 * forwards SIGINT, SIGTERM, SIGHUP and SIGQUIT to the session, and turns
 * SIGWINCH into RESIZE. With -i a second thread, on its own netlink handle,
 * copies our stdin to the session. Keeping stdin apart means a session that
 * stops reading its stdin while its output waits to be read can never
 * deadlock against us.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cli.h"

#define READ_BUF	(128 * 1024)	/* >= SBEXEC_BRIDGE_MAX_DATA */
#define READ_BUF_MAX	(64 * 1024 * 1024)

/* ---- stdin forwarding thread ---- */

struct stdin_fwd {
	pthread_t thread;
	bool started;
	int stop[2];		/* written by the streamer to end the thread */
	uint32_t id;
	struct sbexec *h;	/* the thread's own handle (sbexec_clone()) */
};

static void *stdin_main(void *arg)
{
	struct stdin_fwd *fw = arg;
	struct sbexec *h = fw->h;
	char *buf;
	int err;

	buf = malloc(SBEXEC_MAX_STDIN_CHUNK);
	if (!buf)
		return NULL;
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = STDIN_FILENO, .events = POLLIN },
			{ .fd = fw->stop[0], .events = POLLIN },
		};
		ssize_t n;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents)
			break;
		if (!pfd[0].revents)
			continue;
		n = read(STDIN_FILENO, buf, SBEXEC_MAX_STDIN_CHUNK);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			/* EOF (or an unreadable stdin): the session sees EOF. */
			sbexec_close_stdin(h, fw->id);
			break;
		}
		/*
		 * One chunk at most, so a retry after -EINTR (nothing was
		 * queued) cannot repeat bytes. A session that has ended takes
		 * no more input: stop quietly.
		 */
		do {
			err = sbexec_stdin(h, fw->id, buf, (size_t)n);
		} while (err == -EINTR);
		if (err < 0)
			break;
	}
	free(buf);
	return NULL;
}

static int stdin_fwd_start(struct stdin_fwd *fw, struct sbexec *h, uint32_t id)
{
	int err;

	fw->id = id;
	/* Its own handle: a local socket, or a turn on the same link. */
	err = sbexec_clone(h, &fw->h);
	if (err < 0)
		return err;
	if (pipe2(fw->stop, O_CLOEXEC) < 0) {
		err = -errno;
		goto close_handle;
	}
	err = -pthread_create(&fw->thread, NULL, stdin_main, fw);
	if (err) {
		close(fw->stop[0]);
		close(fw->stop[1]);
		goto close_handle;
	}
	fw->started = true;
	return 0;

close_handle:
	sbexec_close(fw->h);
	fw->h = NULL;
	return err;
}

static void stdin_fwd_stop(struct stdin_fwd *fw)
{
	if (!fw->started)
		return;
	write_all(fw->stop[1], "x", 1);
	pthread_join(fw->thread, NULL);
	close(fw->stop[0]);
	close(fw->stop[1]);
	sbexec_close(fw->h);
	fw->h = NULL;
	fw->started = false;
}

/* ---- the streaming loop ---- */

struct stream {
	struct sbexec *h;
	uint32_t id;
	int rfd;		/* attached reader */
	int sfd;		/* signalfd */
	struct stream_opts so;
	bool out_broken;	/* our stdout failed: drop stdout records */
	bool err_broken;
	uint64_t next_seq;
	bool seq_warned;
	bool have_exit;
	struct sbexec_exit_info exit;
	int nr_sigint;		/* SIGINTs received */
	int ended_by;		/* signal that made us end the session, or 0 */
};

/*
 * End the whole session (every process of it) because of our signal @sig:
 * we then exit 128+@sig, as a shell would, once its exit record is in.
 */
static void end_session(struct stream *s, int sig)
{
	if (s->ended_by)
		return;
	s->ended_by = sig;
	if (sbexec_signal_scope(s->h, s->id, SIGKILL,
				SBEXEC_SIGNAL_SCOPE_TREE) < 0 && !s->have_exit)
		errmsg("cannot end session %u: %s", s->id,
		       sbexec_strerror_last(s->h));
}

/*
 * Forward @sig to the session's process group. One that cannot be
 * forwarded (the group is gone, its members are elsewhere), or a second
 * SIGINT, ends the session: sbexec never becomes uninterruptible.
 */
static void forward_signal(struct stream *s, int sig)
{
	if (sig == SIGINT && ++s->nr_sigint > 1) {
		end_session(s, sig);
		return;
	}
	if (sbexec_signal(s->h, s->id, sig) < 0 && !s->have_exit) {
		errmsg("cannot forward signal %d (%s): ending the session", sig,
		       sbexec_strerror_last(s->h));
		end_session(s, sig);
	}
}

static void on_signal(struct stream *s)
{
	struct signalfd_siginfo si;
	uint16_t rows, cols;

	while (read(s->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGWINCH) {
			if (!s->so.tty)
				continue;
			term_size(&rows, &cols);
			if (sbexec_resize(s->h, s->id, rows, cols) < 0)
				errmsg("cannot resize the terminal: %s",
				       sbexec_strerror_last(s->h));
			continue;
		}
		forward_signal(s, (int)si.ssi_signo);
	}
}

static void put_output(struct stream *s, int fd, bool *broken,
		       const void *data, size_t len)
{
	int err;

	if (*broken || !len)
		return;
	err = write_all(fd, data, len);
	if (!err)
		return;
	*broken = true;
	/*
	 * Our reader went away: the session gets SIGPIPE, as it would if it
	 * wrote to that pipe itself. Its remaining output is drained.
	 */
	if (err == -EPIPE && fd == STDOUT_FILENO)
		forward_signal(s, SIGPIPE);
	else if (fd == STDOUT_FILENO)
		errmsg("cannot write the output: %s", strerror(-err));
}

static int on_records(struct stream *s, const void *buf, size_t len)
{
	struct sbexec_record_iter it;
	const struct sbexec_record *rec;
	const void *payload;
	int ret;

	sbexec_record_iter_init(&it, buf, len);
	while ((ret = sbexec_record_next(&it, &rec, &payload)) > 0) {
		if ((rec->seq != s->next_seq || s->have_exit) && !s->seq_warned) {
			errmsg("output record %llu out of sequence (expected %llu)",
			       (unsigned long long)rec->seq,
			       (unsigned long long)s->next_seq);
			s->seq_warned = true;
		}
		s->next_seq = rec->seq + 1;
		switch (rec->stream) {
		case SBEXEC_STREAM_STDOUT:
			put_output(s, STDOUT_FILENO, &s->out_broken, payload, rec->len);
			break;
		case SBEXEC_STREAM_STDERR:
			put_output(s, STDERR_FILENO, &s->err_broken, payload, rec->len);
			break;
		case SBEXEC_STREAM_EXIT:
			sbexec_exit_info_copy(&s->exit, payload, rec->len);
			s->have_exit = true;
			break;
		}
	}
	if (ret < 0)
		errmsg("malformed output records from the module");
	return ret;
}

/* Read records until the final one; returns 0 or -errno. */
static int stream_loop(struct stream *s)
{
	size_t cap = READ_BUF;
	char *buf = malloc(cap), *p;
	int err = 0;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = s->rfd, .events = POLLIN },
			{ .fd = s->sfd, .events = POLLIN },
		};
		ssize_t n;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (pfd[1].revents & POLLIN)
			on_signal(s);
		if (!pfd[0].revents)
			continue;
		n = sbexec_read_records(s->rfd, buf, cap);
		if (n == -EMSGSIZE && cap < READ_BUF_MAX) {
			cap *= 2;
			p = realloc(buf, cap);
			if (!p) {
				err = -ENOMEM;
				break;
			}
			buf = p;
			continue;
		}
		if (n == -EAGAIN)
			continue;
		if (n <= 0) {
			err = (int)n;
			if (err < 0)
				errmsg("cannot read the session's output: %s",
				       strerror(-err));
			break;
		}
		if (on_records(s, buf, (size_t)n) < 0) {
			err = -EBADMSG;
			break;
		}
	}
	free(buf);
	return err;
}

/*
 * The exit status for an exit record: 124 when the session's deadline
 * ended it (as timeout(1)), 128+N when our signal N made us end it, else
 * the command's code or 128+signal.
 */
static int exit_code(const struct stream *s)
{
	if (s->exit.timed_out)
		return EXIT_TIMED_OUT;
	if (s->ended_by)
		return 128 + s->ended_by;
	return sbexec_exit_status(&s->exit);
}

/*
 * Stream session @id until its exit record. @close_stdin: close the
 * session's stdin now (run without -i). @kill_on_attach_failure: the
 * session is ours and nobody could read it, so end it. @exit_out, when
 * not NULL, receives the exit record (zeroed when none arrived).
 * Returns the exit code for the process.
 */
static int stream_session(struct sbexec *h, uint32_t id,
			  const struct stream_opts *so, bool close_stdin,
			  bool kill_on_attach_failure,
			  struct sbexec_exit_info *exit_out)
{
	struct stream s = { .h = h, .id = id, .so = *so, .sfd = -1 };
	struct term_state ts = { .fd = -1 };
	struct stdin_fwd fw = { .started = false };
	struct sbexec_attach info;
	sigset_t set, old;
	int rc = EXIT_CLI_ERROR, err;

	s.rfd = sbexec_attach_info(h, id, &info);
	if (s.rfd < 0) {
		errmsg("%s", sbexec_strerror_last(h));
		if (kill_on_attach_failure)
			sbexec_signal(h, id, SIGKILL);
		return EXIT_CLI_ERROR;
	}
	/* A reader that attaches later starts where the last one stopped. */
	s.next_seq = info.next_seq;
	if (close_stdin)
		sbexec_close_stdin(h, id);	/* may have exited already */

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	if (so->tty)
		sigaddset(&set, SIGWINCH);
	/* Blocked before the stdin thread starts, so it inherits the mask. */
	pthread_sigmask(SIG_BLOCK, &set, &old);
	s.sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s.sfd < 0) {
		errmsg("signalfd: %s", strerror(errno));
		goto out;
	}
	if (so->raw && term_raw(&ts, STDIN_FILENO) < 0)
		ts.fd = -1;	/* not a terminal after all: carry on cooked */
	if (so->forward_stdin) {
		err = stdin_fwd_start(&fw, h, id);
		if (err < 0) {
			errmsg("cannot forward stdin: %s", strerror(-err));
			goto out;
		}
	}

	err = stream_loop(&s);
	if (s.have_exit)
		rc = exit_code(&s);
	else if (!err)
		errmsg("session %u ended without an exit status", id);
	if (exit_out && s.have_exit)
		*exit_out = s.exit;
out:
	stdin_fwd_stop(&fw);
	term_restore(&ts);
	if (s.sfd >= 0)
		close(s.sfd);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(s.rfd);
	return rc;
}

/* ---- sbexec run ---- */

struct run_args {
	struct sbexec_exec_req req;
	struct stream_opts so;
	bool detach;
	const char *exit_json;	/* --exit-json FILE */
	const char **env;
	size_t nenv;
	struct sbexec_rlimit *rl;
	size_t nrl;
};

static void run_args_free(struct run_args *a)
{
	size_t i;

	for (i = 0; i < a->nrl; i++)
		free((char *)a->rl[i].name);
	free(a->rl);
	free(a->env);
}

static int add_env(struct run_args *a, const char *kv)
{
	const char **p = realloc(a->env, (a->nenv + 2) * sizeof(*p));

	if (!p)
		return -ENOMEM;
	a->env = p;
	a->env[a->nenv++] = kv;
	a->env[a->nenv] = NULL;
	return 0;
}

static int add_rlimit(struct run_args *a, const char *spec, char *why,
		      size_t why_len)
{
	struct sbexec_rlimit *p;
	uint64_t soft, hard;
	char *name;
	int err;

	err = parse_rlimit(spec, &name, &soft, &hard, why, why_len);
	if (err)
		return err;
	p = realloc(a->rl, (a->nrl + 1) * sizeof(*p));
	if (!p) {
		free(name);
		snprintf(why, why_len, "out of memory");
		return -ENOMEM;
	}
	a->rl = p;
	p[a->nrl++] = (struct sbexec_rlimit){ .name = name, .soft = soft, .hard = hard };
	return 0;
}

void usage_run(FILE *f)
{
	fprintf(f,
"usage: sbexec run [-t] [-i] [-d] [-u USER[:GROUP]] [-w DIR] [-e K=V]...\n"
"                  [--rlimit NAME=SOFT[:HARD]]... [--ring-size BYTES]\n"
"                  [--direct-output]\n"
"                  [--] CMD [ARG]...\n"
"\n"
"Run CMD in a new sbexec session and stream its output: the session's\n"
"stdout to ours, its stderr to ours.\n"
"\n"
"  -t, --tty            run on a pseudo terminal of our terminal's size\n"
"                       (24x80 when we have none); window size changes\n"
"                       follow. With -i on a terminal, ours goes raw.\n"
"  -i, --interactive    forward our stdin (EOF closes the session's);\n"
"                       without -i the session's stdin is closed at once\n"
"  -u, --user SPEC      run as user, uid, user:group or uid:gid\n"
"  -w, --workdir DIR    working directory\n"
"  -e, --env K=V        add an environment entry (repeatable)\n"
"  -d, --detach         start the session to outlive us, print its id and\n"
"                       exit 0 (its stdin is closed); `sbexec attach ID`\n"
"                       streams it later. Without -d the session is killed\n"
"                       when sbexec exits.\n"
"      --rlimit NAME=SOFT[:HARD]\n"
"                       resource limit (repeatable): cpu, fsize, data,\n"
"                       stack, core, rss, nproc, nofile, memlock, as,\n"
"                       locks, sigpending, msgqueue, nice, rtprio, rttime;\n"
"                       values are numbers or \"unlimited\"; SOFT alone\n"
"                       means SOFT:SOFT\n"
"      --ring-size BYTES\n"
"                       the session's output ring (suffix K or M allowed);\n"
"                       the module rounds it up to a power of two pages\n"
"                       and refuses more than its max_ring_size\n"
"      --timeout SECS   deadline (decimals allowed): then every process of\n"
"                       the session gets SIGTERM, --grace SECS later\n"
"                       (default 5) SIGKILL, and sbexec exits 124\n"
"      --grace SECS     see --timeout\n"
"      --max-procs N    live processes the session may have at once; a\n"
"                       fork past it is killed (default: the module's\n"
"                       max_members)\n"
"      --direct-output  the command's stdout and stderr are the module's\n"
"                       output files (one copy into the ring) instead of\n"
"                       pipes; fstat() shows a fifo, F_GETPIPE_SZ fails\n"
"                       (README: Direct output). Not with -t.\n"
"      --exit-json FILE write the exit record to FILE as JSON: code,\n"
"                       signal, core_dumped, timed_out, oom_killed,\n"
"                       cpu_user_ns, cpu_sys_ns, max_rss_kb, members,\n"
"                       members_refused, stdout_bytes, stderr_bytes,\n"
"                       wall_ns\n"
"  -h, --help           this text\n"
"\n"
"SIGINT, SIGTERM, SIGHUP and SIGQUIT are forwarded to the session's\n"
"process group. One that cannot be forwarded, or a second SIGINT, ends\n"
"the whole session and sbexec exits 128+N. When the command's first\n"
"process exits, its output so far is delivered and sbexec exits; other\n"
"processes it started are killed then (unless -d).\n"
"\n"
"Exit status: the command's exit code, or 128+N when signal N ended it;\n"
"124 when --timeout ended it;\n"
"127 when the command was not found and 126 when it could not be started\n"
"for another reason (one line on stderr: kind, errno, stage, message);\n"
"125 for any other error (bad usage, module not loaded, request refused:\n"
"the kernel's message is printed).\n");
}

/*
 * "S" or "S.FFF" seconds, at most @max_ms milliseconds, into @out (ms);
 * -1 if malformed or out of range. @zero_ok: 0 is allowed.
 */
static int parse_secs(const char *s, uint32_t max_ms, bool zero_ok,
		      uint32_t *out)
{
	unsigned long long ms = 0, scale = 1000;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		ms = ms * 10 + (unsigned long long)(*p - '0') * 1000;
		if (ms > max_ms)
			return -1;
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			scale /= 10;
			ms += (unsigned long long)(*p - '0') * scale;
		}
	}
	if (*p || ms > max_ms || (!ms && !zero_ok))
		return -1;
	*out = (uint32_t)ms;
	return 0;
}

/* "N", "NK" or "NM" bytes, 1 .. UINT32_MAX, into @out; -1 if malformed. */
static int parse_size(const char *s, uint32_t *out)
{
	unsigned long long v, mul = 1;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	if (*end == 'K' || *end == 'k')
		mul = 1024;
	else if (*end == 'M' || *end == 'm')
		mul = 1024 * 1024;
	if (mul != 1)
		end++;
	if (*end || !v || v > UINT32_MAX / mul)
		return -1;
	*out = (uint32_t)(v * mul);
	return 0;
}

/* Returns 0 to run, 1 after --help, -1 on a usage error. */
static int parse_run(int argc, char **argv, struct run_args *a)
{
	static const struct option longopts[] = {
		{ "tty", no_argument, NULL, 't' },
		{ "interactive", no_argument, NULL, 'i' },
		{ "user", required_argument, NULL, 'u' },
		{ "workdir", required_argument, NULL, 'w' },
		{ "env", required_argument, NULL, 'e' },
		{ "detach", no_argument, NULL, 'd' },
		{ "rlimit", required_argument, NULL, 'R' },
		{ "ring-size", required_argument, NULL, 'S' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "grace", required_argument, NULL, 'G' },
		{ "max-procs", required_argument, NULL, 'M' },
		{ "exit-json", required_argument, NULL, 'J' },
		{ "direct-output", no_argument, NULL, 'O' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char why[256];
	int c, err;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:tiu:w:e:dh", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			a->req.tty = true;
			break;
		case 'i':
			a->so.forward_stdin = true;
			break;
		case 'u':
			a->req.user = optarg;
			break;
		case 'w':
			a->req.cwd = optarg;
			break;
		case 'e':
			if (optarg[0] == '=' || !strchr(optarg, '=')) {
				errmsg("bad -e '%s': expected K=V with a non-empty K",
				       optarg);
				return -1;
			}
			if (add_env(a, optarg) < 0) {
				errmsg("out of memory");
				return -1;
			}
			break;
		case 'd':
			a->detach = true;
			break;
		case 'R':
			err = add_rlimit(a, optarg, why, sizeof(why));
			if (err) {
				errmsg("bad --rlimit '%s': %s", optarg, why);
				return -1;
			}
			break;
		case 'S':
			if (parse_size(optarg, &a->req.ring_size)) {
				errmsg("bad --ring-size '%s': expected a number of bytes from 1 to 4G-1, with an optional K or M suffix",
				       optarg);
				return -1;
			}
			break;
		case 'T':
			if (parse_secs(optarg, UINT32_MAX, false,
				       &a->req.timeout_ms)) {
				errmsg("bad --timeout '%s': expected seconds above 0 (decimals allowed), at most 4294967",
				       optarg);
				return -1;
			}
			break;
		case 'G':
			if (parse_secs(optarg, 3600 * 1000, true,
				       &a->req.grace_ms)) {
				errmsg("bad --grace '%s': expected seconds from 0 to 3600 (decimals allowed)",
				       optarg);
				return -1;
			}
			/* 0 on the wire means "the default": 1 ms is as good. */
			if (!a->req.grace_ms)
				a->req.grace_ms = 1;
			break;
		case 'M':
			if (parse_u32(optarg, &a->req.max_members) ||
			    !a->req.max_members) {
				errmsg("bad --max-procs '%s': expected a number from 1",
				       optarg);
				return -1;
			}
			break;
		case 'J':
			a->exit_json = optarg;
			break;
		case 'O':
			a->req.flags |= SBEXEC_EXEC_F_DIRECT_OUTPUT;
			break;
		case 'h':
			usage_run(stdout);
			return 1;
		case ':':
			errmsg("run: option '%s' needs a value", argv[optind - 1]);
			return -1;
		default:
			errmsg("run: unknown option '%s' (see sbexec run --help)",
			       argv[optind - 1]);
			return -1;
		}
	}
	if (a->detach && (a->so.forward_stdin || a->req.tty)) {
		errmsg("run: -d cannot be combined with -i or -t");
		return -1;
	}
	if (a->detach && a->exit_json) {
		errmsg("run: -d cannot be combined with --exit-json (nothing waits for the exit)");
		return -1;
	}
	if ((a->req.flags & SBEXEC_EXEC_F_DIRECT_OUTPUT) && a->req.tty) {
		errmsg("run: --direct-output cannot be combined with -t (a terminal session's output is its terminal)");
		return -1;
	}
	if (a->req.grace_ms && !a->req.timeout_ms) {
		errmsg("run: --grace needs --timeout");
		return -1;
	}
	if (optind >= argc) {
		errmsg("run: no command given (usage: sbexec run [OPTIONS] -- CMD [ARG]...)");
		return -1;
	}
	a->req.cmd = argv[optind];
	a->req.argv = (const char *const *)&argv[optind + 1];
	a->req.env = a->env;
	a->req.rlimits = a->rl;
	a->req.n_rlimits = a->nrl;
	if (a->detach)
		a->req.flags |= SBEXEC_EXEC_F_KEEP_RUNNING;
	a->so.tty = a->req.tty;
	a->so.raw = a->req.tty && a->so.forward_stdin && isatty(STDIN_FILENO);
	if (a->req.tty)
		term_size(&a->req.rows, &a->req.cols);
	return 0;
}

/*
 * The option value behind the attribute a refusal blames, so that the
 * line names it even where the kernel's message cannot (6.1 has no
 * formatted extack): "" when there is no single value to name.
 */
static void refused_value(struct sbexec *h, const struct sbexec_exec_req *req,
			  char *buf, size_t len)
{
	const char *bad = sbexec_last_bad_attr(h);

	buf[0] = '\0';
	if (!bad)
		return;
	if (!strcmp(bad, "SBEXEC_A_CMD"))
		snprintf(buf, len, "; command '%.200s'", req->cmd);
	else if (!strcmp(bad, "SBEXEC_A_CWD") && req->cwd)
		snprintf(buf, len, "; -w '%.200s'", req->cwd);
	else if (!strcmp(bad, "SBEXEC_A_USER") && req->user)
		snprintf(buf, len, "; -u '%.200s'", req->user);
	else if (!strcmp(bad, "SBEXEC_A_RING_SIZE"))
		snprintf(buf, len, "; --ring-size %u", req->ring_size);
	else if (!strcmp(bad, "SBEXEC_A_MAX_MEMBERS"))
		snprintf(buf, len, "; --max-procs %u", req->max_members);
}

/* Say why EXEC failed, in one line, and pick the exit code. */
static int exec_failed(struct sbexec *h, const struct sbexec_exec_req *req,
		       const struct sbexec_exec_result *res, int err)
{
	const struct sbexec_failure *f = &res->failure;
	const char *msg;
	char what[256];

	if (f->kind == SBEXEC_FAIL_NONE) {
		refused_value(h, req, what, sizeof(what));
		errmsg("%s%s", sbexec_strerror_last(h)[0] ? sbexec_strerror_last(h)
							  : strerror(-err),
		       what);
		return EXIT_CLI_ERROR;
	}
	msg = f->message[0] ? f->message : res->extack[0] ? res->extack
							  : strerror(-err);
	if (f->errno_name[0])
		errmsg("%s (%s) at %s: %s", sbexec_fail_kind_name(f->kind),
		       f->errno_name, sbexec_stage_name(f->stage), msg);
	else
		errmsg("%s at %s: %s", sbexec_fail_kind_name(f->kind),
		       sbexec_stage_name(f->stage), msg);
	return f->kind == SBEXEC_FAIL_NOT_FOUND ? EXIT_NOT_FOUND : EXIT_SPAWN_FAILED;
}

/* -d: close the session's stdin and say its id; it runs on without us. */
static int detached(struct sbexec *h, uint32_t id)
{
	char line[32];
	int n;

	sbexec_close_stdin(h, id);	/* may have exited already */
	n = snprintf(line, sizeof(line), "%u\n", id);
	if (write_all(STDOUT_FILENO, line, (size_t)n) < 0)
		return EXIT_CLI_ERROR;
	return 0;
}

/* --exit-json: the exit record as one JSON object. */
static int write_exit_json(const char *path, const struct sbexec_exit_info *ei)
{
	FILE *f = fopen(path, "we");
	int err = 0;

	if (!f) {
		errmsg("cannot write --exit-json '%s': %s", path, strerror(errno));
		return -1;
	}
	if (ei->exited)
		fprintf(f, "{\"code\": %u, \"signal\": null", ei->code);
	else
		fprintf(f, "{\"code\": null, \"signal\": %u", ei->signal);
	fprintf(f, ", \"core_dumped\": %s, \"timed_out\": %s, "
		"\"oom_killed\": %s, \"cpu_user_ns\": %llu, "
		"\"cpu_sys_ns\": %llu, \"max_rss_kb\": %llu, \"members\": %u, "
		"\"members_refused\": %u, \"stdout_bytes\": %llu, "
		"\"stderr_bytes\": %llu, \"wall_ns\": %llu}\n",
		ei->core_dumped ? "true" : "false",
		ei->timed_out ? "true" : "false",
		ei->oom_killed ? "true" : "false",
		(unsigned long long)ei->cpu_user_ns,
		(unsigned long long)ei->cpu_sys_ns,
		(unsigned long long)ei->max_rss_kb, ei->members,
		ei->members_refused, (unsigned long long)ei->stdout_bytes,
		(unsigned long long)ei->stderr_bytes,
		(unsigned long long)ei->wall_ns);
	if (ferror(f))
		err = -1;
	if (fclose(f))
		err = -1;
	if (err)
		errmsg("cannot write --exit-json '%s': %s", path, strerror(errno));
	return err;
}

int cmd_run(int argc, char **argv)
{
	struct run_args a = { .so = { .tty = false } };
	struct sbexec_exit_info ei = { 0 };
	struct sbexec_exec_result res;
	struct sbexec *h = NULL;
	int rc, err;

	rc = parse_run(argc, argv, &a);
	if (rc) {
		run_args_free(&a);
		return rc > 0 ? 0 : EXIT_CLI_ERROR;
	}
	if (cli_open(&h) < 0) {
		run_args_free(&a);
		return EXIT_CLI_ERROR;
	}
	err = sbexec_exec(h, &a.req, &res);
	if (err < 0)
		rc = exec_failed(h, &a.req, &res, err);
	else if (a.detach)
		rc = detached(h, res.session_id);
	else
		rc = stream_session(h, res.session_id, &a.so, !a.so.forward_stdin,
				    true, &ei);
	if (a.exit_json && err >= 0 && !a.detach && (ei.exited || ei.signal) &&
	    write_exit_json(a.exit_json, &ei) < 0)
		rc = EXIT_CLI_ERROR;
	sbexec_close(h);
	run_args_free(&a);
	return rc;
}

/* ---- sbexec attach ---- */

void usage_attach(FILE *f)
{
	fprintf(f,
"usage: sbexec attach ID\n"
"\n"
"Become the reader of session ID and stream its output as `sbexec run`\n"
"does, from the first record no reader has consumed; signals are\n"
"forwarded the same way. Sessions started by `sbexec run -d` can be\n"
"attached from here; others belong to the sbexec that started them.\n"
"Exits with the session's status, or 125 on an error.\n");
}

int cmd_attach(int argc, char **argv)
{
	struct stream_opts so = { .tty = false };
	struct sbexec_session_info *info;
	struct sbexec *h;
	uint32_t id;
	int rc;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage_attach(stdout);
		return 0;
	}
	if (argc != 2) {
		usage_attach(stderr);
		return EXIT_CLI_ERROR;
	}
	if (parse_u32(argv[1], &id) || !id) {
		errmsg("attach: bad session id '%s' (a number from 1)", argv[1]);
		return EXIT_CLI_ERROR;
	}
	if (cli_open(&h) < 0)
		return EXIT_CLI_ERROR;
	/* A PTY session's size follows ours; GET may not exist: then pipes. */
	info = calloc(1, sizeof(*info));
	if (info && sbexec_get(h, id, info) == 0)
		so.tty = info->tty;
	free(info);
	rc = stream_session(h, id, &so, false, false, NULL);
	sbexec_close(h);
	return rc;
}
