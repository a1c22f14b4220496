/* SPDX-License-Identifier: GPL-2.0 */
/*
 * log.h - one line per event on stderr.
 */
#ifndef SBEXEC_BRIDGE_LOG_H
#define SBEXEC_BRIDGE_LOG_H

/* "sbexec-bridge: <message>\n" on stderr, in one write. */
void blog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* SBEXEC_BRIDGE_LOG_H */
