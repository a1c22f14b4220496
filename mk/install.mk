# SPDX-License-Identifier: GPL-2.0
#
# make install / make uninstall, included by the top-level Makefile.
#
#   make install   [DESTDIR=DIR] [PREFIX=/usr/local] [KDIR=...]
#   make uninstall [DESTDIR=DIR] [PREFIX=/usr/local] [KDIR=...]
#
# What goes where (DESTDIR is prepended to every path; PREFIX defaults to
# /usr/local, and each directory below can be overridden on its own):
#
#   /lib/modules/KREL/extra/sbexec.ko     `make modules_install`, then depmod
#                                          (depmod -b DESTDIR with a DESTDIR);
#                                          compressed when the kernel's config
#                                          says so (.ko.xz on Debian's 6.12).
#                                          INSTALL_MOD_DIR is pinned to extra:
#                                          6.12's kbuild defaults to updates
#   $(sbindir)/sbexec-helper               PREFIX/sbin, 0755
#   $(sbindir)/sbexec-bridge               PREFIX/sbin, 0755 (the host link)
#   $(bindir)/sbexec                       PREFIX/bin, 0755
#   $(libdir)/libsbexec.so.1.0.0           PREFIX/lib, 0755 (soname libsbexec.so.1)
#   $(libdir)/libsbexec.so.1               link to libsbexec.so.1.0.0
#   $(libdir)/libsbexec.so                 link to libsbexec.so.1 (for -lsbexec)
#   $(libdir)/libsbexec.a                  0644
#   $(includedir)/sbexec.h                 PREFIX/include, 0644 (user/lib/sbexec.h)
#   $(includedir)/linux/sbexec.h           0644 (include/uapi/linux/sbexec.h,
#                                          which sbexec.h includes)
#   $(includedir)/linux/sbexec_netlink.h   0644 (its part generated from the
#                                          YNL spec, which it includes)
#   $(includedir)/linux/sbexec_bridge.h    0644 (the bridge protocol)
#   $(pkgconfigdir)/sbexec.pc              PREFIX/lib/pkgconfig, 0644
#   $(mandir)/man1/sbexec.1                PREFIX/share/man, 0644
#   $(mandir)/man3/libsbexec.3
#   $(mandir)/man8/sbexec-helper.8
#   $(unitdir)/sbexec-helper.service       PREFIX/lib/systemd/system, 0644
#   $(modulesloaddir)/sbexec.conf          PREFIX/lib/modules-load.d, 0644
#
# Without DESTDIR, install also runs ldconfig (and depmod, through
# modules_install). uninstall removes exactly these files, then runs depmod
# again; with a DESTDIR whose modules tree holds no module any more, it
# removes the modules.* lists the install put there instead. Use the same
# KDIR (kernel release), PREFIX and DESTDIR for both.
#
# The directory variables are lower case so that no sub-make (user/lib
# has its own LIBDIR) sees them.

PREFIX ?= /usr/local
bindir ?= $(PREFIX)/bin
sbindir ?= $(PREFIX)/sbin
libdir ?= $(PREFIX)/lib
includedir ?= $(PREFIX)/include
mandir ?= $(PREFIX)/share/man
pkgconfigdir ?= $(libdir)/pkgconfig
unitdir ?= $(PREFIX)/lib/systemd/system
modulesloaddir ?= $(PREFIX)/lib/modules-load.d

INSTALL ?= install
SBEXEC_VERSION := $(shell cat '$(TOP)/VERSION')
# Kept in step with user/lib/Makefile (SO_MAJOR, SO_VERSION).
LIBSBEXEC_REAL := libsbexec.so.1.0.0
LIBSBEXEC_SONAME := libsbexec.so.1

# Kbuild runs in KDIR, so the module's staging root must be absolute.
INSTALL_DESTDIR := $(if $(DESTDIR),$(abspath $(DESTDIR)))
MODDIR := $(INSTALL_DESTDIR)/lib/modules/$(KREL)

# Every file install writes, but the module (see uninstall).
INSTALLED_FILES := \
	$(sbindir)/sbexec-helper \
	$(sbindir)/sbexec-bridge \
	$(bindir)/sbexec \
	$(libdir)/$(LIBSBEXEC_REAL) \
	$(libdir)/$(LIBSBEXEC_SONAME) \
	$(libdir)/libsbexec.so \
	$(libdir)/libsbexec.a \
	$(includedir)/sbexec.h \
	$(includedir)/linux/sbexec.h \
	$(includedir)/linux/sbexec_netlink.h \
	$(includedir)/linux/sbexec_bridge.h \
	$(pkgconfigdir)/sbexec.pc \
	$(mandir)/man1/sbexec.1 \
	$(mandir)/man3/libsbexec.3 \
	$(mandir)/man8/sbexec-helper.8 \
	$(unitdir)/sbexec-helper.service \
	$(modulesloaddir)/sbexec.conf

# @NAME@ in dist/*.in.
SUBST := sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(libdir)|g' \
	-e 's|@INCLUDEDIR@|$(includedir)|g' -e 's|@SBINDIR@|$(sbindir)|g' \
	-e 's|@VERSION@|$(SBEXEC_VERSION)|g'

install: modules lib helper cli bridge
	$(MAKE) -C '$(TOP)' modules_install INSTALL_MOD_DIR=extra \
		$(if $(INSTALL_DESTDIR),INSTALL_MOD_PATH='$(INSTALL_DESTDIR)')
	$(INSTALL) -d '$(DESTDIR)$(bindir)' '$(DESTDIR)$(sbindir)' \
		'$(DESTDIR)$(libdir)' '$(DESTDIR)$(includedir)/linux' \
		'$(DESTDIR)$(pkgconfigdir)' '$(DESTDIR)$(mandir)/man1' \
		'$(DESTDIR)$(mandir)/man3' '$(DESTDIR)$(mandir)/man8' \
		'$(DESTDIR)$(unitdir)' '$(DESTDIR)$(modulesloaddir)'
	$(INSTALL) -m 0755 '$(TOP)/user/helper/sbexec-helper' '$(DESTDIR)$(sbindir)/'
	$(INSTALL) -m 0755 '$(TOP)/user/bridge/sbexec-bridge' '$(DESTDIR)$(sbindir)/'
	$(INSTALL) -m 0755 '$(TOP)/user/cli/sbexec' '$(DESTDIR)$(bindir)/'
	$(INSTALL) -m 0755 '$(TOP)/user/lib/$(LIBSBEXEC_REAL)' '$(DESTDIR)$(libdir)/'
	ln -sfn '$(LIBSBEXEC_REAL)' '$(DESTDIR)$(libdir)/$(LIBSBEXEC_SONAME)'
	ln -sfn '$(LIBSBEXEC_SONAME)' '$(DESTDIR)$(libdir)/libsbexec.so'
	$(INSTALL) -m 0644 '$(TOP)/user/lib/libsbexec.a' '$(DESTDIR)$(libdir)/'
	$(INSTALL) -m 0644 '$(TOP)/user/lib/sbexec.h' '$(DESTDIR)$(includedir)/'
	$(INSTALL) -m 0644 '$(TOP)/include/uapi/linux/sbexec.h' \
		'$(TOP)/include/uapi/linux/sbexec_netlink.h' \
		'$(TOP)/include/uapi/linux/sbexec_bridge.h' '$(DESTDIR)$(includedir)/linux/'
	$(SUBST) '$(TOP)/dist/sbexec.pc.in' >'$(DESTDIR)$(pkgconfigdir)/sbexec.pc'
	chmod 0644 '$(DESTDIR)$(pkgconfigdir)/sbexec.pc'
	@# The pages carry @VERSION@ too.
	$(SUBST) '$(TOP)/dist/man/sbexec.1' >'$(DESTDIR)$(mandir)/man1/sbexec.1'
	$(SUBST) '$(TOP)/dist/man/libsbexec.3' >'$(DESTDIR)$(mandir)/man3/libsbexec.3'
	$(SUBST) '$(TOP)/dist/man/sbexec-helper.8' >'$(DESTDIR)$(mandir)/man8/sbexec-helper.8'
	chmod 0644 '$(DESTDIR)$(mandir)/man1/sbexec.1' \
		'$(DESTDIR)$(mandir)/man3/libsbexec.3' \
		'$(DESTDIR)$(mandir)/man8/sbexec-helper.8'
	$(SUBST) '$(TOP)/dist/sbexec-helper.service.in' >'$(DESTDIR)$(unitdir)/sbexec-helper.service'
	chmod 0644 '$(DESTDIR)$(unitdir)/sbexec-helper.service'
	$(INSTALL) -m 0644 '$(TOP)/dist/sbexec.conf' '$(DESTDIR)$(modulesloaddir)/'
ifeq ($(DESTDIR),)
	ldconfig
endif

uninstall: kdir-check
	rm -f $(foreach f,$(INSTALLED_FILES),'$(DESTDIR)$(f)')
	rm -f '$(MODDIR)/extra/sbexec.ko' '$(MODDIR)/extra/sbexec.ko.'*
ifeq ($(DESTDIR),)
	ldconfig
	depmod '$(KREL)'
else
	@# A staging tree whose last module is gone needs no index: drop the
	@# lists modules_install copied there and depmod's files.
	@if [ -d '$(MODDIR)' ]; then \
		if find '$(MODDIR)' -name '*.ko*' | grep -q .; then \
			echo "depmod -b '$(INSTALL_DESTDIR)' '$(KREL)'"; \
			depmod -b '$(INSTALL_DESTDIR)' '$(KREL)'; \
		else \
			echo "rm -f '$(MODDIR)'/modules.*"; \
			rm -f '$(MODDIR)'/modules.*; \
		fi; \
	fi
endif
