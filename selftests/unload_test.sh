#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# unload_test.sh: `rmmod sbexec` while sessions are alive.
#
# The defined behaviour: rmmod succeeds once the helper and every reader
# have closed their /dev/sbexec files (each holds a module reference; the
# refcount shows them). Sessions still alive then are killed (SIGKILL to
# their process groups) and freed, whatever state they are in: running,
# blocked on a full ring, or ended with output nobody read. Nothing of the
# module stays behind: no device, no genl family, no process. The module
# can be loaded again at once and works.
#
# Steps: start keep-running sessions (sbexec run -d) with 16 MiB rings,
# each written (nearly) full first, since rings get their pages as output
# arrives, and wait until they hold that memory; stop the helper, rmmod, check that the sessions' processes are dead, the
# module gone and the rings' memory back (free pages within 16 MiB of where
# they were before the sessions, after they had taken 80 MiB; that the same
# count flags 48 MiB held back is checked too), then load the module again
# the way a client does on first use (`sbexec ps` resolves the genl family,
# the kernel modprobes it by its family alias), restart the helper, run a
# session.
#
# MUST RUN LAST (selftests/Makefile lists it last in TEST_PROGS): it
# reloads the module. It leaves the module loaded and a helper registered,
# as it found them, for the harness's final rmmod check.
#
# kselftest TAP on stdout; exit status 0 only when every step passed.
# Env: SBEXEC_PROJECT, SBEXEC_CLI (as run_all.sh sets them).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
project=${SBEXEC_PROJECT:-$(dirname "$here")}
cli=${SBEXEC_CLI:-$project/user/cli/sbexec}
helper_bin=${SBEXEC_HELPER_BIN:-$project/user/helper/sbexec-helper}
pidfile=/run/sbexec-helper.pid
helper_log=/run/sbexec-out/helper.log
[[ -d ${helper_log%/*} ]] || helper_log=/dev/null

TAP_PREFIX=unload
# shellcheck source=selftests/tap.sh
. "$here/tap.sh"

# How PID died: "reaped", or "zombie, wait status N" (from /proc's exit_code).
death_of() {
	local stat
	if ! read -r stat 2>/dev/null <"/proc/$1/stat"; then
		echo reaped
		return
	fi
	# shellcheck disable=SC2086 # split the fields after the comm
	set -- ${stat##*) }
	echo "zombie, wait status ${50:-?}"
}

# Members of process group PGID (field 5 of /proc/PID/stat).
pgrp_members() {
	local want=$1 f stat
	for f in /proc/[0-9]*/stat; do
		read -r stat 2>/dev/null <"$f" || continue
		# shellcheck disable=SC2086 # fields after the comm: state ppid pgrp
		set -- ${stat##*) }
		[[ ${3:-} == "$want" ]] || continue
		f=${f#/proc/}
		echo "${f%/stat}"
	done
}

helper_pid() {
	local pid
	pid=$(cat "$pidfile" 2>/dev/null) || return 1
	[[ $pid =~ ^[0-9]+$ ]] && alive "$pid" && echo "$pid"
}

# shellcheck disable=SC2094 # the daemon appends to its log, as guest-run starts it
start_helper() {
	rm -f "$pidfile"
	timeout 20 "$helper_bin" --daemon --pidfile "$pidfile" --log "$helper_log" \
		</dev/null >>"$helper_log" 2>&1
}

refcnt() { cat /sys/module/sbexec/refcnt 2>/dev/null || echo none; }

# Free memory in KiB after dropping the page cache and reclaimable slab:
# the buddy allocator's free pages plus those parked on the per-CPU lists
# (/proc/zoneinfo's "count:" lines). MemFree leaves the latter out, and
# 6.12 keeps tens of MiB of just-freed pages there.
memfree_kib() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	awk '$1 == "pages" && $2 == "free" { n += $3 }
		$1 == "count:" { n += $2 }
		END { print n * 4 }' /proc/zoneinfo
}
RING=16M
RING_KIB=16384
# Output each session writes first, to fill its ring (the exit record and
# the record headers fit in the rest).
FILL_BYTES=$(((RING_KIB - 64) * 1024))
FILL="head -c $FILL_BYTES /dev/zero"

# Whatever happens below, leave the module loaded and a helper running.
# shellcheck disable=SC2317 # called from the EXIT trap
restore() {
	[[ -d /sys/module/sbexec ]] || timeout 60 modprobe sbexec
	helper_pid >/dev/null || start_helper
}
trap restore EXIT

echo "TAP version 13"
if ((EUID != 0)); then
	skip rmmod_with_live_sessions "needs root"
	finish
fi
if [[ ! -d /sys/module/sbexec ]] || ! helper_pid >/dev/null; then
	not_ok preconditions "sbexec.ko loaded and sbexec-helper running ($pidfile)"
	finish
fi

# --- sessions in every state ------------------------------------------------
declare -A sid spid
scripts=(
	"sleeper=$FILL; exec sleep 1000"
	"stubborn=trap '' TERM HUP INT; $FILL; while :; do sleep 1; done"
	"flood=yes unload-flood-unload-flood"
	"group=$FILL; sleep 1001 & sleep 1002; wait"
	"ended=$FILL; echo ended-but-unread; exit 3"
)
free_before=$(memfree_kib)
good=1
for s in "${scripts[@]}"; do
	name=${s%%=*}
	out=$(timeout 30 "$cli" run -d --ring-size "$RING" -- sh -c "${s#*=}" 2>&1)
	if [[ ! $out =~ ^[0-9]+$ ]]; then
		good=0
		not_ok "start_$name" "sbexec run -d: $out"
		continue
	fi
	sid[$name]=$out
done
((good)) && ok start_keep_running_sessions
# The rings fill as their output arrives: wait (at most 180 s) until every
# session wrote its fill (ps's BYTES) and the ended one has its exit.
for ((i = 0; i < 180; i++)); do
	filled=$(timeout 30 "$cli" ps 2>/dev/null |
		awk -v min="$FILL_BYTES" -v ids="${sid[*]}" -v ended="${sid[ended]:-x}" \
			'BEGIN { split(ids, l); for (k in l) ours[l[k]] = 1 }
			 ($1 in ours) && $6 >= min && ($1 != ended || $8 == 3) { n++ }
			 END { print n + 0 }')
	((filled >= ${#sid[@]})) && break
	sleep 1
done
sleep 0.5 # the flood fills its ring, the group forks its second sleep

ps_out=$(timeout 30 "$cli" ps 2>&1)
for name in "${!sid[@]}"; do
	spid[$name]=$(awk -v id="${sid[$name]}" '$1 == id { print $2 }' <<<"$ps_out")
done
pids=()
for name in sleeper stubborn flood group; do
	[[ -n ${spid[$name]:-} ]] && pids+=("${spid[$name]}")
done
pgid=${spid[group]:-0}
mapfile -t members < <(pgrp_members "$pgid" | grep -vx "$pgid")
pids+=("${members[@]}")
bad=()
for name in sleeper stubborn flood group; do
	p=${spid[$name]:-}
	[[ -n $p ]] && alive "$p" || bad+=("$name: pid '${p}' not running")
done
((${#members[@]} >= 2)) || bad+=("group: ${#members[@]} more processes in group $pgid, want 2")
ended_exit=$(awk -v id="${sid[ended]:-x}" '$1 == id { print $8 }' <<<"$ps_out")
[[ $ended_exit == 3 ]] || bad+=("ended: LIST shows exit '$ended_exit', want 3")
if ((${#bad[@]})); then
	not_ok sessions_running "${bad[@]}" "$ps_out"
else
	ok sessions_running
fi
# The rings are really there: five of RING_KIB each (less 16 MiB slack).
free_during=$(memfree_kib)
used=$((free_before - free_during))
if ((used >= 5 * RING_KIB - 16384)); then
	ok rings_allocated
else
	not_ok rings_allocated "MemFree fell by $used KiB with five $RING rings alive"
fi

# --- a direct-output session's files hold the module ------------------------
# While its process lives, the refcount counts its two output files and
# rmmod fails (EBUSY); once the session is killed they are gone and the
# module is free again (README: Module unload).
rc0=$(refcnt)
dsid=$(timeout 30 "$cli" run -d --direct-output -- sleep 1000 2>&1)
if [[ $dsid =~ ^[0-9]+$ ]]; then
	dpid=$(timeout 30 "$cli" ps 2>/dev/null | awk -v id="$dsid" '$1 == id { print $2 }')
	rc1=$(refcnt)
	msg=$(timeout 60 rmmod sbexec 2>&1)
	rrc=$?
	if ((rrc != 0)) && [[ -d /sys/module/sbexec && $rc1 == $((rc0 + 2)) ]]; then
		ok direct_output_files_hold_the_module
	else
		not_ok direct_output_files_hold_the_module \
			"refcnt $rc0 before, $rc1 with the session; rmmod status $rrc: $msg"
		[[ -d /sys/module/sbexec ]] || timeout 60 modprobe sbexec
	fi
	timeout 30 "$cli" kill "$dsid" KILL >/dev/null 2>&1
	for ((i = 0; i < 50; i++)); do
		[[ $(refcnt) == "$rc0" ]] && break
		sleep 0.1
	done
	if [[ -n $dpid ]] && wait_dead "$dpid" 10 && [[ $(refcnt) == "$rc0" ]]; then
		ok direct_output_kill_lets_go
	else
		not_ok direct_output_kill_lets_go "pid '$dpid', refcnt $(refcnt), want $rc0"
	fi
else
	not_ok direct_output_files_hold_the_module "sbexec run -d --direct-output: $dsid"
fi

# --- no reader, no helper: nothing holds the module ------------------------
hpid=$(helper_pid)
kill -TERM "$hpid"
if wait_dead "$hpid" 10; then
	ok helper_stopped
else
	not_ok helper_stopped "helper $hpid ignored SIGTERM"
	kill -KILL "$hpid"
	wait_dead "$hpid" 5
fi
bad=()
for p in "${pids[@]}"; do alive "$p" || bad+=("pid $p died with the helper"); done
if ((${#bad[@]})); then not_ok sessions_outlive_helper "${bad[@]}"; else ok sessions_outlive_helper; fi
rc=$(refcnt)
if [[ $rc == 0 ]]; then ok module_unreferenced; else not_ok module_unreferenced "refcnt $rc"; fi

# --- rmmod ------------------------------------------------------------------
msg=$(timeout 60 rmmod sbexec 2>&1)
rc=$?
if ((rc == 0)); then
	ok rmmod_with_live_sessions
else
	not_ok rmmod_with_live_sessions "rmmod sbexec: status $rc: $msg"
	[[ -r /proc/sysrq-trigger ]] && echo w >/proc/sysrq-trigger
fi

bad=()
for p in "${pids[@]}"; do
	wait_dead "$p" 10 || bad+=("pid $p ($(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)) still running")
done
if ((${#bad[@]})); then
	not_ok session_processes_killed "${bad[@]}"
else
	ok session_processes_killed
	for p in "${pids[@]}"; do echo "# pid $p: $(death_of "$p")"; done
fi

bad=()
[[ -e /sys/module/sbexec ]] && bad+=("/sys/module/sbexec still there")
[[ -e /dev/sbexec ]] && bad+=("/dev/sbexec still there")
for f in /proc/[0-9]*/comm; do
	read -r comm 2>/dev/null <"$f" || continue
	[[ $comm == sbexec ]] && bad+=("task ${f%/comm} is named sbexec")
done
for f in /proc/[0-9]*/fd/*; do
	[[ $(readlink "$f" 2>/dev/null) == /dev/sbexec ]] && bad+=("$f still open")
done
if ((${#bad[@]})); then not_ok nothing_left_behind "${bad[@]}"; else ok nothing_left_behind; fi
# The sessions' rings (and everything else they held) were freed.
free_after=$(memfree_kib)
echo "# free memory: $free_before KiB before the sessions, $free_during with them, $free_after after rmmod"
if ((free_after >= free_before - 16384)); then
	ok memory_returned
else
	not_ok memory_returned "free memory $free_after KiB after rmmod, $free_before before the sessions: $((free_before - free_after)) KiB not returned"
fi
# The same count and bound catch memory that is not returned: 48 MiB held
# in a tmpfs file (unreclaimable, like a leaked ring) must fail them.
held=/dev/shm/unload_test.held
if dd if=/dev/zero of="$held" bs=1M count=48 status=none; then
	free_held=$(memfree_kib)
	if ((free_held < free_after - 16384)); then
		ok memory_check_catches_48MiB_held
	else
		not_ok memory_check_catches_48MiB_held "free memory $free_held KiB with 48 MiB held, $free_after without"
	fi
else
	not_ok memory_check_catches_48MiB_held "cannot write $held"
fi
rm -f "$held"

# --- load again on first use, work again -----------------------------------
# No modprobe here: a client resolving the "sbexec" genl family makes the
# kernel load the module through its MODULE_ALIAS_GENL_FAMILY alias.
out=$(timeout 60 "$cli" ps 2>&1)
rc=$?
deadline=$((SECONDS + 10))
while [[ ! -c /dev/sbexec ]] && ((SECONDS < deadline)); do sleep 0.1; done
if ((rc == 0)) && [[ -d /sys/module/sbexec && -c /dev/sbexec ]]; then
	ok module_loaded_on_first_use
else
	not_ok module_loaded_on_first_use "sbexec ps without the module: status $rc, module $([[ -d /sys/module/sbexec ]] && echo loaded || echo 'not loaded')" "$out"
fi
# Started with a pipe open on an extra descriptor (as a test runner's
# output can be): the daemon must not keep it, or whoever reads the pipe
# to its end waits for as long as the helper runs.
exec {extra}> >(cat >/dev/null)
if start_helper && helper_pid >/dev/null; then
	ok helper_restarted
else
	not_ok helper_restarted "sbexec-helper --daemon failed (see helper.log)"
fi
exec {extra}>&-
hpid=$(helper_pid)
held=$(find "/proc/${hpid:-0}/fd" -lname 'pipe:*' 2>/dev/null | wc -l)
if [[ -n $hpid ]] && ((held == 0)); then
	ok helper_keeps_no_inherited_fd
else
	not_ok helper_keeps_no_inherited_fd "helper '$hpid' holds $held pipe(s): $(ls -l "/proc/${hpid:-0}/fd" 2>&1 | tr '\n' ' ')"
fi
out=$(timeout 30 "$cli" ps 2>&1)
rc=$?
lines=$(grep -c . <<<"$out")
if ((rc == 0 && lines == 1)); then
	ok fresh_module_has_no_sessions
else
	not_ok fresh_module_has_no_sessions "sbexec ps: status $rc" "$out"
fi
out=$(timeout 60 "$cli" run -- sh -c 'echo after-reload; echo to-stderr >&2; exit 4' 2>/tmp/unload_test.err)
rc=$?
err=$(cat /tmp/unload_test.err 2>/dev/null)
rm -f /tmp/unload_test.err
if [[ $rc == 4 && $out == after-reload && $err == to-stderr ]]; then
	ok exec_after_reload
else
	not_ok exec_after_reload "status $rc, stdout '$out', stderr '$err'"
fi
finish
