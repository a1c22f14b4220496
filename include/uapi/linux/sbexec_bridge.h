/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/*
 * sbexec bridge protocol: driving sbexec from outside the guest.
 *
 * sbexec-bridge, a guest daemon, relays between one or more links to the
 * host (a virtio-serial port, AF_VSOCK connections) and the module. A link
 * is a byte stream of frames: a struct sbexec_frame header, then @len
 * payload bytes. The payloads are what the local interfaces already carry:
 *
 *  - REQUEST/REPLY: one generic netlink message of the "sbexec" family
 *    (nlmsghdr, genlmsghdr, the attributes of Documentation/netlink/specs/
 *    sbexec.yaml) and the datagrams the module answers with, the ack or
 *    NLMSG_DONE last, exactly as a local client sends and receives them;
 *  - DATA: whole output records (struct sbexec_record, payload, padding),
 *    exactly as read() on an attached /dev/sbexec file returns them.
 *
 * Byte order: the frame header and the hello are little-endian; netlink
 * messages and records are in the guest's byte order, which the hello's
 * @magic lets a host check (a host of the other byte order reads it
 * reversed and must not go on).
 *
 * Conversation:
 *
 *  0. Sync. A virtio-serial port is one byte stream across host
 *     connections: the guest may not see a host go and another come, and
 *     bytes of the old conversation (a frame cut in half) may still be
 *     there. So every conversation starts with a sync preamble: the host
 *     sends SBEXEC_BRIDGE_SYNC_HOST_LEN bytes, 0xff fill ending in the
 *     8-byte tag SBEXEC_BRIDGE_SYNC_TAG; the bridge discards input until
 *     that tag (a frame header read out of the fill has an impossible
 *     length, which ends an old conversation the bridge still had: its
 *     kill-on-close sessions end, and it looks for the tag), then expects
 *     HELLO, and sends SBEXEC_BRIDGE_SYNC_GUEST_LEN bytes of the same
 *     form before its HELLO answer, since output of the old conversation
 *     may precede it; the host discards input until the tag. The bridge
 *     looks for the tag again after every protocol error on a port. A
 *     conversation whose last frame was cut with more than about 240
 *     bytes of it missing can swallow a preamble: the host's HELLO then
 *     gets no answer, and it connects again.
 *  1. The host sends HELLO (struct sbexec_bridge_hello, @version
 *     SBEXEC_BRIDGE_VERSION, @max_frame informational); the bridge answers
 *     HELLO with its own version, the family id the host puts in
 *     nlmsg_type, and its frame limit. Every other frame before HELLO, a second HELLO, or a major
 *     version the bridge does not speak closes the link.
 *  2. REQUEST (payload: one netlink message whose nlmsg_type is the
 *     family id, nlmsg_flags with NLM_F_REQUEST, nlmsg_len equal to the
 *     payload length): the bridge sends it to the module on the link's own
 *     netlink socket (adding NLM_F_ACK, so that every answer ends with an
 *     ack or NLMSG_DONE) and answers with REPLY frames, one per datagram,
 *     the last with SBEXEC_FRAME_F_LAST. Requests are served in the order
 *     they arrive; a host that sends the next before the last REPLY gets
 *     its answers in that order (the library waits). Kill-on-close sessions belong
 *     to the link: when it closes, they end, as when a local client's
 *     socket closes.
 *  3. ATTACH (@session, @arg: the initial credit, at least
 *     SBEXEC_BRIDGE_MIN_CREDIT): the bridge attaches a reader to the
 *     session as SBEXEC_IOC_ATTACH does and answers ATTACHED, @arg 0 and
 *     struct sbexec_attach as payload, or @arg a negative errno and a
 *     message as payload. Then DATA frames carry the session's records,
 *     never more bytes in flight than the credit: the bridge reads the
 *     session only while it has credit, so a host that does not consume
 *     leaves the records in the session's ring and the ring's backpressure
 *     stops the session's writers (no buffer grows on either end). The
 *     host returns credit with CREDIT (@arg bytes) as it consumes. After
 *     the final record the bridge sends END (@arg 0, or a negative errno
 *     when reading failed) and forgets the reader. DETACH closes the
 *     reader early (as close() of the attached file); DETACH and CREDIT for
 *     a session the link does not read are ignored (they may cross END).
 *  4. ERROR (payload: a message) is the bridge's last frame before it
 *     closes a link for a protocol violation: a frame longer than the
 *     limit, an unknown type, non-zero flags or reserved fields, a payload
 *     of the wrong size, a REQUEST for another family or without
 *     NLM_F_REQUEST, a negative credit or one beyond
 *     SBEXEC_BRIDGE_MAX_CREDIT. Credit counts DATA payload bytes (record
 *     headers and padding included, frame headers not). The bridge logs
 *     the reason; other links are not disturbed.
 */
#ifndef _UAPI_LINUX_SBEXEC_BRIDGE_H
#define _UAPI_LINUX_SBEXEC_BRIDGE_H

#include <linux/types.h>

#define SBEXEC_BRIDGE_MAGIC		0x42584253	/* "SBXB" read as LE */
#define SBEXEC_BRIDGE_VERSION		1

/* The sync preamble (step 0): 0xff fill, then this tag. */
#define SBEXEC_BRIDGE_SYNC_TAG		"SBXSYNC\n"
#define SBEXEC_BRIDGE_SYNC_TAG_LEN	8
#define SBEXEC_BRIDGE_SYNC_FILL		0xff
#define SBEXEC_BRIDGE_SYNC_HOST_LEN	256
#define SBEXEC_BRIDGE_SYNC_GUEST_LEN	32

/* The virtio-serial port name and the AF_VSOCK port the bridge uses. */
#define SBEXEC_BRIDGE_PORT_NAME		"org.sbexec.0"
#define SBEXEC_BRIDGE_VSOCK_PORT	5150

/* Largest frame payload (a REQUEST may carry SBEXEC_MAX_ARGV_BYTES). */
#define SBEXEC_BRIDGE_MAX_FRAME		(1024 * 1024)

/*
 * Largest DATA payload: whole records, one of them at most 64 KiB of
 * output plus its header, so a reader buffer this big always takes a
 * DATA frame (and a local read) whole.
 */
#define SBEXEC_BRIDGE_MAX_DATA		(68 * 1024)

/* Per-session credit: at least one largest record, at most 16 MiB. */
#define SBEXEC_BRIDGE_MIN_CREDIT	(128 * 1024)
#define SBEXEC_BRIDGE_MAX_CREDIT	(16 * 1024 * 1024)

/**
 * enum sbexec_frame_type - what a frame carries
 * @SBEXEC_FRAME_HELLO: both ways, first: struct sbexec_bridge_hello
 * @SBEXEC_FRAME_REQUEST: host to guest: one netlink request
 * @SBEXEC_FRAME_REPLY: guest to host: one datagram of the answer
 * @SBEXEC_FRAME_ATTACH: host to guest: read @session (@arg: credit)
 * @SBEXEC_FRAME_ATTACHED: guest to host: @arg 0 or -errno
 * @SBEXEC_FRAME_DATA: guest to host: records of @session
 * @SBEXEC_FRAME_CREDIT: host to guest: @arg more bytes for @session
 * @SBEXEC_FRAME_END: guest to host: @session's records ended (@arg)
 * @SBEXEC_FRAME_DETACH: host to guest: stop reading @session
 * @SBEXEC_FRAME_ERROR: guest to host: why the link is being closed
 */
enum sbexec_frame_type {
	SBEXEC_FRAME_HELLO = 1,
	SBEXEC_FRAME_REQUEST = 2,
	SBEXEC_FRAME_REPLY = 3,
	SBEXEC_FRAME_ATTACH = 4,
	SBEXEC_FRAME_ATTACHED = 5,
	SBEXEC_FRAME_DATA = 6,
	SBEXEC_FRAME_CREDIT = 7,
	SBEXEC_FRAME_END = 8,
	SBEXEC_FRAME_DETACH = 9,
	SBEXEC_FRAME_ERROR = 10,
};

/* REPLY: this datagram holds the ack (or NLMSG_DONE). */
#define SBEXEC_FRAME_F_LAST		0x1

/**
 * struct sbexec_frame - header of every frame
 * @len: payload bytes after the header (at most SBEXEC_BRIDGE_MAX_FRAME)
 * @type: enum sbexec_frame_type
 * @flags: SBEXEC_FRAME_F_LAST on the last REPLY, else 0
 * @session: the session of ATTACH, ATTACHED, DATA, CREDIT, END, DETACH;
 *	0 for the others
 * @arg: ATTACH and CREDIT: bytes; ATTACHED and END: 0 or a negative
 *	errno; 0 for the others
 */
struct sbexec_frame {
	__u32 len;
	__u16 type;
	__u16 flags;
	__u32 session;
	__s32 arg;
};

/**
 * struct sbexec_bridge_hello - payload of HELLO
 * @magic: SBEXEC_BRIDGE_MAGIC
 * @version: SBEXEC_BRIDGE_VERSION of the sender
 * @reserved: 0
 * @family: the bridge's answer: the generic netlink family id to put in
 *	nlmsg_type (0 from the host)
 * @max_frame: the sender's largest payload (SBEXEC_BRIDGE_MAX_FRAME)
 */
struct sbexec_bridge_hello {
	__u32 magic;
	__u16 version;
	__u16 reserved;
	__u32 family;
	__u32 max_frame;
};

#endif /* _UAPI_LINUX_SBEXEC_BRIDGE_H */
