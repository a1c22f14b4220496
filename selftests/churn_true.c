// SPDX-License-Identifier: GPL-2.0
/*
 * churn_true.c - churn_test's command: exit 0; with the argument "fork",
 * first fork one child that exits at once and wait for it. The child makes
 * that churned session a tree of two members (the leader and one forked
 * process), so the churn goes through the fork probe's path that
 * allocates a member, not only the leader's. Exits 1 when the fork or the wait fails, 2 when the child
 * did not exit 0. Linked statically, so a session's exec maps no shared
 * libraries and runs no dynamic loader: under TCG that halves a session's
 * cost compared with /bin/true, and the churn measures sbexec rather than
 * ld.so.
 */
#define _POSIX_C_SOURCE 200809L
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	pid_t pid;
	int st;

	if (argc < 2 || strcmp(argv[1], "fork"))
		return 0;
	pid = fork();
	if (pid < 0)
		return 1;
	if (!pid)
		_exit(0);
	if (waitpid(pid, &st, 0) != pid)
		return 1;
	return WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : 2;
}
