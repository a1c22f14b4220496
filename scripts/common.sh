# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
#
# Shared helpers for the sbexec build/test scripts. Sourced, never executed.
#
# Sets:
#   SBEXEC_TOP   absolute path of the project (derived from this file's place,
#                so any clone directory works)
# Functions:
#   die MSG...           print "<prog>: MSG" on stderr, exit $SBEXEC_DIE_RC
#                        (default 1)
#   note MSG...          print "<prog>: MSG" on stderr
#   sbexec_kdir          print KDIR: $KDIR if set, else the newest
#                        /lib/modules/*-amd64/build that has a Makefile
#                        (never `uname -r`: the host kernel is not ours)
#   sbexec_krel KDIR     print the release KDIR builds modules for
#   sq STRING            print STRING single-quoted for POSIX sh and bash

# shellcheck disable=SC2034 # both are used by the scripts sourcing this
SBEXEC_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
SBEXEC_PROG=${0##*/}

die() {
	printf '%s: %s\n' "$SBEXEC_PROG" "$*" >&2
	exit "${SBEXEC_DIE_RC:-1}"
}

note() {
	printf '%s: %s\n' "$SBEXEC_PROG" "$*" >&2
}

sbexec_kdir() {
	if [[ -n ${KDIR:-} ]]; then
		printf '%s\n' "$KDIR"
		return
	fi
	local d
	for d in /lib/modules/*-amd64/build; do
		[[ -f $d/Makefile ]] && printf '%s\n' "$d"
	done | sort -V | tail -n 1
}

sbexec_krel() {
	local rel
	# Debian's header packages keep the upstream version (e.g. 6.1.192) in
	# include/config/kernel.release; the release modules are built and
	# installed for (vermagic, /lib/modules/<release>) is UTS_RELEASE.
	rel=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' \
		"$1/include/generated/utsrelease.h" 2>/dev/null) || true
	if [[ -z $rel && -r $1/include/config/kernel.release ]]; then
		rel=$(cat "$1/include/config/kernel.release")
	fi
	[[ -n $rel ]] || die "cannot tell the kernel release of $1 (make deps, or set KDIR)"
	printf '%s\n' "$rel"
}

sq() {
	local s=${1//\'/\'\\\'\'}
	printf "'%s'" "$s"
}
