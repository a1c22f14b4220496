/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/sbexec.yaml */
/* YNL-GEN uapi header */

#ifndef _UAPI_LINUX_SBEXEC_NETLINK_H
#define _UAPI_LINUX_SBEXEC_NETLINK_H

#define SBEXEC_GENL_NAME	"sbexec"
#define SBEXEC_GENL_VERSION	1

#define SBEXEC_MAX_PATH_LEN		4095
#define SBEXEC_MAX_ARG_LEN		65530
#define SBEXEC_MAX_ARGS			1024
#define SBEXEC_MAX_ENV			1024
#define SBEXEC_MAX_ARGV_BYTES		262144
#define SBEXEC_MAX_USER_LEN		255
#define SBEXEC_MAX_RLIMITS		16
#define SBEXEC_MAX_RLIMIT_NAME		15
#define SBEXEC_MAX_STDIN_CHUNK		32768
#define SBEXEC_MAX_MESSAGE_LEN		511
#define SBEXEC_MAX_ERRNO_NAME_LEN	31
#define SBEXEC_EXEC_F_ALL		3

enum {
	SBEXEC_EXEC_F_KEEP_RUNNING = 1,
	SBEXEC_EXEC_F_DIRECT_OUTPUT = 2,
};

/**
 * enum sbexec_fail_kind - classes of spawn failure (as microsandbox's agent)
 * @SBEXEC_FAIL_NONE: no failure (never sent)
 * @SBEXEC_FAIL_NOT_FOUND: the command does not exist (ENOENT)
 * @SBEXEC_FAIL_PERMISSION_DENIED: EACCES, EPERM
 * @SBEXEC_FAIL_NOT_EXECUTABLE: ENOEXEC, EISDIR, ETXTBSY
 * @SBEXEC_FAIL_BAD_CWD: the working directory is missing or unusable
 * @SBEXEC_FAIL_BAD_ARGS: E2BIG, ELOOP, ENAMETOOLONG, EFAULT
 * @SBEXEC_FAIL_RESOURCE_LIMIT: EMFILE, ENFILE, EAGAIN, or an sbexec limit
 *   (stage admission, errno EAGAIN, the module parameter named)
 * @SBEXEC_FAIL_USER_SETUP: the user or group could not be resolved or set
 * @SBEXEC_FAIL_OUT_OF_MEMORY: ENOMEM
 * @SBEXEC_FAIL_PTY_SETUP: the pseudo terminal could not be set up
 * @SBEXEC_FAIL_OTHER: anything else
 * @SBEXEC_FAIL_HELPER_UNAVAILABLE: no sbexec-helper is registered (stage
 *   admission) or it went away before answering (stage upcall): errno
 *   ENOTCONN; it did not answer within upcall_timeout_ms (stage upcall): errno
 *   ETIMEDOUT
 */
enum sbexec_fail_kind {
	SBEXEC_FAIL_NONE,
	SBEXEC_FAIL_NOT_FOUND,
	SBEXEC_FAIL_PERMISSION_DENIED,
	SBEXEC_FAIL_NOT_EXECUTABLE,
	SBEXEC_FAIL_BAD_CWD,
	SBEXEC_FAIL_BAD_ARGS,
	SBEXEC_FAIL_RESOURCE_LIMIT,
	SBEXEC_FAIL_USER_SETUP,
	SBEXEC_FAIL_OUT_OF_MEMORY,
	SBEXEC_FAIL_PTY_SETUP,
	SBEXEC_FAIL_OTHER,
	SBEXEC_FAIL_HELPER_UNAVAILABLE,

	/* private: */
	__SBEXEC_FAIL_MAX,
	SBEXEC_FAIL_MAX = (__SBEXEC_FAIL_MAX - 1)
};

/**
 * enum sbexec_fail_stage - where the spawn failed
 * @SBEXEC_STAGE_NONE: unknown
 * @SBEXEC_STAGE_ADMISSION: in the module, before any upcall (limits, helper)
 * @SBEXEC_STAGE_UPCALL: between the module and the helper
 * @SBEXEC_STAGE_FORK: creating the process (also pipe creation)
 * @SBEXEC_STAGE_PTY: opening or configuring the pseudo terminal
 * @SBEXEC_STAGE_CWD: changing to the working directory
 * @SBEXEC_STAGE_USER: resolving or switching user and groups
 * @SBEXEC_STAGE_RLIMIT: applying resource limits
 * @SBEXEC_STAGE_PRIVILEGES: dropping privileges
 * @SBEXEC_STAGE_EXEC: execve() of the command
 */
enum sbexec_fail_stage {
	SBEXEC_STAGE_NONE,
	SBEXEC_STAGE_ADMISSION,
	SBEXEC_STAGE_UPCALL,
	SBEXEC_STAGE_FORK,
	SBEXEC_STAGE_PTY,
	SBEXEC_STAGE_CWD,
	SBEXEC_STAGE_USER,
	SBEXEC_STAGE_RLIMIT,
	SBEXEC_STAGE_PRIVILEGES,
	SBEXEC_STAGE_EXEC,

	/* private: */
	__SBEXEC_STAGE_MAX,
	SBEXEC_STAGE_MAX = (__SBEXEC_STAGE_MAX - 1)
};

/**
 * enum sbexec_state - session life cycle
 * @SBEXEC_STATE_RUNNING: the process runs
 * @SBEXEC_STATE_EXITED: the process ended; output may still be buffered
 * @SBEXEC_STATE_DONE: the exit record has been queued to the reader
 */
enum sbexec_state {
	SBEXEC_STATE_RUNNING = 1,
	SBEXEC_STATE_EXITED,
	SBEXEC_STATE_DONE,
};

/**
 * enum sbexec_signal_scope - which processes of a session signal reaches
 * @SBEXEC_SIGNAL_SCOPE_PGRP: the leader's process group (the leader alone when
 *   it left the group)
 * @SBEXEC_SIGNAL_SCOPE_TREE: every live member: every process the session's
 *   process created, at any depth, whatever session or process group it moved
 *   to
 */
enum sbexec_signal_scope {
	SBEXEC_SIGNAL_SCOPE_PGRP,
	SBEXEC_SIGNAL_SCOPE_TREE,
};

enum sbexec_attr {
	SBEXEC_A_UNSPEC,
	SBEXEC_A_SESSION_ID,
	SBEXEC_A_PID,
	SBEXEC_A_CMD,
	SBEXEC_A_ARG,
	SBEXEC_A_ENV,
	SBEXEC_A_CWD,
	SBEXEC_A_USER,
	SBEXEC_A_TTY,
	SBEXEC_A_ROWS,
	SBEXEC_A_COLS,
	SBEXEC_A_RLIMIT,
	SBEXEC_A_FAILURE,
	SBEXEC_A_EXIT,
	SBEXEC_A_STDIN_DATA,
	SBEXEC_A_SIGNAL,
	SBEXEC_A_FLAGS,
	SBEXEC_A_STATE,
	SBEXEC_A_PAD,
	SBEXEC_A_BYTES_OUT,
	SBEXEC_A_RING_SIZE,
	SBEXEC_A_AGE_MS,
	SBEXEC_A_SIGNAL_SCOPE,
	SBEXEC_A_MEMBERS,
	SBEXEC_A_MEMBERS_TOTAL,
	SBEXEC_A_MEMBERS_REFUSED,
	SBEXEC_A_LINGER_MS,
	SBEXEC_A_TIMEOUT_MS,
	SBEXEC_A_GRACE_MS,
	SBEXEC_A_MAX_MEMBERS,

	__SBEXEC_A_MAX,
	SBEXEC_A_MAX = (__SBEXEC_A_MAX - 1)
};

enum sbexec_rlimit_attr {
	SBEXEC_RLIMIT_A_UNSPEC,
	SBEXEC_RLIMIT_A_NAME,
	SBEXEC_RLIMIT_A_SOFT,
	SBEXEC_RLIMIT_A_HARD,
	SBEXEC_RLIMIT_A_PAD,

	__SBEXEC_RLIMIT_A_MAX,
	SBEXEC_RLIMIT_A_MAX = (__SBEXEC_RLIMIT_A_MAX - 1)
};

enum sbexec_failure_attr {
	SBEXEC_FAILURE_A_UNSPEC,
	SBEXEC_FAILURE_A_KIND,
	SBEXEC_FAILURE_A_ERRNO,
	SBEXEC_FAILURE_A_ERRNO_NAME,
	SBEXEC_FAILURE_A_MESSAGE,
	SBEXEC_FAILURE_A_STAGE,

	__SBEXEC_FAILURE_A_MAX,
	SBEXEC_FAILURE_A_MAX = (__SBEXEC_FAILURE_A_MAX - 1)
};

enum sbexec_exit_attr {
	SBEXEC_EXIT_A_UNSPEC,
	SBEXEC_EXIT_A_CODE,
	SBEXEC_EXIT_A_SIGNAL,
	SBEXEC_EXIT_A_CORE_DUMPED,
	SBEXEC_EXIT_A_TIMED_OUT,
	SBEXEC_EXIT_A_OOM_KILLED,
	SBEXEC_EXIT_A_MEMBERS,
	SBEXEC_EXIT_A_MEMBERS_REFUSED,
	SBEXEC_EXIT_A_PAD,
	SBEXEC_EXIT_A_CPU_USER_NS,
	SBEXEC_EXIT_A_CPU_SYS_NS,
	SBEXEC_EXIT_A_MAX_RSS_KB,
	SBEXEC_EXIT_A_STDOUT_BYTES,
	SBEXEC_EXIT_A_STDERR_BYTES,
	SBEXEC_EXIT_A_WALL_NS,

	__SBEXEC_EXIT_A_MAX,
	SBEXEC_EXIT_A_MAX = (__SBEXEC_EXIT_A_MAX - 1)
};

enum sbexec_cmd {
	SBEXEC_CMD_UNSPEC,
	SBEXEC_CMD_EXEC,
	SBEXEC_CMD_STDIN,
	SBEXEC_CMD_CLOSE_STDIN,
	SBEXEC_CMD_RESIZE,
	SBEXEC_CMD_SIGNAL,
	SBEXEC_CMD_GET,
	SBEXEC_CMD_LIST,
	SBEXEC_CMD_EVENT_STARTED,
	SBEXEC_CMD_EVENT_EXITED,
	SBEXEC_CMD_EVENT_FAILED,

	__SBEXEC_CMD_MAX,
	SBEXEC_CMD_MAX = (__SBEXEC_CMD_MAX - 1)
};

#define SBEXEC_MCGRP_EVENTS	"events"

#endif /* _UAPI_LINUX_SBEXEC_NETLINK_H */
