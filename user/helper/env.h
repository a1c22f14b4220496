/* SPDX-License-Identifier: GPL-2.0 */
/*
 * env.h - the environment and the command candidates of a spawned process.
 * The rules are in the comment at the top of spawn.c.
 */
#ifndef SBEXEC_HELPER_ENV_H
#define SBEXEC_HELPER_ENV_H

#include <stdbool.h>
#include <stddef.h>

#define SPAWN_DEFAULT_PATH \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define SPAWN_DEFAULT_TERM	"xterm-256color"

/* Value of @key in a NULL-ended "K=V" list (the last one wins), or NULL. */
const char *env_get(const char *const *env, const char *key);
static inline bool env_has_key(const char *const *env, const char *key)
{
	return env_get(env, key) != NULL;
}

/*
 * Build the child's envp from the request's entries @env (NULL-ended):
 * entries in order, a later duplicate key replacing the earlier entry in
 * place; then PATH=SPAWN_DEFAULT_PATH when there is no PATH, HOME=@home
 * when @home is not NULL and there is no HOME, TERM=SPAWN_DEFAULT_TERM
 * when @tty and there is no TERM. Returns a NULL-ended array (free with env_free()) or NULL (ENOMEM).
 * Strings from @env are shared, not copied.
 */
char **env_build(const char *const *env, const char *home, bool tty);
void env_free(char **envp);

/*
 * Candidate paths for @cmd, like execvp(): @cmd itself when it contains a
 * '/', else "<dir>/<cmd>" for each element of @path (NULL: the default
 * PATH; an empty element is the current directory, i.e. @cmd itself). An
 * empty @cmd has no candidates. Returns a NULL-ended array (free with
 * cmd_candidates_free()) or NULL (ENOMEM).
 */
char **cmd_candidates(const char *cmd, const char *path);
void cmd_candidates_free(char **cands);

#endif /* SBEXEC_HELPER_ENV_H */
