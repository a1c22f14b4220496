// SPDX-License-Identifier: GPL-2.0
/*
 * qga_json.c - reading qemu-guest-agent's replies (see qga_json.h).
 */
#include <stdio.h>
#include <string.h>

#include "qga_json.h"

const char *json_value(const char *json, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\"", key);
	p = strstr(json, pat);
	if (!p)
		return NULL;
	p += strlen(pat);
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != ':')
		return NULL;
	p++;
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int64_t b64_count(const char *s, bool *nonzero)
{
	uint32_t acc = 0;
	int bits = 0;
	int64_t n = 0;

	*nonzero = false;
	for (; *s && *s != '"'; s++) {
		int v;

		if (*s == '=' || *s == '\\')
			continue;
		v = b64val((unsigned char)*s);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if ((acc >> bits) & 0xff)
				*nonzero = true;
			n++;
			acc &= (1u << bits) - 1;
		}
	}
	return n;
}
