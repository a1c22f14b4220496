#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# valgrind_test.sh: the CLI and the helper under valgrind, against the real
# module: no memory error and no definite or indirect leak.
#
# CLI: `sbexec run` (pipes, direct output, exit status, a spawn failure), `run -d`,
# `attach`, `ps`, `ps --json` and `kill`, each under valgrind --leak-check=full; its
# exit status must be the command's (valgrind's own error status is 99).
#
# Bridge: sbexec-bridge runs under valgrind on a vsock_loopback port, and
# the CLI, under valgrind too, drives sessions through it with --connect
# (the remote handle's link thread, the stdin thread's shared link, a
# reader's socket pair; two runs only: each costs half a minute under
# TCG); then SIGTERM, and the bridge must exit 0 with a
# clean valgrind log.
#
# Helper: the daemon is stopped and `sbexec-helper` runs in the foreground
# under valgrind; sessions go through it (pipes, pty, a missing command, a
# bad cwd, another user, an rlimit, direct output); then SIGTERM, and it must exit 0 with a
# clean valgrind log. The children it forks run under valgrind until they
# exec (--child-silent-after-fork: their reports would be the parent's
# heap, seen from a process that never frees it). The daemon is restarted
# afterwards.
#
# kselftest TAP on stdout; exit 0 when every step passed, 4 (skip) without
# valgrind.
# Env: SBEXEC_PROJECT, SBEXEC_CLI (as run_all.sh sets them).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
project=${SBEXEC_PROJECT:-$(dirname "$here")}
cli=${SBEXEC_CLI:-$project/user/cli/sbexec}
helper_bin=$project/user/helper/sbexec-helper
pidfile=/run/sbexec-helper.pid
vg_pidfile=/run/sbexec-helper-vg.pid
logs=$(mktemp -d /tmp/valgrind_test.XXXXXX)
trap 'restore; rm -rf "$logs"' EXIT

# shellcheck disable=SC2054 # the commas are valgrind's
VG=(valgrind -q --leak-check=full --show-leak-kinds=definite,indirect
	--errors-for-leak-kinds=definite,indirect --error-exitcode=99
	--child-silent-after-fork=yes)

TAP_PREFIX=valgrind
# shellcheck source=selftests/tap.sh
. "$here/tap.sh"

# The valgrind log of one process, less its notes on ioctls it has no
# wrapper for (the module's own, TIOCGPTPEER): empty when all is well.
vg_findings() {
	grep -v -e 'Warning: noted but unhandled ioctl' -e 'This could cause spurious value errors' \
		-e 'README_MISSING_SYSCALL_OR_IOCTL' "$1" 2>/dev/null
}

daemon_pid() {
	local pid
	pid=$(cat "$pidfile" 2>/dev/null) || return 1
	[[ $pid =~ ^[0-9]+$ ]] && alive "$pid" && echo "$pid"
}

# shellcheck disable=SC2317 # called from the EXIT trap
restore() {
	daemon_pid >/dev/null && return
	rm -f "$pidfile"
	timeout 30 "$helper_bin" --daemon --pidfile "$pidfile" </dev/null >/dev/null 2>&1
}

# vg_cli NAME WANT_STATUS WANT_STDOUT ARGS...: the CLI under valgrind
# (WANT_STDOUT '*': any).
vg_cli() {
	local name=$1 want=$2 want_out=$3 out rc
	shift 3
	out=$(timeout 300 "${VG[@]}" --log-file="$logs/$name.vg" "$cli" "$@" 2>"$logs/$name.err")
	rc=$?
	[[ $want_out == '*' ]] && want_out=$out
	if ((rc == want)) && [[ $out == "$want_out" && -z $(vg_findings "$logs/$name.vg") ]]; then
		ok "cli_$name"
	else
		not_ok "cli_$name" "sbexec $*: status $rc (want $want), stdout '$out' (want '$want_out')" \
			"stderr: $(head -c 300 "$logs/$name.err")" \
			"valgrind: $(vg_findings "$logs/$name.vg" | head -n 30 | tr '\n' '|')"
	fi
}

echo "TAP version 13"
if ! command -v valgrind >/dev/null; then
	echo "ok 1 valgrind # SKIP valgrind is not installed"
	echo "1..1"
	exit 4
fi
if [[ ! -c /dev/sbexec ]] || ! daemon_pid >/dev/null; then
	not_ok preconditions "sbexec.ko loaded and sbexec-helper running ($pidfile)"
	finish
fi

# --- the CLI -------------------------------------------------------------
vg_cli run_pipes 3 out run -- sh -c 'echo out; echo err >&2; exit 3'
vg_cli run_direct 3 out run --direct-output -- sh -c 'echo out; echo err >&2; exit 3'
vg_cli run_not_found 127 "" run -- /sbexec/no/such/command
id=$(timeout 60 "$cli" run -d -- sh -c 'echo detached; exec sleep 1000')
if [[ $id =~ ^[0-9]+$ ]]; then
	vg_cli ps 0 '*' ps
	vg_cli ps_json 0 '*' ps --json
	vg_cli kill 0 "" kill "$id" KILL
	vg_cli attach $((128 + 9)) detached attach "$id"
else
	not_ok cli_detached "sbexec run -d: '$id'"
fi
vg_cli run_detached 0 '*' run -d -- true

# --- the bridge and the remote CLI ---------------------------------------
bridge_bin=$project/user/bridge/sbexec-bridge
# A module in Debian's kernels; built in (/dev/vsock there) in the debug one.
# SBEXEC_VALGRIND_BRIDGE=0 (make check-debug): not here. What valgrind
# finds in these user programs does not depend on the kernel, and make
# check and KERNEL=6.12 run them.
if [[ ${SBEXEC_VALGRIND_BRIDGE:-1} == 0 ]]; then
	echo "# the bridge's cases: not in this run (SBEXEC_VALGRIND_BRIDGE=0)"
elif modprobe vsock_loopback 2>"$logs/modprobe.err" || [[ -e /dev/vsock ]]; then
	"${VG[@]}" --log-file="$logs/bridge.vg" "$bridge_bin" --vsock 5152 --any-cid \
		2>"$logs/bridge.log" </dev/null &
	bpid=$!
	for _ in $(seq 600); do
		grep -q '^sbexec-bridge: ready' "$logs/bridge.log" && break
		alive "$bpid" || break
		sleep 0.1
	done
	remote=(--connect vsock:1:5152)
	vg_cli remote_run 3 out "${remote[@]}" run -- sh -c 'echo out; echo err >&2; exit 3'
	out=$(echo piped | timeout 300 "${VG[@]}" --log-file="$logs/remote_stdin.vg" \
		"$cli" "${remote[@]}" run -i -- cat 2>"$logs/remote_stdin.err")
	rc=$?
	if ((rc == 0)) && [[ $out == piped && -z $(vg_findings "$logs/remote_stdin.vg") ]]; then
		ok cli_remote_stdin
	else
		not_ok cli_remote_stdin "status $rc, stdout '$out'" \
			"stderr: $(head -c 300 "$logs/remote_stdin.err")" \
			"valgrind: $(vg_findings "$logs/remote_stdin.vg" | head -n 30 | tr '\n' '|')"
	fi
	kill -TERM "$bpid" 2>/dev/null
	wait "$bpid"
	rc=$?
	if ((rc == 0)) && [[ -z $(vg_findings "$logs/bridge.vg") ]]; then
		ok bridge_clean_exit
	else
		not_ok bridge_clean_exit "sbexec-bridge under valgrind: status $rc (want 0)" \
			"log: $(tail -n 5 "$logs/bridge.log" | tr '\n' '|')" \
			"valgrind: $(vg_findings "$logs/bridge.vg" | head -n 30 | tr '\n' '|')"
	fi
else
	not_ok bridge "modprobe vsock_loopback: $(cat "$logs/modprobe.err")"
fi

# --- the helper ----------------------------------------------------------
hpid=$(daemon_pid)
kill -TERM "$hpid"
for _ in $(seq 100); do alive "$hpid" || break; sleep 0.1; done
if alive "$hpid"; then
	not_ok helper_daemon_stopped "pid $hpid ignored SIGTERM"
	finish
fi
rm -f "$vg_pidfile"
"${VG[@]}" --log-file="$logs/helper.vg" "$helper_bin" --pidfile "$vg_pidfile" \
	--log "$logs/helper.log" </dev/null &
vg=$!
for _ in $(seq 600); do [[ -s $vg_pidfile ]] && break; alive "$vg" || break; sleep 0.1; done
if [[ ! -s $vg_pidfile ]]; then
	not_ok helper_registered "sbexec-helper under valgrind did not register in 60 s" \
		"$(cat "$logs/helper.log" 2>/dev/null)" "$(head -n 20 "$logs/helper.vg" 2>/dev/null)"
	kill -KILL "$vg" 2>/dev/null
	finish
fi
ok helper_registered

bad=()
# run_through WANT_STATUS WANT_STDOUT ARGS...
run_through() {
	local want=$1 want_out=$2 out rc
	shift 2
	out=$(timeout 120 "$cli" "$@" 2>>"$logs/through.err" </dev/null)
	rc=$?
	((rc == want)) && [[ $out == "$want_out" ]] ||
		bad+=("sbexec $*: status $rc (want $want), stdout '$out' (want '$want_out')")
}
run_through 0 pipes run -- sh -c 'echo pipes'
run_through 4 "" run -- sh -c 'exit 4'
run_through 0 $'tty\r' run -t -- sh -c 'echo tty'
run_through 127 "" run -- /sbexec/no/such/command
run_through 126 "" run -w /sbexec/no/such/dir -- true
run_through 0 65534 run -u 65534 -- id -u
run_through 0 0 run --rlimit core=0 -- sh -c 'ulimit -c'
run_through 5 direct run --direct-output -- sh -c 'echo direct; exit 5'
if ((${#bad[@]})); then
	not_ok helper_sessions "${bad[@]}" "$(tail -c 500 "$logs/through.err")"
else
	ok helper_sessions
fi

kill -TERM "$vg"
wait "$vg"
rc=$?
if ((rc == 0)) && [[ -z $(vg_findings "$logs/helper.vg") ]]; then
	ok helper_clean_exit
else
	not_ok helper_clean_exit "sbexec-helper under valgrind: status $rc (want 0)" \
		"valgrind: $(vg_findings "$logs/helper.vg" | head -n 40 | tr '\n' '|')"
fi
rm -f "$vg_pidfile"
finish
