# SPDX-License-Identifier: GPL-2.0
#
# sbexec top-level build and test driver.
#
#   make                 module (W=1) + user/lib, user/helper, user/cli,
#                        user/bridge, selftests
#   make deps            install the Debian packages everything needs
#   make kernel-tools    extract checkpatch.pl and the kselftest headers
#   make lint            checkpatch --strict, clean W=1 build, sparse, spec-check
#                        (the files generated from the YNL spec are current)
#   make regen           regenerate them from Documentation/netlink/specs/
#                        sbexec.yaml (ynl-gen-c.py from linux-source-6.12)
#   make run [CMD=...]   boot a guest and run one `sbexec run` session
#   make check           deps, build, lint, then the selftests in one guest boot
#                        (built once: scripts/check --built does not build again)
#   make check KERNEL=6.12   the same in Debian's 6.12 guest (default: 6.1)
#   make check-dkms      dkms add/build/install for 6.1, 6.12 and the debug
#                        kernel, modprobe DKMS's module in each guest, a session
#   make check-fresh     make run from a clean clone as on a machine without
#                        the kernel packages (a mount namespace hides them)
#   make check-debug     the selftests in one boot of the KASAN/lockdep/kmemleak/
#                        UBSAN debug kernel (built once, cached in build/)
#   make stress [STRESS_ARGS=--debug-kernel]  robust_test: the helper killed
#                        100 times under load (SBEXEC_ROBUST_ITERATIONS=N),
#                        300 helper+client death races (..._RACE_ROUNDS=N)
#   make bench [BENCH_ARGS=...] [BENCH_REPEAT=R]  one guest boot: sbexec vs the floor
#                        vs qemu-ga (R passes: each figure's median and spread)
#   make fuzz [FUZZ_COUNT=N] [FUZZ_SEED=S]  debug-kernel guest: N (1000000)
#                        sbexec-fuzz messages, then a normal session (scripts/fuzz)
#   make modules_install [INSTALL_MOD_PATH=...]
#   make install / uninstall [DESTDIR=...] [PREFIX=/usr/local]  (mk/install.mk)
#   make clean           (make distclean also drops build/'s caches)
#
# The module builds against KDIR (default: Debian's 6.1 headers, or those of
# the series KERNEL=6.12 names; the host's running kernel is not ours, so
# never `uname -r`).

ifneq ($(KERNELRELEASE),)
$(error kbuild read the top-level Makefile: the Kbuild file is missing)
endif

TOP := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))

# The kernel series every target builds for and boots: Debian's 6.1 unless
# KERNEL=6.12 (or KDIR=) says otherwise. KDIR and KREL come from
# scripts/kdir, the one place that finds them. They are NOT exported: a
# sub-make (after `make deps` installed the headers) and the scripts find
# them again, so an empty value from before the install never sticks.
KERNEL ?= 6.1
export KERNEL
ifeq ($(strip $(KDIR)),)
KDIR := $(shell '$(TOP)/scripts/kdir')
endif
KREL := $(if $(KDIR),$(shell KDIR='$(KDIR)' '$(TOP)/scripts/kdir' --release))

KBUILD := $(MAKE) -C '$(KDIR)' M='$(TOP)'
USER_DIRS := user/lib user/helper user/cli user/bridge

.PHONY: all modules user lib helper cli selftests kernel-tools deps lint regen \
	run check check-debug check-dkms check-fresh stress bench fuzz fuzz-tool modules_install clean \
	bridge \
	distclean kdir-check help install uninstall

all: modules lib helper cli bridge selftests fuzz-tool

kdir-check:
	@test -n '$(KDIR)' -a -f '$(KDIR)/Makefile' || \
		{ echo 'no kernel build tree: run "make deps" or set KDIR=' >&2; exit 1; }
	@test -n '$(KREL)' || \
		{ echo 'cannot tell the kernel release of $(KDIR)' >&2; exit 1; }

modules: kdir-check
	$(KBUILD) W=1 modules

# user/lib first: the helper, the CLI and the selftests link against it.
lib:
	$(MAKE) -C '$(TOP)/user/lib'

helper: lib
	$(MAKE) -C '$(TOP)/user/helper'

cli: lib
	$(MAKE) -C '$(TOP)/user/cli'

# The guest end of the host link (libnl only, not libsbexec).
bridge:
	$(MAKE) -C '$(TOP)/user/bridge'

user: lib helper cli bridge

# The selftests include kselftest_harness.h from build/kernel-tools.
selftests: lib kernel-tools
	$(MAKE) -C '$(TOP)/selftests'

kernel-tools:
	@'$(TOP)/scripts/kernel-tools'

deps:
	@'$(TOP)/scripts/deps'

# Sign only when the tree has its signing key (Debian's headers do not: there
# sign-file would just print SSL errors and leave the module unsigned).
SIG_KEY := $(shell sed -n 's/^CONFIG_MODULE_SIG_KEY="\(.*\)"$$/\1/p' '$(KDIR)/.config' 2>/dev/null)
NOSIGN := $(if $(SIG_KEY),$(if $(wildcard $(SIG_KEY) $(KDIR)/$(SIG_KEY)),,CONFIG_MODULE_SIG_ALL=))

modules_install: kdir-check
	$(KBUILD) modules_install $(NOSIGN) \
		$(if $(INSTALL_MOD_PATH),INSTALL_MOD_PATH='$(INSTALL_MOD_PATH)')
ifneq ($(INSTALL_MOD_PATH),)
	@# A staging tree gets the kernel's lists of built-ins, so depmod and
	@# modprobe know them (and depmod does not warn about their absence).
	@d='$(INSTALL_MOD_PATH)/lib/modules/$(KREL)'; \
	for f in modules.order modules.builtin modules.builtin.modinfo; do \
		if [ -f "/lib/modules/$(KREL)/$$f" ] && [ "$$f" != modules.order ]; then \
			cp "/lib/modules/$(KREL)/$$f" "$$d/$$f"; \
		elif [ ! -f "$$d/$$f" ]; then : >"$$d/$$f"; fi; \
	done
endif
	depmod $(if $(INSTALL_MOD_PATH),-b '$(INSTALL_MOD_PATH)') '$(KREL)'

lint: kdir-check kernel-tools
	@'$(TOP)/scripts/lint'

# include/uapi/linux/sbexec_netlink.h, kernel/genl-gen.[ch] from the spec.
regen:
	@'$(TOP)/scripts/spec-check' --write

# CMD is handed over unexpanded ($(value ...)): write it as for the shell,
# e.g. make run CMD='id; echo $HOME' (the guest's sh -c expands $HOME).
run:
	@'$(TOP)/scripts/deps'
	@$(MAKE) -s all
	@SBEXEC_RUN_CMD='$(subst ','\'',$(value CMD))' '$(TOP)/scripts/run'

# `make all` builds everything the guest runs, so scripts/check --built
# tells scripts/vm not to build it again.
check:
	@'$(TOP)/scripts/deps'
	@$(MAKE) all
	@$(MAKE) -s lint
	@'$(TOP)/scripts/check' --built

# tools/fuzz/sbexec-fuzz (selftests/fuzz_smoke.sh runs it in make check).
fuzz-tool:
	$(MAKE) -C '$(TOP)/tools/fuzz'

fuzz:
	@'$(TOP)/scripts/deps'
	@$(MAKE) -s all
	@SBEXEC_FUZZ_COUNT='$(FUZZ_COUNT)' SBEXEC_FUZZ_SEED='$(FUZZ_SEED)' '$(TOP)/scripts/fuzz'

# The debug kernel (scripts/debug-kernel) and the module for it are built
# by scripts/vm --debug-kernel; the user-space parts are the same.
check-debug:
	@'$(TOP)/scripts/deps'
	@'$(TOP)/scripts/check' --debug-kernel

check-dkms:
	@'$(TOP)/scripts/deps'
	@$(MAKE) -s all
	@'$(TOP)/scripts/check-dkms'

check-fresh:
	@'$(TOP)/scripts/check-fresh'

# robust_test alone, its helper-death rounds repeated under load.
SBEXEC_ROBUST_ITERATIONS ?= 100
SBEXEC_ROBUST_LOAD ?= 1
SBEXEC_ROBUST_RACE_ROUNDS ?= 300
stress:
	@'$(TOP)/scripts/deps'
	@$(MAKE) -s all
	@SBEXEC_ROBUST_ITERATIONS='$(SBEXEC_ROBUST_ITERATIONS)' \
		SBEXEC_ROBUST_LOAD='$(SBEXEC_ROBUST_LOAD)' \
		SBEXEC_ROBUST_RACE_ROUNDS='$(SBEXEC_ROBUST_RACE_ROUNDS)' \
		'$(TOP)/scripts/check' --name stress $(STRESS_ARGS) -- selftests/robust_test

# Table on stdout, JSON in build/bench.json; see bench/run.
# BENCH_REPEAT=R: the whole table R times in the one boot (medians and
# spreads); the guest's time limit grows by 250 s a repeat (--limit 850 +
# 250 * (R - 1)), and so does bench/run's guest timeout unless
# SBEXEC_BENCH_TIMEOUT is set.
BENCH_REPEAT ?= 1
bench:
	@case '$(BENCH_REPEAT)' in [1-9]) ;; *) echo "BENCH_REPEAT must be 1 to 9" >&2; exit 2;; esac
	@'$(TOP)/scripts/deps'
	@$(MAKE) -s all
	@$(MAKE) -s -C '$(TOP)/bench'
	@BENCH_REPEAT='$(BENCH_REPEAT)' \
	SBEXEC_BENCH_TIMEOUT="$${SBEXEC_BENCH_TIMEOUT:-$$((900 + 250 * ($(BENCH_REPEAT) - 1)))}" \
		'$(TOP)/bench/run' $(BENCH_ARGS)

clean:
	@if [ -n '$(KDIR)' ] && [ -f '$(KDIR)/Makefile' ]; then $(KBUILD) clean; fi
	@for d in $(USER_DIRS) selftests bench tools/fuzz; do \
		if [ -f "$(TOP)/$$d/Makefile" ]; then $(MAKE) -C "$(TOP)/$$d" clean || exit 1; fi; \
	done
	@# build/ keeps the slow-to-make caches: extracted kernel files and the
	@# debug kernel (make distclean drops them too).
	@if [ -d '$(TOP)/build' ]; then \
		find '$(TOP)/build' -mindepth 1 -maxdepth 1 \
			! -name kernel-tools ! -name debug-kernel ! -name ynl \
			-exec rm -rf {} +; \
	fi

distclean: clean
	rm -rf '$(TOP)/build'

help:
	@sed -n '3,/^$$/p' '$(TOP)/Makefile' | sed -e '/^$$/d' -e 's/^# \{0,1\}//'

include $(TOP)/mk/install.mk
