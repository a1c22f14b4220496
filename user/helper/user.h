/* SPDX-License-Identifier: GPL-2.0 */
/*
 * user.h - resolve "user", "uid", "user:group", "uid:gid" specs.
 *
 * Same rules as the reference agent's resolve_user_spec(),
 * resolve_requested_user() and default_home_dir():
 *  - the spec is trimmed; text before the first ':' is the user, after it
 *    the group (both trimmed); an empty user part is "user spec has empty
 *    user", an empty group part "user spec has empty group";
 *  - a user part that parses as a u32 is a uid: its passwd entry is used
 *    when there is one, else the uid is used alone (primary gid = the
 *    helper's gid, no supplementary groups); any other user part must be a
 *    passwd name ("guest user not found: NAME");
 *  - a group part that parses as a u32 is a gid, else a group name
 *    ("guest group not found: NAME"); without a group part the passwd
 *    entry's gid is used (or the helper's gid for a bare uid);
 *  - the request's user wins over the default user; a blank one counts as
 *    absent; with neither, no user switch happens at all.
 * Failures are filled in as stage SBEXEC_STAGE_USER (kind USER_SETUP) with
 * errno 0 for "not found" and spec errors, the lookup's errno otherwise;
 * messages start with "user: ".
 */
#ifndef SBEXEC_HELPER_USER_H
#define SBEXEC_HELPER_USER_H

#include <stdbool.h>
#include <sys/types.h>

#include "failure.h"

#define DEFAULT_USER_SPEC	"0:0"

struct resolved_user {
	uid_t uid;
	gid_t gid;
	char *name;		/* passwd name; NULL: bare uid, no entry */
	char *home_dir;		/* passwd home; NULL when none or empty */
	gid_t *groups;		/* see resolved_user_load_groups() */
	size_t ngroups;
};

/* 0 and @out filled, or -1 and @f filled. */
int resolve_user_spec(const char *spec, struct resolved_user *out,
		      struct spawn_failure *f);
/*
 * The user a request runs as: 1 and @out filled, 0 when there is none (no
 * switch), -1 and @f filled on failure. Either spec may be NULL.
 */
int resolve_requested_user(const char *request_user, const char *default_user,
			   struct resolved_user *out, struct spawn_failure *f);
/* Reference resolve_default_user(): (0, 0) when @default_user is blank. */
int resolve_default_user(const char *default_user, uid_t *uid, gid_t *gid,
			 struct spawn_failure *f);
/*
 * The supplementary groups initgroups() would set (the user's groups from
 * the group database plus its gid), computed before fork so the child only
 * calls setgroups(). No-op for a bare uid (ngroups stays 0: setgroups(0)).
 */
int resolved_user_load_groups(struct resolved_user *u,
			      struct spawn_failure *f);
void resolved_user_free(struct resolved_user *u);

/*
 * Reference default_home_dir(): NULL in *home when @env (NULL-ended "K=V"
 * list) has HOME; else @user's home (which may be NULL); else, when no
 * user is switched to, root's (uid 0) passwd home. *home is malloc()ed.
 */
int default_home_dir(const char *const *env, const struct resolved_user *user,
		     char **home, struct spawn_failure *f);

#endif /* SBEXEC_HELPER_USER_H */
