# SPDX-License-Identifier: GPL-2.0
# helper_units_test: unit tests of sbexec-helper's library (no module).
# Included by selftests/Makefile; adds helper_units_test to
# TEST_PROGS_EXTRA. Paths are relative to this file, so it works from any
# directory that includes it.

HELPER_UNITS_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
HELPER_UNITS_LIBDIR := $(HELPER_UNITS_DIR)/../user/helper
HELPER_UNITS_LIB := $(HELPER_UNITS_LIBDIR)/libsbexec-helper.a
# KTOOLS (set by selftests/Makefile) holds kselftest_harness.h.
HELPER_UNITS_KTOOLS := $(or $(KTOOLS),$(HELPER_UNITS_DIR)/../build/kernel-tools)
HELPER_UNITS_CFLAGS := -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror \
	-Wno-unused-parameter -O2 -g -I$(HELPER_UNITS_KTOOLS) \
	-I$(HELPER_UNITS_DIR)/../include/uapi

TEST_PROGS_EXTRA += helper_units_test

# Always ask the helper's make; it relinks the archive only when needed.
$(HELPER_UNITS_LIB): helper_units_force
	$(MAKE) -C $(HELPER_UNITS_LIBDIR) libsbexec-helper.a

helper_units_test: $(HELPER_UNITS_DIR)/helper_units_test.c $(HELPER_UNITS_LIB) \
		$(wildcard $(HELPER_UNITS_LIBDIR)/*.h)
	$(CC) $(HELPER_UNITS_CFLAGS) -o $@ $< $(HELPER_UNITS_LIB)

helper_units_clean:
	rm -f helper_units_test

.PHONY: helper_units_force helper_units_clean
