#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# install_test.sh: `make install` and `make uninstall` into a DESTDIR, on
# the build host (no module is loaded; nothing outside the DESTDIR and a
# scratch directory is written).
#
# Installs with the default PREFIX (/usr/local) and checks: every file is
# there with its mode and nothing else is; depmod indexed the module; the
# shared library's soname, its links, and that it exports only sbexec_*
# (under the version node LIBSBEXEC_1); that a 10-line client builds with
# `pkg-config --cflags --libs sbexec` against the installed tree alone
# (PKG_CONFIG_PATH and PKG_CONFIG_SYSROOT_DIR point into DESTDIR; the
# headers it compiled with and the library it runs with come from there),
# and statically against libsbexec.a; `systemd-analyze verify` on the unit
# (in a scratch root holding the DESTDIR, systemd's own units and
# modprobe); every man page renders with groff -ww without a warning and
# through `man -l`; `sbexec --version` and `sbexec-helper --version` print
# the version of VERSION, which dkms.conf and sbexec.pc repeat. Then `make
# uninstall` must leave no file behind. Finally the same with PREFIX=/usr.
#
# KDIR is the caller's (the module is built and installed for it).
# kselftest TAP on stdout; exit status 0 only when every item passed.
#
# shellcheck disable=SC2016 # the bash -c scripts take their values as $1...

set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
project=${SBEXEC_PROJECT:-$(dirname "$here")}
# shellcheck disable=SC2034 # used by tap.sh
TAP_PREFIX=install
# shellcheck source=selftests/tap.sh
. "$here/tap.sh"

tmp=$(mktemp -d /tmp/install_test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/root
prefix=/usr/local
P=$dest$prefix
version=$(cat "$project/VERSION")

echo "TAP version 13"

# check NAME COMMAND...: one item; a failure shows COMMAND and its output.
check() {
	local name=$1 out lines
	shift
	if out=$("$@" 2>&1); then
		ok "$name"
	else
		mapfile -t lines < <(head -n 20 <<<"$out")
		not_ok "$name" "failed: $*" "${lines[@]}"
	fi
}

if ! make -C "$project" install DESTDIR="$dest" >"$tmp/install.log" 2>&1; then
	not_ok make_install "make install DESTDIR=$dest failed:" "$(tail -n 20 "$tmp/install.log")"
	finish
fi
ok make_install

# --- files, modes, nothing else ---------------------------------------------
krels=("$dest"/lib/modules/*)
krel=${krels[0]##*/}
if ((${#krels[@]} != 1)) || [[ ! -d ${krels[0]} ]]; then
	not_ok module_tree "want one kernel release under $dest/lib/modules, got: ${krels[*]##*/}"
	finish
fi
moddir=$dest/lib/modules/$krel
# Compressed when the kernel's config says so (.ko.xz on Debian's 6.12).
kos=("$moddir"/extra/sbexec.ko*)
ko=${kos[0]}

# TYPE MODE-OR-TARGET PATH
expected=(
	"f 644 $ko"
	"f 755 $P/sbin/sbexec-helper"
	"f 755 $P/sbin/sbexec-bridge"
	"f 755 $P/bin/sbexec"
	"f 755 $P/lib/libsbexec.so.1.0.0"
	"l libsbexec.so.1.0.0 $P/lib/libsbexec.so.1"
	"l libsbexec.so.1 $P/lib/libsbexec.so"
	"f 644 $P/lib/libsbexec.a"
	"f 644 $P/include/sbexec.h"
	"f 644 $P/include/linux/sbexec.h"
	"f 644 $P/include/linux/sbexec_netlink.h"
	"f 644 $P/include/linux/sbexec_bridge.h"
	"f 644 $P/lib/pkgconfig/sbexec.pc"
	"f 644 $P/share/man/man1/sbexec.1"
	"f 644 $P/share/man/man3/libsbexec.3"
	"f 644 $P/share/man/man8/sbexec-helper.8"
	"f 644 $P/lib/systemd/system/sbexec-helper.service"
	"f 644 $P/lib/modules-load.d/sbexec.conf"
)
declare -A want_files=()
for e in "${expected[@]}"; do
	read -r type mode path <<<"$e"
	want_files[$path]=1
	name=file${path#"$dest"}
	if [[ $type == l ]]; then
		if [[ -L $path && $(readlink "$path") == "$mode" ]]; then
			ok "$name"
		else
			not_ok "$name" "want a link to $mode: $(ls -l "$path" 2>&1)"
		fi
	elif [[ -f $path && ! -L $path && $(stat -c %a "$path") == "$mode" ]]; then
		ok "$name"
	else
		not_ok "$name" "want a file of mode $mode: $(ls -l "$path" 2>&1)"
	fi
done
# Besides those only the module lists of modules_install and depmod.
extra=()
while IFS= read -r -d '' f; do
	[[ -n ${want_files[$f]:-} || $f == "$moddir"/modules.* ]] || extra+=("$f")
done < <(find "$dest" ! -type d -print0)
if ((${#extra[@]} == 0)); then
	ok nothing_else_installed
else
	not_ok nothing_else_installed "unexpected: ${extra[*]}"
fi

check depmod_indexed_the_module \
	grep -qx "${ko#"$moddir"/}:.*" "$moddir/modules.dep"
check modinfo_finds_it bash -c \
	'[[ $(modinfo -b "$1" -k "$2" -F filename sbexec) == "$3" ]]' _ "$dest" "$krel" "$ko"

# --- the shared library ----------------------------------------------------
so=$P/lib/libsbexec.so.1.0.0
check soname bash -c 'readelf -d "$1" | grep -q "(SONAME).*\[libsbexec\.so\.1\]$"' _ "$so"
# nm -D: "ADDR T sbexec_open@@LIBSBEXEC_1" (or a later node, such as
# LIBSBEXEC_1.1 for sbexec_open_uri), and the version nodes themselves.
mapfile -t syms < <(nm -D --defined-only "$so" | awk '{ print $3 }')
bad=()
nsbexec=0
for s in "${syms[@]}"; do
	if [[ $s =~ ^sbexec_[a-z0-9_]+@@LIBSBEXEC_1(\.[0-9]+)?$ ]]; then
		nsbexec=$((nsbexec + 1))
	elif [[ ! $s =~ ^LIBSBEXEC_1(\.[0-9]+)?$ ]]; then
		bad+=("$s")
	fi
done
# Every function declared in sbexec.h is exported (static inlines aside).
mapfile -t declared < <(grep -oE '^[a-z].*[ *](sbexec_[a-z0-9_]+)\(' "$P/include/sbexec.h" |
	grep -v '^static' | grep -oE 'sbexec_[a-z0-9_]+\($' | tr -d '(' | sort -u)
# A lookup in the shell, not `printf | grep -q`: under pipefail grep's
# early exit can fail printf with SIGPIPE and report a symbol missing.
declare -A exported=()
for s in "${syms[@]}"; do exported[${s%%@@*}]=1; done
missing=()
for d in "${declared[@]}"; do
	[[ -n ${exported["$d"]:-} ]] || missing+=("$d")
done
if ((${#bad[@]} == 0 && ${#missing[@]} == 0 && nsbexec == ${#declared[@]} && nsbexec > 30)); then
	ok exports_only_sbexec_symbols
else
	not_ok exports_only_sbexec_symbols "not sbexec_*: ${bad[*]:-none}" \
		"declared but not exported: ${missing[*]:-none}" \
		"$nsbexec exported, ${#declared[@]} declared"
fi

# --- a client built with pkg-config against DESTDIR alone ---------------------
cat >"$tmp/client.c" <<'EOF'
#include <stdio.h>
#include <sbexec.h>

int main(void)
{
	struct sbexec *h = NULL;
	int err = sbexec_open(&h);

	printf("%s %d %s\n", sbexec_state_name(SBEXEC_STATE_RUNNING), SBEXEC_MAX_RLIMITS,
	       err < 0 ? sbexec_open_error(err) : "open");
	sbexec_close(h);
	return 0;
}
EOF
export PKG_CONFIG_PATH=$P/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$dest
check pkg_config_version bash -c '[[ $(pkg-config --modversion sbexec) == "$1" ]]' _ "$version"
cflags=$(pkg-config --cflags sbexec 2>&1)
libs=$(pkg-config --libs sbexec 2>&1)
slibs=$(pkg-config --static --libs sbexec 2>&1)
# shellcheck disable=SC2086 # flag lists
if (cd "$tmp" && cc -std=c11 -Wall -Wextra -Werror -o client client.c $cflags $libs \
	-MD -MF client.d) >"$tmp/cc.log" 2>&1; then
	ok client_builds_with_pkg_config
else
	not_ok client_builds_with_pkg_config "cc client.c $cflags $libs:" "$(head -n 20 "$tmp/cc.log")"
fi
check client_headers_from_destdir bash -c \
	'grep -q " $1/include/sbexec.h" "$2" && grep -q " $1/include/linux/sbexec.h" "$2" && ! grep -q "$3" "$2"' \
	_ "$P" "$tmp/client.d" "$project"
check client_runs_on_installed_library bash -c \
	'LD_LIBRARY_PATH=$1 ldd "$2/client" | grep -q "libsbexec.so.1 => $1/libsbexec.so.1 " &&
	 [[ $(LD_LIBRARY_PATH=$1 "$2/client") == "running 16 "* ]]' _ "$P/lib" "$tmp"
# The same client linked statically against libsbexec.a.
# shellcheck disable=SC2086 # flag lists
if (cd "$tmp" && cc -std=c11 -Wall -Wextra -Werror -o client_static client.c $cflags \
	${slibs/-lsbexec/-l:libsbexec.a}) >"$tmp/cc.log" 2>&1 &&
	! ldd "$tmp/client_static" | grep -q libsbexec &&
	[[ $("$tmp/client_static") == "running 16 "* ]]; then
	ok client_links_libsbexec_a
else
	not_ok client_links_libsbexec_a "cc client.c $cflags ${slibs/-lsbexec/-l:libsbexec.a}:" \
		"$(head -n 20 "$tmp/cc.log")"
fi
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR

# --- the systemd unit and modules-load.d -------------------------------------
unit=$prefix/lib/systemd/system/sbexec-helper.service
if ! command -v systemd-analyze >/dev/null || [[ ! -d /usr/lib/systemd/system ]]; then
	skip systemd_analyze_verify "systemd-analyze or /usr/lib/systemd/system missing (Debian package systemd)"
else
	# A root with the installed files, systemd's units (the unit's
	# dependencies) and modprobe (its ExecStartPre).
	vroot=$tmp/vroot
	mkdir -p "$vroot/usr/lib/systemd" "$vroot/usr/sbin"
	cp -a "$dest/." "$vroot/"
	cp -a /usr/lib/systemd/system "$vroot/usr/lib/systemd/"
	cp "$(command -v modprobe)" "$vroot/usr/sbin/modprobe"
	[[ -e $vroot/sbin ]] || ln -s usr/sbin "$vroot/sbin"
	if out=$(MANPATH=$vroot$prefix/share/man systemd-analyze verify --root="$vroot" "$unit" 2>&1) &&
		[[ -z $out ]]; then
		ok systemd_analyze_verify
	else
		not_ok systemd_analyze_verify "systemd-analyze verify --root=$vroot $unit:" "$out"
	fi
fi
check unit_runs_the_installed_helper \
	grep -qx "ExecStart=$prefix/sbin/sbexec-helper --daemon --pidfile /run/sbexec-helper.pid .*" "$dest$unit"
check modules_load_d_names_sbexec bash -c \
	'[[ $(grep -v "^#" "$1" | grep -v "^$") == sbexec ]]' _ "$P/lib/modules-load.d/sbexec.conf"

# --- man pages ----------------------------------------------------------------
for page in man1/sbexec.1 man3/libsbexec.3 man8/sbexec-helper.8; do
	f=$P/share/man/$page
	name=${page#*/}
	warn=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$f" 2>&1)
	text=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$f" 2>"$tmp/man.err")
	if [[ -z $warn && ! -s $tmp/man.err && $text == *"sbexec $version"* && $text == *NAME* ]] &&
		lexgrog "$f" >/dev/null 2>&1; then
		ok "man_$name"
	else
		not_ok "man_$name" "groff -ww: ${warn:-none}" "man -l: $(head -c 300 "$tmp/man.err")" \
			"lexgrog: $(lexgrog "$f" 2>&1)" "footer with 'sbexec $version': $([[ $text == *"sbexec $version"* ]] && echo yes || echo no)"
	fi
done

# --- versions ---------------------------------------------------------------
check sbexec_version bash -c '[[ $("$1" --version) == "sbexec $2" ]]' _ "$P/bin/sbexec" "$version"
check sbexec_helper_version bash -c '[[ $("$1" --version) == "sbexec-helper $2" ]]' _ \
	"$P/sbin/sbexec-helper" "$version"
check dkms_conf_has_the_version grep -qx "PACKAGE_VERSION=\"$version\"" "$project/dkms.conf"

# --- uninstall ----------------------------------------------------------------
if make -C "$project" uninstall DESTDIR="$dest" >"$tmp/uninstall.log" 2>&1; then
	ok make_uninstall
else
	not_ok make_uninstall "$(tail -n 20 "$tmp/uninstall.log")"
fi
left=$(find "$dest" ! -type d)
if [[ -z $left ]]; then
	ok uninstall_leaves_no_file
else
	not_ok uninstall_leaves_no_file "left behind:" "$left"
fi

# --- PREFIX=/usr ----------------------------------------------------------------
dest2=$tmp/root-usr
if make -C "$project" install DESTDIR="$dest2" PREFIX=/usr >"$tmp/install2.log" 2>&1 &&
	[[ -x $dest2/usr/bin/sbexec && -x $dest2/usr/sbin/sbexec-helper &&
		-L $dest2/usr/lib/libsbexec.so.1 && -f $dest2/usr/include/linux/sbexec.h &&
		-f $dest2/usr/lib/systemd/system/sbexec-helper.service &&
		-f $dest2/usr/lib/modules-load.d/sbexec.conf && -f $dest2/usr/share/man/man8/sbexec-helper.8 ]] &&
	grep -qx 'libdir=/usr/lib' "$dest2/usr/lib/pkgconfig/sbexec.pc" &&
	grep -q '^ExecStart=/usr/sbin/sbexec-helper ' "$dest2/usr/lib/systemd/system/sbexec-helper.service" &&
	[[ ! -e $dest2/usr/local ]]; then
	ok prefix_usr_install
else
	not_ok prefix_usr_install "$(tail -n 20 "$tmp/install2.log")" "$(cd "$dest2" 2>/dev/null && find . ! -type d | head -n 30)"
fi
if make -C "$project" uninstall DESTDIR="$dest2" PREFIX=/usr >"$tmp/uninstall2.log" 2>&1 &&
	[[ -z $(find "$dest2" ! -type d) ]]; then
	ok prefix_usr_uninstall
else
	not_ok prefix_usr_uninstall "$(tail -n 20 "$tmp/uninstall2.log")" "$(find "$dest2" ! -type d | head -n 30)"
fi

finish
