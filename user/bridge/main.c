// SPDX-License-Identifier: GPL-2.0
/*
 * sbexec-bridge - relays between links to the host (virtio-serial ports,
 * AF_VSOCK connections) and the sbexec module, per
 * include/uapi/linux/sbexec_bridge.h.
 *
 * One poll() loop; each link has its own generic netlink socket and its
 * own session readers (link.c). A REQUEST runs on a worker thread of its
 * own (the module may keep it waiting), so a slow request holds up only
 * the frames of its link; the worker wakes the loop through a pipe when
 * the answer is ready. The bridge keeps no session
 * state the module does not keep, so it can be restarted at any time and
 * keep-running sessions can be attached again.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/vm_sockets.h>

#include "link.h"
#include "log.h"

/* How often a port whose host side is gone is looked at again. */
#define PORT_RECHECK_MS		80
/* How often a request being stopped is signalled again. */
#define ORPHAN_RECHECK_MS	100
/* How long the exit waits for requests still in the module. */
#define EXIT_WAIT_MS		3000
#define MAX_PORTS		16

struct bridge {
	struct link **links;
	size_t nlinks, cap;
	int listen_fd;		/* -1: no --vsock */
	bool accept_paused;	/* out of fds: wait a little before accepting */
	int sigfd;
	int wake[2];		/* workers -> loop: an answer is ready */
	bool any_cid;
};

static void usage(FILE *to)
{
	fprintf(to,
		"usage: sbexec-bridge [--port NAME|PATH]... [--vsock PORT] [--any-cid] [-h]\n"
		"  -p, --port NAME|PATH  serve a virtio-serial port: a device path, or a\n"
		"                        port name (/dev/virtio-ports/NAME, else found in\n"
		"                        /sys/class/virtio-ports/*/name); may be repeated\n"
		"                        (the usual name is %s)\n"
		"  -s, --vsock PORT      accept AF_VSOCK connections on PORT (usually %d)\n"
		"  -a, --any-cid         accept vsock peers of any CID, not only the host's\n"
		"  -h, --help            show this help\n",
		SBEXEC_BRIDGE_PORT_NAME, SBEXEC_BRIDGE_VSOCK_PORT);
}

static int add_link(struct bridge *b, struct link *l)
{
	if (b->nlinks == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 8;
		struct link **p = realloc(b->links, cap * sizeof(*p));

		if (!p)
			return -1;
		b->links = p;
		b->cap = cap;
	}
	b->links[b->nlinks++] = l;
	return 0;
}

/* Resolve a port NAME (or PATH) to a device path in @buf. */
static int port_path(const char *name, char *buf, size_t n)
{
	glob_t g;
	size_t i;
	int found = -1;

	if (strchr(name, '/')) {
		snprintf(buf, n, "%s", name);
		return 0;
	}
	snprintf(buf, n, "/dev/virtio-ports/%s", name);
	if (access(buf, F_OK) == 0)
		return 0;
	/* No udev: the name is only in sysfs. */
	if (glob("/sys/class/virtio-ports/vport*/name", 0, NULL, &g))
		return -1;
	for (i = 0; i < g.gl_pathc && found; i++) {
		char pname[256] = "";
		FILE *f = fopen(g.gl_pathv[i], "re");
		char *dir, *slash;

		if (!f)
			continue;
		if (fgets(pname, sizeof(pname), f))
			pname[strcspn(pname, "\n")] = '\0';
		fclose(f);
		if (strcmp(pname, name))
			continue;
		/* .../vportNpM/name -> /dev/vportNpM */
		dir = strdup(g.gl_pathv[i]);
		if (!dir)
			break;
		*strrchr(dir, '/') = '\0';
		slash = strrchr(dir, '/');
		snprintf(buf, n, "/dev/%s", slash + 1);
		free(dir);
		found = 0;
	}
	globfree(&g);
	return found;
}

static int open_port(struct bridge *b, const char *spec)
{
	char path[512], name[128];
	struct link *l;
	int fd;

	if (port_path(spec, path, sizeof(path))) {
		blog("no virtio-serial port named %s (in /dev/virtio-ports or /sys/class/virtio-ports)",
		     spec);
		return -1;
	}
	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		blog("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	snprintf(name, sizeof(name), "port:%s", spec);
	l = link_new(LINK_PORT, fd, name);
	if (!l || add_link(b, l)) {
		blog("out of memory");
		if (l)
			link_free(l);
		else
			close(fd);
		return -1;
	}
	/* Connected or not is learnt from poll(): see check_ports(). */
	l->connected = false;
	blog("serving port %s (%s)", spec, path);
	return 0;
}

static int open_vsock(struct bridge *b, unsigned int port)
{
	struct sockaddr_vm sa = {
		.svm_family = AF_VSOCK,
		.svm_cid = VMADDR_CID_ANY,
		.svm_port = port,
	};
	int fd;

	fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		blog("cannot create an AF_VSOCK socket: %s%s", strerror(errno),
		     errno == EAFNOSUPPORT ?
		     " (no vsock transport: modprobe vmw_vsock_virtio_transport or vsock_loopback)" : "");
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 16)) {
		blog("cannot listen on vsock port %u: %s", port,
		     strerror(errno));
		close(fd);
		return -1;
	}
	b->listen_fd = fd;
	blog("listening on vsock port %u%s", port,
	     b->any_cid ? " (any CID)" : "");
	return 0;
}

static void accept_vsock(struct bridge *b)
{
	struct sockaddr_vm sa;
	socklen_t len = sizeof(sa);
	char name[64];
	struct link *l;
	int fd;

	fd = accept4(b->listen_fd, (struct sockaddr *)&sa, &len,
		     SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
			return;
		blog("vsock accept: %s", strerror(errno));
		/* EMFILE and the like: the listener stays readable. */
		b->accept_paused = true;
		return;
	}
	snprintf(name, sizeof(name), "vsock:%u:%u", sa.svm_cid, sa.svm_port);
	if (!b->any_cid && sa.svm_cid != VMADDR_CID_HOST) {
		blog("link %s: refused: peer CID %u is not the host's (--any-cid accepts it)",
		     name, sa.svm_cid);
		close(fd);
		return;
	}
	l = link_new(LINK_VSOCK, fd, name);
	if (!l || add_link(b, l)) {
		blog("link %s: refused: out of memory", name);
		if (l)
			link_free(l);
		else
			close(fd);
		return;
	}
	blog("link %s: connected", name);
}

/*
 * A port whose host side was gone: is it back? Bytes that arrive while
 * the port still says hang-up stay where they are. They are most likely
 * the next host's first bytes: its data and the "host connected" event
 * travel on different virtqueues, so the data can come first. Leftovers
 * of the old conversation are harmless there: the link hunts for the next
 * host's sync tag (protocol step 0) before it reads a frame.
 */
static void check_port(struct link *l)
{
	struct pollfd p = { .fd = l->fd, .events = POLLIN };

	if (poll(&p, 1, 0) < 0 || (p.revents & (POLLHUP | POLLERR | POLLNVAL)))
		return;
	l->connected = true;
	blog("link %s: host connected", l->name);
}

/* Drop dead links: vsock ones are freed, ports reset and wait. */
static void reap_links(struct bridge *b)
{
	size_t i = 0;

	while (i < b->nlinks) {
		struct link *l = b->links[i];

		if (!l->dead) {
			i++;
			continue;
		}
		/* Best effort: the ERROR frame before the end. */
		link_flush(l);
		if (l->kind == LINK_PORT) {
			/*
			 * The host went away: wait for it (check_port). A
			 * protocol error: end the conversation and look for
			 * the next one's sync in what follows (protocol step
			 * 0), keeping the bytes read after the bad frame.
			 */
			if (l->hup) {
				link_reset(l);
				l->connected = false;
			} else {
				link_restart(l);
			}
			i++;
			continue;
		}
		link_free(l);
		b->links[i] = b->links[--b->nlinks];
	}
}

/*
 * SIGTERM and SIGINT come through a signalfd; they stay blocked in the
 * workers too, which inherit the mask. LINK_STOP_SIGNAL is blocked here
 * and unblocked by each worker, so only a worker's calls are interrupted.
 */
static int signal_setup(void)
{
	sigset_t set;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, LINK_STOP_SIGNAL);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -1;
	sigdelset(&set, LINK_STOP_SIGNAL);
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return fd;
}

/* Empty the wake pipe, then take the answers that are ready. */
static void collect_answers(struct bridge *b)
{
	char buf[256];
	size_t i;

	while (read(b->wake[0], buf, sizeof(buf)) > 0)
		;
	for (i = 0; i < b->nlinks; i++)
		link_complete(b->links[i]);
	link_orphans();
}

/*
 * On exit: requests of the links just freed are being stopped. Wait a
 * little for them (an EXEC waiting for the helper is not interrupted by
 * a signal), then leave the rest to exit().
 */
static void wait_orphans(struct bridge *b)
{
	struct pollfd p = { .fd = b->wake[0], .events = POLLIN };
	int64_t waited = 0;
	char buf[256];
	int left;

	while ((left = link_orphans()) && waited < EXIT_WAIT_MS) {
		if (poll(&p, 1, ORPHAN_RECHECK_MS) == 0)
			waited += ORPHAN_RECHECK_MS;
		while (read(b->wake[0], buf, sizeof(buf)) > 0)
			;
	}
	if (left)
		blog("exiting with %d request%s still in the module", left,
		     left == 1 ? "" : "s");
}

/* What a poll() slot stands for. */
struct slot {
	struct link *link;
	struct reader *reader;	/* NULL: the link's own fd */
};

static int run(struct bridge *b)
{
	struct pollfd *pfd = NULL;
	struct slot *slots = NULL;
	size_t cap = 0;

	for (;;) {
		size_t n = 0, i, want = 3;
		bool waiting_port = false;
		struct reader *r;
		int timeout, rc;

		reap_links(b);
		for (i = 0; i < b->nlinks; i++) {
			struct link *l = b->links[i];

			if (l->kind == LINK_PORT && !l->connected)
				check_port(l);
			/* Frames read earlier, held while output drained. */
			if (l->connected && !link_throttled(l) &&
			    l->in_off < l->in_len)
				link_process(l);
			want++;
			for (r = l->readers; r; r = r->next)
				want++;
		}
		reap_links(b);
		if (want > cap) {
			struct pollfd *np = realloc(pfd, want * 2 * sizeof(*np));
			struct slot *ns;

			if (!np)
				goto nomem;
			pfd = np;
			ns = realloc(slots, want * 2 * sizeof(*ns));
			if (!ns)
				goto nomem;
			slots = ns;
			cap = want * 2;
		}
		pfd[n] = (struct pollfd){ .fd = b->sigfd, .events = POLLIN };
		slots[n++] = (struct slot){ 0 };
		pfd[n] = (struct pollfd){ .fd = b->wake[0], .events = POLLIN };
		slots[n++] = (struct slot){ 0 };
		if (b->listen_fd >= 0 && !b->accept_paused) {
			pfd[n] = (struct pollfd){ .fd = b->listen_fd, .events = POLLIN };
			slots[n++] = (struct slot){ 0 };
		}
		for (i = 0; i < b->nlinks; i++) {
			struct link *l = b->links[i];
			bool thr = link_throttled(l);
			short ev = 0;

			if (!l->connected) {
				waiting_port = true;
				continue;
			}
			/*
			 * No frame while its request is in the module; but a
			 * host that closes meanwhile (a vsock peer's close is
			 * POLLRDHUP, not POLLHUP) ends the link and the request.
			 */
			if (l->req)
				ev |= POLLRDHUP;
			else if (!thr && l->in_off == l->in_len)
				ev |= POLLIN;
			if (l->out_off < l->out_len)
				ev |= POLLOUT;
			pfd[n] = (struct pollfd){ .fd = l->fd, .events = ev };
			slots[n++] = (struct slot){ .link = l };
			if (thr)
				continue;
			for (r = l->readers; r; r = r->next) {
				if (r->stalled || !r->credit)
					continue;
				pfd[n] = (struct pollfd){ .fd = r->fd, .events = POLLIN };
				slots[n++] = (struct slot){ .link = l, .reader = r };
			}
		}
		timeout = waiting_port || b->accept_paused ? PORT_RECHECK_MS : -1;
		if (link_orphans())
			timeout = ORPHAN_RECHECK_MS;
		b->accept_paused = false;
		rc = poll(pfd, n, timeout);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			blog("poll: %s", strerror(errno));
			free(pfd);
			free(slots);
			return 1;
		}
		if (pfd[0].revents) {
			struct signalfd_siginfo si;

			if (read(b->sigfd, &si, sizeof(si)) == sizeof(si)) {
				blog("signal %u: exiting", si.ssi_signo);
				break;
			}
		}
		if (pfd[1].revents)
			collect_answers(b);
		for (i = 2; i < n; i++) {
			struct link *l = slots[i].link;
			short re = pfd[i].revents;

			if (!re)
				continue;
			if (!l) {
				accept_vsock(b);
				continue;
			}
			if (l->dead)
				continue;
			if (slots[i].reader) {
				/* Still on the list? DETACH may have closed it. */
				for (r = l->readers; r && r != slots[i].reader; r = r->next)
					;
				if (r)
					link_pump(l, r);
				continue;
			}
			if (re & POLLOUT)
				link_flush(l);
			if (re & POLLIN)
				link_input(l);
			else if (re & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL)) {
				l->hup = true;
				link_kill(l, l->kind == LINK_PORT ?
					  "host disconnected" : "hang-up");
			}
		}
	}
	free(pfd);
	free(slots);
	return 0;
nomem:
	blog("out of memory");
	free(pfd);
	free(slots);
	return 1;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "vsock", required_argument, NULL, 's' },
		{ "any-cid", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bridge b = { .listen_fd = -1, .sigfd = -1, .wake = { -1, -1 } };
	const char *ports[MAX_PORTS];
	unsigned long vport = 0;
	int nports = 0, c, rc = 1;
	bool vsock = false;
	char *end;
	size_t i;

	while ((c = getopt_long(argc, argv, "p:s:ah", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (nports == MAX_PORTS) {
				fprintf(stderr, "sbexec-bridge: at most %d ports\n",
					MAX_PORTS);
				return 1;
			}
			ports[nports++] = optarg;
			break;
		case 's':
			errno = 0;
			vport = strtoul(optarg, &end, 10);
			if (errno || *end || !*optarg || vport > 0xffffffffUL ||
			    vport == VMADDR_PORT_ANY) {
				fprintf(stderr, "sbexec-bridge: bad vsock port: %s\n",
					optarg);
				return 1;
			}
			vsock = true;
			break;
		case 'a':
			b.any_cid = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sbexec-bridge: unexpected argument: %s\n",
			argv[optind]);
		usage(stderr);
		return 1;
	}
	if (!nports && !vsock) {
		fprintf(stderr, "sbexec-bridge: nothing to serve: give --port or --vsock\n");
		usage(stderr);
		return 1;
	}
	b.sigfd = signal_setup();
	if (b.sigfd < 0) {
		blog("cannot set up signals: %s", strerror(errno));
		return 1;
	}
	if (pipe2(b.wake, O_NONBLOCK | O_CLOEXEC) ||
	    link_workers_init(b.wake[1])) {
		blog("cannot set up request threads: %s", strerror(errno));
		close(b.sigfd);
		return 1;
	}
	for (c = 0; c < nports; c++)
		if (open_port(&b, ports[c]))
			goto out;
	if (vsock && open_vsock(&b, (unsigned int)vport))
		goto out;
	blog("ready");
	rc = run(&b);
out:
	for (i = 0; i < b.nlinks; i++)
		link_free(b.links[i]);
	free(b.links);
	wait_orphans(&b);
	close(b.wake[0]);
	close(b.wake[1]);
	if (b.listen_fd >= 0)
		close(b.listen_fd);
	close(b.sigfd);
	return rc;
}
