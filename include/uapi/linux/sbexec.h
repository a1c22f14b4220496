/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/*
 * sbexec: exec sessions for sandbox guests.
 *
 * The sbexec ABI has three parts, one per plane:
 *
 *  1. the "sbexec" generic netlink family (clients: exec, stdin, signals,
 *     queries, and the "events" multicast group): its constants, commands,
 *     attributes and enums are in <linux/sbexec_netlink.h>, generated from
 *     the family's YNL spec, Documentation/netlink/specs/sbexec.yaml, which
 *     documents each of them (included here: this header provides all);
 *  2. the upcall protocol spoken on /dev/sbexec by the one registered
 *     sbexec-helper (spawn requests down, spawn results up);
 *  3. the session output records a reader gets from a /dev/sbexec file
 *     attached to a session.
 *
 * Every string attribute is a NUL-terminated string without embedded NUL
 * bytes; every length and count the spec states is enforced by the module
 * (the SBEXEC_MAX_* limits are uapi constants; module parameters may only
 * lower them). A request refused for its content changes nothing and gets
 * one of three errnos, always with an extack message (at most 79
 * characters: 6.2+ kernels format messages into 80 bytes) and, where one
 * attribute is at fault, NLMSGERR_ATTR_OFFS pointing at it:
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
 * Errors besides those content refusals. Every operation: -EPERM
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
 * The ioctls' errors are listed at struct sbexec_attach.
 */
#ifndef _UAPI_LINUX_SBEXEC_H
#define _UAPI_LINUX_SBEXEC_H

#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/sbexec_netlink.h>

#define SBEXEC_DEVICE_NAME		"sbexec"

/*
 * The rlimit names SBEXEC_RLIMIT_A_NAME accepts, as designated initializers
 * of an array indexed by the resource each name sets:
 *	const char *names[RLIM_NLIMITS] = { SBEXEC_RLIMIT_NAMES };
 * The RLIMIT_* constants come from <linux/resource.h> (or <sys/resource.h>)
 * where the list is expanded.
 */
#define SBEXEC_RLIMIT_NAMES \
	[RLIMIT_CPU] = "cpu",		\
	[RLIMIT_FSIZE] = "fsize",	\
	[RLIMIT_DATA] = "data",		\
	[RLIMIT_STACK] = "stack",	\
	[RLIMIT_CORE] = "core",		\
	[RLIMIT_RSS] = "rss",		\
	[RLIMIT_NPROC] = "nproc",	\
	[RLIMIT_NOFILE] = "nofile",	\
	[RLIMIT_MEMLOCK] = "memlock",	\
	[RLIMIT_AS] = "as",		\
	[RLIMIT_LOCKS] = "locks",	\
	[RLIMIT_SIGPENDING] = "sigpending", \
	[RLIMIT_MSGQUEUE] = "msgqueue",	\
	[RLIMIT_NICE] = "nice",		\
	[RLIMIT_RTPRIO] = "rtprio",	\
	[RLIMIT_RTTIME] = "rttime"

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
 * SBEXEC_IOC_OUTPUT_FD (helper's file, ioctl): for an in-flight request
 *	whose SBEXEC_A_FLAGS has SBEXEC_EXEC_F_DIRECT_OUTPUT, a new O_WRONLY,
 *	O_CLOEXEC fd of the module's output file for @stream (stdout or
 *	stderr), once per stream, before SPAWNED; the helper makes it the
 *	child's fd 1 or 2 in place of a pipe and sends no SBEXEC_UA_STDOUT_FD
 *	or SBEXEC_UA_STDERR_FD. Errors: -EINVAL (a flag or stream not 0, a
 *	stream other than stdout or stderr, a request without the flag),
 *	-ENOENT (no in-flight request of this helper has @id), -EEXIST (that
 *	stream's file was handed out already), -EBADFD (not the helper's file),
 *	-EMFILE, -ENOMEM.
 *
 * A read() buffer smaller than the next message gets -EMSGSIZE and the
 * message stays queued; SBEXEC_UPCALL_MAX_MSG always suffices.
 * A reply write() longer than SBEXEC_UPCALL_MAX_REPLY gets -EINVAL.
 */
#define SBEXEC_UPCALL_MAX_MSG		(512 * 1024)
#define SBEXEC_UPCALL_MAX_REPLY		4096

struct sbexec_upcall_hdr {
	__u32 len;
	__u16 type;
	__u16 flags;
	__u64 id;
};

/**
 * struct sbexec_output_fd - argument of SBEXEC_IOC_OUTPUT_FD
 * @id: the request's id (struct sbexec_upcall_hdr)
 * @stream: SBEXEC_STREAM_STDOUT or SBEXEC_STREAM_STDERR
 * @flags: must be 0
 */
struct sbexec_output_fd {
	__u64 id;
	__u32 stream;
	__u32 flags;
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
#define SBEXEC_IOC_OUTPUT_FD		_IOW(SBEXEC_IOC_MAGIC, 0x04, struct sbexec_output_fd)

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
 * @exited: 1 if the leader exited (see @code), 0 if a signal killed it
 * @code: exit code 0..255 when @exited
 * @signal: terminating signal when !@exited
 * @core_dumped: 1 if that signal dumped core
 * @timed_out: 1 if the session's deadline (SBEXEC_A_TIMEOUT_MS) ended it
 * @oom_killed: 1 if the OOM killer killed a member
 * @members: processes the session had, the leader included
 * @members_refused: forks killed at the session's member limit
 * @cpu_user_ns: user CPU time of the members that ended
 * @cpu_sys_ns: system CPU time of the members that ended
 * @max_rss_kb: peak resident set of the largest member, in KiB
 * @stdout_bytes: bytes written to stdout (pty mode: all output)
 * @stderr_bytes: bytes written to stderr
 * @wall_ns: nanoseconds from the start to this record
 *
 * The record's length says how much of the structure the module wrote:
 * the first four fields always (SBEXEC_EXIT_INFO_MIN bytes), the rest
 * once the module keeps the tree's account. A reader takes what the length
 * covers and zeroes the rest.
 */
struct sbexec_exit_info {
	__u32 exited;
	__u32 code;
	__u32 signal;
	__u32 core_dumped;
	__u32 timed_out;
	__u32 oom_killed;
	__u32 members;
	__u32 members_refused;
	__u64 cpu_user_ns;
	__u64 cpu_sys_ns;
	__u64 max_rss_kb;
	__u64 stdout_bytes;
	__u64 stderr_bytes;
	__u64 wall_ns;
};

/* The first version's record: exited, code, signal, core_dumped. */
#define SBEXEC_EXIT_INFO_MIN		16

#endif /* _UAPI_LINUX_SBEXEC_H */
