/* SPDX-License-Identifier: GPL-2.0 */
/*
 * link.h - one link to the host: its frame parser, its output buffer, its
 * generic netlink socket and the session readers it attached.
 */
#ifndef SBEXEC_BRIDGE_LINK_H
#define SBEXEC_BRIDGE_LINK_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <linux/sbexec_bridge.h>

/* Bytes queued to the host above which the link's inputs are not read. */
#define LINK_OUT_HIGH		(256 * 1024)
/* Largest read() of a session: one largest record (64 KiB + header). */
#define LINK_READ_MAX		(64 * 1024 + 4096)
/* Bytes read from the link at once. */
#define LINK_IN_BUF		(64 * 1024)

enum link_kind {
	LINK_VSOCK,		/* an accepted connection: closed on EOF */
	LINK_PORT,		/* a virtio-serial port: reset on hang-up */
};

/*
 * A session this link reads: the /dev/sbexec file attached to it and the
 * bytes the host still accepts. @stalled: the next record is larger than
 * @credit (read() said EMSGSIZE); cleared by CREDIT.
 */
struct reader {
	struct reader *next;
	uint32_t session;
	int fd;
	uint64_t credit;
	bool stalled;
};

/* A REQUEST in flight on its own thread (link.c). */
struct request;

/*
 * The link. Frames are parsed from @in (bytes read, not yet consumed): a
 * header into @hdr, then its payload into @payload. Frames to the host go
 * into @out and are written as the fd accepts them. A link marked @dead
 * (protocol error, EOF, write error) is closed (vsock) or reset (port) by
 * the main loop; @hup says the host side went away. Every conversation
 * starts with the sync preamble (@hunting: input is dropped up to its tag;
 * protocol step 0). A port whose host went away (!@connected) checks every
 * few milliseconds whether it is back; after a protocol error it keeps the
 * bytes that followed the bad frame and looks for the next sync in them,
 * so that nothing the host sent for the old conversation is taken for a
 * frame of the next.
 */
struct link {
	enum link_kind kind;
	char name[96];
	int fd;
	bool connected;
	bool dead;
	bool hup;
	bool hello;		/* HELLO exchanged */
	bool hunting;		/* looking for the sync tag (step 0) */
	size_t sync_got;	/* bytes of the tag matched so far */

	/* the link's own netlink socket (after HELLO) */
	struct nl_sock *nl;
	int family;
	/*
	 * The REQUEST being performed on @nl by a worker thread; while it is
	 * set no further frame of the link is handled (its readers are).
	 */
	struct request *req;

	/* input */
	uint8_t in[LINK_IN_BUF];
	size_t in_off, in_len;
	struct sbexec_frame hdr;	/* host order once complete */
	size_t hdr_got;
	uint8_t *payload;
	size_t pay_got;

	/* output */
	uint8_t *out;
	size_t out_off, out_len, out_cap;

	struct reader *readers;
};

/* A new link on @fd (non-blocking); NULL when out of memory. */
struct link *link_new(enum link_kind kind, int fd, const char *name);

/* Close everything; the fd too. */
void link_free(struct link *l);

/*
 * Forget the conversation: netlink socket (so its kill-on-close sessions
 * end), readers, buffers. The fd stays open (a port's host reconnects).
 */
void link_reset(struct link *l);
void link_restart(struct link *l);

/* Mark @l dead, logging why: "link NAME: closed: REASON". */
void link_kill(struct link *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The link's fd has input (or hung up): read and handle whole frames. */
void link_input(struct link *l);

/* Handle frames already read (after output drained below the mark). */
void link_process(struct link *l);

/* Write queued output; POLLOUT or an opportunity. */
void link_flush(struct link *l);

/* Whether the link's inputs are paused while its output drains. */
bool link_throttled(const struct link *l);

/* A reader's fd is readable: send its records within its credit. */
void link_pump(struct link *l, struct reader *r);

/*
 * Requests run on worker threads (one per request in flight, at most one
 * per link) that write a byte to @wake_fd (non-blocking) when they finish.
 * Installs the handler of LINK_STOP_SIGNAL, which the caller blocks in
 * the main thread (before it starts any worker). 0 or -1.
 */
#define LINK_STOP_SIGNAL	SIGUSR1
int link_workers_init(int wake_fd);

/* Deliver the answer of @l's request if its worker has finished. */
void link_complete(struct link *l);

/*
 * Requests of links that went away (reset or freed while their worker was
 * in the kernel) are stopped with LINK_STOP_SIGNAL; this joins those that
 * ended (closing their netlink sockets) and signals the rest again.
 * Returns how many are left.
 */
int link_orphans(void);

#endif /* SBEXEC_BRIDGE_LINK_H */
