// SPDX-License-Identifier: GPL-2.0
/*
 * env.c - build a spawned process's environment and command candidates.
 * Everything here runs in the helper before fork, so the child allocates
 * nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "env.h"

/* Length of the key of a "K=V" entry (the whole string if it has no '='). */
static size_t key_len(const char *entry)
{
	return strcspn(entry, "=");
}

static bool key_is(const char *entry, const char *key, size_t klen)
{
	return key_len(entry) == klen && memcmp(entry, key, klen) == 0;
}

const char *env_get(const char *const *env, const char *key)
{
	size_t klen = strlen(key);
	const char *val = NULL;

	for (; env && *env; env++)
		if (key_is(*env, key, klen) && (*env)[klen] == '=')
			val = *env + klen + 1;
	return val;
}

char **env_build(const char *const *env, const char *home, bool tty)
{
	static const char path_entry[] = "PATH=" SPAWN_DEFAULT_PATH;
	static const char term_entry[] = "TERM=" SPAWN_DEFAULT_TERM;
	size_t n = 0, i, j, out = 0, home_len = 0;
	char **envp;

	while (env && env[n])
		n++;
	if (home)
		home_len = strlen("HOME=") + strlen(home) + 1;
	/* n entries, PATH, HOME, TERM, NULL; then the HOME entry's bytes. */
	envp = malloc((n + 4) * sizeof(*envp) + home_len);
	if (!envp)
		return NULL;
	for (i = 0; i < n; i++) {
		size_t klen = key_len(env[i]);

		for (j = 0; j < out; j++)
			if (key_is(envp[j], env[i], klen))
				break;
		envp[j] = (char *)env[i];
		if (j == out)
			out++;
	}
	envp[out] = NULL;
	if (!env_has_key((const char *const *)envp, "PATH"))
		envp[out++] = (char *)path_entry;
	envp[out] = NULL;
	if (home && !env_has_key((const char *const *)envp, "HOME")) {
		char *h = (char *)(envp + n + 4);

		strcpy(h, "HOME=");
		strcat(h, home);
		envp[out++] = h;
		envp[out] = NULL;
	}
	if (tty && !env_has_key((const char *const *)envp, "TERM"))
		envp[out++] = (char *)term_entry;
	envp[out] = NULL;
	return envp;
}

void env_free(char **envp)
{
	free(envp);
}

char **cmd_candidates(const char *cmd, const char *path)
{
	size_t clen = strlen(cmd), n = 1, bytes = 0;
	const char *p, *end;
	char **cands, *s;

	if (!path)
		path = SPAWN_DEFAULT_PATH;
	if (clen == 0)
		return calloc(1, sizeof(char *));
	if (strchr(cmd, '/')) {
		path = "";	/* one "empty" element: cmd itself */
	} else {
		for (p = path; *p; p++)
			n += *p == ':';
	}
	bytes = strlen(path) + n * (clen + 2);
	cands = malloc((n + 1) * sizeof(*cands) + bytes);
	if (!cands)
		return NULL;
	s = (char *)(cands + n + 1);
	n = 0;
	for (p = path;; p = end + 1) {
		size_t dlen;

		end = strchrnul(p, ':');
		dlen = (size_t)(end - p);
		cands[n++] = s;
		if (dlen) {
			memcpy(s, p, dlen);
			s += dlen;
			*s++ = '/';
		}
		memcpy(s, cmd, clen + 1);
		s += clen + 1;
		if (!*end)
			break;
	}
	cands[n] = NULL;
	return cands;
}

void cmd_candidates_free(char **cands)
{
	free(cands);
}
