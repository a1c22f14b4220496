/* SPDX-License-Identifier: GPL-2.0 */
/*
 * log.h - one line per event on stderr (the log file in daemon mode).
 */
#ifndef SBEXEC_HELPER_LOG_H
#define SBEXEC_HELPER_LOG_H

/* "<UTC time> sbexec-helper[pid]: <message>\n" on stderr. */
void hlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* SBEXEC_HELPER_LOG_H */
