// SPDX-License-Identifier: GPL-2.0
/*
 * user_test.c - sessions as a real non-root user created in the guest
 * (issue 3, item 11), through the CLI: `sbexec run -u sbtest -- id`.
 *
 * The guest's /etc is the host's and read-only; scripts/guest-run
 * bind-mounts writable tmpfs copies of /etc/passwd, /etc/group,
 * /etc/shadow and /etc/gshadow over them. (useradd itself cannot work
 * there: it creates lock and backup files next to them and renames over
 * them.) The fixture appends the entries useradd would write:
 *
 *   sbtest     uid 4242, group sbtest (gid 4242), home /tmp/sbtest-home
 *   sbtestsup  gid 4243, with sbtest as a member (a supplementary group)
 *
 * and puts the files back as they were afterwards. Without writable
 * account files (not in the test guest) the tests are skipped.
 *
 * Runs as root in the test guest with sbexec.ko loaded and the helper up.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "util.h"

#define USER		"sbtest"
#define UID		4242
#define SUPGROUP	"sbtestsup"
#define SUPGID		4243
#define HOME		"/tmp/sbtest-home"
#define RUN_MS		30000

/* The harness runs the test after a setup that skipped: don't. */
#define SKIPPED()	do { if (_metadata->skip) return; } while (0)

static const char *const files[] = {
	"/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow",
};
#define N_FILES		(sizeof(files) / sizeof(files[0]))

/* What each file gets appended. */
static const char *const lines[N_FILES] = {
	USER ":x:4242:4242:sbexec test user:" HOME ":/bin/sh\n",
	USER ":x:4242:\n" SUPGROUP ":x:4243:" USER "\n",
	USER ":!:19000:0:99999:7:::\n",
	USER ":!::\n" SUPGROUP ":!::" USER "\n",
};

static char *slurp(const char *path)
{
	struct stat st;
	char *buf;
	ssize_t n;
	size_t off = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st)) {
		close(fd);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	while (buf && off < (size_t)st.st_size &&
	       (n = read(fd, buf + off, (size_t)st.st_size - off)) > 0)
		off += (size_t)n;
	close(fd);
	if (buf)
		buf[off] = '\0';
	return buf;
}

/* Rewrite @path in place (it is a bind mount: no rename over it). */
static int spew(const char *path, const char *a, const char *b)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	size_t la = strlen(a), lb = b ? strlen(b) : 0;
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, a, la) != (ssize_t)la || (lb && write(fd, b, lb) != (ssize_t)lb))
		ret = -EIO;
	if (close(fd) && !ret)
		ret = -errno;
	return ret;
}

/* Drop lines of user or group sbtest / sbtestsup (a failed earlier run's). */
static void strip_ours(char *text)
{
	char *src = text, *dst = text;

	while (*src) {
		char *nl = strchr(src, '\n');
		size_t len = nl ? (size_t)(nl - src) + 1 : strlen(src);

		if (strncmp(src, USER ":", strlen(USER) + 1) &&
		    strncmp(src, SUPGROUP ":", strlen(SUPGROUP) + 1)) {
			memmove(dst, src, len);
			dst += len;
		}
		src += len;
	}
	*dst = '\0';
}

FIXTURE(user) {
	char *saved[N_FILES];
	bool added;
};

FIXTURE_SETUP(user)
{
	size_t i;

	for (i = 0; i < N_FILES; i++) {
		if (access(files[i], W_OK))
			SKIP(return, "%s is not writable: run in the test guest, where scripts/guest-run makes the account files writable",
			     files[i]);
	}
	for (i = 0; i < N_FILES; i++) {
		const char *path = files[i];

		self->saved[i] = slurp(path);
		ASSERT_NE(NULL, self->saved[i]) TH_LOG("read %s", path);
		strip_ours(self->saved[i]);
	}
	self->added = true;
	for (i = 0; i < N_FILES; i++) {
		const char *path = files[i];

		ASSERT_EQ(0, spew(path, self->saved[i], lines[i])) TH_LOG("write %s", path);
	}
	/* The ids are ours alone. */
	ASSERT_NE(NULL, getpwnam(USER));
	ASSERT_EQ((uid_t)UID, getpwuid(UID)->pw_uid);
	ASSERT_STREQ(USER, getpwuid(UID)->pw_name);
	ASSERT_STREQ(USER, getgrgid(UID)->gr_name);
	ASSERT_STREQ(SUPGROUP, getgrgid(SUPGID)->gr_name);

	if (mkdir(HOME, 0700) && errno != EEXIST)
		ASSERT_EQ(0, -errno);
	ASSERT_EQ(0, chown(HOME, UID, UID));
	ASSERT_EQ(0, chmod(HOME, 0700));
}

FIXTURE_TEARDOWN(user)
{
	size_t i;

	for (i = 0; i < N_FILES; i++) {
		const char *path = files[i];

		if (self->added && self->saved[i])
			EXPECT_EQ(0, spew(path, self->saved[i], NULL)) TH_LOG("restore %s", path);
		free(self->saved[i]);
	}
	if (self->added) {
		EXPECT_EQ(NULL, getpwnam(USER));
		if (system("rm -rf " HOME))
			TH_LOG("could not remove " HOME);
	}
}

/* `sbexec run -u @spec -- ARGS...`: its stdout (caller frees), exit 0. */
static char *run_as(struct __test_metadata *_metadata, const char *spec,
		    const char *const *args)
{
	const char *argv[16] = { cli_path(), "run", "-u", spec, "--" };
	struct proc_opts o = { .timeout_ms = RUN_MS };
	struct proc_result r;
	char *out;
	int i, n = 5;

	for (i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	if (run_proc(argv, &o, &r)) {
		EXPECT_TRUE(false) TH_LOG("cannot run %s", argv[0]);
		return strdup("");
	}
	EXPECT_FALSE(r.timed_out);
	EXPECT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0)
		TH_LOG("sbexec run -u %s: status %#x, stderr: %s", spec, r.status,
		       r.err.data ? r.err.data : "");
	out = strdup(r.out.data ? r.out.data : "");
	proc_result_free(&r);
	return out;
}

TEST_F_TIMEOUT(user, id_is_the_created_user, 120)
{
	const char *const id[] = { "id", NULL };
	char *out;

	SKIPPED();
	out = run_as(_metadata, USER, id);
	EXPECT_STREQ("uid=4242(sbtest) gid=4242(sbtest) groups=4242(sbtest),4243(sbtestsup)\n",
		     out);
	free(out);
}

TEST_F_TIMEOUT(user, home_is_the_passwd_home, 120)
{
	const char *const sh[] = { "sh", "-c", "echo \"$HOME\"; cd && pwd && touch ok && stat -c %u:%g ok", NULL };
	char *out;

	SKIPPED();
	out = run_as(_metadata, USER, sh);
	EXPECT_STREQ(HOME "\n" HOME "\n4242:4242\n", out);
	free(out);
}

TEST_F_TIMEOUT(user, user_colon_group_picks_the_group, 120)
{
	const char *const id[] = { "id", NULL };
	const char *const num[] = { "sh", "-c", "id -u; id -g; id -G", NULL };
	char *out;

	SKIPPED();
	out = run_as(_metadata, USER ":" SUPGROUP, id);
	EXPECT_STREQ("uid=4242(sbtest) gid=4243(sbtestsup) groups=4243(sbtestsup)\n", out);
	free(out);
	/* Numerically too, with the spaces the spec may carry. */
	out = run_as(_metadata, " 4242 : 4243 ", num);
	EXPECT_STREQ("4242\n4243\n4243\n", out);
	free(out);
}

/* The value of "@key:" in /proc/self/status text @s, or NULL. */
static const char *status_field(const char *s, const char *key)
{
	const char *p = strstr(s, key);

	if (!p)
		return NULL;
	p += strlen(key);
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

TEST_F_TIMEOUT(user, cannot_regain_cap_sys_admin, 120)
{
	const char *const st[] = { "cat", "/proc/self/status", NULL };
	const char *v;
	unsigned long long bnd, eff, prm, amb;
	char *out;

	SKIPPED();
	out = run_as(_metadata, USER, st);
	v = status_field(out, "\nUid:");
	ASSERT_NE(NULL, v);
	EXPECT_EQ(0, strncmp(v, "4242\t4242\t4242\t4242", 19)) TH_LOG("Uid: %.40s", v);
	v = status_field(out, "\nCapBnd:");
	ASSERT_NE(NULL, v);
	bnd = strtoull(v, NULL, 16);
	EXPECT_EQ(0ULL, bnd & (1ULL << 21)) TH_LOG("CapBnd %llx has CAP_SYS_ADMIN", bnd);
	/* Everything else the helper had stays in the bounding set. */
	EXPECT_NE(0ULL, bnd);
	v = status_field(out, "\nCapEff:");
	ASSERT_NE(NULL, v);
	eff = strtoull(v, NULL, 16);
	v = status_field(out, "\nCapPrm:");
	ASSERT_NE(NULL, v);
	prm = strtoull(v, NULL, 16);
	v = status_field(out, "\nCapAmb:");
	ASSERT_NE(NULL, v);
	amb = strtoull(v, NULL, 16);
	EXPECT_EQ(0ULL, eff);
	EXPECT_EQ(0ULL, prm);
	EXPECT_EQ(0ULL, amb);
	v = status_field(out, "\nNoNewPrivs:");
	ASSERT_NE(NULL, v);
	EXPECT_EQ('1', *v) TH_LOG("NoNewPrivs: %.8s", v);
	free(out);
}

TEST_HARNESS_MAIN
