#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run_all.sh: run every sbexec selftest program, in the order of
# tests.list (written by `make -C selftests`), as one kselftest TAP stream.
#
# Each program's "ok N" / "not ok N" result lines stay at column 0,
# renumbered to run on across programs; its own "TAP version" line is
# dropped, and its plan and any other line (logged output) become comments,
# so only real results count; the plan for the whole run comes last. A program
# that fails without reporting a failing test (crash, timeout, missing
# binary) gets a "not ok" line of its own. Exit status 0 only when every
# program passed.
#
# Meant for the test guest (root, sbexec.ko loaded, sbexec-helper running,
# cwd the project directory), but runnable anywhere.
#
# Env: SBEXEC_PROJECT         project directory (default: this script's ..)
#      SBEXEC_CLI             the CLI under test (default: its build)
#      SBEXEC_TEST_TIMEOUT    seconds per program (default 1200)
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export SBEXEC_PROJECT=${SBEXEC_PROJECT:-$(dirname "$here")}
export SBEXEC_CLI=${SBEXEC_CLI:-$SBEXEC_PROJECT/user/cli/sbexec}
per_test_timeout=${SBEXEC_TEST_TIMEOUT:-1200}
pidfile=/run/sbexec-helper.pid

helper_alive() {
	local pid state
	[[ -s $pidfile ]] || return 1
	pid=$(cat "$pidfile" 2>/dev/null) || return 1
	[[ $pid =~ ^[0-9]+$ && -r /proc/$pid/stat ]] || return 1
	state=$(sed -e 's/^.*) //' -e 's/ .*//' "/proc/$pid/stat" 2>/dev/null) || return 1
	[[ -n $state && $state != Z && $state != X ]]
}

# A test that stops the helper restarts it; if it died with the helper
# down, the next program would fail for nothing. Say so and restart.
helper_was_running=0
helper_alive && helper_was_running=1
ensure_helper() {
	((helper_was_running)) || return 0
	helper_alive && return 0
	echo "# run_all: sbexec-helper is not running: restarting it"
	sbexec-helper --daemon --pidfile "$pidfile" </dev/null >/dev/null 2>&1 ||
		echo "# run_all: restarting sbexec-helper failed"
}

list=$here/tests.list
if [[ -s $list ]]; then
	mapfile -t tests < <(grep -v '^[[:space:]]*$' "$list")
else
	echo "# run_all: $list missing (run make -C selftests); using the default list"
	tests=(exec_test cli_test)
fi

echo "TAP version 13"
total=0
failed=0
counts=$(mktemp)
trap 'rm -f "$counts"' EXIT

for t in "${tests[@]}"; do
	echo "# selftests: $t"
	if [[ ! -x $here/$t ]]; then
		total=$((total + 1))
		echo "not ok $total selftests: $t # program missing (not built)"
		failed=$((failed + 1))
		continue
	fi
	ensure_helper
	timeout -k 10 "$per_test_timeout" "$here/$t" 2>&1 |
		awk -v base="$total" -v counts="$counts" '
		/^TAP version/ { next }
		# A result line as kselftest_harness.h prints it, or as a
		# TEST_PROGS script does ("ok 1 fuzz 50000 messages").
		/^(not )?ok [0-9]+ [A-Za-z0-9_]+([.][A-Za-z0-9_.]+|( [^#]*[^# ])?)( # .*)?$/ {
			n++
			if ($1 == "not") { bad++; sub(/^not ok [0-9]+/, "not ok " base + n) }
			else { sub(/^ok [0-9]+/, "ok " base + n) }
			print; fflush(); next
		}
		/^#/ { print; fflush(); next }
		# Anything else (the plan, logged data) becomes a comment, so
		# that only real results count.
		{ print "# " $0; fflush() }
		END { print n + 0, bad + 0 > counts }'
	rc=${PIPESTATUS[0]}
	read -r ran bad <"$counts"
	total=$((total + ran))
	if ((rc != 0)); then
		failed=$((failed + 1))
		if ((bad == 0)); then
			total=$((total + 1))
			if ((rc == 124 || rc == 137)); then
				why="killed after ${per_test_timeout} s"
			else
				why="exited with status $rc"
			fi
			echo "not ok $total selftests: $t # $why without a failing test"
		fi
	elif ((ran == 0)); then
		total=$((total + 1))
		failed=$((failed + 1))
		echo "not ok $total selftests: $t # ran no tests"
	fi
	echo "# selftests: $t: exit status $rc"
done

echo "1..$total"
echo "# run_all: ${#tests[@]} programs, $failed failed"
((failed == 0))
