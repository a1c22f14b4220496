/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sbexec internal interfaces.
 *
 * The module is split by concern:
 *   main.c      module parameters, init and exit ordering
 *   genl.c      the "sbexec" generic netlink family (control plane)
 *   events.c    its multicast events (started, failed, exited)
 *   validate.c  the checks of an EXEC request that its policy cannot state
 *   genl-gen.c  its per-op policies and op table, generated from the YNL
 *               spec (Documentation/netlink/specs/sbexec.yaml; make regen)
 *   upcall.c    the helper channel on /dev/sbexec (upcall plane)
 *   handoff.c   taking over the process and files a helper's reply names
 *   failure.c   why a command could not be started (struct sbexec_failure)
 *   dev.c       the misc device: helper and reader roles of an open file
 *   session.c   the session table and a session's life cycle
 *   io.c        a session's I/O work: output into the ring, stdin into
 *               the child
 *   reader.c    the reader side: consuming a session's ring
 *   ring.c      the per-session output ring (data plane)
 *   sink.c      output files that write straight into the ring
 *   members.c   a session's processes: the fork and exit probes that keep
 *               them, exit statuses and resource usage, tree kill
 */
#ifndef _SBEXEC_H
#define _SBEXEC_H

#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uio.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <uapi/linux/sbexec.h>

/* Module parameters (main.c); read with READ_ONCE(), they may change. */
extern unsigned int sbexec_max_sessions;
extern unsigned int sbexec_ring_size;
extern unsigned int sbexec_max_ring_size;
extern unsigned int sbexec_max_ring_memory_kb;
extern unsigned int sbexec_max_pending;
extern unsigned int sbexec_upcall_timeout_ms;
extern unsigned int sbexec_max_members;

/* EXEC's defaults and bounds the spec leaves to the module. */
#define SBEXEC_DEFAULT_LINGER_MS	250
#define SBEXEC_DEFAULT_GRACE_MS		5000
#define SBEXEC_MAX_GRACE_MS		3600000

/* Unbound workqueue that runs session I/O and deferred frees. */
extern struct workqueue_struct *sbexec_wq;

/**
 * struct sbexec_failure - why a command could not be started
 * @kind: enum sbexec_fail_kind
 * @stage: enum sbexec_fail_stage
 * @err: positive errno, 0 if none applies
 * @errno_name: symbolic errno name, "" if unknown
 * @message: human readable sentence
 */
struct sbexec_failure {
	u32 kind;
	u32 stage;
	u32 err;
	char errno_name[SBEXEC_MAX_ERRNO_NAME_LEN + 1];
	char message[SBEXEC_MAX_MESSAGE_LEN + 1];
};

void sbexec_failure_set(struct sbexec_failure *f, u32 kind, u32 stage,
			u32 err, const char *fmt, ...) __printf(5, 6);
void sbexec_failure_name_errno(struct sbexec_failure *f);
int sbexec_failure_nla_put(struct sk_buff *skb, int attr,
			   const struct sbexec_failure *f);

/*
 * Output ring: a consumer page, a producer page and a power-of-two number
 * of data pages. The kernel reaches the meta pages through their direct
 * map and the data through @data, a view of them vmap()ed twice in a row,
 * so that a record never wraps; a reader's mmap() shows
 * [consumer][producer][data][data]. Positions are free-running u64 byte
 * counters. Producers (the session's io_work, the writers of its output
 * files) are serialised by the session's prod_lock; there is one consumer
 * (the attached reader, serialised by the session's read_lock).
 *
 * @prod is published with smp_store_release() after a record is complete
 * (and copied to the producer page) and read with smp_load_acquire() by
 * the consumer; @cons likewise the other way round, so the producer never
 * overwrites unread bytes. @cons is the module's own copy: the consumer
 * page is writable by userspace and only ever read through
 * sbexec_ring_adopt_user_cons(), which validates it.
 *
 * Data pages are allocated as the ring fills (ring.c). pop_lock protects
 * @pages (a slot goes from NULL to a page once, and keeps it until the
 * ring is freed) and @nr_present; the producer and a reader's page fault
 * take it to fill a slot, mmap() to insert the pages there are. @data and
 * @kmapped (the slots in that view; the others show a filler page) are
 * the producer's: it builds a new view and swaps @data under map_lock,
 * which the consumer holds while it reads through @data. Lock order:
 * read_lock, then map_lock, then (a fault in copy_to_user()) the mm's
 * mmap_lock, then pop_lock; the producer never holds pop_lock while it
 * takes map_lock.
 */
struct mem_cgroup;

struct sbexec_ring {
	void *data;
	struct sbexec_ring_consumer *cpage;
	struct sbexec_ring_producer *ppage;
	struct page **pages;	/* meta pages, then data slots */
	unsigned long *kmapped;
	struct mem_cgroup *memcg;	/* charged for the pages */
	struct mutex pop_lock;	/* @pages, @nr_present */
	struct mutex map_lock;	/* @data, against the consumer */
	unsigned int nr_pages;	/* data pages, when full */
	unsigned int nr_present;	/* data pages allocated */
	u64 size;
	u64 prod;
	u64 cons;
	u64 seq;	/* producer only */
	u64 cons_seq;	/* consumer only: sequence number at @cons */
};

u64 sbexec_ring_data_size(size_t size);
int sbexec_ring_init(struct sbexec_ring *r, size_t size);
int sbexec_ring_adopt_user_cons(struct sbexec_ring *r);
int sbexec_ring_mmap(struct sbexec_ring *r, struct vm_area_struct *vma);
void sbexec_ring_destroy(struct sbexec_ring *r);
void *sbexec_ring_reserve(struct sbexec_ring *r, size_t max, size_t *room);
void *sbexec_ring_reserve_last(struct sbexec_ring *r, size_t len);
void sbexec_ring_commit(struct sbexec_ring *r, u16 stream, u32 len);
bool sbexec_ring_empty(struct sbexec_ring *r);
u64 sbexec_ring_room(struct sbexec_ring *r);
ssize_t sbexec_ring_read_user(struct sbexec_ring *r, char __user *buf,
			      size_t count);

/* One file the session's io_work waits on (an output source or stdin). */
struct sbexec_waiter {
	wait_queue_head_t *head;
	wait_queue_entry_t entry;
	struct sbexec_session *sess;
	unsigned int port;	/* SBEXEC_PORT_*, its bit in io_flags */
};

#define SBEXEC_MAX_WAITERS	2

/*
 * A session's output file (SBEXEC_EXEC_F_DIRECT_OUTPUT): its state, made
 * and detached with the session by io.c; the files are sink.c's. Referenced
 * by the session until it is released and by each open file. @lock
 * protects @sess, which the session clears as it goes. @wait: writers
 * waiting for room, and poll(); woken when the reader made room and when
 * the session's output ends.
 */
struct sbexec_sink {
	struct kref ref;
	spinlock_t lock;	/* @sess */
	struct sbexec_session *sess;
	wait_queue_head_t wait;
	atomic_t writers;	/* open files */
	u16 stream;
	bool handed;		/* under the helper channel's lock */
};

struct sbexec_port {
	struct file *file;
	struct sbexec_sink *sink;	/* instead of @file: an output file */
	poll_table pt;
	unsigned int nr_waiters;
	struct sbexec_waiter waiters[SBEXEC_MAX_WAITERS];
	u16 stream;
	bool eof;		/* io_work only */
};

enum {
	SBEXEC_PORT_OUT,	/* stdout pipe, or the pty master */
	SBEXEC_PORT_ERR,	/* stderr pipe (pipe mode only) */
	SBEXEC_PORT_IN,		/* stdin pipe (pipe mode only) */
	SBEXEC_NR_PORTS
};

/*
 * An exec session. Created by EXEC before the upcall (so that admission
 * and memory are settled before anything is spawned), started when the
 * helper hands over the process, and freed after its last reference is
 * dropped and an RCU grace period has passed (the exit probe looks
 * sessions up under RCU).
 *
 * References: the session table holds one until the session is removed;
 * the attached reader holds one; every lookup takes one.
 */
struct sbexec_session {
	u32 id;
	struct kref ref;
	bool tty;
	u32 flags;
	u32 owner_portid;
	struct pid *owner;	/* thread group that sent EXEC */
	char *cmd;
	char *user;
	u64 start_ns;
	u64 ring_bytes;
	/* From EXEC, read-only after creation. */
	u32 max_members;	/* live members at most */
	u32 linger_ms;		/* output taken after the leader's exit */
	u32 timeout_ms;		/* deadline, 0 for none */
	u32 grace_ms;		/* deadline's SIGTERM to its SIGKILL */

	/* Set once by sbexec_session_start(), then read-only. */
	struct pid *pid;

	struct sbexec_ring ring;
	struct work_struct io_work;
	/*
	 * io.c's atomic bits: bit SBEXEC_PORT_* is a wakeup from that port's
	 * file not yet looked at by io_work, SBEXEC_IO_RUNNING is set while
	 * io_work runs (wakeups then leave it to io_work to requeue itself),
	 * SBEXEC_IO_WANT_ROOM while it waits for the reader to make room.
	 */
	unsigned long io_flags;
	atomic64_t bytes_out;
	atomic64_t stream_bytes[2];	/* stdout, stderr */

	/* io_work only: the linger after the leader's exit (io.c). */
	struct delayed_work linger_work;
	struct delayed_work retry_work;	/* the ring was short of memory */
	unsigned long linger_end;	/* jiffies, when linger_armed */
	bool linger_armed;
	bool io_stopped;	/* set once the last reference is gone */

	/* The deadline (session.c): SIGTERM, then SIGKILL grace_ms later. */
	struct delayed_work deadline_work;
	bool deadline_termed;	/* deadline_work only */
	bool timed_out;		/* the deadline came while members lived */

	/* Ports are set up by sbexec_session_start() and used by io_work. */
	struct sbexec_port port[SBEXEC_NR_PORTS];
	/* DIRECT_OUTPUT: stdout's and stderr's files, from creation on. */
	struct sbexec_sink *sink[2];

	/*
	 * prod_lock serialises the ring's producers (io_work, the output
	 * files' writers) and protects output_closed: set with the exit
	 * record or when the session leaves the table, after which an
	 * output file's write() fails with -EPIPE.
	 */
	struct mutex prod_lock;
	bool output_closed;

	/*
	 * The leader's exit status as wait(2) would report it, -1 until
	 * known. Set once with cmpxchg() by members.c: by its exit probe, or
	 * when it finds the leader already gone as it makes it a member.
	 */
	int exit_status;

	/*
	 * Members (members.c): every live process of the session, and what
	 * the ended ones used. members_lock protects the list and the fields
	 * up to members_closed; it nests outside the member table's xa_lock.
	 */
	spinlock_t members_lock;
	struct list_head members;
	u32 nr_live;		/* live members */
	u32 nr_total;		/* members ever */
	u32 nr_refused;		/* forks killed at the limit or untrackable */
	int kill_sig;		/* SIGKILL once tree-killed: later forks get it */
	bool oom_killed;	/* the OOM killer killed a member */
	u64 cpu_user_ns;	/* of the members that ended */
	u64 cpu_sys_ns;
	u64 max_rss_kb;		/* the largest ended member's peak */
	bool members_closed;	/* released: no new members */

	/* Pending stdin bytes; protected by in_lock. */
	struct mutex in_lock;
	u8 *in_buf;
	size_t in_len;
	bool in_close;		/* close requested: close once drained */
	bool in_closed;		/* stdin file released or broken */
	bool in_midline;	/* pty: the last byte written was not '\n' */
	int in_err;		/* first write error, reported to writers */
	wait_queue_head_t in_wait;

	/* Reader side. read_lock serialises consumers of the ring. */
	struct mutex read_lock;
	wait_queue_head_t rwait;

	/* lock protects the fields below. */
	spinlock_t lock;
	u32 state;		/* enum sbexec_state, 0 while starting */
	bool final_queued;	/* the exit record is in the ring */
	struct sbexec_exit_info final;	/* it, once queued */
	bool reader;		/* a reader is attached */
	bool in_table;		/* the table's reference is held */

	struct rcu_work free_rwork;
};

int sbexec_sessions_init(void);
void sbexec_sessions_exit(void);

/**
 * struct sbexec_params - what EXEC asks for, as far as the module keeps it
 * @cmd: command (kept for LIST)
 * @user: user spec or NULL (kept for LIST)
 * @tty: pty mode
 * @flags: SBEXEC_EXEC_F_*
 * @ring_size: requested ring bytes (validated against max_ring_size)
 * @owner_portid: netlink port of the client that sent EXEC
 * @max_members: live processes the session may have at once
 * @linger_ms: how long output is taken after the leader exited
 * @timeout_ms: the session's deadline, 0 for none
 * @grace_ms: from the deadline's SIGTERM to its SIGKILL
 */
struct sbexec_params {
	const char *cmd;
	const char *user;
	bool tty;
	u32 flags;
	u32 ring_size;
	u32 owner_portid;
	u32 max_members;
	u32 linger_ms;
	u32 timeout_ms;
	u32 grace_ms;
};

/* session.c: the table and the life cycle */
struct sbexec_session *sbexec_session_new(const struct sbexec_params *p,
					  struct sbexec_failure *fail);
void sbexec_session_start(struct sbexec_session *s, struct pid *pid,
			  struct file *in, struct file *out, struct file *err);
void sbexec_session_remove(struct sbexec_session *s);
struct sbexec_session *sbexec_session_lookup(u32 id);
struct sbexec_session *sbexec_session_next(unsigned long *id);
void sbexec_session_put(struct sbexec_session *s);
bool sbexec_session_may_use(struct sbexec_session *s);
int sbexec_session_signal(struct sbexec_session *s, int sig, u32 scope,
			  struct netlink_ext_ack *extack);

/* io.c: the session's I/O work */
void sbexec_io_init(struct sbexec_session *s);
void sbexec_io_set_files(struct sbexec_session *s, struct file *in,
			 struct file *out, struct file *err);
void sbexec_io_watch(struct sbexec_session *s);
void sbexec_io_stop(struct sbexec_session *s);
void sbexec_io_room_made(struct sbexec_session *s);
void sbexec_io_free(struct sbexec_session *s);
struct tty_struct *sbexec_session_tty(struct sbexec_session *s);
int sbexec_session_write_stdin(struct sbexec_session *s, const void *data,
			       size_t len, struct netlink_ext_ack *extack);
int sbexec_session_close_stdin(struct sbexec_session *s,
			       struct netlink_ext_ack *extack);
ssize_t sbexec_io_write(struct sbexec_session *s, struct sbexec_sink *k,
			struct iov_iter *from, bool nonblock);
__poll_t sbexec_io_write_poll(struct sbexec_session *s);
void sbexec_io_close_output(struct sbexec_session *s);
int sbexec_io_sinks_new(struct sbexec_session *s);
void sbexec_io_sinks_detach(struct sbexec_session *s);
struct sbexec_session *sbexec_io_sink_session(struct sbexec_sink *k);
void sbexec_io_sink_put(struct sbexec_sink *k);

/* sink.c: output files */
int sbexec_sinks_init(void);
void sbexec_sinks_exit(void);
int sbexec_sink_install(struct sbexec_sink *k);

/* reader.c: the reader side */
int sbexec_session_attach(struct sbexec_session *s, struct sbexec_attach *arg);
int sbexec_session_consumed(struct sbexec_session *s);
void sbexec_session_detach(struct sbexec_session *s);
ssize_t sbexec_session_read(struct sbexec_session *s, char __user *buf,
			    size_t count, bool nonblock);
__poll_t sbexec_session_poll(struct sbexec_session *s, struct file *file,
			     poll_table *wait);

/* members.c: a session's processes */
int sbexec_members_init(void);
void sbexec_members_exit(void);
void sbexec_members_setup(struct sbexec_session *s);
int sbexec_members_add_leader(struct sbexec_session *s, struct pid *pid);
u32 sbexec_members_kill(struct sbexec_session *s, int sig);
u32 sbexec_members_live(struct sbexec_session *s);
void sbexec_members_count(struct sbexec_session *s, u32 *live, u32 *total,
			  u32 *refused);
void sbexec_members_release(struct sbexec_session *s);
void sbexec_exit_info_fill(struct sbexec_session *s, int status,
			   struct sbexec_exit_info *info);

/* upcall.c: the helper channel */
int sbexec_upcall_spawn(struct sbexec_session *s, void *msg, size_t len,
			struct sbexec_failure *fail);
struct sbexec_helper;
int sbexec_helper_register(struct sbexec_helper **out);
int sbexec_helper_output_fd(struct sbexec_helper *h,
			    const struct sbexec_output_fd *arg);
void sbexec_helper_unregister(struct sbexec_helper *h);
ssize_t sbexec_helper_read(struct sbexec_helper *h, char __user *buf,
			   size_t count, bool nonblock);
ssize_t sbexec_helper_write(struct sbexec_helper *h, const char __user *buf,
			    size_t count);
__poll_t sbexec_helper_poll(struct sbexec_helper *h, struct file *file,
			    poll_table *wait);

/* handoff.c: taking over a spawned process */
void sbexec_kill_child(struct pid *pid);
struct pid *sbexec_helper_child(struct nlattr *attr);
int sbexec_handoff(struct sbexec_session *s, struct pid *forked,
		   struct nlattr **tb);

/* dev.c: /dev/sbexec */
int sbexec_dev_init(void);
void sbexec_dev_exit(void);

/* genl.c: the "sbexec" generic netlink family */
extern struct genl_family sbexec_family;
int sbexec_genl_init(void);
void sbexec_genl_exit(void);

/* validate.c: EXEC checks beyond the policy */
int sbexec_exec_validate(struct genl_info *info);

/* events.c: multicast events */
void sbexec_events_start(void);
void sbexec_events_stop(void);
void sbexec_event_started(struct sbexec_session *s);
void sbexec_event_failed(const char *cmd, const struct sbexec_failure *f);
void sbexec_event_exited(struct sbexec_session *s);
int sbexec_exit_nla_put(struct sk_buff *skb,
			const struct sbexec_exit_info *info);
bool sbexec_session_exit_info(struct sbexec_session *s,
			      struct sbexec_exit_info *info);

#endif /* _SBEXEC_H */
