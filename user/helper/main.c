// SPDX-License-Identifier: GPL-2.0
/*
 * sbexec-helper - the privileged userspace half of sbexec.
 *
 * Registers on /dev/sbexec and starts the processes the module asks for:
 * passwd/group lookups, fork/exec, pty setup, credentials and rlimits.
 * See spawn.c for what a spawned process gets and helper.c for the
 * protocol loop.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "failure.h"
#include "helper.h"
#include "log.h"
#include "user.h"

static void usage(FILE *to)
{
	fprintf(to,
		"usage: sbexec-helper [options]\n"
		"  -d, --daemon             run in the background; exit 0 once registered\n"
		"  -p, --pidfile FILE       write the pid to FILE once registered\n"
		"  -l, --log FILE           log to FILE (append) instead of stderr\n"
		"  -u, --default-user SPEC  run commands as SPEC (user[:group] or uid[:gid])\n"
		"                           when a request names no user\n"
		"  -D, --device PATH        the sbexec device (default %s)\n"
		"  -v, --verbose            log every request\n"
		"  -h, --help               show this help\n"
		"  -V, --version            print the version and exit\n",
		HELPER_DEFAULT_DEVICE);
}

static int parse_opts(int argc, char **argv, struct helper_opts *o)
{
	static const struct option longopts[] = {
		{ "daemon", no_argument, NULL, 'd' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "log", required_argument, NULL, 'l' },
		{ "default-user", required_argument, NULL, 'u' },
		{ "device", required_argument, NULL, 'D' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->device = HELPER_DEFAULT_DEVICE;
	while ((c = getopt_long(argc, argv, "dp:l:u:D:vhV", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'd':
			o->daemon = true;
			break;
		case 'p':
			o->pidfile = optarg;
			break;
		case 'l':
			o->log = optarg;
			break;
		case 'u':
			o->default_user = optarg;
			break;
		case 'D':
			o->device = optarg;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("sbexec-helper %s\n", SBEXEC_VERSION);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sbexec-helper: unexpected argument: %s\n",
			argv[optind]);
		usage(stderr);
		return -1;
	}
	return 0;
}

/* Make sure 0, 1, 2 are open so no fd we create lands there. */
static int ensure_stdio(void)
{
	int fd;

	do {
		fd = open("/dev/null", O_RDWR);
		if (fd < 0)
			return -1;
	} while (fd < 3);
	close(fd);
	return 0;
}

/* Point 0 at /dev/null and 1, 2 at @logfd (or /dev/null when -1). */
static int redirect_stdio(int logfd)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int out = logfd >= 0 ? logfd : null;

	if (null < 0)
		return -1;
	if (dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0) {
		close(null);
		return -1;
	}
	close(null);
	return 0;
}

/*
 * Daemon mode: fork; the parent waits on @ready for one byte (0 = the
 * child registered and wrote its pidfile) and exits 0 or 1 accordingly.
 * Returns in the child only, with *ready_wr to report on.
 */
/*
 * A daemon keeps no descriptor it inherited beyond stdio: one left open
 * (a pipe its starter reads to the end, say) would hold that open for as
 * long as the helper runs. @keep lists the ones it opened itself.
 */
static void close_inherited(const int *keep, int nkeep)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int fd, i;

	if (!d) {
		hlog("warning: /proc/self/fd: %s; inherited descriptors stay open",
		     strerror(errno));
		return;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		fd = atoi(e->d_name);
		if (fd <= 2 || fd == dirfd(d))
			continue;
		for (i = 0; i < nkeep && keep[i] != fd; i++)
			;
		if (i == nkeep)
			close(fd);
	}
	closedir(d);
}

static void daemonize(int *ready_wr, int logfd, int sigfd)
{
	int p[2];
	char ok = 1;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC)) {
		hlog("pipe: %s", strerror(errno));
		exit(1);
	}
	pid = fork();
	if (pid < 0) {
		hlog("fork: %s", strerror(errno));
		exit(1);
	}
	if (pid > 0) {
		close(p[1]);
		while (read(p[0], &ok, 1) < 0 && errno == EINTR)
			;
		_exit(ok == 0 ? 0 : 1);
	}
	close(p[0]);
	*ready_wr = p[1];
	close_inherited((const int[]){ p[1], logfd, sigfd }, 3);
	if (setsid() < 0 || chdir("/")) {
		hlog("setsid/chdir: %s", strerror(errno));
		exit(1);
	}
}

static void check_default_user(const struct helper_opts *o)
{
	struct spawn_failure f;
	uid_t uid;
	gid_t gid;

	/* Users may appear later, so this only warns. */
	if (o->default_user &&
	    resolve_default_user(o->default_user, &uid, &gid, &f))
		hlog("warning: --default-user %s: %s", o->default_user,
		     f.message);
}

int main(int argc, char **argv)
{
	struct helper_opts o = { 0 };
	int devfd = -1, sigfd = -1, logfd = -1, ready = -1, rc = 1;
	bool pidfile_written = false;

	if (parse_opts(argc, argv, &o))
		return 2;
	if (ensure_stdio()) {
		fprintf(stderr, "sbexec-helper: /dev/null: %s\n",
			strerror(errno));
		return 1;
	}
	if (o.log) {
		logfd = open(o.log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
			     0640);
		if (logfd < 0) {
			hlog("cannot open log %s: %s", o.log, strerror(errno));
			return 1;
		}
		if (!o.daemon && (dup2(logfd, 1) < 0 || dup2(logfd, 2) < 0)) {
			hlog("cannot log to %s: %s", o.log, strerror(errno));
			goto out;
		}
	}
	check_default_user(&o);
	sigfd = helper_signalfd();
	if (sigfd < 0)
		goto out;
	if (o.daemon)
		daemonize(&ready, logfd, sigfd);
	devfd = helper_register(o.device);
	if (devfd < 0)
		goto out;
	if (o.pidfile) {
		if (helper_write_pidfile(o.pidfile))
			goto out;
		pidfile_written = true;
	}
	if (o.daemon) {
		char ok = 0;

		if (redirect_stdio(logfd)) {
			hlog("cannot redirect stdio: %s", strerror(errno));
			goto out;
		}
		if (write(ready, &ok, 1) != 1)
			goto out;
		close(ready);
		ready = -1;
	}
	hlog("registered on %s%s%s", o.device,
	     o.default_user ? ", default user " : "",
	     o.default_user ? o.default_user : "");
	rc = helper_run(devfd, sigfd, &o);
	hlog("exiting");
out:
	if (pidfile_written)
		unlink(o.pidfile);
	if (devfd >= 0)
		close(devfd);
	if (sigfd >= 0)
		close(sigfd);
	if (logfd >= 0)
		close(logfd);
	if (ready >= 0)
		close(ready);
	return rc;
}
