#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run_host.sh [LIST]
#
# Run the host-side selftests: the programs LIST (default: host.list beside
# this script) names, one per line (relative to this directory; '#' starts
# a comment), ON THE HOST against sbexec-bridge in a test guest. Meant to be
# run by `scripts/vm --host selftests/run_host.sh` (scripts/check does, in
# one boot after the guest suite's), which exports SBEXEC_CONNECT.
#
# Output: TAP in run_kselftest.sh's nested form, so scripts/check counts it
# as it counts run_all.sh's: "ok N selftests: sbexec-host: PROGRAM" per
# program, each program's own TAP under it with "# " in front. A program
# that exits 4 (KSFT_SKIP) is skipped; one that is not there (not built) is
# skipped with "not built"; one still running after the timeout is killed
# and fails.
#
# Exit status 0 when no program failed (an empty list or nothing built
# is not a failure here: scripts/check decides whether to boot at all).
#
# Env: SBEXEC_PROJECT       project directory (default: this script's ..)
#      SBEXEC_TEST_TIMEOUT  seconds per program (default: ./settings)
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export SBEXEC_PROJECT=${SBEXEC_PROJECT:-$(dirname "$here")}
export SBEXEC_CLI=${SBEXEC_CLI:-$SBEXEC_PROJECT/user/cli/sbexec}
list=${1:-$here/host.list}
collection=sbexec-host

progs=()
if [[ -r $list ]]; then
	mapfile -t progs < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e 's/^[[:space:]]*//' -e '/^$/d' "$list")
fi
secs=${SBEXEC_TEST_TIMEOUT:-$(sed -n 's/^timeout=//p' "$here/settings" 2>/dev/null)}
[[ $secs =~ ^[1-9][0-9]*$ ]] || secs=1200

out=$(mktemp "${TMPDIR:-/tmp}/sbexec-host-test.XXXXXX") || exit 1
trap 'rm -f "$out"' EXIT

echo "TAP version 13"
echo "1..${#progs[@]}"
i=0 failed=0
for p in "${progs[@]}"; do
	i=$((i + 1))
	line="selftests: $collection: $p"
	echo "# timeout set to $secs"
	echo "# $line"
	if [[ ! -x $here/$p ]]; then
		echo "ok $i $line # SKIP not built"
		continue
	fi
	# Into a file, not a pipe: a process the test leaves behind must not
	# hold this runner up.
	(cd "$here" && exec timeout -k 5 "$secs" "./$p") </dev/null >"$out" 2>&1
	rc=$?
	sed 's/^/# /' "$out"
	case $rc in
	0) echo "ok $i $line" ;;
	4) echo "ok $i $line # SKIP" ;;
	124) echo "not ok $i $line # TIMEOUT $secs seconds"; failed=$((failed + 1)) ;;
	*) echo "not ok $i $line # exit=$rc"; failed=$((failed + 1)) ;;
	esac
done
((failed == 0))
