#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ynl_smoke.sh: drive the sbexec family with the kernel's generic YNL CLI
# (tools/net/ynl/cli.py) and nothing but the shipped spec,
# Documentation/netlink/specs/sbexec.yaml. Proves that the spec is usable
# as it stands, not just valid, and that the README's example works.
#
#   ynl.readme_line        the cli.py line of README.md's "The YNL spec"
#                          section, run exactly as written from the project
#                          directory: an exec of /bin/true answered with a
#                          session-id and a pid
#   ynl.events             --subscribe events --sleep 10 while sessions
#                          start and end (`sbexec run -- /bin/true` in a
#                          loop, for as long as cli.py runs): an
#                          event-started and an event-exited (exit code 0)
#                          for the same session
#   ynl.exec_keep_running  --do exec of a keep-running /bin/sleep with every
#                          kind of request attribute (multi-attr strings, a
#                          multi-attr nest, a flags enum, u32): its ids
#   ynl.list_dump          --dump list has the session, running
#   ynl.get_signal         --multi get + signal 9 in one request: get decodes
#                          every reply attribute the spec lists, signal is
#                          acked
#   ynl.signal_delivered   the session ended by SIGKILL: `sbexec attach` (the
#                          project's CLI, which also frees the kept session)
#                          exits 128+9
#
# Five cli.py calls in all (each takes 4 to 40 s under TCG). Events are
# subscribed to without a request: 6.12's cli.py crashes (AttributeError
# on op.attr_set) when a notification arrives before its request's answer,
# as event-started does before exec's reply.
#
# Meant for the test guest (root, sbexec.ko loaded, sbexec-helper running).
# cli.py comes from build/ynl/ (scripts/spec-check, part of make lint,
# extracts it from linux-source-6.12) and runs under Debian's
# /usr/bin/python3 (python3-yaml). Output is kselftest TAP; exit 0 pass, 1
# fail, 4 skip.
#
# Env: SBEXEC_PROJECT   project directory (default: this script's ..)
#      SBEXEC_CLI       the CLI (default: its build)
#      SBEXEC_YNL       the directory of cli.py (default:
#                       $SBEXEC_PROJECT/build/ynl/tools/net/ynl)
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
proj=${SBEXEC_PROJECT:-$(dirname "$here")}
cli=${SBEXEC_CLI:-$proj/user/cli/sbexec}
[[ -x $cli ]] || cli=sbexec
PY=/usr/bin/python3
spec=$proj/Documentation/netlink/specs/sbexec.yaml
ynl=${SBEXEC_YNL:-$proj/build/ynl/tools/net/ynl}
readme=$proj/README.md
KSFT_SKIP=4
tests=(readme_line events exec_keep_running list_dump get_signal signal_delivered)

TAP_PREFIX=ynl
# shellcheck source=selftests/tap.sh
. "$here/tap.sh"

echo "TAP version 13"

skip_all() {
	local t
	for t in "${tests[@]}"; do
		skip "$t" "$*"
	done
	echo "1..$n"
	exit "$KSFT_SKIP"
}
[[ -r $spec ]] || skip_all "$spec missing"
[[ -r $ynl/cli.py ]] || skip_all "$ynl/cli.py missing (make lint, or scripts/spec-check, extracts it)"
if [[ ! -x $PY ]] || ! "$PY" -c 'import yaml' 2>/dev/null; then
	skip_all "$PY with the yaml module missing"
fi
[[ -d /sys/module/sbexec ]] || skip_all "sbexec.ko is not loaded"

# The guest sees the project read-only: no bytecode caches.
export PYTHONDONTWRITEBYTECODE=1

# run DESCRIPTION CMD...: run CMD, its output in $out (and as comments),
# its exit status in $rc.
run() {
	local what=$1 start=$SECONDS line
	shift
	out=$("$@" 2>&1)
	rc=$?
	echo "# $what: exit $rc after $((SECONDS - start)) s"
	[[ -n $out ]] || return 0
	while IFS= read -r line; do
		echo "# $line"
	done <<<"$out"
}

# ynl ARGS...: cli.py on the shipped spec, JSON output.
ynl() {
	run "cli.py $*" "$PY" "$ynl/cli.py" --spec "$spec" --no-schema --output-json "$@"
}

# check EXPR: the Python expression EXPR holds, with r the list of the JSON
# lines of $out (cli.py prints the reply, then the notifications) and sid,
# pid the session's ids.
check() {
	"$PY" - "$out" "$1" "${sid:-0}" "${pid:-0}" <<'PYEOF'
import json, sys
r = []
for line in sys.argv[1].splitlines():
    try:
        r.append(json.loads(line))
    except ValueError:
        pass
sid, pid = int(sys.argv[3]), int(sys.argv[4])
sys.exit(0 if eval(sys.argv[2]) else 1)
PYEOF
}

# 1. The README's line, exactly. It prints the reply with pprint.
line=$(awk '/^## /{ sec = ($0 == "## The YNL spec") } sec && /^```/{ code = !code; next }
	sec && code && /cli\.py/' "$readme" 2>/dev/null)
if [[ $(grep -c . <<<"$line") != 1 ]]; then
	not_ok readme_line "no single cli.py line in a code block of README.md's \"The YNL spec\" section"
else
	run "README.md: $line" bash -c "cd $(printf '%q' "$proj") && $line"
	if ((rc == 0)) && "$PY" - "$out" <<'PYEOF'; then
import ast, sys
r = None
for line in sys.argv[1].splitlines():
    if line.startswith('{'):
        r = ast.literal_eval(line)
sys.exit(0 if r and r.get('session-id', 0) > 0 and r.get('pid', 0) > 0 else 1)
PYEOF
		ok readme_line
	else
		not_ok readme_line
	fi
fi

# 2. Events: cli.py subscribes, sleeps 10 s and prints what came. It takes
# seconds to start, so sessions start and end all the while it runs.
evout=$(mktemp /tmp/ynl_smoke.XXXXXX)
start=$SECONDS
timeout 300 "$PY" "$ynl/cli.py" --spec "$spec" --no-schema --output-json \
	--subscribe events --sleep 10 >"$evout" 2>&1 &
listener=$!
runs=0
while alive "$listener"; do
	"$cli" run -- /bin/true >/dev/null 2>&1
	runs=$((runs + 1))
	sleep 0.5
done
wait "$listener"
rc=$?
out=$(cat "$evout")
rm -f "$evout"
echo "# cli.py --subscribe events --sleep 10: exit $rc after $((SECONDS - start)) s, $runs sessions meanwhile"
while IFS= read -r line; do
	echo "# $line"
done <<<"$out"
if ((rc == 0)) && check 'any(s["name"] == "event-started" and any(e["name"] == "event-exited" and
		e["msg"].get("session-id") == s["msg"].get("session-id") and
		e["msg"].get("pid") == s["msg"].get("pid") and
		e["msg"].get("exit", {}).get("code") == 0 for e in r[-1]) for s in r[-1])'; then
	ok events
else
	not_ok events
fi

# 3. A kept session (it outlives cli.py's socket), started with every kind
# of request attribute.
sid=0 pid=0
ynl --do exec --json '{"cmd": "/bin/sleep", "arg": ["300"],
	"env": ["A=1", "B=2"], "rlimit": [{"name": "nofile", "soft": 64, "hard": 64}],
	"flags": ["keep-running"], "ring-size": 65536}'
if ((rc == 0)); then
	read -r sid pid < <("$PY" -c '
import json, sys
for line in sys.argv[1].splitlines():
    try:
        r = json.loads(line)
    except ValueError:
        continue
    if isinstance(r, dict):
        print(r.get("session-id", 0), r.get("pid", 0))
        break
' "$out")
fi
sid=${sid:-0} pid=${pid:-0}
if ((rc == 0 && sid > 0 && pid > 0)); then
	ok exec_keep_running
else
	not_ok exec_keep_running "session $sid, pid $pid"
fi

if ((sid > 0)); then
	# 4. The list dump.
	ynl --dump list
	if ((rc == 0)) && check 'any(e["session-id"] == sid and e["pid"] == pid and
		e["state"] == "running" and e["cmd"] == "/bin/sleep" for e in r[0])'; then
		ok list_dump
	else
		not_ok list_dump
	fi

	# 5. get and signal in one request (the replies: get's, then None).
	ynl --multi get "{\"session-id\": $sid}" --multi signal "{\"session-id\": $sid, \"signal\": 9}"
	signalled=$rc
	if ((rc == 0)) && check 'r[0][1] is None and (lambda g: g["session-id"] == sid and
		g["pid"] == pid and g["cmd"] == "/bin/sleep" and g["state"] == "running" and
		g["ring-size"] >= 65536 and "age-ms" in g and "bytes-out" in g and
		g["flags"] == ["keep-running"])(r[0][0])'; then
		ok get_signal
	else
		not_ok get_signal
	fi

	# 6. Read the session to its end (which frees it); kill it first if
	# the signal did not go out, so that nothing is left behind.
	if ((signalled != 0)); then
		"$cli" kill "$sid" 9 >/dev/null 2>&1
	fi
	run "sbexec attach $sid" timeout 60 "$cli" attach "$sid"
	if ((signalled == 0 && rc == 137)); then
		ok signal_delivered
	else
		not_ok signal_delivered "sbexec attach exited $rc (want 137, SIGKILL)"
	fi
else
	skip list_dump "no session"
	skip get_signal "no session"
	skip signal_delivered "no session"
fi

finish
