/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sbexec-hostbench: `make bench`'s host-driven rows. Runs ON THE HOST
 * (through `scripts/vm --host`) against a guest that serves three
 * virtio-serial ports of one virtio-serial-pci device, each behind a unix
 * socket chardev of QEMU:
 *   org.sbexec.0             sbexec-bridge      (SBEXEC_CONNECT=unix:PATH)
 *   org.qemu.guest_agent.0   qemu-ga            (SBEXEC_QGA_SOCK=PATH)
 *   org.sbexec.raw           a byte feeder      (SBEXEC_RAW_SOCK=PATH):
 *                            a line "N\n" in, `head -c N /dev/zero` out
 */
#ifndef SBEXEC_HOSTBENCH_H
#define SBEXEC_HOSTBENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HB_REASON_LEN 256

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t hb_now_ns(void);
void hb_reason(char *reason, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void hb_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One transfer: @bytes asked, what arrived, how long it took. */
struct hb_xfer {
	bool ok;
	char reason[HB_REASON_LEN];
	uint64_t bytes_asked;
	uint64_t bytes;
	double seconds;
};

/* ---- sbexec through sbexec-bridge (host_link.c) ---- */
int hb_sbx_open(const char *uri, char *reason);
void hb_sbx_close(void);
/* exec /bin/true, attach, read to the exit record */
int hb_sbx_true_once(uint64_t *ns, char *reason);
/* exec head -c @bytes /dev/zero, attach, read every record to the exit */
void hb_sbx_xfer(struct hb_xfer *x, uint64_t bytes, double timeout_s);

/* ---- qemu-guest-agent over its virtio-serial port (host_link.c) ---- */
int hb_qga_open(const char *path, double timeout_s, char *reason);
void hb_qga_close(void);
const char *hb_qga_version(void);
/* guest-exec /bin/true + guest-exec-status polled back to back */
int hb_qga_true_once(uint64_t *ns, char *reason);
/* guest-exec head -c @bytes /dev/zero, captured output (base64) */
void hb_qga_xfer(struct hb_xfer *x, uint64_t bytes, double timeout_s);

/* ---- the raw virtio-serial link (host_link.c) ---- */
int hb_raw_open(const char *path, char *reason);
void hb_raw_close(void);
/* "N\n" to the feeder, then read N bytes from the port */
void hb_raw_xfer(struct hb_xfer *x, uint64_t bytes, double timeout_s);

#endif /* SBEXEC_HOSTBENCH_H */
