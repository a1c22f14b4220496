// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - the sbexec command: subcommand dispatch, `ps` and `kill`.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: sbexec [--connect URI] COMMAND [ARGS]\n"
"\n"
"Run and control exec sessions of the sbexec kernel module, in this\n"
"machine or, with --connect, in a guest through its sbexec-bridge.\n"
"\n"
"commands:\n"
"  run [OPTIONS] [--] CMD [ARG]...   start CMD in a session and stream it\n"
"  attach ID                        stream a session started with run -d\n"
"  ps [--json]                      list sessions\n"
"  kill ID [SIGNAL]                 signal a session (default TERM)\n"
"  help [COMMAND]                   this text, or a command's usage\n"
"\n"
"  --connect URI                    drive the guest behind URI: unix:PATH\n"
"                                   (QEMU's socket of the guest's virtio-\n"
"                                   serial port org.sbexec.0), vsock:CID[:PORT]\n"
"                                   or local (default: $SBEXEC_CONNECT, else\n"
"                                   local); every command works the same\n"
"  -h, --help                       this text\n"
"  -V, --version                    print the version and exit\n"
"\n"
"`sbexec COMMAND --help` describes a command. `sbexec run` exits with the\n"
"command's status (128+N for signal N), 127 when the command was not\n"
"found, 126 when it could not be started otherwise, 125 on other errors.\n");
}

static void usage_ps(FILE *f)
{
	fprintf(f,
"usage: sbexec ps [--json]\n"
"\n"
"List the module's sessions: id, pid, state, pty, output bytes, age in\n"
"seconds, exit status and command. Exits 0, or 125 on an error.\n"
"\n"
"  --json    print a JSON array instead, one object per session:\n"
"            id, pid, state, pty, keep_running, bytes, ring_size, age_ms,\n"
"            user, cmd, and exit (null while it runs, else exited, code,\n"
"            signal, core_dumped, status). Bytes of user and cmd that are\n"
"            not UTF-8 appear as \\u00XX.\n");
}

static void usage_kill(FILE *f)
{
	fprintf(f,
"usage: sbexec kill ID [SIGNAL]\n"
"\n"
"Send SIGNAL (a number, TERM or SIGTERM; default TERM) to every process\n"
"of session ID: every process its command created, at any depth, also\n"
"those that left its process group or session (setsid, double fork).\n"
"Exits 0, or 125 on an error.\n");
}

/* --connect, or SBEXEC_CONNECT; NULL: this machine's module. */
static const char *connect_uri;

int cli_open(struct sbexec **h)
{
	int err = sbexec_open_uri(connect_uri, h);

	if (err < 0) {
		if (connect_uri && *connect_uri && strcmp(connect_uri, "local"))
			errmsg("%s: %s (%s)", connect_uri,
			       sbexec_open_uri_error(connect_uri, err),
			       strerror(-err));
		else
			errmsg("%s", sbexec_open_error(err));
	}
	return err;
}

static bool is_help(const char *s)
{
	return !strcmp(s, "-h") || !strcmp(s, "--help");
}

static int ps_entry(const struct sbexec_session_info *si, void *arg)
{
	char status[32] = "-";

	(void)arg;
	if (si->has_exit) {
		if (si->exit.exited)
			snprintf(status, sizeof(status), "%u", si->exit.code);
		else
			snprintf(status, sizeof(status), "sig%u%s", si->exit.signal,
				 si->exit.core_dumped ? "+core" : "");
	}
	printf("%-8u %-8u %-8s %-4s %7u %12llu %8llu %-10s %s\n",
	       si->session_id, si->pid, sbexec_state_name(si->state),
	       si->tty ? "yes" : "no", si->members,
	       (unsigned long long)si->bytes_out,
	       (unsigned long long)(si->age_ms / 1000), status, si->cmd);
	return 0;
}

/* The JSON array being written, and whether an object is in it yet. */
struct ps_json {
	FILE *f;
	bool first;
};

static const char *json_bool(bool b)
{
	return b ? "true" : "false";
}

static int ps_json_entry(const struct sbexec_session_info *si, void *arg)
{
	struct ps_json *pj = arg;
	FILE *f = pj->f;

	fprintf(f, "%s\n  {\"id\": %u, \"pid\": %u, \"state\": ",
		pj->first ? "" : ",", si->session_id, si->pid);
	pj->first = false;
	json_put_string(f, sbexec_state_name(si->state));
	fprintf(f, ", \"pty\": %s, \"keep_running\": %s, \"bytes\": %llu, "
		"\"ring_size\": %u, \"age_ms\": %llu, \"members\": %u, "
		"\"members_total\": %u, \"members_refused\": %u, "
		"\"max_members\": %u, \"user\": ",
		json_bool(si->tty),
		json_bool(si->flags & SBEXEC_EXEC_F_KEEP_RUNNING),
		(unsigned long long)si->bytes_out, si->ring_size,
		(unsigned long long)si->age_ms, si->members, si->members_total,
		si->members_refused, si->max_members);
	json_put_string(f, si->user);
	fputs(", \"cmd\": ", f);
	json_put_string(f, si->cmd);
	fputs(", \"exit\": ", f);
	if (!si->has_exit)
		fputs("null", f);
	else if (si->exit.exited)
		fprintf(f, "{\"exited\": true, \"code\": %u, \"signal\": null, "
			"\"core_dumped\": false, \"status\": %d}",
			si->exit.code, sbexec_exit_status(&si->exit));
	else
		fprintf(f, "{\"exited\": false, \"code\": null, \"signal\": %u, "
			"\"core_dumped\": %s, \"status\": %d}",
			si->exit.signal, json_bool(si->exit.core_dumped),
			sbexec_exit_status(&si->exit));
	fputc('}', f);
	return 0;
}

/*
 * `ps --json`: the whole array is built in memory and printed only when
 * the dump succeeded, so a failure never leaves half a JSON text.
 */
static int ps_json(struct sbexec *h)
{
	struct ps_json pj = { .first = true };
	char *text = NULL;
	size_t len = 0;
	int err;

	pj.f = open_memstream(&text, &len);
	if (!pj.f) {
		err = -errno;
		errmsg("ps: %s", strerror(-err));
		return err;
	}
	fputc('[', pj.f);
	err = sbexec_list(h, ps_json_entry, &pj);
	fputs(pj.first ? "]\n" : "\n]\n", pj.f);
	if (fclose(pj.f) && !err) {
		errmsg("ps: out of memory");
		err = -ENOMEM;
	} else if (err < 0) {
		errmsg("ps: %s", sbexec_strerror_last(h));
	} else {
		err = write_all(STDOUT_FILENO, text, len);
		if (err < 0)
			errmsg("ps: cannot write the output: %s", strerror(-err));
	}
	free(text);
	return err;
}

int cmd_ps(int argc, char **argv)
{
	struct sbexec *h;
	bool json = false;
	int err;

	if (argc == 2 && is_help(argv[1])) {
		usage_ps(stdout);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "--json"))
		json = true;
	else if (argc != 1) {
		usage_ps(stderr);
		return EXIT_CLI_ERROR;
	}
	if (cli_open(&h) < 0)
		return EXIT_CLI_ERROR;
	if (json) {
		err = ps_json(h);
		sbexec_close(h);
		return err < 0 ? EXIT_CLI_ERROR : 0;
	}
	printf("%-8s %-8s %-8s %-4s %7s %12s %8s %-10s %s\n", "ID", "PID",
	       "STATE", "PTY", "PROCS", "BYTES", "AGE(s)", "EXIT", "CMD");
	err = sbexec_list(h, ps_entry, NULL);
	if (err < 0)
		errmsg("ps: %s", sbexec_strerror_last(h));
	sbexec_close(h);
	fflush(stdout);
	return err < 0 ? EXIT_CLI_ERROR : 0;
}

int cmd_kill(int argc, char **argv)
{
	struct sbexec *h;
	uint32_t id;
	int sig = SIGTERM, err;

	if (argc == 2 && is_help(argv[1])) {
		usage_kill(stdout);
		return 0;
	}
	if (argc < 2 || argc > 3) {
		usage_kill(stderr);
		return EXIT_CLI_ERROR;
	}
	if (parse_u32(argv[1], &id) || !id) {
		errmsg("kill: bad session id '%s' (a number from 1)", argv[1]);
		return EXIT_CLI_ERROR;
	}
	if (argc == 3) {
		sig = parse_signal(argv[2]);
		if (sig < 0) {
			errmsg("kill: unknown signal '%s' (1..64, or a name such as TERM)",
			       argv[2]);
			return EXIT_CLI_ERROR;
		}
	}
	if (cli_open(&h) < 0)
		return EXIT_CLI_ERROR;
	/* Every process of the session, wherever it moved. */
	err = sbexec_signal_scope(h, id, sig, SBEXEC_SIGNAL_SCOPE_TREE);
	if (err < 0)
		errmsg("kill: %s", sbexec_strerror_last(h));
	sbexec_close(h);
	return err < 0 ? EXIT_CLI_ERROR : 0;
}

static int cmd_help(int argc, char **argv)
{
	if (argc < 2) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "run"))
		usage_run(stdout);
	else if (!strcmp(argv[1], "attach"))
		usage_attach(stdout);
	else if (!strcmp(argv[1], "ps"))
		usage_ps(stdout);
	else if (!strcmp(argv[1], "kill"))
		usage_kill(stdout);
	else {
		errmsg("no such command '%s'", argv[1]);
		return EXIT_CLI_ERROR;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} cmds[] = {
		{ "run", cmd_run },
		{ "attach", cmd_attach },
		{ "ps", cmd_ps },
		{ "kill", cmd_kill },
		{ "help", cmd_help },
	};
	size_t i;

	/* A closed reader shows up as EPIPE from write(), handled there. */
	signal(SIGPIPE, SIG_IGN);

	connect_uri = getenv("SBEXEC_CONNECT");
	while (argc >= 2 && !strncmp(argv[1], "--connect", 9)) {
		if (argv[1][9] == '=') {
			connect_uri = argv[1] + 10;
		} else if (!argv[1][9] && argc >= 3) {
			connect_uri = argv[2];
			argc--;
			argv++;
		} else {
			break;
		}
		argc--;
		argv++;
	}
	if (argc < 2) {
		usage(stderr);
		return EXIT_CLI_ERROR;
	}
	if (is_help(argv[1])) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("sbexec %s\n", SBEXEC_VERSION);
		return 0;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	errmsg("unknown command '%s' (see sbexec --help)", argv[1]);
	return EXIT_CLI_ERROR;
}
