// SPDX-License-Identifier: GPL-2.0
/*
 * json_test.c - host-side test of json_put_string() (`make check` here):
 * escapes, well-formed UTF-8 kept, every other byte as \u00XX. TAP output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct {
	const char *name, *in, *want;
} cases[] = {
	{ "empty", "", "\"\"" },
	{ "plain", "sleep 30", "\"sleep 30\"" },
	{ "quote and backslash", "a\"b\\c", "\"a\\\"b\\\\c\"" },
	{ "short escapes", "\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"" },
	{ "other controls and DEL", "\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"" },
	{ "slash kept", "/bin/sh", "\"/bin/sh\"" },
	{ "two-byte UTF-8 kept", "caf\xc3\xa9", "\"caf\xc3\xa9\"" },
	{ "three-byte UTF-8 kept", "\xe2\x82\xac", "\"\xe2\x82\xac\"" },
	{ "four-byte UTF-8 kept", "\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"" },
	{ "U+10FFFF kept", "\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"" },
	{ "lone byte 0xff", "a\xff" "b", "\"a\\u00ffb\"" },
	{ "lone continuation byte", "\x80", "\"\\u0080\"" },
	{ "overlong NUL", "\xc0\x80", "\"\\u00c0\\u0080\"" },
	{ "overlong three-byte", "\xe0\x80\xaf", "\"\\u00e0\\u0080\\u00af\"" },
	{ "surrogate", "\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\"" },
	{ "above U+10FFFF", "\xf4\x90\x80\x80", "\"\\u00f4\\u0090\\u0080\\u0080\"" },
	{ "truncated at the end", "x\xe2\x82", "\"x\\u00e2\\u0082\"" },
	{ "truncated before ASCII", "\xe2\x82z", "\"\\u00e2\\u0082z\"" },
};

int main(void)
{
	size_t i, n = sizeof(cases) / sizeof(cases[0]);
	int failed = 0;

	printf("TAP version 13\n1..%zu\n", n);
	for (i = 0; i < n; i++) {
		char *out = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&out, &len);

		if (!f)
			return 1;
		json_put_string(f, cases[i].in);
		if (fclose(f))
			return 1;
		if (strcmp(out, cases[i].want)) {
			printf("not ok %zu json.%s\n# got  %s\n# want %s\n", i + 1,
			       cases[i].name, out, cases[i].want);
			failed++;
		} else {
			printf("ok %zu json.%s\n", i + 1, cases[i].name);
		}
		free(out);
	}
	return failed ? 1 : 0;
}
