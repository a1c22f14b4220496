// SPDX-License-Identifier: GPL-2.0
/*
 * Exit statuses come from the kernel, not from the helper: a probe on the
 * sched_process_exit tracepoint sees every exiting task. When the last
 * thread of a session's process exits, the probe records the status the
 * parent's wait() would get, so a status is never lost, even while the
 * helper (the process's parent) is dead or being restarted.
 *
 * The probe finds a session by its process's tgid in a table of its own;
 * a process that exited before its session was entered there is caught
 * when it is entered. What a status says (exit code or signal) is decoded
 * here too, for the exit record and for the netlink replies and events.
 *
 * The tracepoint is not exported to modules; it is found by name.
 */

#include <linux/delay.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/xarray.h>

#include "sbexec.h"

/*
 * Global (init namespace) tgid of a started session's process to the
 * session, for the exit probe. Lookups run under RCU from the probe;
 * entries are erased before a session's free is queued behind a grace
 * period.
 */
static DEFINE_XARRAY(sbexec_pids);

static struct tracepoint *sbexec_tp_exit;

/*
 * The wait(2) status of a thread group whose last thread is exiting (or
 * has exited), as wait_task_zombie() computes it.
 */
static int sbexec_group_status(struct task_struct *tsk)
{
	struct signal_struct *sig = tsk->signal;

	if (READ_ONCE(sig->flags) & SIGNAL_GROUP_EXIT)
		return READ_ONCE(sig->group_exit_code) & 0xffff;
	return READ_ONCE(tsk->group_leader->exit_code) & 0xffff;
}

/*
 * Record a session's exit status (first one wins) and have its io_work
 * write the exit record. May run in the exit probe (atomic context, under
 * RCU).
 */
static void sbexec_session_exited(struct sbexec_session *s, int status)
{
	if (cmpxchg(&s->exit_status, -1, status) != -1)
		return;
	queue_work(sbexec_wq, &s->io_work);
}

/*
 * The session whose process @tsk (an exiting task) belongs to, or NULL.
 * Caller holds rcu_read_lock() (or runs with preemption disabled); the
 * session stays valid until that ends.
 */
static struct sbexec_session *sbexec_session_by_task_rcu(struct task_struct *tsk)
{
	struct sbexec_session *s = xa_load(&sbexec_pids, tsk->tgid);

	if (s && s->pid != task_tgid(tsk))
		return NULL;
	return s;
}

static void sbexec_exit_probe(void *data, struct task_struct *tsk)
{
	struct sbexec_session *s;

	/* Only the last thread of a group: live was decremented to zero. */
	if (atomic_read(&tsk->signal->live))
		return;
	rcu_read_lock();
	s = sbexec_session_by_task_rcu(tsk);
	if (s)
		sbexec_session_exited(s, sbexec_group_status(tsk));
	rcu_read_unlock();
}

/* Register @s for its pid; replace a stale entry whose process exited. */
static int sbexec_session_hash_pid(struct sbexec_session *s)
{
	unsigned long nr = pid_nr(s->pid);
	struct sbexec_session *old;
	int ret;

	ret = xa_insert(&sbexec_pids, nr, s, GFP_KERNEL);
	if (ret != -EBUSY)
		return ret;
	rcu_read_lock();
	old = xa_load(&sbexec_pids, nr);
	if (old && READ_ONCE(old->exit_status) != -1)
		ret = xa_err(xa_cmpxchg(&sbexec_pids, nr, old, s, GFP_ATOMIC)) ?:
		      0;
	rcu_read_unlock();
	return ret;
}

/*
 * The probe may have missed a process that exited before the session
 * registered its pid. After registering (with a full barrier), a thread
 * group whose live count is already zero had its last thread past the
 * decrement; wait until its leader is a zombie, when the status is final,
 * and record it ourselves. The helper guarantees the child is not reaped
 * before the reply that brought us here has been processed.
 */
static void sbexec_session_catch_early_exit(struct sbexec_session *s)
{
	struct task_struct *tsk;
	int tries;

	smp_mb();	/* Pairs with atomic_dec_and_test() of signal->live. */
	tsk = get_pid_task(s->pid, PIDTYPE_PID);
	if (!tsk)
		return;
	if (atomic_read(&tsk->signal->live))
		goto out;
	for (tries = 0; tries < 2000 && !READ_ONCE(tsk->exit_state); tries++)
		usleep_range(500, 1000);
	sbexec_session_exited(s, sbexec_group_status(tsk));
out:
	put_task_struct(tsk);
}

/**
 * sbexec_exitwatch_add - watch a starting session's process for its exit
 * @s: the session, its @pid set, not running yet
 *
 * Records the status at once if the process has already exited. May sleep.
 */
void sbexec_exitwatch_add(struct sbexec_session *s)
{
	int ret;

	ret = sbexec_session_hash_pid(s);
	if (ret)
		pr_warn_ratelimited("sbexec: session %u: cannot track pid %d (%d)\n",
				    s->id, pid_nr(s->pid), ret);
	sbexec_session_catch_early_exit(s);
}

/**
 * sbexec_exitwatch_forget - stop watching a session's process
 * @s: the session (started or not)
 *
 * Takes the session out of the pid table, if it is still the entry for its
 * pid there: once the exit status is known (io_work) or on release. A
 * compare-and-exchange, so that a later session with a reused pid keeps
 * its own entry. The probe may still see the session until an RCU grace
 * period has passed.
 */
void sbexec_exitwatch_forget(struct sbexec_session *s)
{
	if (s->pid)
		xa_cmpxchg(&sbexec_pids, pid_nr(s->pid), s, NULL, GFP_KERNEL);
}

/**
 * sbexec_exitwatch_empty - whether no session is watched any more
 *
 * Return: true when the pid table is empty.
 */
bool sbexec_exitwatch_empty(void)
{
	return xa_empty(&sbexec_pids);
}

/**
 * sbexec_exit_decode - what a wait(2) status says
 * @status: wait(2) status
 * @info: filled in: @exited and @code, or @signal and @core_dumped
 */
void sbexec_exit_decode(int status, struct sbexec_exit_info *info)
{
	memset(info, 0, sizeof(*info));
	if ((status & 0x7f) == 0) {
		info->exited = 1;
		info->code = (status >> 8) & 0xff;
	} else {
		info->signal = status & 0x7f;
		info->core_dumped = !!(status & 0x80);
	}
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
