/* SPDX-License-Identifier: GPL-2.0 */
/*
 * helper_units.h - what the unit tests of sbexec-helper's library share:
 * helper_failure_test, helper_user_test, helper_env_test,
 * helper_request_test, helper_spawn_test and helper_loop_test (each a
 * kselftest program of its own, linked with helper_units.c and the
 * helper's libsbexec-helper.a; selftests/helper_units.mk builds them).
 *
 * They need no module: the pure parts (errno classification and names,
 * user resolution, environment and PATH candidates, the attribute parser
 * and encoder, request parsing, reply encoding) and the spawn path itself
 * (pipes, pty, cwd, user switch, rlimits, privilege drop, fd hygiene) run
 * on any Linux host as root.
 */
#ifndef SBEXEC_HELPER_UNITS_H
#define SBEXEC_HELPER_UNITS_H

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../user/helper/attr.h"
#include "../user/helper/env.h"
#include "../user/helper/failure.h"
#include "../user/helper/helper.h"
#include "../user/helper/request.h"
#include "../user/helper/spawn.h"
#include "../user/helper/upcall.h"
#include "../user/helper/user.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Read @fd to EOF (or EIO, as a pty master gives) into @buf. */
size_t read_all(int fd, char *buf, size_t size);

/* A child's exit code, or 128 + the signal that killed it. */
int wait_exit_code(pid_t pid);

/* A uid and a gid that have no passwd/group entry. */
uid_t unknown_uid(void);

/* An attribute message under construction (requests, upcalls). */
struct msg {
	unsigned char buf[8192];
	struct attr_buf b;
};

void msg_init(struct msg *m);

/* A reply the helper wrote, decoded. */
struct decoded_reply {
	struct sbexec_upcall_hdr hdr;
	uint32_t pid, in, out, err, pty;
	bool has_pid, has_pty, has_pipes, has_failure, has_name;
	uint32_t kind, errnum, stage;
	char name[64], message[SBEXEC_MAX_MESSAGE_LEN + 1];
};

int decode_reply(const void *buf, size_t len, struct decoded_reply *d);

#endif /* SBEXEC_HELPER_UNITS_H */
