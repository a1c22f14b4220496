#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hostbench_smoke.sh: `make bench`'s host-driven rows still measure. Runs
# ON THE HOST (selftests/host.list, through `scripts/vm --host`, which
# gives SBEXEC_CONNECT, SBEXEC_QGA_SOCK and SBEXEC_RAW_SOCK). Builds
# bench/sbexec-hostbench (make does nothing when it is up to date), runs it
# with small, odd sizes (so that every byte count must come out exact),
# two repeats and one throughput round, and checks: exit status 0, a table
# row with a figure for every method, and JSON in which every row is ok,
# every transfer delivered exactly the bytes asked (delivered_bytes: what
# the reader counted, per run), and every ratio has a value for both
# repeats. Times are not judged (make bench does that).
# Skipped (exit 4) without SBEXEC_CONNECT.
set -uo pipefail

TAP_PREFIX=hostbench_smoke
# shellcheck source=selftests/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"

echo "TAP version 13"
if [[ -z ${SBEXEC_CONNECT:-} ]]; then
	echo "1..0 # SKIP SBEXEC_CONNECT not set (run through scripts/vm --host)"
	exit 4
fi
project=${SBEXEC_PROJECT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
bin=$project/bench/sbexec-hostbench
py=/usr/bin/python3
[[ -x $py ]] || py=$(command -v python3) || py=""
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sbexec-hostbench.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

if [[ -S ${SBEXEC_QGA_SOCK:-} && -S ${SBEXEC_RAW_SOCK:-} ]]; then
	ok bench_ports
else
	not_ok bench_ports "SBEXEC_QGA_SOCK='${SBEXEC_QGA_SOCK:-}' and SBEXEC_RAW_SOCK='${SBEXEC_RAW_SOCK:-}' should be unix sockets (scripts/vm --host without --no-bench-ports)"
fi

if make -s -C "$project/bench" sbexec-hostbench >"$tmp/make.log" 2>&1 && [[ -x $bin ]]; then
	ok builds
else
	not_ok builds "make -C bench sbexec-hostbench failed:" "$(tail -n 20 "$tmp/make.log")"
	finish
fi

bytes=3000001 cap=1000003
"$bin" --bytes "$bytes" --qga-cap "$cap" --repeat 2 --runs 4 --blocks 2 --rounds 1 \
	--rt-box 60 --tp-box 1 --timeout 60 --json "$tmp/out.json" >"$tmp/table" 2>"$tmp/progress"
rc=$?
sed 's/^/# /' "$tmp/table"
if ((rc == 0)); then
	ok exits_0
else
	not_ok exits_0 "status $rc; its progress:" "$(tail -n 20 "$tmp/progress")"
fi

# Every row has a figure (no n/a), in both tables.
missing=""
for label in "qemu-guest-agent: guest-exec + status poll" \
	"sbexec: exec + attach + read, via the bridge" \
	"raw virtio-serial link: head -c > port" "sbexec: stdout records via the bridge" \
	"raw virtio-serial link  " "sbexec via the bridge" "qemu-guest-agent: captured output"; do
	line=$(grep -F -e "$label" "$tmp/table" | head -n 1)
	if [[ -z $line || $line == *"n/a"* ]]; then
		missing+=" '$label'"
	fi
done
if [[ -z $missing ]]; then
	ok table_rows
else
	not_ok table_rows "rows missing or n/a:$missing"
fi

if [[ -z $py ]]; then
	skip json "python3 missing"
	finish
fi
if "$py" - "$tmp/out.json" "$bytes" "$cap" >"$tmp/json.msg" 2>&1 <<'PY'; then
import json, sys
path, nbytes, cap = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(path) as f:
    j = json.load(f)
bad = []
for name in ("sbexec", "qga"):
    r = j["roundtrip"][name]
    if not r["ok"] or r["runs"] < 2 or not r["p50_us"] > 0 or r["p99_us"] < r["p50_us"]:
        bad.append("roundtrip %s: %s" % (name, r))
want = {"raw": nbytes, "sbexec": nbytes, "raw_at_qga_cap": cap,
        "sbexec_at_qga_cap": cap, "qga": cap}
for name, n in want.items():
    t = j["throughput"].get(name)
    if (not t or not t["ok"] or t["bytes"] != n or t["runs"] != 2 or not t["seconds"] > 0
            or t["delivered_bytes"] != [n, n]):
        bad.append("throughput %s (want %d bytes, 2 runs): %s" % (name, n, t))
for name in ("roundtrip_p50_sbexec_over_qga", "roundtrip_p99_sbexec_over_qga",
             "throughput_sbexec_over_raw", "throughput_sbexec_over_raw_at_qga_cap",
             "throughput_qga_over_raw"):
    r = j["ratios"].get(name)
    if (not r or not r["value"] or len(r["repeats"]) != 2 or None in r["repeats"]
            or not r["min"] <= r["median"] <= r["max"]):
        bad.append("ratio %s: %s" % (name, r))
if j["repeat"] != 2:
    bad.append("repeat %s" % j["repeat"])
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
	ok json
else
	mapfile -t lines <"$tmp/json.msg"
	not_ok json "${lines[@]}"
fi
finish
