// SPDX-License-Identifier: GPL-2.0
/*
 * term.c - the local terminal: its size, raw mode and restoring it.
 */
#include <errno.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"

#define DEFAULT_ROWS	24
#define DEFAULT_COLS	80

/* Size of the terminal on stdin, else stdout, else 24x80. */
void term_size(uint16_t *rows, uint16_t *cols)
{
	static const int fds[] = { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO };
	struct winsize ws;
	size_t i;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (ioctl(fds[i], TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col) {
			*rows = ws.ws_row;
			*cols = ws.ws_col;
			return;
		}
	}
	*rows = DEFAULT_ROWS;
	*cols = DEFAULT_COLS;
}

/*
 * Put terminal @fd in raw mode, keeping what to restore in @ts. Output
 * post-processing is switched off too: the session's own pty already
 * turns "\n" into "\r\n".
 */
int term_raw(struct term_state *ts, int fd)
{
	struct termios t;

	ts->fd = -1;
	if (tcgetattr(fd, &ts->saved) < 0)
		return -errno;
	t = ts->saved;
	cfmakeraw(&t);
	/* TCSANOW, not TCSAFLUSH: keys typed ahead are forwarded, not lost. */
	if (tcsetattr(fd, TCSANOW, &t) < 0)
		return -errno;
	ts->fd = fd;
	return 0;
}

/* Undo term_raw(); harmless when nothing was changed. */
void term_restore(struct term_state *ts)
{
	if (ts->fd < 0)
		return;
	while (tcsetattr(ts->fd, TCSADRAIN, &ts->saved) < 0 && errno == EINTR)
		;
	ts->fd = -1;
}
