# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# tap.sh: kselftest TAP and process helpers for the shell selftests.
# Source it after setting TAP_PREFIX (test names become PREFIX.NAME).
#
#   ok NAME                  a passed test
#   not_ok NAME [LINE...]    a failed test, each LINE as a "# " comment
#   skip NAME REASON         a skipped test
#   finish                   the plan; exit 0 only when nothing failed
#   alive PID                PID exists and is not a zombie
#   wait_dead PID SECS       PID gone or a zombie within SECS
#
# Sourcing it also sources ensure_helper.sh (restarts a dead helper under
# run_all.sh; see there).

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n $TAP_PREFIX.$1"; }
not_ok() {
	local name=$1 l
	shift
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n $TAP_PREFIX.$name"
	for l in "$@"; do echo "# $l"; done
}
skip() { n=$((n + 1)); echo "ok $n $TAP_PREFIX.$1 # SKIP $2"; }
finish() {
	echo "1..$n"
	echo "# $TAP_PREFIX: $n tests, $failed failed"
	((failed == 0))
	exit
}

alive() {
	local stat state
	read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
	state=${stat##*) }
	state=${state%% *}
	[[ -n $state && $state != Z && $state != X ]]
}

wait_dead() {
	local deadline=$((SECONDS + $2))
	while alive "$1"; do
		((SECONDS < deadline)) || return 1
		sleep 0.05
	done
}

# shellcheck source=selftests/ensure_helper.sh
. "$(dirname "${BASH_SOURCE[0]}")/ensure_helper.sh"
