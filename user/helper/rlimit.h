/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rlimit.h - the resource limit names of the sbexec ABI.
 */
#ifndef SBEXEC_HELPER_RLIMIT_H
#define SBEXEC_HELPER_RLIMIT_H

/* RLIMIT_* for an sbexec rlimit name ("nofile"), or -1 if unknown. */
int rlimit_resource_by_name(const char *name);

#endif /* SBEXEC_HELPER_RLIMIT_H */
