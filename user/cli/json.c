// SPDX-License-Identifier: GPL-2.0
/*
 * json.c - JSON string output for `sbexec ps --json`.
 *
 * The kernel hands us C strings of arbitrary bytes (a command name need
 * not be UTF-8), while a JSON text is Unicode. Well-formed UTF-8 (RFC 3629:
 * no overlong forms, no surrogates, nothing above U+10FFFF) is copied as
 * it is; every byte that is not part of such a sequence is written as
 * \u00XX, the code point of the same number, so the output is always
 * valid UTF-8 and valid JSON, and a byte string that is valid UTF-8 reads
 * back unchanged. Quotes, backslashes, the C0 controls and DEL are
 * escaped.
 */
#include <stdio.h>

#include "cli.h"

/*
 * Length of the well-formed UTF-8 sequence of 2 to 4 bytes at @s, or 0
 * when the bytes there are not one (a lone or bad lead byte, a missing or
 * out-of-range continuation byte).
 */
static size_t utf8_seq_len(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	/* The second byte's range excludes overlongs, surrogates, > U+10FFFF. */
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	/* A NUL ends the string and is no continuation byte: no overrun. */
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

void json_put_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n;

	putc('"', f);
	while (*s) {
		switch (*s) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\b':
			fputs("\\b", f);
			break;
		case '\f':
			fputs("\\f", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*s < 0x20 || *s == 0x7f) {
				fprintf(f, "\\u%04x", *s);
			} else if (*s < 0x80) {
				putc(*s, f);
			} else {
				n = utf8_seq_len(s);
				if (!n) {
					fprintf(f, "\\u%04x", *s);
				} else {
					fwrite(s, 1, n, f);
					s += n;
					continue;
				}
			}
		}
		s++;
	}
	putc('"', f);
}
