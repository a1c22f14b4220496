// SPDX-License-Identifier: GPL-2.0
/*
 * sbexec-fuzz: random and malformed input against every sbexec operation.
 *
 * Targets only the "sbexec" generic netlink family (resolved through
 * nlctrl) and /dev/sbexec. Each "message" is one operation: a generic
 * netlink request (EXEC, STDIN, CLOSE_STDIN, RESIZE, SIGNAL, GET, LIST,
 * the event command numbers, unknown command numbers, raw garbage), or one
 * /dev/sbexec call (open, close, ioctl, ATTACH, CONSUMED, HELPER_REGISTER,
 * read, write, poll, mmap, mprotect, munmap, a forged consumer position),
 * or one checked end-to-end session (cat echoing random stdin through a
 * small ring, consumed with read() or the mapped ring). A racer thread per
 * worker works the same sessions at the same time (see struct racer).
 *
 * Reproducible from a seed: message N of worker W draws from a generator
 * seeded by (seed + W, N) only, so `--seed S --start N --count 1` rebuilds
 * message N (the session ids and open files it picks from depend on what
 * ran before it, so replay from somewhat earlier; --no-racer takes the
 * racer thread's timing out of a replay).
 *
 * What it never does: target another netlink family or device, signal a
 * process that is not a session it started (SIGNAL is only sent to ids it
 * got from its own EXECs or to ids >= 2^31, and never to a session that
 * existed when it started), set KEEP_RUNNING on more than --max-keep
 * sessions (which it kills and reads to their end before exiting), or run
 * anything but /bin/true, `sleep 0.1` and `cat` (random EXECs name only
 * true, paths that do not exist or are not executable, and garbage that
 * the module must refuse).
 *
 * It stops at the first unexpected condition: a kernel log line matching
 * the patterns (scripts/dmesg-patterns; --patterns), a change of
 * /proc/sys/kernel/tainted, the family or the device disappearing, a
 * second helper registration that succeeds, a well-formed EXEC that fails
 * (other than EAGAIN at a limit), a malformed record stream (sequence gap,
 * partial record, record after the exit record), a ring page other than
 * the consumer page that can be mapped or mprotect()ed writable, a forged
 * consumer position that is accepted when it cannot be a record boundary
 * (or refused when it is one), an echo session whose output differs from
 * its input, an operation that blocks for more than 40 s. Exit status: 0
 * clean, 1 unexpected condition, 2 usage or setup error.
 *
 * With --bridge vsock:CID:PORT it sends frames to a running sbexec-bridge
 * instead (bridge.c): the same generator's messages in REQUEST frames,
 * ATTACH/CREDIT/DETACH, and malformed frames, reconnecting whenever the
 * bridge closes the link; it stops when the bridge dies or stops answering
 * a fresh HELLO and EXEC of /bin/true.
 *
 * The sources: fuzz.h says which file holds what.
 */
#include "fuzz.h"

/* ---- summary and options ---- */

static void summary(const struct opts *o, struct shared *sh, double secs)
{
	struct stats tot = { 0 };
	uint64_t hist[NSLOT] = { 0 }, all = 0;
	unsigned int w, i, j, order[NSLOT];

	for (w = 0; w < o->jobs; w++)
		for (i = 0; i < N_OPS; i++) {
			tot.sent[i] += sh->st[w].sent[i];
			tot.ns[i] += sh->st[w].ns[i];
			for (j = 0; j < NSLOT; j++)
				tot.res[i][j] += sh->st[w].res[i][j];
		}
	for (i = 0; i < N_OPS; i++) {
		all += tot.sent[i];
		for (j = 0; j < NSLOT; j++)
			hist[j] += tot.res[i][j];
	}
	for (w = 0; w < o->jobs; w++) {
		tot.racer_calls += sh->st[w].racer_calls;
		for (i = 0; i < N_BK; i++)
		{
			tot.frames[i] += sh->st[w].frames[i];
			tot.frames_ns[i] += sh->st[w].frames_ns[i];
		}
		tot.br_connects += sh->st[w].br_connects;
		tot.br_errors += sh->st[w].br_errors;
		tot.br_eofs += sh->st[w].br_eofs;
		tot.br_timeouts += sh->st[w].br_timeouts;
		tot.br_checks += sh->st[w].br_checks;
		tot.br_kept += sh->st[w].br_kept;
	}
	printf("sbexec-fuzz: seed %" PRIu64 ", %u job%s: %" PRIu64 " messages in %.1f s (%.0f messages/s)\n",
	       o->seed, o->jobs, o->jobs == 1 ? "" : "s", all, secs,
	       secs > 0 ? (double)all / secs : 0.0);
	if (o->bridge)
		bridge_summary(o, &tot);
	if (tot.racer_calls)
		printf("racer threads: %" PRIu64 " more calls at the same time on the same sessions\n",
		       tot.racer_calls);
	printf("%-12s %9s %8s  results\n", "op", "sent", "ms");
	for (i = 0; i < N_OPS; i++) {
		printf("%-12s %9" PRIu64 " %8" PRIu64 " ", op_info[i].name, tot.sent[i],
		       tot.ns[i] / 1000000);
		for (j = 0; j < NSLOT; j++) {
			if (!tot.res[i][j])
				continue;
			printf(" %s:%" PRIu64, j == SLOT_OTHER ? "other" :
			       j == SLOT_NOREPLY ? "no-reply" : errname((int)j),
			       tot.res[i][j]);
		}
		printf("\n");
	}
	for (j = 0; j < NSLOT; j++)
		order[j] = j;
	for (i = 0; i < NSLOT; i++)
		for (j = i + 1; j < NSLOT; j++)
			if (hist[order[j]] > hist[order[i]]) {
				unsigned int t = order[i];

				order[i] = order[j];
				order[j] = t;
			}
	printf("errno histogram (all ops):\n");
	for (i = 0; i < NSLOT && hist[order[i]]; i++) {
		j = order[i];
		printf("  %-16s %9" PRIu64 "\n", j == SLOT_OTHER ? "other" :
		       j == SLOT_NOREPLY ? "no-reply" : errname((int)j), hist[j]);
	}
	if (sh->unexpected)
		printf("UNEXPECTED: %s", sh->why);
	else
		printf("no unexpected condition\n");
	fflush(stdout);
}

static void usage(FILE *fp)
{
	unsigned int i;

	fprintf(fp,
		"usage: sbexec-fuzz [options]\n"
		"  --seed N             random seed (default: from the clock; printed)\n"
		"  --count N            messages to send in all (default 100000; 0: no limit)\n"
		"  --seconds N          stop after N seconds (default: no limit)\n"
		"  --start N            first message index (to replay from near a finding)\n"
		"  --jobs N             parallel workers, worker W uses seed N+W (default 1)\n"
		"  --max-keep N         most KEEP_RUNNING sessions per worker (default 2)\n"
		"  --session-timeout S  how long a checked session may take (default 60)\n"
		"  --patterns FILE      kernel log patterns, one ERE a line (default: built in)\n"
		"  --no-kmsg            do not watch the kernel log\n"
		"  --no-racer           no second thread working the same sessions\n"
		"  --skip OP[,OP...]    leave these operations out\n"
		"  --only OP[,OP...]    only these operations\n"
		"  --weight OP=N        change an operation's weight\n"
		"  --bridge vsock:CID:PORT\n"
		"                       send frames to a running sbexec-bridge instead\n"
		"                       (--count counts frames): the netlink generator's\n"
		"                       messages in REQUEST frames, ATTACH, CREDIT, DETACH,\n"
		"                       malformed frames; reconnects when the bridge closes\n"
		"  --bridge-pid PID     the bridge's pid: it must stay alive\n"
		"  --bridge-check N     fresh HELLO + EXEC of /bin/true every N frames\n"
		"                       and at the end (default 1000; 0: only at the end)\n"
		"  -v                   print every message\n"
		"operations (weight):");
	for (i = 0; i < N_OPS; i++)
		fprintf(fp, "%s %s(%u)", i % 6 ? "" : "\n ", op_info[i].name, op_info[i].weight);
	fprintf(fp, "\nexit status: 0 clean, 1 unexpected condition, 2 usage or setup error\n");
}

static int op_by_name(const char *s, size_t n)
{
	unsigned int i;

	for (i = 0; i < N_OPS; i++)
		if (strlen(op_info[i].name) == n && !strncmp(op_info[i].name, s, n))
			return (int)i;
	fprintf(stderr, "sbexec-fuzz: unknown operation %.*s\n", (int)n, s);
	return -1;
}

static int set_ops(struct opts *o, const char *list, bool only)
{
	unsigned int keep[N_OPS] = { 0 }, i;
	const char *p = list;

	while (*p) {
		size_t n = strcspn(p, ",");
		int op = op_by_name(p, n);

		if (op < 0)
			return -1;
		keep[op] = 1;
		p += n;
		if (*p)
			p++;
	}
	for (i = 0; i < N_OPS; i++)
		if (only ? !keep[i] : keep[i])
			o->weight[i] = 0;
	return 0;
}

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return !errno && end != s && !*end;
}

/* parse_u64() of a value in [@lo, @hi] into @out (left alone otherwise). */
static bool parse_uint(const char *s, uint64_t lo, uint64_t hi,
		       unsigned int *out)
{
	uint64_t v;

	if (!parse_u64(s, &v) || v < lo || v > hi)
		return false;
	*out = (unsigned int)v;
	return true;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'c' },
		{ "seconds", required_argument, NULL, 'S' },
		{ "start", required_argument, NULL, 'b' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "max-keep", required_argument, NULL, 'k' },
		{ "session-timeout", required_argument, NULL, 't' },
		{ "patterns", required_argument, NULL, 'p' },
		{ "no-kmsg", no_argument, NULL, 'K' },
		{ "no-racer", no_argument, NULL, 'R' },
		{ "skip", required_argument, NULL, 'x' },
		{ "only", required_argument, NULL, 'o' },
		{ "weight", required_argument, NULL, 'w' },
		{ "bridge", required_argument, NULL, 'B' },
		{ "bridge-pid", required_argument, NULL, 'P' },
		{ "bridge-check", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct opts o = {
		.count = 100000, .jobs = 1, .max_keep = 2, .session_timeout = 60,
		.kmsg = true, .racer = true, .bridge_check = 1000,
	};
	struct sigaction sa = { .sa_handler = on_alarm };
	struct shared *sh;
	uint64_t t0;
	pid_t pid;
	unsigned int i, w, wsum = 0;
	bool seeded = false;
	int c, rc = 0, status;
	size_t shsz;

	for (i = 0; i < N_OPS; i++)
		o.weight[i] = op_info[i].weight;
	while ((c = getopt_long(argc, argv, "vh", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			if (!parse_u64(optarg, &o.seed))
				goto bad;
			seeded = true;
			break;
		case 'c':
			if (!parse_u64(optarg, &o.count))
				goto bad;
			break;
		case 'S':
			if (!parse_uint(optarg, 0, UINT_MAX, &o.seconds))
				goto bad;
			break;
		case 'b':
			if (!parse_u64(optarg, &o.start))
				goto bad;
			break;
		case 'j':
			if (!parse_uint(optarg, 1, 64, &o.jobs))
				goto bad;
			break;
		case 'k':
			if (!parse_uint(optarg, 0, MAX_KEEP, &o.max_keep))
				goto bad;
			break;
		case 't':
			if (!parse_uint(optarg, 1, 86400, &o.session_timeout))
				goto bad;
			break;
		case 'p':
			o.patterns = optarg;
			break;
		case 'K':
			o.kmsg = false;
			break;
		case 'R':
			o.racer = false;
			break;
		case 'x':
		case 'o':
			if (set_ops(&o, optarg, c == 'o'))
				return 2;
			break;
		case 'w': {
			const char *eq = strchr(optarg, '=');
			int op = eq ? op_by_name(optarg, (size_t)(eq - optarg)) : -1;

			if (op < 0 || !parse_uint(eq + 1, 0, 1000000, &o.weight[op]))
				goto bad;
			break;
		}
		case 'B': {
			unsigned int cid, port;
			int end = 0;

			if (sscanf(optarg, "vsock:%u:%u%n", &cid, &port, &end) != 2 ||
			    optarg[end])
				goto bad;
			o.bridge = true;
			o.bridge_cid = cid;
			o.bridge_port = port;
			break;
		}
		case 'P': {
			unsigned int pid;

			if (!parse_uint(optarg, 1, INT_MAX, &pid))
				goto bad;
			o.bridge_pid = (int)pid;
			break;
		}
		case 'C':
			if (!parse_uint(optarg, 0, UINT_MAX, &o.bridge_check))
				goto bad;
			break;
		case 'v':
			o.verbose++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc)
		goto bad;
	for (i = 0; i < N_OPS; i++)
		wsum += o.weight[i];
	if (!wsum) {
		fprintf(stderr, "sbexec-fuzz: every operation is left out\n");
		return 2;
	}
	if (!o.count && !o.seconds) {
		fprintf(stderr, "sbexec-fuzz: --count 0 needs --seconds\n");
		return 2;
	}
	if (o.bridge)
		o.racer = false;	/* the racer works local sessions */
	if (!seeded)
		o.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20);
	printf("sbexec-fuzz: seed %" PRIu64 " (replay: sbexec-fuzz --seed %" PRIu64
	       " --count %" PRIu64 "%s%s%s)\n", o.seed, o.seed, o.count,
	       o.jobs > 1 ? " --jobs " : "", o.jobs > 1 ? "N" : "",
	       o.bridge ? " --bridge ..." : "");
	fflush(stdout);

	sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART: interrupts */
	signal(SIGPIPE, SIG_IGN);
	shsz = sizeof(*sh) + o.jobs * sizeof(struct stats);
	sh = mmap(NULL, shsz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("sbexec-fuzz: mmap");
		return 2;
	}
	t0 = now_ns();
	if (o.jobs == 1) {
		rc = worker(&o, sh, 0);
	} else {
		for (w = 0; w < o.jobs; w++) {
			pid = fork();

			if (pid < 0) {
				perror("sbexec-fuzz: fork");
				sh->stop = 1;
				rc = 2;
				break;
			}
			if (!pid)
				_exit(worker(&o, sh, w));
		}
		while ((pid = wait(&status)) > 0) {
			int wrc = WIFEXITED(status) ? WEXITSTATUS(status) : 2;

			if (WIFSIGNALED(status)) {
				/* The fuzzer's own crash: say so, never "setup". */
				fprintf(stderr, "sbexec-fuzz: worker pid %d killed by signal %d (%s)\n",
					(int)pid, WTERMSIG(status), strsignal(WTERMSIG(status)));
				sh->unexpected = 1;
			}
			if (wrc > rc)
				rc = wrc;
			if (wrc)
				sh->stop = 1;
		}
	}
	if (rc == 2 && !sh->unexpected) {
		fprintf(stderr, "sbexec-fuzz: setup failed\n");
		return 2;
	}
	summary(&o, sh, (double)(now_ns() - t0) / 1e9);
	return sh->unexpected ? 1 : rc;
bad:
	usage(stderr);
	return 2;
}
