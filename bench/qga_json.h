/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qga_json.h - reading qemu-guest-agent's replies, for both of its
 * clients: bench/qga.c in the guest and bench/host_link.c on the host.
 */
#ifndef SBEXEC_BENCH_QGA_JSON_H
#define SBEXEC_BENCH_QGA_JSON_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The value after "@key": in @json (whitespace skipped), or NULL. Enough
 * for qemu-ga's flat replies: the first such key anywhere is taken.
 */
const char *json_value(const char *json, const char *key);

/*
 * Decode the base64 string at @s (up to the closing quote) and count its
 * bytes; *nonzero is set if any decoded byte is not 0. Return: the count,
 * or -1 for a character that is not base64.
 */
int64_t b64_count(const char *s, bool *nonzero);

#endif /* SBEXEC_BENCH_QGA_JSON_H */
