#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fuzz_smoke.sh: send 50,000 random and malformed messages to the sbexec
# family and /dev/sbexec with tools/fuzz/sbexec-fuzz, then check that a
# normal session still runs: `sbexec run -- sh -c 'echo ok'` must print ok.
# The fuzzer watches the kernel log itself (scripts/dmesg-patterns) and
# stops at the first unexpected condition; its summary (messages per
# operation, errno histogram, seed) is printed as TAP comments.
# Then a bridge phase: sbexec-bridge on a vsock_loopback port (started and
# stopped here), 5,000 frames of `sbexec-fuzz --bridge` at it (REQUESTs
# carrying generated messages, ATTACH/CREDIT/DETACH, malformed frames); the
# bridge must stay alive and still answer a fresh HELLO and an EXEC.
#
# Meant for the test guest (root, sbexec.ko loaded, sbexec-helper running).
# Output: kselftest TAP, "ok 1 fuzz 50000 messages" and "ok 2 bridge 5000
# frames" (or "not ok"); exit 0 pass, 1 fail, 4 skip.
#
# Env: SBEXEC_PROJECT      project directory (default: this script's ..)
#      SBEXEC_CLI          the CLI (default: its build)
#      SBEXEC_FUZZ_SEED    seed (default: a random one, printed)
#      SBEXEC_FUZZ_COUNT   messages (default 50000)
#      SBEXEC_FUZZ_JOBS    parallel fuzzer processes (default 1)
#      SBEXEC_FUZZ_BRIDGE_FRAMES  frames of the bridge phase (default 5000;
#                          0: no bridge phase)
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=selftests/ensure_helper.sh
. "$here/ensure_helper.sh"
proj=${SBEXEC_PROJECT:-$(dirname "$here")}
cli=${SBEXEC_CLI:-$proj/user/cli/sbexec}
fuzz=$proj/tools/fuzz/sbexec-fuzz
count=${SBEXEC_FUZZ_COUNT:-50000}
jobs=${SBEXEC_FUZZ_JOBS:-1}
seed=${SBEXEC_FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
name="fuzz $count messages"
bframes=${SBEXEC_FUZZ_BRIDGE_FRAMES:-5000}
bridge=$proj/user/bridge/sbexec-bridge
bport=5152
bname="bridge $bframes frames"

echo "TAP version 13"
echo "1..2"
if [[ ! -x $fuzz ]]; then
	echo "not ok 1 $name # $fuzz is not built (run make)"
	echo "not ok 2 $bname # $fuzz is not built (run make)"
	exit 1
fi
if [[ ! -d /sys/module/sbexec ]]; then
	echo "ok 1 $name # SKIP sbexec.ko is not loaded"
	echo "ok 2 $bname # SKIP sbexec.ko is not loaded"
	exit 4
fi

echo "# seed $seed: replay with $fuzz --seed $seed --count $count --jobs $jobs"
start=$SECONDS
"$fuzz" --seed "$seed" --count "$count" --jobs "$jobs" \
	--patterns "$proj/scripts/dmesg-patterns" 2>&1 |
	sed -u 's/^/# /'
rc=${PIPESTATUS[0]}
echo "# sbexec-fuzz exited with status $rc after $((SECONDS - start)) s"

out=$("$cli" run -- sh -c 'echo ok' 2>&1)
run_rc=$?
echo "# sbexec run -- sh -c 'echo ok': status $run_rc, output: $out"

fail=0
if ((rc != 0)); then
	echo "not ok 1 $name # sbexec-fuzz status $rc (seed $seed)"
	fail=1
elif ((run_rc != 0)) || [[ $out != ok ]]; then
	echo "not ok 1 $name # a normal session failed afterwards (seed $seed)"
	fail=1
else
	echo "ok 1 $name"
fi

# ---- the bridge phase ----
bridge_phase() {
	local work bpid brc out2 run2_rc

	if ((bframes == 0)); then
		echo "ok 2 $bname # SKIP SBEXEC_FUZZ_BRIDGE_FRAMES=0"
		return 0
	fi
	if [[ ! -x $bridge ]]; then
		echo "not ok 2 $bname # $bridge is not built (run make)"
		return 1
	fi
	# A module in Debian's kernel, built in (/dev/vsock there) in the debug one.
	if ! modprobe vsock_loopback 2>/dev/null && [[ ! -e /dev/vsock ]]; then
		echo "ok 2 $bname # SKIP no AF_VSOCK (modprobe vsock_loopback failed)"
		return 0
	fi
	work=$(mktemp -d)
	"$bridge" --vsock "$bport" --any-cid 2>"$work/bridge.log" &
	bpid=$!
	for _ in $(seq 200); do
		grep -q '^sbexec-bridge: ready' "$work/bridge.log" 2>/dev/null && break
		sleep 0.05
	done
	if ! grep -q '^sbexec-bridge: ready' "$work/bridge.log"; then
		echo "not ok 2 $bname # sbexec-bridge did not start"
		sed 's/^/#   /' "$work/bridge.log"
		kill -TERM "$bpid" 2>/dev/null
		wait "$bpid" 2>/dev/null
		rm -rf "$work"
		return 1
	fi
	echo "# bridge phase: replay with $fuzz --seed $seed --count $bframes --bridge vsock:1:$bport"
	start=$SECONDS
	"$fuzz" --seed "$seed" --count "$bframes" --bridge "vsock:1:$bport" \
		--bridge-pid "$bpid" --bridge-check 1000 \
		--patterns "$proj/scripts/dmesg-patterns" 2>&1 | sed -u 's/^/# /'
	brc=${PIPESTATUS[0]}
	echo "# sbexec-fuzz --bridge exited with status $brc after $((SECONDS - start)) s"
	alive=1
	kill -0 "$bpid" 2>/dev/null || alive=0
	kill -TERM "$bpid" 2>/dev/null
	wait "$bpid"
	bstatus=$?
	echo "# sbexec-bridge: $(grep -c . "$work/bridge.log") log lines, exit status $bstatus after SIGTERM"
	if ((brc != 0 || !alive)); then
		echo "# sbexec-bridge's log (last 30 lines):"
		tail -n 30 "$work/bridge.log" | sed 's/^/#   /'
	fi
	rm -rf "$work"
	out2=$("$cli" run -- sh -c 'echo ok' 2>&1)
	run2_rc=$?
	if ((brc != 0)); then
		echo "not ok 2 $bname # sbexec-fuzz --bridge status $brc (seed $seed)"
		return 1
	fi
	if ((!alive)); then
		echo "not ok 2 $bname # sbexec-bridge died (seed $seed)"
		return 1
	fi
	if ((run2_rc != 0)) || [[ $out2 != ok ]]; then
		echo "not ok 2 $bname # a normal session failed afterwards: $out2 (seed $seed)"
		return 1
	fi
	echo "ok 2 $bname"
}
bridge_phase || fail=1
exit "$fail"
