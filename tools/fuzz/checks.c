// SPDX-License-Identifier: GPL-2.0
/*
 * sbexec-fuzz: the kernel log patterns and the taint flags.
 */
#include "fuzz.h"

/* ---- kernel log and taint ---- */

static const char *const builtin_patterns[] = {
	"WARNING:", "BUG:", "kernel BUG at", "Oops", "general protection",
	"refcount_t", "list_add corruption", "list_del corruption",
	"sleeping function called from invalid context",
	"possible circular locking", "possible recursive locking",
	"inconsistent lock state", "KASAN", "UBSAN",
	"kmemleak: [0-9]+ new suspected memory leak", "unreferenced object 0x",
	"INFO: task .* blocked for more than", "rcu.*detected stall",
	"Kernel panic",
};

int load_patterns(struct fuzz *f)
{
	char line[512];
	FILE *fp = NULL;
	unsigned int i = 0, cap = ARRAY_SIZE(builtin_patterns);

	if (f->o->patterns) {
		fp = fopen(f->o->patterns, "r");
		if (!fp) {
			fprintf(stderr, "sbexec-fuzz: %s: %s\n", f->o->patterns, strerror(errno));
			return -1;
		}
		cap = 256;
	}
	f->pats = calloc(cap, sizeof(*f->pats));
	if (!f->pats)
		return -1;
	for (;;) {
		const char *pat;

		if (fp) {
			size_t l;

			if (!fgets(line, sizeof(line), fp) || f->npats >= cap)
				break;
			l = strlen(line);
			while (l && (line[l - 1] == '\n' || line[l - 1] == '\r'))
				line[--l] = 0;
			if (!l || line[0] == '#')
				continue;
			pat = line;
		} else {
			if (i >= ARRAY_SIZE(builtin_patterns))
				break;
			pat = builtin_patterns[i++];
		}
		if (regcomp(&f->pats[f->npats], pat, REG_EXTENDED | REG_NOSUB)) {
			fprintf(stderr, "sbexec-fuzz: bad pattern: %s\n", pat);
			continue;
		}
		f->npats++;
	}
	if (fp)
		fclose(fp);
	return 0;
}

void kmsg_check(struct fuzz *f)
{
	char line[8192];

	if (f->kmsg < 0)
		return;
	for (;;) {
		ssize_t n = read(f->kmsg, line, sizeof(line) - 1);
		char *msg, *end;
		unsigned int i;

		if (n < 0) {
			if (errno == EPIPE || errno == EINTR)
				continue;
			return;
		}
		line[n] = 0;
		msg = strchr(line, ';');
		if (!msg)
			continue;
		msg++;
		end = strchr(msg, '\n');
		if (end)
			*end = 0;
		for (i = 0; i < f->npats; i++) {
			if (!regexec(&f->pats[i], msg, 0, NULL, 0)) {
				unexpected(f, "kernel log: %s", msg);
				return;
			}
		}
	}
}

void read_taint(char *buf, size_t len)
{
	int fd = open("/proc/sys/kernel/tainted", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, len - 1) : -1;

	buf[n > 0 ? n : 0] = 0;
	if (fd >= 0)
		close(fd);
}

void taint_check(struct fuzz *f)
{
	char t[64];

	read_taint(t, sizeof(t));
	if (strcmp(t, f->taint0)) {
		size_t l = strlen(t);

		while (l && t[l - 1] == '\n')
			t[--l] = 0;
		unexpected(f, "the kernel's taint changed from %.*s to %s",
			   (int)strcspn(f->taint0, "\n"), f->taint0, t);
	}
}
