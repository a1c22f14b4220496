#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run_all.sh [--installed DIR] [RUN_KSELFTEST_OPTIONS...]
#
# Run the sbexec selftests the way a kernel developer's CI does: through the
# kernel's run_kselftest.sh of an installed suite (`make -C selftests install
# INSTALL_PATH=DIR` lays it out). Its TAP is passed through unchanged: one
# top-level "ok N selftests: sbexec: PROGRAM" per program, each program's
# own TAP nested under it with "# " in front (scripts/check counts the
# programs' individual results from that).
#
# --installed DIR   run the suite installed in DIR (scripts/check installs
#                   it on the host, where the tree is writable); without it,
#                   the suite is installed into a temporary directory first
#                   (make -C selftests install: the tree must be built)
# Other arguments go to run_kselftest.sh, e.g. -t sbexec:exec_test (one
# program), -l (list).
#
# Before each program, ensure_helper.c (C programs) and ensure_helper.sh
# (scripts) restart sbexec-helper if a program before it died with the
# helper stopped; this script turns that on (SBEXEC_ENSURE_HELPER=1) when a
# helper is running as it starts, as in the test guest.
#
# Exit status 0 only when run_kselftest.sh reported at least one program
# and none failed (run_kselftest.sh's own status does not say).
#
# Meant for the test guest (root, sbexec.ko loaded, sbexec-helper running),
# but runnable anywhere.
#
# Env: SBEXEC_PROJECT         project directory (default: this script's ..);
#                             the installed tests find the CLI, the helper, the bridge,
#                             the fuzzer and the YNL tools there
#      SBEXEC_CLI             the CLI under test (default: its build)
#      SBEXEC_BRIDGE          the bridge under test (default: its build)
#      SBEXEC_TEST_TIMEOUT    seconds per program, for an install this
#                             script makes (default: selftests/settings)
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export SBEXEC_PROJECT=${SBEXEC_PROJECT:-$(dirname "$here")}
export SBEXEC_CLI=${SBEXEC_CLI:-$SBEXEC_PROJECT/user/cli/sbexec}
export SBEXEC_BRIDGE=${SBEXEC_BRIDGE:-$SBEXEC_PROJECT/user/bridge/sbexec-bridge}
pidfile=/run/sbexec-helper.pid

dir=""
if [[ ${1:-} == --installed ]]; then
	dir=${2:?--installed needs DIR}
	shift 2
fi

helper_alive() {
	local pid state
	[[ -s $pidfile ]] || return 1
	pid=$(cat "$pidfile" 2>/dev/null) || return 1
	[[ $pid =~ ^[0-9]+$ && -r /proc/$pid/stat ]] || return 1
	state=$(sed -e 's/^.*) //' -e 's/ .*//' "/proc/$pid/stat" 2>/dev/null) || return 1
	[[ -n $state && $state != Z && $state != X ]]
}
if helper_alive; then
	export SBEXEC_ENSURE_HELPER=${SBEXEC_ENSURE_HELPER:-1}
fi

if [[ -z $dir ]]; then
	dir=$(mktemp -d "${TMPDIR:-/tmp}/sbexec-kselftest.XXXXXX") || exit 1
	tmpdir=$dir
	trap 'rm -rf "$tmpdir"' EXIT
	if ! make -s -C "$here" install INSTALL_PATH="$dir" >"$dir.log" 2>&1; then
		echo "TAP version 13"
		echo "1..1"
		sed 's/^/# /' "$dir.log"
		echo "not ok 1 selftests: sbexec: make -C selftests install failed"
		rm -f "$dir.log"
		exit 1
	fi
	rm -f "$dir.log"
fi
if [[ ! -r $dir/run_kselftest.sh ]]; then
	echo "run_all.sh: $dir/run_kselftest.sh missing (make -C selftests install INSTALL_PATH=$dir)" >&2
	exit 1
fi

# run_kselftest.sh's output goes to a file opened for appending, and from
# there to stdout:
# - not into a pipe it writes to itself: a helper that a test (re)starts
#   inherits the runner's descriptors 3 and 4 (fd 4 is its output) and
#   keeps them open, so a reader of such a pipe would wait for the
#   helper's exit instead of the runner's;
# - appending: runner.sh writes each program's lines through fd 4, opened
#   again on /dev/stdout with O_APPEND; when stdout is a regular file
#   opened without it, the top-level lines overwrite them.
log=$(mktemp "${TMPDIR:-/tmp}/sbexec-kselftest-out.XXXXXX") || exit 1
trap 'rm -rf "$log" ${tmpdir:+"$tmpdir"}' EXIT
"$dir/run_kselftest.sh" "$@" </dev/null >>"$log" 2>&1 &
runner=$!
tail -s 0.2 -n +1 -f --pid="$runner" "$log"
wait "$runner"
rc=$?
((rc == 0)) || echo "# run_all.sh: run_kselftest.sh exited with status $rc"
grep -q '^\(not \)\?ok [0-9]' "$log" && ! grep -q '^not ok [0-9]' "$log"
