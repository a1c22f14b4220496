#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bridge_vsock.sh: host_test over AF_VSOCK, inside the guest.
#
# This machine has no /dev/vhost-vsock, so QEMU cannot give the guest a
# vsock to the host; vsock_loopback gives the guest one to itself. This
# starts sbexec-bridge on a loopback port (--any-cid: the peer is CID 1,
# not the host's 2), restarting it whenever it exits as a service manager
# would (host_test's bridge_restart_keeps_sessions kills it), and runs
# host_test with SBEXEC_CONNECT=vsock:1:PORT: the same cases the host runs
# over virtio-serial under `scripts/vm --host`, here over vsock, one link
# per connection.
#
# Meant for the test guest (root, sbexec.ko loaded, sbexec-helper running).
# Output is host_test's kselftest TAP (or one failed "setup" test).
#
# Env: SBEXEC_PROJECT   project directory (default: this script's ..)
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TAP_PREFIX=bridge_vsock
# shellcheck source=selftests/tap.sh
. "$here/tap.sh"

top=${SBEXEC_PROJECT:-$(dirname "$here")}
bridge=$top/user/bridge/sbexec-bridge
port=5151
work=$(mktemp -d)
log=$work/bridge.log
loop=""

cleanup() {
	touch "$work/stop"
	if [[ -n $loop ]]; then
		pkill -TERM -P "$loop" -x sbexec-bridge 2>/dev/null
		wait "$loop" 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT

setup_failed() {
	echo "TAP version 13"
	not_ok setup "$@"
	finish
}

[[ -x $bridge ]] || setup_failed "$bridge missing (make)"
# A module in Debian's kernels; built in (/dev/vsock there) in the debug one.
modprobe vsock_loopback 2>"$work/modprobe" || [[ -e /dev/vsock ]] ||
	setup_failed "modprobe vsock_loopback failed: $(cat "$work/modprobe")"

(
	until [[ -e $work/stop ]]; do
		"$bridge" --vsock "$port" --any-cid 2>>"$log"
		sleep 0.1
	done
) &
loop=$!
for _ in $(seq 200); do
	grep -q '^sbexec-bridge: ready' "$log" 2>/dev/null && break
	sleep 0.05
done
grep -q '^sbexec-bridge: ready' "$log" 2>/dev/null ||
	setup_failed "sbexec-bridge did not start:" "$(cat "$log" 2>/dev/null)"

SBEXEC_CONNECT=vsock:1:$port "$here/host_test"
rc=$?
if ((rc)); then
	echo "# sbexec-bridge's log:"
	sed 's/^/#   /' "$log"
fi
exit "$rc"
