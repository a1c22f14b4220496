// SPDX-License-Identifier: GPL-2.0
/*
 * churn_true.c - churn_test's command: exit 0 at once. Linked statically,
 * so a session's exec maps no shared libraries and runs no dynamic
 * loader: under TCG that halves a session's cost compared with
 * /bin/true, and the churn measures sbexec rather than ld.so.
 */
int main(void)
{
	return 0;
}
