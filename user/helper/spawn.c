// SPDX-License-Identifier: GPL-2.0
/*
 * spawn.c - start a session's process for the module.
 *
 * Environment. The command gets exactly:
 *  1. the request's SBEXEC_A_ENV entries, in order; when a key repeats,
 *     the later value replaces the earlier entry in its place;
 *  2. PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
 *     when the request sets no PATH;
 *  3. HOME when the request sets none: the home directory of the user the
 *     command runs as (passwd), or, when no user is switched to, root's
 *     home (uid 0 in passwd); no HOME if that user has no home entry;
 *  4. in tty mode, TERM=xterm-256color when the request sets no TERM.
 * Nothing comes from the helper's own environment.
 *
 * Command lookup. A command containing '/' is executed as it is (relative
 * to the working directory). Otherwise each element of the request's PATH
 * (or of the default PATH above) is tried in order, like execvp(): ENOENT,
 * ENOTDIR (and ESTALE, ENODEV, ETIMEDOUT) go on to the next element,
 * EACCES is remembered and reported when nothing else is found, any other
 * error stops the search. Unlike execvp() there is no retry through
 * /bin/sh for a file without a #! line: that is ENOEXEC (NOT_EXECUTABLE).
 * argv[0] is the command as the request gave it.
 *
 * Order of work. In the helper, before fork: resolve the user (passwd and
 * group lookups, supplementary groups), build the environment and the
 * exec candidates, create the stdio (three O_CLOEXEC pipes, stdout's and
 * stderr's SPAWN_PIPE_SIZE large where pipe-max-size allows, or a pty with
 * its initial window size) and an O_CLOEXEC error pipe. In the child:
 *  1. reset every signal disposition to default, then empty the signal
 *     mask (the helper blocks SIGCHLD, SIGTERM and SIGINT);
 *  2. setsid(), so the session id is the process group id is the pid and
 *     signals reach the whole group; tty mode: TIOCSCTTY on the slave;
 *  3. dup2() the stdio to 0, 1, 2; every other fd is close-on-exec;
 *  4. chdir() to the request's cwd, or to "/" when it has none (done as
 *     root, before the user switch);
 *  5. setrlimit() for each rlimit, in request order (before the user
 *     switch: raising a hard limit needs CAP_SYS_RESOURCE);
 *  6. drop privileges as the reference agent does: PR_SET_NO_NEW_PRIVS,
 *     clear the ambient capabilities, remove CAP_SYS_ADMIN from the
 *     effective, permitted and inheritable sets and from the bounding set
 *     (before the user switch, which may leave no capability to do it);
 *  7. switch user: setgroups() (the groups initgroups() would set, or none
 *     for a uid without a passwd entry), setgid(), setuid();
 *  8. with a spawn_hook: wait for the helper's byte on the gate pipe
 *     (the helper sends it once the hook, which tells the module the
 *     child's pid, returned 0; end of file instead: _exit(127) without
 *     executing anything, so a helper killed mid-spawn leaves no command
 *     running that the module does not know of);
 *  9. execve() through the candidates.
 * A failure in the child is sent over the error pipe and the child exits
 * 127; the helper reaps it and answers with a failure. spawn_start() ends
 * once the child is through the gate; spawn_finish() reads its error pipe
 * (end of file: the command executes), so the helper may serve other
 * requests in between.
 *
 * Failures. Stage and kind: fork and pipe creation: FORK; pty creation,
 * window size, setsid/TIOCSCTTY/dup2 in tty mode: PTY (kind PTY_SETUP);
 * setsid/dup2 in pipe mode, signal reset: FORK; chdir: CWD (always
 * BAD_CWD); rlimits: RLIMIT; step 6: PRIVILEGES; user resolution and
 * switch: USER (always USER_SETUP); execve: EXEC. FORK, RLIMIT, PRIVILEGES
 * and EXEC take their kind from classify_spawn_errno(). Messages:
 *   spawn "CMD": No such file or directory          (exec)
 *   spawn "CMD": fork: Resource temporarily unavailable
 *   chdir "DIR": No such file or directory
 *   setrlimit nofile: Operation not permitted
 *   drop privileges: capset: Operation not permitted
 *   user: guest user not found: bob
 *   pty: TIOCSWINSZ: Inappropriate ioctl for device
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "env.h"
#include "spawn.h"
#include "spawn_child.h"
#include "user.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER	_IO('T', 0x41)
#endif

/* The child's and the helper's ends of the stdio. */
struct spawn_fds {
	int child[3];		/* pipe mode: stdin r, stdout w, stderr w */
	int slave;		/* tty mode */
	struct spawn_result *res;
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void spawn_result_close(struct spawn_result *res)
{
	close_fd(&res->stdin_fd);
	close_fd(&res->stdout_fd);
	close_fd(&res->stderr_fd);
	close_fd(&res->pty_fd);
}

static void quote_cmd(char *buf, size_t size, const struct spawn_request *req)
{
	quote_str(buf, size, req->cmd);
}

/*
 * The output pipes' capacity: SPAWN_PIPE_SIZE, or /proc/sys/fs/pipe-max-size
 * when that is smaller (read once). 0 when it cannot be read.
 */
static int output_pipe_size(void)
{
	static int size = -1;
	char buf[32];
	ssize_t n;
	long max;
	int fd;

	if (size >= 0)
		return size;
	size = 0;
	fd = open("/proc/sys/fs/pipe-max-size", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return size;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return size;
	buf[n] = '\0';
	max = strtol(buf, NULL, 10);
	if (max > 0)
		size = max < SPAWN_PIPE_SIZE ? (int)max : SPAWN_PIPE_SIZE;
	return size;
}

/*
 * The module's output files as the child's stdout and stderr (the helper
 * keeps no end of them): p[i][1] set, p[i][0] -1.
 */
static int open_output_files(const struct spawn_request *req,
			     const struct spawn_hook *hook, int p[3][2],
			     struct spawn_failure *f)
{
	char q[256];
	int i, fd;

	for (i = 1; i < 3; i++) {
		fd = hook->output_fd(hook->arg, i == 1 ? SBEXEC_STREAM_STDOUT :
							 SBEXEC_STREAM_STDERR);
		if (fd < 0) {
			while (--i)
				close(p[i][1]);
			quote_cmd(q, sizeof(q), req);
			failure_set(f, SBEXEC_STAGE_FORK, -fd,
				    "spawn %s: output file: %s", q,
				    strerror(-fd));
			return -1;
		}
		p[i][0] = -1;
		p[i][1] = fd;
	}
	return 0;
}

static int open_pipes(const struct spawn_request *req,
		      const struct spawn_hook *hook, struct spawn_fds *s,
		      struct spawn_failure *f)
{
	bool direct = req->direct_output && hook && hook->output_fd;
	int p[3][2], i, n = direct ? 1 : 3;
	char q[256];

	for (i = 0; i < n; i++) {
		if (pipe2(p[i], O_CLOEXEC)) {
			int err = errno;

			while (i--) {
				close(p[i][0]);
				close(p[i][1]);
			}
			quote_cmd(q, sizeof(q), req);
			failure_set(f, SBEXEC_STAGE_FORK, err,
				    "spawn %s: pipe: %s", q, strerror(err));
			return -1;
		}
	}
	if (direct && open_output_files(req, hook, p, f)) {
		close(p[0][0]);
		close(p[0][1]);
		return -1;
	}
	/*
	 * Bigger output pipes: the child writes more before it waits for the
	 * module to move its output into the ring. Best effort.
	 */
	if (!direct && output_pipe_size() > 0)
		for (i = 1; i < 3; i++)
			fcntl(p[i][0], F_SETPIPE_SZ, output_pipe_size());
	s->child[0] = p[0][0];
	s->res->stdin_fd = p[0][1];
	s->child[1] = p[1][1];
	s->res->stdout_fd = p[1][0];
	s->child[2] = p[2][1];
	s->res->stderr_fd = p[2][0];
	return 0;
}

/* The slave of @master: TIOCGPTPEER where the kernel has it, else by name. */
static int open_slave(int master)
{
	char name[128];
	int fd;

	fd = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0 || (errno != EINVAL && errno != ENOTTY))
		return fd;
	errno = ptsname_r(master, name, sizeof(name));
	if (errno)
		return -1;
	return open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
}

static int open_pty(const struct spawn_request *req, struct spawn_fds *s,
		    struct spawn_failure *f)
{
	struct winsize ws = { .ws_row = req->rows, .ws_col = req->cols };
	const char *what;
	int master, err;

	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0) {
		what = "posix_openpt";
		goto fail;
	}
	if (grantpt(master)) {
		what = "grantpt";
		goto fail_master;
	}
	if (unlockpt(master)) {
		what = "unlockpt";
		goto fail_master;
	}
	if (ioctl(master, TIOCSWINSZ, &ws)) {
		what = "TIOCSWINSZ";
		goto fail_master;
	}
	s->slave = open_slave(master);
	if (s->slave < 0) {
		what = "open slave";
		goto fail_master;
	}
	s->res->pty_fd = master;
	return 0;

fail_master:
	err = errno;
	close(master);
	errno = err;
fail:
	err = errno;
	failure_set(f, SBEXEC_STAGE_PTY, err, "pty: %s: %s", what,
		    strerror(err));
	return -1;
}

/* Message and stage for a child's report. */
static void report_failure(const struct spawn_request *req,
			   const struct spawn_report *r,
			   struct spawn_failure *f)
{
	uint32_t io_stage = req->tty ? SBEXEC_STAGE_PTY : SBEXEC_STAGE_FORK;
	const char *io_prefix = req->tty ? "pty" : "spawn";
	const char *err = strerror(r->err);
	const struct spawn_rlimit *rl;
	char q[256];

	quote_cmd(q, sizeof(q), req);
	switch (r->step) {
	case STEP_SIGNALS:
		failure_set(f, SBEXEC_STAGE_FORK, r->err,
			    "spawn %s: reset signals: %s", q, err);
		break;
	case STEP_SETSID:
		failure_set(f, io_stage, r->err, "%s: setsid: %s",
			    io_prefix, err);
		break;
	case STEP_CTTY:
		failure_set(f, SBEXEC_STAGE_PTY, r->err, "pty: TIOCSCTTY: %s",
			    err);
		break;
	case STEP_DUP2:
		failure_set(f, io_stage, r->err, "%s: dup2: %s", io_prefix,
			    err);
		break;
	case STEP_CHDIR:
		quote_str(q, sizeof(q), req->cwd ? req->cwd : "/");
		failure_set(f, SBEXEC_STAGE_CWD, r->err, "chdir %s: %s", q,
			    err);
		break;
	case STEP_SETRLIMIT:
		rl = (r->index >= 0 && (size_t)r->index < req->nr_rlimits) ?
			&req->rlimits[r->index] : NULL;
		failure_set(f, SBEXEC_STAGE_RLIMIT, r->err,
			    "setrlimit %s: %s", rl ? rl->name : "?", err);
		break;
	case STEP_NO_NEW_PRIVS:
	case STEP_AMBIENT:
	case STEP_CAPGET:
	case STEP_CAPSET:
	case STEP_CAPBSET: {
		static const char *const what[] = {
			[STEP_NO_NEW_PRIVS] = "PR_SET_NO_NEW_PRIVS",
			[STEP_AMBIENT] = "PR_CAP_AMBIENT_CLEAR_ALL",
			[STEP_CAPGET] = "capget",
			[STEP_CAPSET] = "capset",
			[STEP_CAPBSET] = "PR_CAPBSET_DROP CAP_SYS_ADMIN",
		};

		failure_set(f, SBEXEC_STAGE_PRIVILEGES, r->err,
			    "drop privileges: %s: %s", what[r->step], err);
		break;
	}
	case STEP_SETGROUPS:
		failure_set(f, SBEXEC_STAGE_USER, r->err,
			    "user: setgroups: %s", err);
		break;
	case STEP_SETGID:
	case STEP_SETUID:
		failure_set(f, SBEXEC_STAGE_USER, r->err, "user: %s: %s",
			    r->step == STEP_SETGID ? "setgid" : "setuid", err);
		break;
	case STEP_EXEC:
		failure_set(f, SBEXEC_STAGE_EXEC, r->err, "spawn %s: %s", q,
			    err);
		break;
	default:
		failure_set(f, SBEXEC_STAGE_FORK, r->err,
			    "spawn %s: child failed: %s", q, err);
		break;
	}
}

static void reap(pid_t pid)
{
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/*
 * Run the hook for @pid, then open the gate (or, when the hook refused,
 * kill and reap the child that waits at it). Returns 0 or -1 with @f set.
 */
static int pass_gate(const struct spawn_plan *plan, const struct spawn_hook *hook,
		     int gate[2], pid_t pid, struct spawn_failure *f)
{
	char q[256];
	ssize_t n;
	int err;

	close_fd(&gate[0]);
	err = -hook->forked(hook->arg, pid);
	if (!err) {
		do {
			n = write(gate[1], "", 1);
		} while (n < 0 && errno == EINTR);
		/* EPIPE: it failed before the gate; its report says why. */
		if (n != 1 && !(n < 0 && errno == EPIPE))
			err = n < 0 ? errno : EIO;
	}
	close_fd(&gate[1]);
	if (!err)
		return 0;
	kill(pid, SIGKILL);
	reap(pid);
	quote_cmd(q, sizeof(q), plan->req);
	failure_set(f, SBEXEC_STAGE_UPCALL, err,
		    "spawn %s: the module did not take the child: %s", q,
		    strerror(err));
	/* The channel failed, not the command: ENOENT is no missing file. */
	f->kind = SBEXEC_FAIL_OTHER;
	return -1;
}

/*
 * Fork and run the child up to its gate (and through it, once the hook
 * took the child). On success @p holds the child and the read end of its
 * error pipe; the child's outcome is read by spawn_finish().
 */
static int fork_child(const struct spawn_plan *plan,
		      const struct spawn_hook *hook, int errp[2], int gate[2],
		      struct spawn_pending *p, struct spawn_failure *f)
{
	char q[256];
	pid_t pid;
	int err;

	pid = fork();
	if (pid == 0)
		spawn_child(plan);
	err = errno;
	/* Our copy of the write end must go, or EOF never comes. */
	close_fd(&errp[1]);
	if (pid < 0) {
		quote_cmd(q, sizeof(q), plan->req);
		failure_set(f, SBEXEC_STAGE_FORK, err, "spawn %s: fork: %s", q,
			    strerror(err));
		return -1;
	}
	if (hook && pass_gate(plan, hook, gate, pid, f))
		return -1;
	p->pid = pid;
	p->err_fd = errp[0];
	errp[0] = -1;
	return 0;
}

/*
 * The error pipe's read end sees EOF once execve() succeeds (O_CLOEXEC),
 * or a spawn_report.
 */
int spawn_finish(const struct spawn_request *req, struct spawn_pending *p,
		 struct spawn_result *res, struct spawn_failure *f)
{
	struct spawn_report r;
	char q[256];
	ssize_t n;
	int err;

	do {
		n = read(p->err_fd, &r, sizeof(r));
	} while (n < 0 && errno == EINTR);
	err = n < 0 ? errno : EPROTO;
	close_fd(&p->err_fd);
	if (n == 0) {
		*res = p->res;
		res->pid = p->pid;
		return 0;
	}
	spawn_result_close(&p->res);
	if (n != (ssize_t)sizeof(r)) {
		kill(p->pid, SIGKILL);
		reap(p->pid);
		quote_cmd(q, sizeof(q), req);
		failure_set(f, SBEXEC_STAGE_FORK, err,
			    "spawn %s: lost track of the child: %s", q,
			    strerror(err));
		return -1;
	}
	reap(p->pid);
	report_failure(req, &r, f);
	return -1;
}

/* Build envp and the exec candidates for @req running as @user. */
static int prepare_exec(const struct spawn_request *req,
			const struct resolved_user *user,
			struct spawn_plan *plan, struct spawn_failure *f)
{
	const char *const *env = (const char *const *)req->env;
	char *home = NULL;
	char q[256];

	if (default_home_dir(env, user, &home, f))
		return -1;
	plan->envp = env_build(env, home, req->tty);
	free(home);
	if (plan->envp)
		plan->cands = cmd_candidates(req->cmd,
			env_get((const char *const *)plan->envp, "PATH"));
	if (!plan->envp || !plan->cands) {
		quote_cmd(q, sizeof(q), req);
		failure_set(f, SBEXEC_STAGE_FORK, ENOMEM, "spawn %s: %s", q,
			    strerror(ENOMEM));
		return -1;
	}
	return 0;
}

/* An O_CLOEXEC pipe for the spawn of @req; -1 with @f set (stage FORK). */
static int spawn_pipe(const struct spawn_request *req, int p[2],
		      struct spawn_failure *f)
{
	char q[256];
	int err;

	if (!pipe2(p, O_CLOEXEC))
		return 0;
	err = errno;
	quote_cmd(q, sizeof(q), req);
	failure_set(f, SBEXEC_STAGE_FORK, err, "spawn %s: pipe: %s", q,
		    strerror(err));
	return -1;
}

int spawn_session(const struct spawn_request *req, const char *default_user,
		  struct spawn_result *res, struct spawn_failure *f)
{
	return spawn_session_hooked(req, default_user, NULL, res, f);
}

int spawn_session_hooked(const struct spawn_request *req,
			 const char *default_user,
			 const struct spawn_hook *hook,
			 struct spawn_result *res, struct spawn_failure *f)
{
	struct spawn_pending p;

	*res = (struct spawn_result){ .pid = -1, .stdin_fd = -1,
		.stdout_fd = -1, .stderr_fd = -1, .pty_fd = -1 };
	if (spawn_start(req, default_user, hook, &p, f))
		return -1;
	return spawn_finish(req, &p, res, f);
}

int spawn_start(const struct spawn_request *req, const char *default_user,
		const struct spawn_hook *hook, struct spawn_pending *p,
		struct spawn_failure *f)
{
	struct spawn_plan plan = { .req = req, .ctty = -1, .err_fd = -1,
				   .gate_fd = -1, .gate_peer = -1 };
	struct spawn_fds s = { .child = { -1, -1, -1 }, .slave = -1 };
	struct resolved_user user;
	int have_user, errp[2] = { -1, -1 }, gate[2] = { -1, -1 }, rc = -1, i;

	p->pid = -1;
	p->err_fd = -1;
	p->res = (struct spawn_result){ .pid = -1, .stdin_fd = -1,
		.stdout_fd = -1, .stderr_fd = -1, .pty_fd = -1 };
	s.res = &p->res;
	have_user = resolve_requested_user(req->user, default_user, &user, f);
	if (have_user < 0)
		return -1;
	if (have_user && resolved_user_load_groups(&user, f))
		goto out;
	plan.user = have_user ? &user : NULL;
	if (prepare_exec(req, plan.user, &plan, f))
		goto out;
	if (req->tty ? open_pty(req, &s, f) : open_pipes(req, hook, &s, f))
		goto out;
	for (i = 0; i < 3; i++)
		plan.stdio[i] = req->tty ? s.slave : s.child[i];
	plan.ctty = req->tty ? s.slave : -1;
	if (spawn_pipe(req, errp, f))
		goto out;
	plan.err_fd = errp[1];
	if (hook && spawn_pipe(req, gate, f))
		goto out;
	plan.gate_fd = gate[0];
	plan.gate_peer = gate[1];
	rc = fork_child(&plan, hook, errp, gate, p, f);
out:
	close_fd(&gate[0]);
	close_fd(&gate[1]);
	close_fd(&errp[0]);
	close_fd(&errp[1]);
	for (i = 0; i < 3; i++)
		close_fd(&s.child[i]);
	close_fd(&s.slave);
	if (rc)
		spawn_result_close(&p->res);
	env_free(plan.envp);
	cmd_candidates_free(plan.cands);
	if (have_user > 0)
		resolved_user_free(&user);
	return rc;
}
