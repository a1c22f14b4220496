// SPDX-License-Identifier: GPL-2.0
/*
 * floor.c - the floor: what one process costs that starts the command
 * itself with posix_spawn, stdin/stdout/stderr on pipes, reads the pipes
 * to EOF and waitpid()s. sbexec can only add to this.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "cmds.h"

static char iobuf[1 << 20];

int floor_true_once(uint64_t *ns, char *reason)
{
	char *argv[] = { (char *)CMD_TRUE, NULL };
	struct piped_child c;
	uint64_t t0 = now_ns();
	int rc, st;

	rc = spawn_piped(argv, &c);
	if (rc) {
		set_reason(reason, "posix_spawn %s: %s", CMD_TRUE, strerror(-rc));
		return rc;
	}
	st = drain_and_wait(&c, iobuf, sizeof(iobuf), NULL);
	*ns = now_ns() - t0;
	if (st < 0) {
		set_reason(reason, "reading pipes: %s", strerror(-st));
		return st;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		set_reason(reason, "%s ended with wait status 0x%x", CMD_TRUE, st);
		return -EPROTO;
	}
	return 0;
}

void floor_throughput(struct xfer *x, uint64_t bytes)
{
	char count[32];
	char *argv[] = { (char *)CMD_HEAD, "-c", count, "/dev/zero", NULL };
	struct piped_child c;
	uint64_t t0, got = 0;
	int rc, st;

	memset(x, 0, sizeof(*x));
	x->bytes_asked = bytes;
	snprintf(count, sizeof(count), "%llu", (unsigned long long)bytes);
	t0 = now_ns();
	rc = spawn_piped(argv, &c);
	if (rc) {
		set_reason(x->reason, "posix_spawn %s: %s", CMD_HEAD, strerror(-rc));
		return;
	}
	st = drain_and_wait(&c, iobuf, sizeof(iobuf), &got);
	x->seconds = (double)(now_ns() - t0) / 1e9;
	x->bytes = got;
	if (st < 0) {
		set_reason(x->reason, "reading the pipe: %s", strerror(-st));
		return;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		set_reason(x->reason, "head ended with wait status 0x%x", st);
		return;
	}
	if (got != bytes) {
		set_reason(x->reason, "got %llu of %llu bytes",
			   (unsigned long long)got, (unsigned long long)bytes);
		return;
	}
	x->ok = true;
}

struct spawner {
	struct piped_child *kids;
	size_t from, to;
	char *const *argv;
	int err;
	size_t failed_at;
};

static void *spawn_range(void *arg)
{
	struct spawner *s = arg;

	for (size_t i = s->from; i < s->to; i++) {
		int rc = spawn_piped(s->argv, &s->kids[i]);

		if (rc) {
			s->err = rc;
			s->failed_at = i;
			for (size_t j = i; j < s->to; j++)
				s->kids[j].pid = -1;
			break;
		}
	}
	return NULL;
}

/* Start @n children of @argv from @threads threads into @kids. */
static int spawn_many(struct piped_child *kids, size_t n, unsigned int threads,
		      char *const argv[], char *reason)
{
	struct spawner sp[64];
	pthread_t tid[64];
	int rc = 0;

	if (threads < 1)
		threads = 1;
	if (threads > 64)
		threads = 64;
	for (unsigned int t = 0; t < threads; t++) {
		sp[t] = (struct spawner){
			.kids = kids, .argv = argv,
			.from = n * t / threads, .to = n * (t + 1) / threads,
		};
		if (pthread_create(&tid[t], NULL, spawn_range, &sp[t])) {
			spawn_range(&sp[t]);
			tid[t] = 0;
		}
	}
	for (unsigned int t = 0; t < threads; t++) {
		if (tid[t])
			pthread_join(tid[t], NULL);
		if (sp[t].err && !rc) {
			rc = sp[t].err;
			set_reason(reason, "posix_spawn #%zu: %s", sp[t].failed_at,
				   strerror(-rc));
		}
	}
	return rc;
}

void floor_burst(struct burst *b, size_t n, unsigned int threads)
{
	char *argv[] = { (char *)CMD_SLEEP, (char *)BURST_SLEEP_ARG, NULL };
	struct piped_child *kids = calloc(n, sizeof(*kids));
	uint64_t t0;
	int rc, bad = 0;

	memset(b, 0, sizeof(*b));
	b->sessions = n;
	b->threads = threads;
	if (!kids) {
		set_reason(b->reason, "out of memory");
		return;
	}
	t0 = now_ns();
	rc = spawn_many(kids, n, threads, argv, b->reason);
	b->start_seconds = (double)(now_ns() - t0) / 1e9;
	for (size_t i = 0; i < n; i++) {
		int st;

		if (kids[i].pid <= 0)
			continue;
		st = drain_and_wait(&kids[i], iobuf, sizeof(iobuf), NULL);
		if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			bad++;
	}
	b->seconds = (double)(now_ns() - t0) / 1e9;
	free(kids);
	if (rc)
		return;
	if (bad) {
		set_reason(b->reason, "%d of %zu children failed", bad, n);
		return;
	}
	b->ok = true;
}

void floor_idle(struct memcost *c, size_t n)
{
	char *argv[] = { (char *)CMD_SLEEP, (char *)IDLE_SLEEP_ARG, NULL };
	struct piped_child *kids = calloc(n, sizeof(*kids));
	pid_t *pids = calloc(n, sizeof(*pids));
	struct memsnap before, after, final;
	int rc;

	memset(c, 0, sizeof(*c));
	c->sessions = n;
	if (!kids || !pids) {
		set_reason(c->reason, "out of memory");
		goto out;
	}
	if (memsnap_take(&before, c->reason))
		goto out;
	rc = spawn_many(kids, n, 1, argv, c->reason);
	for (size_t i = 0; i < n; i++)
		pids[i] = kids[i].pid;
	if (!rc && wait_comm(pids, n, "sleep", 60)) {
		set_reason(c->reason, "children did not all reach sleep within 60 s");
		rc = -ETIMEDOUT;
	}
	if (!rc && !memsnap_take(&after, c->reason)) {
		memcost_from(c, &before, &after, n);
		memsnap_free(&after);
	}
	for (size_t i = 0; i < n; i++) {
		if (kids[i].pid <= 0)
			continue;
		kill(kids[i].pid, SIGKILL);
		drain_and_wait(&kids[i], iobuf, sizeof(iobuf), NULL);
	}
	if (c->ok && !memsnap_take(&final, c->reason)) {
		memcost_residual(c, &before, &final);
		memsnap_free(&final);
	}
	memsnap_free(&before);
out:
	free(kids);
	free(pids);
}
