// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * names.c - printable names for the ABI's enums.
 *
 * Failure kinds use the reference agent's names (ExecFailureKind), stages
 * its stage strings, so a message reads the same as the agent's.
 */
#include <stdio.h>

#include "internal.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char *const fail_kind_names[] = {
	[SBEXEC_FAIL_NONE] = "None",
	[SBEXEC_FAIL_NOT_FOUND] = "NotFound",
	[SBEXEC_FAIL_PERMISSION_DENIED] = "PermissionDenied",
	[SBEXEC_FAIL_NOT_EXECUTABLE] = "NotExecutable",
	[SBEXEC_FAIL_BAD_CWD] = "BadCwd",
	[SBEXEC_FAIL_BAD_ARGS] = "BadArgs",
	[SBEXEC_FAIL_RESOURCE_LIMIT] = "ResourceLimit",
	[SBEXEC_FAIL_USER_SETUP] = "UserSetupFailed",
	[SBEXEC_FAIL_OUT_OF_MEMORY] = "OutOfMemory",
	[SBEXEC_FAIL_PTY_SETUP] = "PtySetupFailed",
	[SBEXEC_FAIL_OTHER] = "Other",
	[SBEXEC_FAIL_HELPER_UNAVAILABLE] = "HelperUnavailable",
};

static const char *const stage_names[] = {
	[SBEXEC_STAGE_NONE] = "unknown",
	[SBEXEC_STAGE_ADMISSION] = "admission",
	[SBEXEC_STAGE_UPCALL] = "upcall",
	[SBEXEC_STAGE_FORK] = "fork",
	[SBEXEC_STAGE_PTY] = "pty",
	[SBEXEC_STAGE_CWD] = "cwd",
	[SBEXEC_STAGE_USER] = "user",
	[SBEXEC_STAGE_RLIMIT] = "rlimit",
	[SBEXEC_STAGE_PRIVILEGES] = "privileges",
	[SBEXEC_STAGE_EXEC] = "exec",
};

static const char *const state_names[] = {
	[SBEXEC_STATE_RUNNING] = "running",
	[SBEXEC_STATE_EXITED] = "exited",
	[SBEXEC_STATE_DONE] = "done",
};

static const char *const stream_names[] = {
	[SBEXEC_STREAM_STDOUT] = "stdout",
	[SBEXEC_STREAM_STDERR] = "stderr",
	[SBEXEC_STREAM_EXIT] = "exit",
};

static const char *const attr_names[] = {
	[SBEXEC_A_SESSION_ID] = "SBEXEC_A_SESSION_ID",
	[SBEXEC_A_PID] = "SBEXEC_A_PID",
	[SBEXEC_A_CMD] = "SBEXEC_A_CMD",
	[SBEXEC_A_ARG] = "SBEXEC_A_ARG",
	[SBEXEC_A_ENV] = "SBEXEC_A_ENV",
	[SBEXEC_A_CWD] = "SBEXEC_A_CWD",
	[SBEXEC_A_USER] = "SBEXEC_A_USER",
	[SBEXEC_A_TTY] = "SBEXEC_A_TTY",
	[SBEXEC_A_ROWS] = "SBEXEC_A_ROWS",
	[SBEXEC_A_COLS] = "SBEXEC_A_COLS",
	[SBEXEC_A_RLIMIT] = "SBEXEC_A_RLIMIT",
	[SBEXEC_A_FAILURE] = "SBEXEC_A_FAILURE",
	[SBEXEC_A_EXIT] = "SBEXEC_A_EXIT",
	[SBEXEC_A_STDIN_DATA] = "SBEXEC_A_STDIN_DATA",
	[SBEXEC_A_SIGNAL] = "SBEXEC_A_SIGNAL",
	[SBEXEC_A_FLAGS] = "SBEXEC_A_FLAGS",
	[SBEXEC_A_STATE] = "SBEXEC_A_STATE",
	[SBEXEC_A_PAD] = "SBEXEC_A_PAD",
	[SBEXEC_A_BYTES_OUT] = "SBEXEC_A_BYTES_OUT",
	[SBEXEC_A_RING_SIZE] = "SBEXEC_A_RING_SIZE",
	[SBEXEC_A_AGE_MS] = "SBEXEC_A_AGE_MS",
	[SBEXEC_A_SIGNAL_SCOPE] = "SBEXEC_A_SIGNAL_SCOPE",
	[SBEXEC_A_MEMBERS] = "SBEXEC_A_MEMBERS",
	[SBEXEC_A_MEMBERS_TOTAL] = "SBEXEC_A_MEMBERS_TOTAL",
	[SBEXEC_A_MEMBERS_REFUSED] = "SBEXEC_A_MEMBERS_REFUSED",
	[SBEXEC_A_MAX_MEMBERS] = "SBEXEC_A_MAX_MEMBERS",
};

static const char *lookup(const char *const *names, size_t n, uint32_t v,
			  const char *fallback)
{
	if (v < n && names[v])
		return names[v];
	return fallback;
}

const char *sbexec_fail_kind_name(uint32_t kind)
{
	return lookup(fail_kind_names, ARRAY_LEN(fail_kind_names), kind,
		      "Unknown");
}

const char *sbexec_stage_name(uint32_t stage)
{
	return lookup(stage_names, ARRAY_LEN(stage_names), stage, "unknown");
}

const char *sbexec_state_name(uint32_t state)
{
	return lookup(state_names, ARRAY_LEN(state_names), state, "unknown");
}

const char *sbexec_stream_name(uint32_t stream)
{
	return lookup(stream_names, ARRAY_LEN(stream_names), stream, "unknown");
}

const char *sbx_attr_name(unsigned int type, char *buf, size_t n)
{
	if (type < ARRAY_LEN(attr_names) && attr_names[type])
		return attr_names[type];
	snprintf(buf, n, "SBEXEC_A_%u", type);
	return buf;
}
