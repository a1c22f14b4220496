# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# ensure_helper.sh: the shell tests' twin of ensure_helper.c, done when
# sourced (tap.sh sources it; so do the scripts that do not use tap.sh).
# With SBEXEC_ENSURE_HELPER=1 (run_all.sh sets it when a helper was running
# as the suite started) and sbexec-helper no longer running, restart it and
# say so as a TAP comment: a program that died with the helper stopped has
# failed already, the ones after it must not fail for that. Without the
# variable nothing happens.
# Env: SBEXEC_HELPER_BIN, SBEXEC_PROJECT (where the helper is; else PATH).

sbexec_ensure_helper() {
	local pidfile=/run/sbexec-helper.pid pid stat state bin log=/dev/null

	[[ ${SBEXEC_ENSURE_HELPER:-} == 1 && $EUID == 0 ]] || return 0
	# The program's start in the kernel log, for scripts/check's times.
	[[ -w /dev/kmsg ]] && echo "sbexec-selftest: start ${0##*/}" >/dev/kmsg 2>/dev/null
	pid=$(cat "$pidfile" 2>/dev/null)
	if [[ $pid =~ ^[0-9]+$ ]] && read -r stat 2>/dev/null <"/proc/$pid/stat"; then
		state=${stat##*) }
		state=${state%% *}
		[[ $state != Z && $state != X ]] && return 0
	fi
	bin=${SBEXEC_HELPER_BIN:-${SBEXEC_PROJECT:-/nonexistent}/user/helper/sbexec-helper}
	[[ -x $bin ]] || bin=sbexec-helper
	[[ -d /run/sbexec-out ]] && log=/run/sbexec-out/helper.log
	echo "# sbexec-helper is not running: restarting it (SBEXEC_ENSURE_HELPER=1)"
	setsid "$bin" --daemon --pidfile "$pidfile" </dev/null >>"$log" 2>&1 ||
		echo "# restarting sbexec-helper failed: status $?"
}
sbexec_ensure_helper
