#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ynl_smoke.sh: drive the sbexec family with the kernel's generic YNL CLI
# (tools/net/ynl/cli.py) and nothing but Documentation/netlink/specs/
# sbexec.yaml: an exec of /bin/true must be answered with a session-id and
# a pid; then, through ynl's library, an exec with every kind of request
# attribute, a get and a list dump must round-trip. Proves that the spec is
# usable as it stands, not just valid.
#
# Meant for the test guest (root, sbexec.ko loaded, sbexec-helper running);
# cli.py and the schema come from build/ynl/, which scripts/spec-check
# extracts on the host. One cli.py call takes 15 to 40 s under TCG.
# Output is kselftest TAP; exit 0 pass, 1 fail, 4 skip.
#
# Env: SBEXEC_PROJECT   project directory (default: this script's ..)
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
proj=${SBEXEC_PROJECT:-$(dirname "$here")}
PY=/usr/bin/python3
spec=$proj/Documentation/netlink/specs/sbexec.yaml
ynl=$proj/build/ynl/tools/net/ynl
schema=$proj/build/ynl/Documentation/netlink/genetlink-legacy.yaml
KSFT_SKIP=4

echo "TAP version 13"
echo "1..2"

skip() {
	echo "ok 1 ynl_exec_true # SKIP $*"
	echo "ok 2 ynl_session_roundtrip # SKIP $*"
	exit "$KSFT_SKIP"
}
[[ -r $spec ]] || skip "$spec missing"
[[ -r $ynl/cli.py && -r $schema ]] || skip "$ynl/cli.py missing (run scripts/spec-check on the host)"
if [[ ! -x $PY ]] || ! "$PY" -c 'import yaml, jsonschema' 2>/dev/null; then
	skip "$PY with yaml and jsonschema missing"
fi
[[ -d /sys/module/sbexec ]] || skip "sbexec.ko is not loaded"

# The guest may see the project read-only: no bytecode caches.
export PYTHONDONTWRITEBYTECODE=1
failed=0

# cli NAME CHECK ARGS...: run cli.py ARGS; pass when it succeeds and the
# Python expression CHECK holds for r, its last output line as JSON.
cli() {
	local n=$1 name=$2 check=$3 out rc start=$SECONDS
	shift 3
	out=$("$PY" "$ynl/cli.py" --spec "$spec" --schema "$schema" \
		--output-json "$@" 2>&1)
	rc=$?
	echo "# cli.py $*: exit $rc after $((SECONDS - start)) s"
	while IFS= read -r line; do
		echo "# $line"
	done <<<"$out"
	if ((rc == 0)) && "$PY" -c '
import json, sys
r = json.loads(sys.argv[1].strip().splitlines()[-1])
sys.exit(0 if eval(sys.argv[2]) else 1)
' "$out" "$check" 2>/dev/null; then
		echo "ok $n $name"
	else
		echo "not ok $n $name"
		failed=1
	fi
}

# The reply is {"session-id": N, "pid": N}.
cli 1 ynl_exec_true 'r.get("session-id", 0) > 0 and r.get("pid", 0) > 0' \
	--do exec --json '{"cmd": "/bin/true"}'
# One socket for a whole session (a session without keep-running dies with
# the socket that started it): exec with every kind of request attribute
# (multi-attr strings, a nest, flags-free u32), then get and a list dump
# must decode the reply attributes the spec lists, then SIGKILL it.
start=$SECONDS
out=$("$PY" - "$ynl" "$spec" "$schema" 2>&1 <<'PYEOF'
import json, sys
sys.path.insert(0, sys.argv[1])
from lib import YnlFamily
y = YnlFamily(sys.argv[2], sys.argv[3])
r = y.do('exec', {'cmd': '/bin/sleep', 'arg': ['30'], 'env': ['A=1', 'B=2'],
                  'rlimit': [{'name': 'nofile', 'soft': 64, 'hard': 64}],
                  'ring-size': 65536})
def show(m):
    print(json.dumps(m, default=sorted))  # flags decode to a set
show(r)
sid = r['session-id']
g = y.do('get', {'session-id': sid})
show(g)
entries = y.dump('list', {})
show(entries)
y.do('signal', {'session-id': sid, 'signal': 9})
ok = (g['session-id'] == sid and g['pid'] == r['pid'] and
      g['cmd'] == '/bin/sleep' and g['state'] in ('running', 'exited') and
      g['ring-size'] >= 65536 and 'age-ms' in g and 'bytes-out' in g and
      not g.get('flags') and
      any(e['session-id'] == sid for e in entries))
sys.exit(0 if ok else 1)
PYEOF
)
rc=$?
echo "# exec, get, list, signal over one socket: exit $rc after $((SECONDS - start)) s"
while IFS= read -r line; do
	echo "# $line"
done <<<"$out"
if ((rc == 0)); then
	echo "ok 2 ynl_session_roundtrip"
else
	echo "not ok 2 ynl_session_roundtrip"
	failed=1
fi
exit "$failed"
