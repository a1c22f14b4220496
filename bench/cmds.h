/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cmds.h - the commands every method runs, so all of them run the same.
 */
#ifndef SBEXEC_BENCH_CMDS_H
#define SBEXEC_BENCH_CMDS_H

#define CMD_TRUE	"/bin/true"
#define CMD_HEAD	"/usr/bin/head"
#define CMD_SLEEP	"/bin/sleep"
/* "1000 sessions at once": each sleeps this long. */
#define BURST_SLEEP_ARG	"1"
/* Idle sessions for the memory figures: killed once measured. */
#define IDLE_SLEEP_ARG	"3600"

#endif /* SBEXEC_BENCH_CMDS_H */
