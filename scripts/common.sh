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
#   sbexec_kdir          print KDIR: $KDIR if set, else the build tree of
#                        the Debian kernel series $KERNEL names (default
#                        6.1): the newest /lib/modules/$KERNEL.*-amd64/build
#                        with a Makefile. Pinned by series, so installing
#                        another kernel's headers never changes what a
#                        target builds for (never `uname -r` either: the
#                        host kernel is not ours)
#   sbexec_kernel        print $KERNEL (default 6.1), or die when it is not
#                        a kernel series such as 6.1 or 6.12
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

# The kernel series every target means unless KERNEL= says otherwise.
SBEXEC_DEFAULT_KERNEL=6.1

sbexec_kernel() {
	local k=${KERNEL:-$SBEXEC_DEFAULT_KERNEL}
	[[ $k =~ ^[0-9]+\.[0-9]+$ ]] ||
		die "KERNEL='$k': give a kernel series such as 6.1 or 6.12"
	printf '%s\n' "$k"
}

sbexec_kdir() {
	if [[ -n ${KDIR:-} ]]; then
		printf '%s\n' "$KDIR"
		return
	fi
	local d k
	k=$(sbexec_kernel) || return 1
	# "6.1." followed by a digit: 6.1.0-57-amd64, never 6.12.x.
	for d in "/lib/modules/$k".[0-9]*-amd64/build; do
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
