# SPDX-License-Identifier: GPL-2.0
# The unit tests of sbexec-helper's library (no module), one kselftest
# program per concern: helper_failure_test, helper_user_test,
# helper_env_test, helper_request_test, helper_spawn_test and
# helper_loop_test. Each is NAME.c plus the shared helper_units.c
# (helper_units.h) linked with the helper's libsbexec-helper.a.
# Included by selftests/Makefile; adds them to TEST_PROGS_EXTRA. Paths are
# relative to this file, so it works from any directory that includes it.

HELPER_UNITS_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
HELPER_UNITS_LIBDIR := $(HELPER_UNITS_DIR)/../user/helper
HELPER_UNITS_LIB := $(HELPER_UNITS_LIBDIR)/libsbexec-helper.a
# KTOOLS (set by selftests/Makefile) holds kselftest_harness.h.
HELPER_UNITS_KTOOLS := $(or $(KTOOLS),$(HELPER_UNITS_DIR)/../build/kernel-tools)
HELPER_UNITS_CFLAGS := -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror \
	-Wno-unused-parameter -O2 -g -I$(HELPER_UNITS_KTOOLS) \
	-I$(HELPER_UNITS_DIR)/../include/uapi

HELPER_UNITS_PROGS := helper_failure_test helper_user_test helper_env_test \
	helper_request_test helper_spawn_test helper_loop_test
TEST_PROGS_EXTRA += $(HELPER_UNITS_PROGS)

# Always ask the helper's make; it relinks the archive only when needed.
$(HELPER_UNITS_LIB): helper_units_force
	$(MAKE) -C $(HELPER_UNITS_LIBDIR) libsbexec-helper.a

$(HELPER_UNITS_PROGS): %: $(HELPER_UNITS_DIR)/%.c $(HELPER_UNITS_DIR)/helper_units.c \
		$(HELPER_UNITS_DIR)/helper_units.h $(HELPER_UNITS_LIB) \
		$(wildcard $(HELPER_UNITS_LIBDIR)/*.h)
	$(CC) $(HELPER_UNITS_CFLAGS) -o $@ $< $(HELPER_UNITS_DIR)/helper_units.c $(HELPER_UNITS_LIB)

helper_units_clean:
	rm -f $(HELPER_UNITS_PROGS)

.PHONY: helper_units_force helper_units_clean
