// SPDX-License-Identifier: GPL-2.0
/*
 * spawn_child.c - the forked child, between fork() and execve().
 *
 * Only async-signal-safe calls here (plain system calls): the helper
 * prepared argv, envp, the exec candidates and the user's groups before
 * fork. Any failure is written to the error pipe as a struct spawn_report
 * and the child ends with _exit(127); a successful execve() closes the
 * (O_CLOEXEC) pipe, which the parent reads as EOF.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#include "spawn_child.h"

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT			47
#endif
#ifndef PR_CAP_AMBIENT_CLEAR_ALL
#define PR_CAP_AMBIENT_CLEAR_ALL	4
#endif

static void __attribute__((noreturn))
fail(const struct spawn_plan *plan, enum spawn_step step, int err, int index)
{
	struct spawn_report r = { .step = step, .err = err, .index = index };
	ssize_t n;

	do {
		n = write(plan->err_fd, &r, sizeof(r));
	} while (n < 0 && errno == EINTR);
	_exit(127);
}

/* Default dispositions for every signal, then an empty signal mask. */
static int reset_signals(void)
{
	struct sigaction sa;
	sigset_t none;
	int sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);	/* EINVAL for KILL, STOP, ... */
	sigemptyset(&none);
	return sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Make plan->stdio the child's 0, 1, 2 (without CLOEXEC). */
static int setup_stdio(const struct spawn_plan *plan)
{
	int fds[3], i;

	/* Move sources out of 0..2 first so no dup2() clobbers another. */
	for (i = 0; i < 3; i++) {
		fds[i] = plan->stdio[i];
		if (fds[i] < 3) {
			fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
			if (fds[i] < 0)
				return -1;
		}
	}
	for (i = 0; i < 3; i++)
		if (dup2(fds[i], i) < 0)
			return -1;
	return 0;
}

static rlim_t to_rlim(uint64_t v)
{
	return v == UINT64_MAX ? RLIM_INFINITY : (rlim_t)v;
}

/*
 * Reference drop_mount_admin_privileges(): no new privileges, no ambient
 * capabilities, CAP_SYS_ADMIN out of the effective, permitted, inheritable
 * and bounding sets.
 */
static void drop_privileges(const struct spawn_plan *plan)
{
	const unsigned int idx = CAP_SYS_ADMIN / 32;
	const uint32_t mask = 1U << (CAP_SYS_ADMIN % 32);
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
		.pid = 0,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	bool had;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		fail(plan, STEP_NO_NEW_PRIVS, errno, 0);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) &&
	    errno != EINVAL)
		fail(plan, STEP_AMBIENT, errno, 0);
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data))
		fail(plan, STEP_CAPGET, errno, 0);
	had = (data[idx].effective | data[idx].permitted |
	       data[idx].inheritable) & mask;
	if (had) {
		data[idx].effective &= ~mask;
		data[idx].permitted &= ~mask;
		data[idx].inheritable &= ~mask;
		if (syscall(SYS_capset, &hdr, data))
			fail(plan, STEP_CAPSET, errno, 0);
	}
	if (prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0)) {
		int err = errno;

		/* Without CAP_SYS_ADMIN we may lack CAP_SETPCAP as well. */
		if (err != EINVAL && !(err == EPERM && !had))
			fail(plan, STEP_CAPBSET, err, 0);
	}
}

/* Reference apply_resolved_user(), with initgroups() done before fork. */
static void switch_user(const struct spawn_plan *plan)
{
	const struct resolved_user *u = plan->user;

	if (setgroups(u->ngroups, u->ngroups ? u->groups : NULL))
		fail(plan, STEP_SETGROUPS, errno, 0);
	if (setgid(u->gid))
		fail(plan, STEP_SETGID, errno, 0);
	if (setuid(u->uid))
		fail(plan, STEP_SETUID, errno, 0);
}

/*
 * Wait until the helper has told the module about us: one byte on the gate.
 * End of file means the helper died or the module did not take us, and
 * then nothing of the command may run.
 */
static void wait_gate(const struct spawn_plan *plan)
{
	char go;
	ssize_t n;

	do {
		n = read(plan->gate_fd, &go, 1);
	} while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(127);
}

/* execvp()'s search over the prepared candidates, without its sh fallback. */
static void exec_command(const struct spawn_plan *plan)
{
	char *const *argv = (char *const *)plan->req->argv;
	bool eacces = false;
	int err = ENOENT;
	size_t i;

	for (i = 0; plan->cands[i]; i++) {
		execve(plan->cands[i], argv, plan->envp);
		err = errno;
		switch (err) {
		case EACCES:
			eacces = true;
			break;
		case ENOENT:
		case ENOTDIR:
		case ESTALE:
		case ENODEV:
		case ETIMEDOUT:
			break;
		default:
			fail(plan, STEP_EXEC, err, 0);
		}
	}
	fail(plan, STEP_EXEC, eacces ? EACCES : err, 0);
}

void spawn_child(const struct spawn_plan *plan)
{
	const struct spawn_request *req = plan->req;
	size_t i;

	/* Only the helper may hold the gate open. */
	if (plan->gate_peer >= 0)
		close(plan->gate_peer);
	if (reset_signals())
		fail(plan, STEP_SIGNALS, errno, 0);
	if (setsid() < 0)
		fail(plan, STEP_SETSID, errno, 0);
	if (plan->ctty >= 0 && ioctl(plan->ctty, TIOCSCTTY, 0))
		fail(plan, STEP_CTTY, errno, 0);
	if (setup_stdio(plan))
		fail(plan, STEP_DUP2, errno, 0);
	/* Nothing the helper inherited without O_CLOEXEC reaches the command. */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);

	if (chdir(req->cwd ? req->cwd : "/"))
		fail(plan, STEP_CHDIR, errno, 0);
	for (i = 0; i < req->nr_rlimits; i++) {
		struct rlimit rl = {
			.rlim_cur = to_rlim(req->rlimits[i].soft),
			.rlim_max = to_rlim(req->rlimits[i].hard),
		};

		if (setrlimit(req->rlimits[i].resource, &rl))
			fail(plan, STEP_SETRLIMIT, errno, (int)i);
	}
	drop_privileges(plan);
	if (plan->user)
		switch_user(plan);
	if (plan->gate_fd >= 0)
		wait_gate(plan);
	exec_command(plan);
	/* not reached */
	_exit(127);
}
