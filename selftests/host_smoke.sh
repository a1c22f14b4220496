#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# host_smoke.sh: the host's link to sbexec-bridge answers. Runs ON THE HOST
# (selftests/host.list, through `scripts/vm --host`): SBEXEC_CONNECT is
# unix:PATH, PATH the unix socket of QEMU's chardev behind the guest's
# virtio-serial port org.sbexec.0. Checks that the socket is there, that a
# HELLO frame (include/uapi/linux/sbexec_bridge.h) is answered with a HELLO
# carrying the magic, version 1, a family id and a frame limit, and that a
# second connection (the host's clients connect once per call) gets its
# own HELLO answered too. Skipped (exit 4) without SBEXEC_CONNECT.
set -uo pipefail

TAP_PREFIX=host_smoke
# shellcheck source=selftests/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"

echo "TAP version 13"
if [[ -z ${SBEXEC_CONNECT:-} ]]; then
	echo "1..0 # SKIP SBEXEC_CONNECT not set (run through scripts/vm --host)"
	exit 4
fi
py=/usr/bin/python3
[[ -x $py ]] || py=$(command -v python3) || py=""

sock=${SBEXEC_CONNECT#unix:}
if [[ $SBEXEC_CONNECT == unix:* && -n $sock ]]; then
	ok connect_is_unix
else
	not_ok connect_is_unix "SBEXEC_CONNECT='$SBEXEC_CONNECT' is not unix:PATH"
	finish
fi
if [[ -S $sock ]]; then
	ok socket_exists
else
	not_ok socket_exists "$sock is not a socket"
	finish
fi

# hello NAME: one connection, one HELLO each way.
hello() {
	local name=$1 res
	if [[ -z $py ]]; then
		skip "$name" "no python3 on the host"
		return
	fi
	if res=$("$py" - "$sock" <<'PY' 2>&1
import socket, struct, sys

MAGIC, VERSION, MAX_FRAME, HELLO = 0x42584253, 1, 1024 * 1024, 1
FRAME, HELLO_P = "<IHHIi", "<IHHII"

s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(60)
s.connect(sys.argv[1])
TAG = b"SBXSYNC\n"
body = struct.pack(HELLO_P, MAGIC, VERSION, 0, 0, MAX_FRAME)
# The sync preamble (protocol step 0), then HELLO.
s.sendall(b"\xff" * (256 - len(TAG)) + TAG +
          struct.pack(FRAME, len(body), HELLO, 0, 0, 0) + body)

def read(n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            sys.exit("link closed after %d of %d bytes" % (len(b), n))
        b += c
    return b

seen = b""
while not seen.endswith(TAG):
    seen = (seen + read(1))[-len(TAG):]
ln, typ, flags, session, arg = struct.unpack(FRAME, read(struct.calcsize(FRAME)))
payload = read(ln) if ln <= MAX_FRAME else b""
if typ != HELLO:
    sys.exit("answer is frame type %d (len %d): %r" % (typ, ln, payload[:200]))
if ln != struct.calcsize(HELLO_P) or flags or session or arg:
    sys.exit("HELLO answer: len %d flags %d session %d arg %d" % (ln, flags, session, arg))
magic, version, reserved, family, max_frame = struct.unpack(HELLO_P, payload)
if magic != MAGIC:
    sys.exit("magic %#x, not %#x" % (magic, MAGIC))
if version < 1:
    sys.exit("version %d" % version)
if not family or not max_frame or reserved:
    sys.exit("family %d max_frame %d reserved %d" % (family, max_frame, reserved))
print("bridge version %d, family %d, max_frame %d" % (version, family, max_frame))
PY
	); then
		echo "# $res"
		ok "$name"
	else
		not_ok "$name" "$res"
	fi
}
hello hello
hello hello_again
finish
