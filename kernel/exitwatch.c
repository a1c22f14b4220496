// SPDX-License-Identifier: GPL-2.0
/*
 * Exit statuses come from the kernel, not from the helper: a probe on the
 * sched_process_exit tracepoint sees every exiting task. When the last
 * thread of a session's process exits, the probe records the status the
 * parent's wait() would get, so a status is never lost, even while the
 * helper (the process's parent) is dead or being restarted.
 *
 * The tracepoint is not exported to modules; it is found by name.
 */

#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/string.h>
#include <linux/tracepoint.h>

#include "sbexec.h"

static struct tracepoint *sbexec_tp_exit;

static void sbexec_exit_probe(void *data, struct task_struct *tsk)
{
	struct sbexec_session *s;
	struct signal_struct *sig = tsk->signal;
	int status;

	/* Only the last thread of a group: live was decremented to zero. */
	if (atomic_read(&sig->live))
		return;
	rcu_read_lock();
	s = sbexec_session_by_task_rcu(tsk);
	if (s) {
		if (READ_ONCE(sig->flags) & SIGNAL_GROUP_EXIT)
			status = READ_ONCE(sig->group_exit_code);
		else
			status = READ_ONCE(tsk->group_leader->exit_code);
		sbexec_session_exited(s, status & 0xffff);
	}
	rcu_read_unlock();
}

static void sbexec_find_tp(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sched_process_exit"))
		sbexec_tp_exit = tp;
}

/**
 * sbexec_exitwatch_init - attach the exit probe
 *
 * Return: 0, -ENOENT when the kernel has no sched_process_exit
 * tracepoint, or the registration's error.
 */
int sbexec_exitwatch_init(void)
{
	for_each_kernel_tracepoint(sbexec_find_tp, NULL);
	if (!sbexec_tp_exit) {
		pr_err("sbexec: no sched_process_exit tracepoint (CONFIG_TRACEPOINTS?)\n");
		return -ENOENT;
	}
	return tracepoint_probe_register(sbexec_tp_exit, sbexec_exit_probe,
					 NULL);
}

/**
 * sbexec_exitwatch_exit - detach the exit probe and wait for running calls
 */
void sbexec_exitwatch_exit(void)
{
	tracepoint_probe_unregister(sbexec_tp_exit, sbexec_exit_probe, NULL);
	tracepoint_synchronize_unregister();
}
