#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fuzz_smoke.sh: send 50,000 random and malformed messages to the sbexec
# family and /dev/sbexec with tools/fuzz/sbexec-fuzz, then check that a
# normal session still runs: `sbexec run -- sh -c 'echo ok'` must print ok.
# The fuzzer watches the kernel log itself (scripts/dmesg-patterns) and
# stops at the first unexpected condition; its summary (messages per
# operation, errno histogram, seed) is printed as TAP comments.
#
# Meant for the test guest (root, sbexec.ko loaded, sbexec-helper running).
# Output: kselftest TAP, one result "ok 1 fuzz 50000 messages" or "not ok";
# exit 0 pass, 1 fail, 4 skip.
#
# Env: SBEXEC_PROJECT      project directory (default: this script's ..)
#      SBEXEC_CLI          the CLI (default: its build)
#      SBEXEC_FUZZ_SEED    seed (default: a random one, printed)
#      SBEXEC_FUZZ_COUNT   messages (default 50000)
#      SBEXEC_FUZZ_JOBS    parallel fuzzer processes (default 1)
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

echo "TAP version 13"
echo "1..1"
if [[ ! -x $fuzz ]]; then
	echo "not ok 1 $name # $fuzz is not built (run make)"
	exit 1
fi
if [[ ! -d /sys/module/sbexec ]]; then
	echo "ok 1 $name # SKIP sbexec.ko is not loaded"
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

if ((rc != 0)); then
	echo "not ok 1 $name # sbexec-fuzz status $rc (seed $seed)"
	exit 1
fi
if ((run_rc != 0)) || [[ $out != ok ]]; then
	echo "not ok 1 $name # a normal session failed afterwards (seed $seed)"
	exit 1
fi
echo "ok 1 $name"
