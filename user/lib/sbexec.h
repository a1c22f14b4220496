/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libsbexec: client library for the sbexec kernel module.
 *
 * The module exposes two interfaces, and this library wraps both:
 *
 *  - the "sbexec" generic netlink family (control: exec, stdin, resize,
 *    signal, get, list), reached through a handle, struct sbexec, that owns
 *    one netlink socket. A handle is not thread safe: use one per thread.
 *  - the /dev/sbexec character device, which a reader attaches to one
 *    session and then read()s output records from (stdout, stderr, and one
 *    final exit record), or maps the session's ring and walks the records
 *    in place (sbexec_ring_map() and friends).
 *
 * Conventions: every function that can fail returns 0 (or a non-negative
 * value documented with it) on success and a negative errno on failure.
 * After a failure, sbexec_strerror_last() gives a sentence a person can
 * read: the kernel's extack message when it sent one, otherwise one made by
 * the library. The library keeps no global state and installs no signal
 * handlers.
 *
 * The ABI itself (attribute numbers, record layout, limits) is in
 * <linux/sbexec.h>, which this header includes.
 */
#ifndef SBEXEC_LIB_H
#define SBEXEC_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/sbexec.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Path of the character device. */
#define SBEXEC_DEVICE_PATH	"/dev/sbexec"

/* An rlimit value meaning "no limit" (RLIM_INFINITY on the wire). */
#define SBEXEC_RLIM_INFINITY	UINT64_MAX

/* Size of the buffer that holds the last error message. */
#define SBEXEC_ERRMSG_LEN	512

/* Opaque handle: one generic netlink socket plus the last error. */
struct sbexec;

/* ------------------------------------------------------------------ */
/* Handle                                                               */
/* ------------------------------------------------------------------ */

/**
 * sbexec_open() - connect to the sbexec generic netlink family
 * @out: receives the new handle on success
 *
 * Opens a generic netlink socket with NETLINK_EXT_ACK and NETLINK_CAP_ACK
 * enabled and resolves the family "sbexec".
 *
 * Return: 0, -ENOENT when the module is not loaded (the message, available
 * through sbexec_open_error() since there is no handle, is "sbexec module
 * not loaded (no generic netlink family 'sbexec')"), or another negative
 * errno.
 */
int sbexec_open(struct sbexec **out);

/**
 * sbexec_open_error() - message for a failed sbexec_open()
 * @err: the negative errno sbexec_open() returned
 *
 * Return: a static string describing why the open failed.
 */
const char *sbexec_open_error(int err);

/**
 * sbexec_open_uri() - connect to the module here or to a guest's bridge
 * @uri: "local" (or NULL, or ""): sbexec_open(); "unix:PATH": a unix
 *	stream socket, e.g. QEMU's chardev of the guest's virtio-serial port
 *	SBEXEC_BRIDGE_PORT_NAME; "vsock:CID[:PORT]": AF_VSOCK (port default
 *	SBEXEC_BRIDGE_VSOCK_PORT)
 * @out: receives the new handle on success
 *
 * A remote handle speaks the protocol of <linux/sbexec_bridge.h> to
 * sbexec-bridge in the guest, and every call of this library works on it
 * as on a local one (same arguments, errors and messages, which are the
 * guest module's), except the ring mapping (sbexec_ring_map() and
 * sbexec_ring_collect() need a local reader; sbexec_read_records() and
 * sbexec_collect() work on both). A remote handle starts one thread, which
 * reads the link; sbexec_attach() gives a socket that reads like the
 * device: whole records, end of file after the final record. Sessions
 * started without SBEXEC_EXEC_F_KEEP_RUNNING end when the link closes.
 *
 * Return: 0 or a negative errno; sbexec_open_uri_error() says why.
 */
int sbexec_open_uri(const char *uri, struct sbexec **out);

/**
 * sbexec_open_uri_error() - message for a failed sbexec_open_uri()
 * @uri: the address given
 * @err: the negative errno returned
 */
const char *sbexec_open_uri_error(const char *uri, int err);

/**
 * sbexec_clone() - another handle to the same module or bridge link
 * @h: handle
 * @out: receives the new handle (for another thread)
 *
 * Local: a new socket, as sbexec_open(). Remote: the same link (its
 * requests take turns with @h's); the link closes with its last handle.
 *
 * Return: 0 or a negative errno.
 */
int sbexec_clone(struct sbexec *h, struct sbexec **out);

/**
 * sbexec_is_remote() - whether @h talks to a bridge
 * @h: handle
 */
bool sbexec_is_remote(const struct sbexec *h);

/**
 * sbexec_close() - close the socket and free the handle (NULL is fine)
 * @h: handle
 */
void sbexec_close(struct sbexec *h);

/**
 * sbexec_family_id() - the resolved generic netlink family id
 * @h: handle
 */
int sbexec_family_id(const struct sbexec *h);

/**
 * sbexec_strerror_last() - a readable message for the last failed call
 * @h: handle
 *
 * The kernel's extack message when the last error carried one (with the
 * offending attribute named when the kernel pointed at one), otherwise a
 * message made by the library (usually strerror() of the error). Empty
 * string when the last call succeeded. Valid until the next call on @h.
 */
const char *sbexec_strerror_last(const struct sbexec *h);

/**
 * sbexec_last_errno() - the negative errno of the last call (0: success)
 * @h: handle
 */
int sbexec_last_errno(const struct sbexec *h);

/**
 * sbexec_last_extack() - the kernel's extack message, verbatim
 * @h: handle
 *
 * Return: the NLMSGERR_ATTR_MSG string of the last ack, or NULL when the
 * last ack had none.
 */
const char *sbexec_last_extack(const struct sbexec *h);

/**
 * sbexec_last_bad_attr() - attribute the kernel rejected in the last call
 * @h: handle
 *
 * Return: a name such as "SBEXEC_A_ENV" or "SBEXEC_A_RLIMIT/NAME" when the
 * kernel's ack pointed at an attribute (NLMSGERR_ATTR_OFFS) or named a
 * missing one (NLMSGERR_ATTR_MISS_TYPE), else NULL.
 */
const char *sbexec_last_bad_attr(const struct sbexec *h);

/* ------------------------------------------------------------------ */
/* EXEC                                                                 */
/* ------------------------------------------------------------------ */

/**
 * struct sbexec_rlimit - one resource limit for the session
 * @name: one of SBEXEC_RLIMIT_NAMES's names in <linux/sbexec.h>, e.g.
 *	"nofile" (the kernel refuses any other name)
 * @soft: soft limit, SBEXEC_RLIM_INFINITY for none
 * @hard: hard limit, SBEXEC_RLIM_INFINITY for none (soft <= hard)
 */
struct sbexec_rlimit {
	const char *name;
	uint64_t soft;
	uint64_t hard;
};

/**
 * struct sbexec_exec_req - what to start
 * @cmd: command: absolute, relative, or a name looked up in PATH (required)
 * @argv: arguments after the command, NULL-terminated; NULL for none
 * @env: "KEY=VALUE" entries, NULL-terminated; NULL for none
 * @cwd: working directory; NULL for the helper's default
 * @user: "user", "uid", "user:group" or "uid:gid"; NULL for the default
 * @tty: run on a pseudo terminal instead of pipes
 * @rows: terminal rows (sent when non-zero)
 * @cols: terminal columns (sent when non-zero)
 * @rlimits: array of @n_rlimits limits (may be NULL when 0)
 * @n_rlimits: number of entries in @rlimits
 * @flags: SBEXEC_EXEC_F_* bits (sent when non-zero). Without
 *	SBEXEC_EXEC_F_KEEP_RUNNING the session is killed when this handle is
 *	closed (or its process exits); with it, the session stays until a
 *	reader has read its final record, so another process may attach.
 *	SBEXEC_EXEC_F_DIRECT_OUTPUT (pipe mode only): the command writes its
 *	stdout and stderr into the module's output files, which copy straight
 *	into the ring, instead of into pipes (see the README).
 * @ring_size: output ring bytes for this session (sent when non-zero)
 * @max_members: live processes the session may have at once (sent when
 *	non-zero; the module's max_members parameter is the default and the
 *	most)
 * @timeout_ms: the session's deadline, 0 for none: then every process of
 *	it gets SIGTERM, @grace_ms later SIGKILL, and the exit record says
 *	timed_out
 * @grace_ms: between the deadline's SIGTERM and SIGKILL (sent when
 *	non-zero; the module's default is 5000)
 * @linger_ms: once the first process exited, how long output of the others
 *	is still taken before the exit record (sent when non-zero; default
 *	250)
 *
 * Strings are sent as they are: the kernel, not the library, validates
 * them (so a test can check that bad input is refused).
 */
struct sbexec_exec_req {
	const char *cmd;
	const char *const *argv;
	const char *const *env;
	const char *cwd;
	const char *user;
	bool tty;
	uint16_t rows;
	uint16_t cols;
	const struct sbexec_rlimit *rlimits;
	size_t n_rlimits;
	uint32_t flags;
	uint32_t ring_size;
	uint32_t max_members;
	uint32_t timeout_ms;
	uint32_t grace_ms;
	uint32_t linger_ms;
};

/**
 * struct sbexec_failure - why a command could not be started
 * @kind: enum sbexec_fail_kind; SBEXEC_FAIL_NONE when there is no failure
 * @errnum: positive errno, 0 when none applies
 * @errno_name: e.g. "ENOENT"; from the kernel, or filled in by the library
 *	from @errnum when the kernel sent none; "" when unknown
 * @message: the failure's message, e.g. `spawn "x": No such file or ...`
 * @stage: enum sbexec_fail_stage
 */
struct sbexec_failure {
	uint32_t kind;
	uint32_t errnum;
	char errno_name[SBEXEC_MAX_ERRNO_NAME_LEN + 1];
	char message[SBEXEC_MAX_MESSAGE_LEN + 1];
	uint32_t stage;
};

/**
 * struct sbexec_exec_result - outcome of sbexec_exec()
 * @session_id: the new session (0 on failure)
 * @pid: its process id in the helper's pid namespace (0 on failure)
 * @failure: set (kind != SBEXEC_FAIL_NONE) when the command could not be
 *	started; zeroed otherwise
 * @extack: the kernel's extack message for any error ("" when none)
 */
struct sbexec_exec_result {
	uint32_t session_id;
	uint32_t pid;
	struct sbexec_failure failure;
	char extack[SBEXEC_ERRMSG_LEN];
};

/**
 * sbexec_exec() - start a session
 * @h: handle
 * @req: the request
 * @res: the result (always written, also on failure)
 *
 * Return: 0 with @res->session_id and @res->pid set; or a negative errno.
 * When the command could not be started the kernel sends a typed failure:
 * then @res->failure.kind != SBEXEC_FAIL_NONE and the return value is the
 * failure's -errno (or -EINVAL when it has none). When the request itself
 * was refused (bad input, no permission) @res->failure.kind is
 * SBEXEC_FAIL_NONE and @res->extack says why.
 */
int sbexec_exec(struct sbexec *h, const struct sbexec_exec_req *req,
		struct sbexec_exec_result *res);

/* ------------------------------------------------------------------ */
/* Session control                                                      */
/* ------------------------------------------------------------------ */

/**
 * sbexec_stdin() - write bytes to a session's stdin
 * @h: handle
 * @id: session id
 * @buf: bytes
 * @len: byte count; split into SBEXEC_MAX_STDIN_CHUNK messages, each
 *	acknowledged before the next is sent. 0 sends nothing.
 *
 * The kernel queues each chunk whole or not at all, and waits while the
 * session's stdin buffer is full.
 *
 * Return: 0 when all bytes were accepted, else a negative errno: -EPIPE
 * when the session's stdin is closed, -EINTR when a signal interrupted the
 * wait (that chunk was not queued). Chunks before the failing one were
 * accepted: send at most SBEXEC_MAX_STDIN_CHUNK bytes per call to know
 * exactly what was.
 */
int sbexec_stdin(struct sbexec *h, uint32_t id, const void *buf, size_t len);

/**
 * sbexec_close_stdin() - close a session's stdin (EOF for the process)
 * @h: handle
 * @id: session id
 */
int sbexec_close_stdin(struct sbexec *h, uint32_t id);

/**
 * sbexec_resize() - set a PTY session's terminal size
 * @h: handle
 * @id: session id
 * @rows: rows
 * @cols: columns
 */
int sbexec_resize(struct sbexec *h, uint32_t id, uint16_t rows, uint16_t cols);

/**
 * sbexec_signal() - send a signal to a session's process group
 * @h: handle
 * @id: session id
 * @sig: signal number (1..64)
 */
int sbexec_signal(struct sbexec *h, uint32_t id, int sig);

/**
 * sbexec_signal_scope() - send a signal to some or all of a session
 * @h: handle
 * @id: session id
 * @sig: signal number (1..64)
 * @scope: SBEXEC_SIGNAL_SCOPE_PGRP (as sbexec_signal()) or
 *	SBEXEC_SIGNAL_SCOPE_TREE: every live process of the session, whatever
 *	process group or session it moved to (SIGKILL also kills whatever
 *	they fork from then on)
 *
 * Return: 0, or -ESRCH when no process of the session (of its process
 * group, for SBEXEC_SIGNAL_SCOPE_PGRP) is left.
 */
int sbexec_signal_scope(struct sbexec *h, uint32_t id, int sig,
			uint32_t scope);

/**
 * struct sbexec_session_info - one session as GET and LIST describe it
 * @session_id: session id
 * @pid: process id (0 if the kernel did not say)
 * @cmd: command ("" if the kernel did not say)
 * @user: the user spec it was started with ("" if none was given)
 * @state: enum sbexec_state (0 if the kernel did not say)
 * @tty: PTY session
 * @flags: SBEXEC_EXEC_F_* it was started with
 * @bytes_out: output bytes produced so far
 * @ring_size: its output ring's size in bytes (0 if the kernel did not say)
 * @age_ms: milliseconds since it started
 * @members: its live processes now (every process its first one created,
 *	at any depth)
 * @members_total: processes it ever had
 * @members_refused: forks it refused at its member limit
 * @max_members: its member limit
 * @has_exit: @exit is valid (the process has ended)
 * @exit: how it ended
 */
struct sbexec_session_info {
	uint32_t session_id;
	uint32_t pid;
	char cmd[SBEXEC_MAX_PATH_LEN + 1];
	char user[SBEXEC_MAX_USER_LEN + 1];
	uint32_t state;
	bool tty;
	uint32_t flags;
	uint64_t bytes_out;
	uint32_t ring_size;
	uint64_t age_ms;
	uint32_t members;
	uint32_t members_total;
	uint32_t members_refused;
	uint32_t max_members;
	bool has_exit;
	struct sbexec_exit_info exit;
};

/**
 * sbexec_get() - describe one session
 * @h: handle
 * @id: session id
 * @info: receives the description
 */
int sbexec_get(struct sbexec *h, uint32_t id, struct sbexec_session_info *info);

/**
 * typedef sbexec_list_cb - called once per session by sbexec_list()
 *
 * Return 0 to go on; any other value stops the callbacks (the dump is still
 * read to its end) and becomes sbexec_list()'s return value.
 */
typedef int (*sbexec_list_cb)(const struct sbexec_session_info *info,
			      void *arg);

/**
 * sbexec_list() - dump all sessions
 * @h: handle
 * @cb: callback per session
 * @arg: passed to @cb
 *
 * Return: 0, a callback's non-zero value, or a negative errno.
 */
int sbexec_list(struct sbexec *h, sbexec_list_cb cb, void *arg);

/* ------------------------------------------------------------------ */
/* Reading output records                                               */
/* ------------------------------------------------------------------ */

/**
 * sbexec_attach() - become the reader of a session
 * @h: handle, used only to record the error message (may be NULL)
 * @id: session id
 *
 * Opens SBEXEC_DEVICE_PATH (O_RDWR | O_CLOEXEC) and issues
 * SBEXEC_IOC_ATTACH. The caller reads the returned descriptor with
 * sbexec_read_records() (poll() it for POLLIN / POLLHUP) and close()s it.
 *
 * Return: the file descriptor, or a negative errno.
 */
int sbexec_attach(struct sbexec *h, uint32_t id);

/**
 * sbexec_attach_info() - sbexec_attach(), also returning what ATTACH says
 * @h: handle (may be NULL)
 * @id: session id
 * @info: receives the ioctl's result: ring_size, and next_seq, the
 *	sequence number of the first record this reader gets (not 0 when an
 *	earlier reader consumed records; put it in sbexec_output.next_seq
 *	before collecting)
 *
 * Return: the file descriptor, or a negative errno.
 */
int sbexec_attach_info(struct sbexec *h, uint32_t id, struct sbexec_attach *info);

/**
 * sbexec_read_records() - read whole records from an attached descriptor
 * @fd: descriptor from sbexec_attach()
 * @buf: buffer
 * @len: its size
 *
 * Retries on EINTR.
 *
 * Return: bytes read (whole records), 0 after the final record, -EMSGSIZE
 * when @buf cannot hold the next record (retry with a larger one),
 * -EAGAIN on a non-blocking descriptor with nothing to read, or another
 * negative errno.
 */
ssize_t sbexec_read_records(int fd, void *buf, size_t len);

/* Bytes a record with @payload_len payload bytes takes in a read buffer. */
static inline size_t sbexec_record_size(uint32_t payload_len)
{
	size_t n = sizeof(struct sbexec_record) + (size_t)payload_len;

	return (n + SBEXEC_RECORD_ALIGN - 1) & ~(size_t)(SBEXEC_RECORD_ALIGN - 1);
}

/**
 * struct sbexec_record_iter - walks the records in a read buffer
 *
 * Fields are private; set up with sbexec_record_iter_init().
 */
struct sbexec_record_iter {
	const unsigned char *pos;
	const unsigned char *end;
};

/**
 * sbexec_record_iter_init() - start walking @len bytes at @buf
 * @it: iterator
 * @buf: bytes returned by sbexec_read_records()
 * @len: their count
 */
void sbexec_record_iter_init(struct sbexec_record_iter *it, const void *buf,
			     size_t len);

/**
 * sbexec_record_next() - the next record
 * @it: iterator
 * @rec: receives the record header
 * @payload: receives the payload (rec->len bytes)
 *
 * Checks that the header, payload and padding lie within the buffer, that
 * the stream is known, and that an exit record carries a whole struct
 * sbexec_exit_info.
 *
 * Return: 1 with a record, 0 at the end of the buffer, -EBADMSG when the
 * buffer does not hold well-formed records.
 */
int sbexec_record_next(struct sbexec_record_iter *it,
		       const struct sbexec_record **rec, const void **payload);

/**
 * struct sbexec_buf - a growable byte buffer
 * @data: bytes (NUL-terminated for convenience; may be NULL while empty)
 * @len: byte count (excluding the terminating NUL)
 * @cap: allocated size
 */
struct sbexec_buf {
	char *data;
	size_t len;
	size_t cap;
};

/**
 * struct sbexec_output - everything a session produced
 * @out: stdout bytes
 * @err: stderr bytes
 * @exit: the exit record's payload (valid when @have_exit)
 * @have_exit: the exit record arrived
 * @records: records seen
 * @next_seq: sequence number the next record must have (0 for a first
 *	reader; struct sbexec_attach.next_seq for a later one)
 */
struct sbexec_output {
	struct sbexec_buf out;
	struct sbexec_buf err;
	struct sbexec_exit_info exit;
	bool have_exit;
	uint64_t records;
	uint64_t next_seq;
};

/**
 * sbexec_output_feed() - add the records of one read to @o
 * @o: output being collected (start zeroed)
 * @buf: bytes returned by sbexec_read_records()
 * @len: their count
 *
 * Return: 0; -EBADMSG for malformed records; -EPROTO when a sequence number
 * is skipped or repeated or a record follows the exit record; -ENOMEM.
 */
int sbexec_output_feed(struct sbexec_output *o, const void *buf, size_t len);

/**
 * sbexec_collect() - read an attached descriptor to its end
 * @fd: descriptor from sbexec_attach()
 * @o: output being collected (start zeroed)
 * @timeout_ms: overall limit in milliseconds, -1 for none
 *
 * Return: 0 when the final record arrived and read() then returned 0;
 * -ETIMEDOUT; -EPROTO when the descriptor ended without an exit record;
 * or an error of sbexec_output_feed() or sbexec_read_records().
 */
int sbexec_collect(int fd, struct sbexec_output *o, int timeout_ms);

/**
 * sbexec_output_free() - free the buffers of @o and zero it
 * @o: output
 */
void sbexec_output_free(struct sbexec_output *o);

/**
 * sbexec_run_capture() - exec, attach, feed stdin, collect everything
 * @h: handle
 * @req: what to run
 * @stdin_data: bytes for stdin (may be NULL)
 * @stdin_len: their count; stdin is closed after them in any case
 * @timeout_ms: limit for collecting the output, -1 for none
 * @res: the exec result
 * @o: the output (start zeroed; free with sbexec_output_free())
 *
 * The stdin bytes are written before any output is read, so keep them
 * smaller than what the session buffers.
 *
 * Return: 0 when the session ran and its exit record arrived, else a
 * negative errno (see sbexec_exec() and sbexec_collect()).
 */
int sbexec_run_capture(struct sbexec *h, const struct sbexec_exec_req *req,
		       const void *stdin_data, size_t stdin_len, int timeout_ms,
		       struct sbexec_exec_result *res, struct sbexec_output *o);

/**
 * sbexec_exit_info_copy() - take an exit record's payload
 * @ei: receives it
 * @payload: the record's payload (sbexec_record_next() checked that it is
 *	at least SBEXEC_EXIT_INFO_MIN bytes)
 * @len: its length
 *
 * Copies what the module wrote and zeroes the fields an older module did
 * not write.
 */
void sbexec_exit_info_copy(struct sbexec_exit_info *ei, const void *payload,
			   size_t len);

/**
 * sbexec_exit_status() - shell-style status of an exit record
 * @ei: the exit info
 *
 * Return: the exit code when the process exited, 128 + signal when a
 * signal killed it.
 */
int sbexec_exit_status(const struct sbexec_exit_info *ei);

/* ------------------------------------------------------------------ */
/* Reading output records through a mapped ring                         */
/* ------------------------------------------------------------------ */

/*
 * The second way to consume a session (see SBEXEC_IOC_ATTACH in
 * <linux/sbexec.h>): map the ring of an attached descriptor and walk its
 * records in place, without copying them. Records handed out by
 * sbexec_ring_next() stay valid, and their space stays the reader's, until
 * sbexec_ring_release() gives it back to the module, which then refills
 * it. A mapping belongs to one thread at a time. The mapping holds the
 * descriptor's file: the reader stays attached (a new ATTACH gets -EBUSY)
 * until both the descriptor is closed and the ring is unmapped.
 *
 *	struct sbexec_attach a;
 *	struct sbexec_ring_map m;
 *	int fd = sbexec_attach_info(h, id, &a);
 *
 *	sbexec_ring_map(fd, a.ring_size, &m);
 *	for (;;) {
 *		while ((ret = sbexec_ring_next(&m, &rec, &payload)) > 0)
 *			use(rec, payload);	// rec->seq from a.next_seq on
 *		if (ret < 0 || sbexec_ring_release(&m) < 0)
 *			break;
 *		if (done)
 *			break;
 *		sbexec_ring_wait(&m, -1);
 *	}
 *	sbexec_ring_unmap(&m);
 *	close(fd);
 */

/**
 * struct sbexec_ring_map - a session's ring mapped into this process
 * @fd: the attached descriptor (not owned: sbexec_ring_unmap() leaves it open)
 * @ring_size: ring data bytes (a power of two pages)
 * @consumer: the writable consumer page
 * @producer: the read-only producer page
 * @data: ring data, @ring_size bytes mapped twice in a row, so the record
 *	at position pos is contiguous at data + (pos & (ring_size - 1))
 * @pos: consumer position after the last record handed out
 * @released: consumer position last given back to the module
 * @prod: producer position last loaded
 *
 * Fields other than @pos and @released are set by sbexec_ring_map() and
 * must not be changed; read them freely.
 */
struct sbexec_ring_map {
	int fd;
	size_t ring_size;
	struct sbexec_ring_consumer *consumer;
	const struct sbexec_ring_producer *producer;
	const unsigned char *data;
	uint64_t pos;
	uint64_t released;
	uint64_t prod;
	/* private */
	size_t page_size;
	size_t data_map_len;
};

/**
 * sbexec_ring_map() - map an attached descriptor's ring
 * @fd: descriptor from sbexec_attach() / sbexec_attach_info()
 * @ring_size: struct sbexec_attach.ring_size from the attach
 * @m: receives the mapping
 *
 * Maps the consumer page (offset 0, read-write) and the producer page
 * with the doubly mapped data (offset one page, read-only), checks that
 * the producer page agrees on the ring size, and starts at the position
 * the module holds (written in the consumer page), so the first record is
 * the one struct sbexec_attach.next_seq names.
 *
 * Return: 0; -EINVAL when @ring_size is not a power of two pages; -EPROTO
 * when the producer page disagrees with it; or mmap()'s negative errno.
 */
int sbexec_ring_map(int fd, uint32_t ring_size, struct sbexec_ring_map *m);

/**
 * sbexec_ring_next() - the next record in the mapped ring
 * @m: mapping
 * @rec: receives the record header (in the mapping)
 * @payload: receives its payload (rec->len bytes, in the mapping)
 *
 * Loads producer.pos with acquire semantics and hands out the record at
 * @m->pos when one is complete below it. Checks, as sbexec_record_next()
 * does, that header, payload and padding lie below producer.pos, that the
 * stream is known and that an exit record carries a whole struct
 * sbexec_exit_info; also that producer.pos is 8-byte aligned and at most a
 * ring ahead. When nothing is pending (@m->pos == @m->released) it first
 * takes the position from the consumer page, which the module keeps equal
 * to its own: so read() and the mapping may be mixed between releases.
 *
 * Return: 1 with a record, 0 when no complete record is there yet (wait
 * with sbexec_ring_wait()), -EBADMSG when the ring does not hold
 * well-formed records at @m->pos.
 */
int sbexec_ring_next(struct sbexec_ring_map *m, const struct sbexec_record **rec,
		     const void **payload);

/**
 * sbexec_ring_release() - give the records handed out back to the module
 * @m: mapping
 *
 * Stores @m->pos into consumer.pos with release semantics (after this the
 * records handed out must not be touched any more) and issues
 * SBEXEC_IOC_CONSUMED, so the module refills the space (and the session's
 * process, blocked on a full ring, continues). Nothing is sent when
 * nothing new was handed out.
 *
 * Return: 0; -EINVAL when the module refused the position (it rewrote the
 * consumer page with its own; @m is left as it was), or another negative
 * errno from the ioctl.
 */
int sbexec_ring_release(struct sbexec_ring_map *m);

/**
 * sbexec_ring_wait() - wait until a record may be there
 * @m: mapping
 * @timeout_ms: poll() timeout, -1 for none
 *
 * Return: 1 when poll() reports a record (POLLIN), 0 on timeout (or
 * EINTR), -EPIPE after the final record was consumed (POLLHUP and nothing
 * left), -EINVAL when the module refused the consumer page's position
 * (POLLERR), or poll()'s negative errno.
 */
int sbexec_ring_wait(struct sbexec_ring_map *m, int timeout_ms);

/**
 * sbexec_ring_unmap() - unmap (the descriptor stays open)
 * @m: mapping from sbexec_ring_map(); zeroed afterwards
 *
 * Records handed out but not released stay unconsumed: the module (or the
 * next reader) delivers them again.
 */
void sbexec_ring_unmap(struct sbexec_ring_map *m);

/**
 * sbexec_ring_collect() - sbexec_collect() through a mapped ring
 * @fd: descriptor from sbexec_attach_info()
 * @ring_size: struct sbexec_attach.ring_size
 * @o: output being collected (start zeroed; set @o->next_seq to
 *	struct sbexec_attach.next_seq)
 * @timeout_ms: overall limit in milliseconds, -1 for none
 *
 * Maps the ring, feeds every record to sbexec_output_feed(), releasing
 * after each batch, until the exit record has been consumed; unmaps.
 *
 * Return: 0 when the exit record arrived; -ETIMEDOUT; -EPROTO when the
 * session ended without one; or an error of sbexec_ring_map(),
 * sbexec_ring_next(), sbexec_ring_release() or sbexec_output_feed().
 */
int sbexec_ring_collect(int fd, uint32_t ring_size, struct sbexec_output *o,
			int timeout_ms);

/* ------------------------------------------------------------------ */
/* Names                                                                */
/* ------------------------------------------------------------------ */

/* Reference name of a failure kind: "NotFound", ..., "Unknown". */
const char *sbexec_fail_kind_name(uint32_t kind);
/* Stage name: "admission", "upcall", ..., "exec"; "unknown" for others. */
const char *sbexec_stage_name(uint32_t stage);
/* Session state name: "running", "exited", "done"; "unknown" for others. */
const char *sbexec_state_name(uint32_t state);
/* Stream name: "stdout", "stderr", "exit"; "unknown" for others. */
const char *sbexec_stream_name(uint32_t stream);

#ifdef __cplusplus
}
#endif

#endif /* SBEXEC_LIB_H */
