/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/*
 * sbexec: exec sessions for sandbox guests.
 *
 * This header is the single source of truth for the sbexec ABI. It has
 * three parts, one per plane:
 *
 *  1. the "sbexec" generic netlink family (clients: exec, stdin, signals,
 *     queries, and the "events" multicast group);
 *  2. the upcall protocol spoken on /dev/sbexec by the one registered
 *     sbexec-helper (spawn requests down, spawn results up);
 *  3. the session output records a reader gets from a /dev/sbexec file
 *     attached to a session.
 *
 * Every string attribute is a NUL-terminated string without embedded NUL
 * bytes; every length and count below is enforced by the module. A request
 * refused for its content changes nothing and gets one of three errnos,
 * always with an extack message (at most 79 characters: 6.2+ kernels
 * format messages into 80 bytes) and, where one attribute is at fault,
 * NLMSGERR_ATTR_OFFS pointing at it:
 *
 *  -EINVAL  malformed: a required attribute missing (the ack also carries
 *           NLMSGERR_ATTR_MISS_TYPE; extack "missing CMD", "missing
 *           SESSION_ID", ...), an attribute of the wrong size or type, an
 *           over-long string, a NUL byte inside a string, an empty CMD, an
 *           ENV entry that is not KEY=VALUE, an unknown rlimit name, an
 *           rlimit soft limit above its hard one, an attribute that may
 *           appear once given twice, unknown FLAGS bits;
 *  -ERANGE  an integer out of its range: SESSION_ID 0, ROWS or COLS 0,
 *           RING_SIZE 0 or (rounded up) above max_ring_size, SIGNAL
 *           outside 1..64, and a STDIN payload above SBEXEC_MAX_STDIN_CHUNK;
 *  -E2BIG   too many ARGs, ENV entries or RLIMITs, or more than
 *           SBEXEC_MAX_ARGV_BYTES in all.
 *
 * Kernels with formatted extack (6.2+) name the value at fault in the
 * message (e.g. 'unknown rlimit name "bogus"', "signal 65 out of range
 * (1..64)"); 6.1 gets a fixed text for the same refusal.
 *
 * What else each operation can answer is listed at enum sbexec_cmd (and
 * for the ioctls at struct sbexec_attach and SBEXEC_IOC_HELPER_REGISTER).
 */
#ifndef _UAPI_LINUX_SBEXEC_H
#define _UAPI_LINUX_SBEXEC_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define SBEXEC_GENL_NAME		"sbexec"
#define SBEXEC_GENL_VERSION		1
#define SBEXEC_MCGRP_EVENTS		"events"
#define SBEXEC_DEVICE_NAME		"sbexec"

/* ---- Limits (uapi constants; module parameters may only lower them) ---- */

/* Longest command path, cwd, single argument or env entry (bytes, no NUL). */
#define SBEXEC_MAX_PATH_LEN		4095
#define SBEXEC_MAX_ARG_LEN		65530
/* Most arguments (after the command) and env entries in one EXEC. */
#define SBEXEC_MAX_ARGS			1024
#define SBEXEC_MAX_ENV			1024
/* Largest total of all argument and env bytes in one EXEC. */
#define SBEXEC_MAX_ARGV_BYTES		(256 * 1024)
/* Longest user spec ("name", "uid", "name:group", "uid:gid"). */
#define SBEXEC_MAX_USER_LEN		255
/* Most rlimit entries in one EXEC. */
#define SBEXEC_MAX_RLIMITS		16
/* Longest rlimit name ("memlock", ...). */
#define SBEXEC_MAX_RLIMIT_NAME		15
/* Largest STDIN payload in one message. */
#define SBEXEC_MAX_STDIN_CHUNK		(32 * 1024)
/* Longest failure message and errno name. */
#define SBEXEC_MAX_MESSAGE_LEN		511
#define SBEXEC_MAX_ERRNO_NAME_LEN	31

/* ---- Plane 1: generic netlink family "sbexec" ---- */

/**
 * enum sbexec_cmd - generic netlink commands
 * @SBEXEC_CMD_EXEC: start a session. Request: CMD, ARG*, ENV*, CWD, USER,
 *	TTY, ROWS, COLS, RLIMIT*, FLAGS, RING_SIZE. Reply: SESSION_ID and PID.
 *	When the command cannot be started the reply carries a FAILURE nest
 *	instead and the request's ack carries the failure's -errno and its
 *	message in extack.
 * @SBEXEC_CMD_STDIN: write STDIN_DATA to SESSION_ID's stdin.
 * @SBEXEC_CMD_CLOSE_STDIN: close SESSION_ID's stdin once the queued bytes
 *	are written (EOF for the child; in TTY mode the terminal's EOF
 *	character is typed instead, twice after a partial line).
 * @SBEXEC_CMD_RESIZE: set SESSION_ID's terminal size to ROWS x COLS.
 * @SBEXEC_CMD_SIGNAL: send SIGNAL to SESSION_ID's process group.
 * @SBEXEC_CMD_GET: describe SESSION_ID (same attributes as a LIST entry).
 * @SBEXEC_CMD_LIST: dump sessions in id order, from the request's optional
 *	SESSION_ID on (to resume a listing), else all: SESSION_ID, PID, CMD, USER (when
 *	given), STATE, TTY, FLAGS, BYTES_OUT, RING_SIZE, AGE_MS, and the EXIT
 *	nest once the process ended.
 * @SBEXEC_CMD_EVENT_STARTED: multicast: SESSION_ID, PID, CMD.
 * @SBEXEC_CMD_EVENT_EXITED: multicast: SESSION_ID, PID, EXIT nest.
 * @SBEXEC_CMD_EVENT_FAILED: multicast: CMD, FAILURE nest.
 *
 * Errors besides the content refusals above. Every operation: -EPERM
 * without CAP_NET_ADMIN and CAP_SYS_ADMIN. Every operation on a session
 * (STDIN, CLOSE_STDIN, RESIZE, SIGNAL, GET): -EINVAL "missing SESSION_ID",
 * -ERANGE for SESSION_ID 0, -ENOENT when no session has that id (it never
 * existed or is gone, see SBEXEC_EXEC_F_KEEP_RUNNING), and, except GET,
 * -EPERM for a kill-on-close session of another process.
 *
 * EXEC: when the command is not started the ack carries the FAILURE's
 *	errno (the reply's FAILURE nest has kind, stage and the whole
 *	message): -EAGAIN (ResourceLimit at admission: max_sessions,
 *	max_ring_memory_kb or max_pending reached), -ENOTCONN
 *	(HelperUnavailable: no helper registered, or it went away before
 *	answering), -ETIMEDOUT (HelperUnavailable: no answer within
 *	upcall_timeout_ms), the spawn's own errno (-ENOENT for NotFound and
 *	BadCwd, -EACCES, ...; -EINVAL when the failure has none), and for a
 *	malformed helper reply kind Other with the module's -EINVAL, -EBADF or
 *	-ESRCH. Without a reply: -EINTR (the caller got a fatal signal while
 *	waiting; nothing was started) and -ENOMEM.
 * STDIN: -EPIPE when the process has exited, its stdin was closed or it
 *	no longer reads it; -EINTR when a signal ended the wait for room
 *	(nothing of the payload was queued).
 * CLOSE_STDIN: -EPIPE when stdin was already closed.
 * RESIZE: -ENOTTY for a session without TTY; the terminal's own error.
 * SIGNAL: -ESRCH when the session's process has already exited.
 * LIST: -EPERM (as above); an unknown starting SESSION_ID lists from the
 *	next id on.
 */
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
	SBEXEC_CMD_MAX = __SBEXEC_CMD_MAX - 1
};

/**
 * enum sbexec_attr - top-level attributes (also used in spawn upcalls)
 * @SBEXEC_A_SESSION_ID: u32, session id (never 0: 0 is refused with -ERANGE)
 * @SBEXEC_A_PID: u32, pid of the session's process as the receiver's pid
 *	namespace sees it (events: the initial pid namespace; 0 when the
 *	process is not visible there)
 * @SBEXEC_A_CMD: string, command (absolute, relative, or looked up in PATH)
 * @SBEXEC_A_ARG: string, one argument after the command (repeated, in order)
 * @SBEXEC_A_ENV: string, one "KEY=VALUE" entry (repeated)
 * @SBEXEC_A_CWD: string, working directory
 * @SBEXEC_A_USER: string, "user", "uid", "user:group" or "uid:gid"
 * @SBEXEC_A_TTY: flag, run on a pseudo terminal instead of pipes
 * @SBEXEC_A_ROWS: u16, terminal rows (TTY mode; EXEC and RESIZE)
 * @SBEXEC_A_COLS: u16, terminal columns (TTY mode; EXEC and RESIZE)
 * @SBEXEC_A_RLIMIT: nest of enum sbexec_rlimit_attr (repeated)
 * @SBEXEC_A_FAILURE: nest of enum sbexec_failure_attr
 * @SBEXEC_A_EXIT: nest of enum sbexec_exit_attr
 * @SBEXEC_A_STDIN_DATA: binary, bytes for the session's stdin
 * @SBEXEC_A_SIGNAL: u32, signal number (1..64, else -ERANGE)
 * @SBEXEC_A_FLAGS: u32, SBEXEC_EXEC_F_* flags
 * @SBEXEC_A_STATE: u32, enum sbexec_state
 * @SBEXEC_A_PAD: padding for 64-bit attributes
 * @SBEXEC_A_BYTES_OUT: u64, output bytes the session has produced
 * @SBEXEC_A_RING_SIZE: u32, EXEC: output ring bytes for this session,
 *	rounded up to a power of two pages; the rounded size may not exceed
 *	the module parameter max_ring_size (-ERANGE; without RING_SIZE the ring_size
 *	parameter applies, capped the same way); GET/LIST: the ring's size
 * @SBEXEC_A_AGE_MS: u64, milliseconds since the session started
 */
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

	__SBEXEC_A_MAX,
	SBEXEC_A_MAX = __SBEXEC_A_MAX - 1
};

/**
 * enum sbexec_rlimit_attr - one resource limit
 * @SBEXEC_RLIMIT_A_NAME: string: cpu, fsize, data, stack, core, rss, nproc,
 *	nofile, memlock, as, locks, sigpending, msgqueue, nice, rtprio,
 *	rttime. Any other name is refused.
 * @SBEXEC_RLIMIT_A_SOFT: u64, soft limit (~0 for unlimited)
 * @SBEXEC_RLIMIT_A_HARD: u64, hard limit (~0 for unlimited); soft <= hard
 * @SBEXEC_RLIMIT_A_PAD: padding
 */
enum sbexec_rlimit_attr {
	SBEXEC_RLIMIT_A_UNSPEC,
	SBEXEC_RLIMIT_A_NAME,
	SBEXEC_RLIMIT_A_SOFT,
	SBEXEC_RLIMIT_A_HARD,
	SBEXEC_RLIMIT_A_PAD,

	__SBEXEC_RLIMIT_A_MAX,
	SBEXEC_RLIMIT_A_MAX = __SBEXEC_RLIMIT_A_MAX - 1
};

/**
 * enum sbexec_failure_attr - why a command could not be started
 * @SBEXEC_FAILURE_A_KIND: u32, enum sbexec_fail_kind
 * @SBEXEC_FAILURE_A_ERRNO: u32, positive errno (0 when none applies)
 * @SBEXEC_FAILURE_A_ERRNO_NAME: string, e.g. "ENOENT" (absent if unknown)
 * @SBEXEC_FAILURE_A_MESSAGE: string, a sentence a person can act on
 * @SBEXEC_FAILURE_A_STAGE: u32, enum sbexec_fail_stage
 */
enum sbexec_failure_attr {
	SBEXEC_FAILURE_A_UNSPEC,
	SBEXEC_FAILURE_A_KIND,
	SBEXEC_FAILURE_A_ERRNO,
	SBEXEC_FAILURE_A_ERRNO_NAME,
	SBEXEC_FAILURE_A_MESSAGE,
	SBEXEC_FAILURE_A_STAGE,

	__SBEXEC_FAILURE_A_MAX,
	SBEXEC_FAILURE_A_MAX = __SBEXEC_FAILURE_A_MAX - 1
};

/**
 * enum sbexec_exit_attr - how a session's process ended
 * @SBEXEC_EXIT_A_CODE: u32, exit code 0..255 (absent if killed by a signal)
 * @SBEXEC_EXIT_A_SIGNAL: u32, terminating signal (absent if it exited)
 * @SBEXEC_EXIT_A_CORE_DUMPED: flag, the signal produced a core dump
 */
enum sbexec_exit_attr {
	SBEXEC_EXIT_A_UNSPEC,
	SBEXEC_EXIT_A_CODE,
	SBEXEC_EXIT_A_SIGNAL,
	SBEXEC_EXIT_A_CORE_DUMPED,

	__SBEXEC_EXIT_A_MAX,
	SBEXEC_EXIT_A_MAX = __SBEXEC_EXIT_A_MAX - 1
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
 *	(stage ADMISSION, errno EAGAIN, the module parameter named)
 * @SBEXEC_FAIL_USER_SETUP: the user or group could not be resolved or set
 * @SBEXEC_FAIL_OUT_OF_MEMORY: ENOMEM
 * @SBEXEC_FAIL_PTY_SETUP: the pseudo terminal could not be set up
 * @SBEXEC_FAIL_OTHER: anything else
 * @SBEXEC_FAIL_HELPER_UNAVAILABLE: no sbexec-helper is registered (stage
 *	ADMISSION) or it went away before answering (stage UPCALL): errno
 *	ENOTCONN; it did not answer within upcall_timeout_ms (stage UPCALL):
 *	errno ETIMEDOUT
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

	__SBEXEC_FAIL_MAX,
	SBEXEC_FAIL_MAX = __SBEXEC_FAIL_MAX - 1
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

	__SBEXEC_STAGE_MAX,
	SBEXEC_STAGE_MAX = __SBEXEC_STAGE_MAX - 1
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

/*
 * SBEXEC_A_FLAGS bits; unknown bits are refused.
 *
 * SBEXEC_EXEC_F_KEEP_RUNNING: the session outlives the netlink socket that
 * sent EXEC. Without it (kill-on-close, the default) the session's process
 * group is killed with SIGKILL and the session forgotten as soon as that
 * socket is closed, e.g. when the client exits or crashes. A kept session
 * stays until a reader has read its final record and closed, so a client
 * can leave and attach again later.
 *
 * Lifetime after the final record, for both kinds: a session stays (GET
 * and LIST show it in state DONE, its reader may go on reading) until the
 * reader that consumed its final (SBEXEC_STREAM_EXIT) record closes its
 * file; a session whose output nobody read stays with it. A kill-on-close
 * session also goes, at the latest, when the socket that sent EXEC is
 * closed. From then on its id answers -ENOENT; ids are allocated
 * cyclically, so one is not handed out again soon.
 *
 * Ownership: a kill-on-close session belongs to the process that sent
 * EXEC; only that process may ATTACH to it or send it STDIN, CLOSE_STDIN,
 * RESIZE or SIGNAL (others get -EPERM). A keep-running session may be
 * driven and attached by any privileged process. GET and LIST see all.
 */
#define SBEXEC_EXEC_F_KEEP_RUNNING	(1U << 0)
#define SBEXEC_EXEC_F_ALL		SBEXEC_EXEC_F_KEEP_RUNNING

/* ---- Plane 2: upcall protocol on /dev/sbexec (helper only) ---- */

/*
 * The helper opens /dev/sbexec and issues SBEXEC_IOC_HELPER_REGISTER
 * (needs CAP_SYS_ADMIN; one helper at a time, a second gets -EBUSY). It then
 * read()s spawn requests and write()s one reply per request. Each message is
 * a struct sbexec_upcall_hdr followed by netlink attributes (struct nlattr,
 * NLA_ALIGN()ed), hdr.len covering both.
 *
 * SBEXEC_UP_SPAWN (module -> helper): SBEXEC_A_CMD, SBEXEC_A_ARG*,
 *	SBEXEC_A_ENV*, SBEXEC_A_CWD, SBEXEC_A_USER, SBEXEC_A_TTY,
 *	SBEXEC_A_ROWS, SBEXEC_A_COLS, SBEXEC_A_RLIMIT* exactly as validated
 *	from the client's EXEC request.
 * SBEXEC_UP_SPAWNED (helper -> module), same id: either SBEXEC_UA_PID plus
 *	SBEXEC_UA_STDIN_FD, SBEXEC_UA_STDOUT_FD, SBEXEC_UA_STDERR_FD (pipe mode)
 *	or SBEXEC_UA_PTY_FD (tty mode), fds in the helper's fd table that the
 *	module takes references on during write(); or SBEXEC_UA_FAILURE. The
 *	pid must be a child of the helper. The helper must not reap the child
 *	before the write() returns.
 * SBEXEC_UP_FORKED (helper -> module), same id, optional but sent by
 *	sbexec-helper: SBEXEC_UA_PID of the child just forked for the
 *	request, before that child may execute anything. From then on the
 *	module owns the child's fate: if the request ends without a session
 *	(the helper dies, the client gives up, the reply is a failure or
 *	invalid) the module SIGKILLs the child and its process group, so a
 *	client told "not started" never has a command running. The helper
 *	holds the child at a gate until this write() has returned 0; if the
 *	helper dies first, the child sees the gate close and exits without
 *	executing the command. A later SPAWNED must name the same pid.
 *
 * A read() buffer smaller than the next message gets -EMSGSIZE and the
 * message stays queued; SBEXEC_UPCALL_MAX_MSG always suffices.
 */
#define SBEXEC_UPCALL_MAX_MSG		(512 * 1024)

struct sbexec_upcall_hdr {
	__u32 len;
	__u16 type;
	__u16 flags;
	__u64 id;
};

enum sbexec_upcall_type {
	SBEXEC_UP_UNSPEC,
	SBEXEC_UP_SPAWN,
	SBEXEC_UP_SPAWNED,
	SBEXEC_UP_FORKED,
};

/**
 * enum sbexec_upcall_attr - attributes of SBEXEC_UP_SPAWNED and _FORKED
 * @SBEXEC_UA_PID: u32, the child's pid in the helper's pid namespace
 * @SBEXEC_UA_STDIN_FD: u32, write end of the child's stdin pipe
 * @SBEXEC_UA_STDOUT_FD: u32, read end of the child's stdout pipe
 * @SBEXEC_UA_STDERR_FD: u32, read end of the child's stderr pipe
 * @SBEXEC_UA_PTY_FD: u32, pseudo terminal master
 * @SBEXEC_UA_FAILURE: nest of enum sbexec_failure_attr
 */
enum sbexec_upcall_attr {
	SBEXEC_UA_UNSPEC,
	SBEXEC_UA_PID,
	SBEXEC_UA_STDIN_FD,
	SBEXEC_UA_STDOUT_FD,
	SBEXEC_UA_STDERR_FD,
	SBEXEC_UA_PTY_FD,
	SBEXEC_UA_FAILURE,

	__SBEXEC_UA_MAX,
	SBEXEC_UA_MAX = __SBEXEC_UA_MAX - 1
};

/* ---- Plane 3: session output records ---- */

/**
 * struct sbexec_attach - argument of SBEXEC_IOC_ATTACH
 * @session_id: in: the session to read
 * @flags: in: must be 0
 * @ring_size: out: bytes of ring data (a power of two pages)
 * @next_seq: out: sequence number of the next record this reader gets
 *
 * Turns an open /dev/sbexec file into the reader of one session (needs
 * CAP_SYS_ADMIN; one reader per session, a second gets -EBUSY; after that
 * reader closes, a new one may attach and continues at the next unread
 * record). Two ways to consume, which may be mixed:
 *
 * read() returns whole records (struct sbexec_record, payload, padding to
 * SBEXEC_RECORD_ALIGN), as many as fit; a buffer smaller than the next
 * record gets -EMSGSIZE. It blocks until a record is there (or -EAGAIN with
 * O_NONBLOCK) and returns 0 after the final record has been consumed.
 *
 * mmap(), in the style of the BPF ring buffer: at offset 0 one page,
 * PROT_READ|PROT_WRITE, holding struct sbexec_ring_consumer; at offset
 * PAGE_SIZE, PROT_READ only, one page holding struct sbexec_ring_producer
 * followed by the ring data mapped twice in a row (so a record never
 * wraps): 1 + 2 * ring_size / PAGE_SIZE pages. Records start at
 * data + (pos & (ring_size - 1)). A reader loads producer.pos with acquire
 * semantics, consumes records up to it, stores the new consumer.pos with
 * release semantics and then calls SBEXEC_IOC_CONSUMED (or poll()), which
 * lets the module reuse that space. The module never trusts consumer.pos:
 * a position that is not a record boundary between the last accepted one
 * and producer.pos is refused (-EINVAL, EPOLLERR from poll()), and the
 * page is rewritten with the position the module holds.
 *
 * poll() reports EPOLLIN while a record is unread and EPOLLHUP after the
 * final record has been consumed.
 *
 * SBEXEC_IOC_ATTACH errors: -EPERM without CAP_SYS_ADMIN, or for a
 * kill-on-close session of another process; -EINVAL for non-zero @flags
 * or @reserved; -ERANGE for @session_id 0 (as SESSION_ID 0 on netlink);
 * -ENOENT when no session has that id; -EBUSY when the session has a
 * reader or this file already has a role (reader or helper); -EFAULT.
 * On a file that is not a reader, read(), mmap() and SBEXEC_IOC_CONSUMED
 * fail with -EBADFD and poll() reports EPOLLERR. SBEXEC_IOC_HELPER_REGISTER:
 * -EPERM without CAP_SYS_ADMIN, -EBUSY while another helper is registered
 * or the file already has a role. Other ioctl numbers: -ENOTTY.
 */
struct sbexec_attach {
	__u32 session_id;
	__u32 flags;
	__u32 ring_size;
	__u32 reserved;
	__u64 next_seq;
};

/**
 * struct sbexec_ring_consumer - the reader-writable page of a mapped ring
 * @pos: the reader's consumer position (bytes, free-running)
 */
struct sbexec_ring_consumer {
	__u64 pos;
};

/**
 * struct sbexec_ring_producer - the read-only page of a mapped ring
 * @pos: the producer position: records below it are complete
 * @size: ring data bytes
 */
struct sbexec_ring_producer {
	__u64 pos;
	__u64 size;
};

#define SBEXEC_IOC_MAGIC		0xB5
#define SBEXEC_IOC_HELPER_REGISTER	_IO(SBEXEC_IOC_MAGIC, 0x01)
#define SBEXEC_IOC_ATTACH		_IOWR(SBEXEC_IOC_MAGIC, 0x02, struct sbexec_attach)
#define SBEXEC_IOC_CONSUMED		_IO(SBEXEC_IOC_MAGIC, 0x03)

/**
 * enum sbexec_stream - what a record carries
 * @SBEXEC_STREAM_STDOUT: bytes the process wrote to stdout (or the pty)
 * @SBEXEC_STREAM_STDERR: bytes the process wrote to stderr
 * @SBEXEC_STREAM_EXIT: final record: struct sbexec_exit_info
 */
enum sbexec_stream {
	SBEXEC_STREAM_STDOUT = 1,
	SBEXEC_STREAM_STDERR = 2,
	SBEXEC_STREAM_EXIT = 3,
};

/**
 * struct sbexec_record - header of one output record
 * @len: payload bytes that follow (the record takes
 *	sizeof(struct sbexec_record) + len rounded up to 8)
 * @stream: enum sbexec_stream
 * @flags: 0
 * @seq: record sequence number, from 0, no gaps
 */
struct sbexec_record {
	__u32 len;
	__u16 stream;
	__u16 flags;
	__u64 seq;
};

#define SBEXEC_RECORD_ALIGN		8

/**
 * struct sbexec_exit_info - payload of the SBEXEC_STREAM_EXIT record
 * @exited: 1 if the process exited (see @code), 0 if a signal killed it
 * @code: exit code 0..255 when @exited
 * @signal: terminating signal when !@exited
 * @core_dumped: 1 if that signal dumped core
 */
struct sbexec_exit_info {
	__u32 exited;
	__u32 code;
	__u32 signal;
	__u32 core_dumped;
};

#endif /* _UAPI_LINUX_SBEXEC_H */
