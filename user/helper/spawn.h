/* SPDX-License-Identifier: GPL-2.0 */
/*
 * spawn.h - start one session's process (see the rules in spawn.c).
 */
#ifndef SBEXEC_HELPER_SPAWN_H
#define SBEXEC_HELPER_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>

#include "failure.h"
#include "request.h"

/* Capacity asked for the stdout and stderr pipes (pipe-max-size bounds it). */
#define SPAWN_PIPE_SIZE		(256 * 1024)

/*
 * A started process and the helper's ends of its stdio. All fds are
 * O_CLOEXEC; unused ones are -1.
 */
struct spawn_result {
	pid_t pid;		/* also its session and process group id */
	int stdin_fd;		/* pipe mode: write end of the child's stdin */
	int stdout_fd;		/* pipe mode: read end of the child's stdout */
	int stderr_fd;		/* pipe mode: read end of the child's stderr */
	int pty_fd;		/* tty mode: the pty master */
};

/*
 * Start @req's command. @default_user (may be NULL) applies when the
 * request names no user. Returns 0 with @res filled, or -1 with @f filled
 * (any failed child has been reaped). The child is never reaped on
 * success: that is the caller's job, after it has told the module.
 */
int spawn_session(const struct spawn_request *req, const char *default_user,
		  struct spawn_result *res, struct spawn_failure *f);

/*
 * Called in the helper right after fork(), with the child held at a gate
 * before execve(): returns 0 to let it go on, or -errno to kill it (the
 * spawn then fails at stage UPCALL). If the helper dies before the hook
 * returns, the child exits without executing anything.
 */
struct spawn_hook {
	int (*forked)(void *arg, pid_t pid);
	/*
	 * For a request with direct_output: an fd of the module's output
	 * file for @stream (SBEXEC_STREAM_STDOUT or _STDERR), made the
	 * child's fd 1 or 2 instead of a pipe; or -errno. NULL: pipes.
	 */
	int (*output_fd)(void *arg, unsigned int stream);
	void *arg;
};

/* spawn_session() with @hook (NULL: no gate). */
int spawn_session_hooked(const struct spawn_request *req,
			 const char *default_user,
			 const struct spawn_hook *hook,
			 struct spawn_result *res, struct spawn_failure *f);
/*
 * A spawn in two halves, so that the helper can serve other requests while
 * a child executes. spawn_start() does everything up to and through the
 * gate (with @hook as above); spawn_finish() then reads the child's outcome
 * from @err_fd, which is readable (end of file: the command executes, or
 * the child's failure report) without blocking once poll() says POLLIN.
 * spawn_session_hooked() is the two in a row.
 *
 * Between the two the child is not reaped (by anyone: a caller that reaps
 * with waitpid(-1) must skip @pid) and @res's fds are the caller's to keep.
 */
struct spawn_pending {
	pid_t pid;
	int err_fd;			/* read end of the error pipe */
	struct spawn_result res;	/* the helper's ends; pid not set yet */
};

/* 0 with @p filled, or -1 with @f filled (nothing left running or open). */
int spawn_start(const struct spawn_request *req, const char *default_user,
		const struct spawn_hook *hook, struct spawn_pending *p,
		struct spawn_failure *f);
/*
 * 0 with @res filled (the command executes), or -1 with @f filled (the
 * child has been reaped, the fds closed). Closes @p->err_fd either way.
 * @req must be the one given to spawn_start().
 */
int spawn_finish(const struct spawn_request *req, struct spawn_pending *p,
		 struct spawn_result *res, struct spawn_failure *f);

/* Close the helper's ends of the stdio (the fds only, the pid stays). */
void spawn_result_close(struct spawn_result *res);

#endif /* SBEXEC_HELPER_SPAWN_H */
