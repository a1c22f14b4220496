// SPDX-License-Identifier: GPL-2.0
/*
 * ensure_helper.c - linked into every selftest program built with util.c.
 *
 * Under the kselftest runner the suite's programs run back to back with no
 * hook in between, so each program checks for itself, before main(), what
 * run_all.sh used to check between programs: when SBEXEC_ENSURE_HELPER=1
 * (run_all.sh sets it when a helper was running as the suite started) and
 * sbexec-helper is no longer running, restart it, and say so as a TAP
 * comment. A program that died with the helper stopped (a crash, a
 * timeout) has failed already; the ones after it must not fail for that.
 * Without the variable (a developer running a program by hand) nothing
 * happens. The shell tests get the same check from tap.sh.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/*
 * In the suite's guest: a line in the kernel log as the program starts,
 * whose timestamps scripts/check turns into each program's run time.
 */
static void mark_start(void)
{
	char line[128];
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	snprintf(line, sizeof(line), "sbexec-selftest: start %s\n",
		 program_invocation_short_name);
	if (write(fd, line, strlen(line)) < 0)
		line[0] = '\0';	/* nothing to do about it */
	close(fd);
}

__attribute__((constructor)) static void ensure_helper(void)
{
	const char *on = getenv("SBEXEC_ENSURE_HELPER");
	pid_t pid;
	int rc;

	if (!on || strcmp(on, "1") || geteuid() != 0)
		return;
	mark_start();
	pid = helper_pid();
	if (pid > 0 && pid_alive(pid))
		return;
	printf("# sbexec-helper is not running: restarting it (SBEXEC_ENSURE_HELPER=1)\n");
	rc = helper_start();
	if (rc)
		printf("# restarting sbexec-helper failed: status %d\n", rc);
	fflush(stdout);
}
