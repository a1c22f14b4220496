// SPDX-License-Identifier: GPL-2.0
/*
 * user.c - user spec resolution (passwd/group lookups happen here, in the
 * helper, before fork; the child only applies the result).
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "env.h"
#include "user.h"

#define LOOKUP_BUF_MAX	(1024 * 1024)

static bool is_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Trim @s in place (it must be writable); returns the trimmed start. */
static char *trim(char *s)
{
	size_t n;

	while (is_space(*s))
		s++;
	n = strlen(s);
	while (n && is_space(s[n - 1]))
		s[--n] = '\0';
	return s;
}

static bool is_blank(const char *s)
{
	for (; s && *s; s++)
		if (!is_space(*s))
			return false;
	return true;
}

/* Like Rust's u32::from_str: optional '+', decimal digits, no overflow. */
static bool parse_id(const char *s, uint32_t *out)
{
	uint64_t v = 0;

	if (*s == '+')
		s++;
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return false;
	}
	*out = (uint32_t)v;
	return true;
}

static size_t lookup_buf_len(void)
{
	long n = sysconf(_SC_GETPW_R_SIZE_MAX);

	return n > 0 ? (size_t)n : 16 * 1024;
}

/*
 * getpwnam_r()/getpwuid_r() with a buffer that grows on ERANGE. Returns
 * 0 (entry in *pw, *found set) or the lookup's errno; *bufp must be freed.
 */
static int lookup_passwd(const char *name, uid_t uid, struct passwd *pw,
			 char **bufp, bool *found)
{
	size_t len = lookup_buf_len();
	struct passwd *res = NULL;
	int rc;

	*bufp = NULL;
	for (;;) {
		char *buf = realloc(*bufp, len);

		if (!buf)
			return ENOMEM;
		*bufp = buf;
		if (name)
			rc = getpwnam_r(name, pw, buf, len, &res);
		else
			rc = getpwuid_r(uid, pw, buf, len, &res);
		if (rc != ERANGE || len >= LOOKUP_BUF_MAX)
			break;
		len *= 2;
	}
	*found = rc == 0 && res;
	return rc;
}

static int lookup_group(const char *name, gid_t *gid, bool *found)
{
	size_t len = lookup_buf_len();
	struct group gr, *res = NULL;
	char *buf = NULL;
	int rc;

	for (;;) {
		char *nbuf = realloc(buf, len);

		if (!nbuf) {
			free(buf);
			return ENOMEM;
		}
		buf = nbuf;
		rc = getgrnam_r(name, &gr, buf, len, &res);
		if (rc != ERANGE || len >= LOOKUP_BUF_MAX)
			break;
		len *= 2;
	}
	*found = rc == 0 && res;
	if (*found)
		*gid = gr.gr_gid;
	free(buf);
	return rc;
}

static int resolve_group(const char *spec, gid_t *gid, struct spawn_failure *f)
{
	uint32_t id;
	bool found;
	int rc;

	if (parse_id(spec, &id)) {
		*gid = id;
		return 0;
	}
	rc = lookup_group(spec, gid, &found);
	if (rc) {
		failure_set(f, SBEXEC_STAGE_USER, rc,
			    "user: failed to resolve guest group \"%s\": %s",
			    spec, strerror(rc));
		return -1;
	}
	if (!found) {
		failure_set(f, SBEXEC_STAGE_USER, 0,
			    "user: guest group not found: %s", spec);
		return -1;
	}
	return 0;
}

/* Fill @out from the passwd entry (name, uid, gid, home). */
static int take_passwd(const struct passwd *pw, struct resolved_user *out,
		       struct spawn_failure *f)
{
	out->uid = pw->pw_uid;
	out->gid = pw->pw_gid;
	out->name = strdup(pw->pw_name);
	if (pw->pw_dir && *pw->pw_dir)
		out->home_dir = strdup(pw->pw_dir);
	if (!out->name || (pw->pw_dir && *pw->pw_dir && !out->home_dir)) {
		failure_set(f, SBEXEC_STAGE_USER, ENOMEM, "user: %s",
			    strerror(ENOMEM));
		return -1;
	}
	return 0;
}

static int resolve_user_part(const char *user, struct resolved_user *out,
			     struct spawn_failure *f)
{
	struct passwd pw;
	char *buf = NULL;
	bool numeric, found;
	uint32_t uid = 0;
	int rc;

	numeric = parse_id(user, &uid);
	rc = lookup_passwd(numeric ? NULL : user, uid, &pw, &buf, &found);
	if (rc) {
		if (numeric)
			failure_set(f, SBEXEC_STAGE_USER, rc,
				    "user: failed to resolve guest uid %u: %s",
				    uid, strerror(rc));
		else
			failure_set(f, SBEXEC_STAGE_USER, rc,
				    "user: failed to resolve guest user \"%s\": %s",
				    user, strerror(rc));
		rc = -1;
	} else if (found) {
		rc = take_passwd(&pw, out, f);
	} else if (numeric) {
		out->uid = uid;
		out->gid = getgid();
	} else {
		failure_set(f, SBEXEC_STAGE_USER, 0,
			    "user: guest user not found: %s", user);
		rc = -1;
	}
	free(buf);
	return rc;
}

int resolve_user_spec(const char *spec, struct resolved_user *out,
		      struct spawn_failure *f)
{
	char *copy, *user, *group = NULL, *colon;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	copy = strdup(spec);
	if (!copy) {
		failure_set(f, SBEXEC_STAGE_USER, ENOMEM, "user: %s",
			    strerror(ENOMEM));
		return -1;
	}
	colon = strchr(copy, ':');
	if (colon) {
		*colon = '\0';
		group = trim(colon + 1);
	}
	user = trim(copy);
	if (!*user) {
		failure_set(f, SBEXEC_STAGE_USER, 0,
			    "user: user spec has empty user");
		goto out;
	}
	if (resolve_user_part(user, out, f))
		goto out;
	if (group && !*group) {
		failure_set(f, SBEXEC_STAGE_USER, 0,
			    "user: user spec has empty group");
		goto out;
	}
	if (group && resolve_group(group, &out->gid, f))
		goto out;
	rc = 0;
out:
	if (rc)
		resolved_user_free(out);
	free(copy);
	return rc;
}

int resolve_requested_user(const char *request_user, const char *default_user,
			   struct resolved_user *out, struct spawn_failure *f)
{
	const char *spec = NULL;

	memset(out, 0, sizeof(*out));
	if (!is_blank(request_user))
		spec = request_user;
	else if (!is_blank(default_user))
		spec = default_user;
	if (!spec)
		return 0;
	return resolve_user_spec(spec, out, f) ? -1 : 1;
}

int resolve_default_user(const char *default_user, uid_t *uid, gid_t *gid,
			 struct spawn_failure *f)
{
	struct resolved_user u;

	if (is_blank(default_user)) {
		*uid = 0;
		*gid = 0;
		return 0;
	}
	if (resolve_user_spec(default_user, &u, f))
		return -1;
	*uid = u.uid;
	*gid = u.gid;
	resolved_user_free(&u);
	return 0;
}

int resolved_user_load_groups(struct resolved_user *u,
			      struct spawn_failure *f)
{
	int n = 32, tries;

	if (!u->name)
		return 0;
	for (tries = 0; tries < 8; tries++) {
		gid_t *g = realloc(u->groups, (size_t)n * sizeof(*g));
		int want = n;

		if (!g) {
			failure_set(f, SBEXEC_STAGE_USER, ENOMEM,
				    "user: groups of %s: %s", u->name,
				    strerror(ENOMEM));
			return -1;
		}
		u->groups = g;
		if (getgrouplist(u->name, u->gid, g, &want) >= 0) {
			u->ngroups = (size_t)want;
			return 0;
		}
		n = want > n ? want : n * 2;
	}
	failure_set(f, SBEXEC_STAGE_USER, E2BIG,
		    "user: groups of %s: too many groups", u->name);
	return -1;
}

void resolved_user_free(struct resolved_user *u)
{
	free(u->name);
	free(u->home_dir);
	free(u->groups);
	memset(u, 0, sizeof(*u));
}

int default_home_dir(const char *const *env, const struct resolved_user *user,
		     char **home, struct spawn_failure *f)
{
	struct resolved_user root;

	*home = NULL;
	if (env_has_key(env, "HOME"))
		return 0;
	if (user) {
		if (!user->home_dir)
			return 0;
		*home = strdup(user->home_dir);
		if (!*home) {
			failure_set(f, SBEXEC_STAGE_USER, ENOMEM, "user: %s",
				    strerror(ENOMEM));
			return -1;
		}
		return 0;
	}
	if (resolve_user_spec(DEFAULT_USER_SPEC, &root, f))
		return -1;
	*home = root.home_dir;
	root.home_dir = NULL;
	resolved_user_free(&root);
	return 0;
}
