/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cli.h - shared declarations of the sbexec command line client.
 */
#ifndef SBEXEC_CLI_H
#define SBEXEC_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <termios.h>

#include "sbexec.h"

/* Exit codes of the client itself (others are the session's). */
#define EXIT_TIMED_OUT		124	/* --timeout ended the session */
#define EXIT_CLI_ERROR		125	/* usage, module, kernel refused */
#define EXIT_SPAWN_FAILED	126	/* could not start the command */
#define EXIT_NOT_FOUND		127	/* the command does not exist */

/* How a streamed session is driven. */
struct stream_opts {
	bool tty;		/* PTY session: SIGWINCH becomes RESIZE */
	bool forward_stdin;	/* copy our stdin to the session */
	bool raw;		/* put the local terminal in raw mode */
};

/* run.c */
int cmd_run(int argc, char **argv);
int cmd_attach(int argc, char **argv);

/* main.c */
int cli_open(struct sbexec **h);	/* errmsg() on failure */
int cmd_ps(int argc, char **argv);
int cmd_kill(int argc, char **argv);
void usage_run(FILE *f);
void usage_attach(FILE *f);

/* opts.c */
int parse_u32(const char *s, uint32_t *out);
int parse_rlimit(const char *arg, char **name, uint64_t *soft,
		 uint64_t *hard, char *why, size_t why_len);
const char *rlimit_known_names(void);
int parse_signal(const char *s);

/* io.c */
int write_all(int fd, const void *buf, size_t len);
void errmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* json.c */
void json_put_string(FILE *f, const char *s);

/* term.c */
struct term_state {
	int fd;			/* the terminal we changed, -1 if none */
	struct termios saved;
};
void term_size(uint16_t *rows, uint16_t *cols);
int term_raw(struct term_state *ts, int fd);
void term_restore(struct term_state *ts);

#endif /* SBEXEC_CLI_H */
