// SPDX-License-Identifier: GPL-2.0
/*
 * Session membership: every process a session's process creates, at any
 * depth, belongs to the session for as long as it lives, whatever it does
 * (setsid(), a new process group, a double fork, re-parenting to init,
 * exec). The module sees every fork through a probe on the
 * sched_process_fork tracepoint, which runs in the parent after the child
 * is fully set up and before it first runs, so a child is a member before
 * it can execute anything. The probe's cost per fork outside a session is
 * one xarray lookup of the parent's tgid.
 *
 * A probe on sched_process_exit sees every exiting thread; when the last
 * thread of a member exits, the member is dropped and what it used (CPU
 * time, peak RSS, whether the OOM killer chose it) is added to the
 * session's account, and for the session's first process (the leader) the
 * probe records the status the parent's wait() would get, so a status is
 * never lost, even while the helper (the leader's parent) is dead or being
 * restarted. What a status says is decoded here too, for the exit record
 * and the netlink replies and events.
 *
 * The tracepoints are not exported to modules; they are found by name.
 */

#include <linux/delay.h>
#include <linux/oom.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/cputime.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/xarray.h>

#include "sbexec.h"

/**
 * struct sbexec_member - one live process of a session
 * @node: on the session's member list (under its members_lock); empty once
 *	the member is dropped
 * @sess: the session (no reference: members are dropped before the
 *	session's free is queued behind a grace period)
 * @pid: the process's thread group pid (reference held)
 * @leader: the session's first process
 * @rcu: the free is deferred past lookups under RCU
 */
struct sbexec_member {
	struct list_head node;
	struct sbexec_session *sess;
	struct pid *pid;
	bool leader;
	struct rcu_head rcu;
};

/*
 * Global (initial namespace) tgid of every live member to its member.
 * Stores and erases happen under the member's session's members_lock (the
 * xarray's own lock nests inside it); lookups run under RCU.
 */
static DEFINE_XARRAY(sbexec_members);
static struct kmem_cache *sbexec_member_cache;

static struct tracepoint *sbexec_tp_fork;
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
 * Record the leader's exit status (first one wins) and have the session's
 * io_work look at it. May run in the exit probe (atomic context, RCU).
 */
static void sbexec_session_exited(struct sbexec_session *s, int status)
{
	if (cmpxchg(&s->exit_status, -1, status) != -1)
		return;
	queue_work(sbexec_wq, &s->io_work);
}

/*
 * Add what the thread group of @tsk (its last thread, exiting) used to the
 * session's account: the CPU time of its threads that ended before (in
 * its signal struct) and of this one, its peak RSS (saved in the signal
 * struct before its mm went), and whether the OOM killer chose it.
 */
static void sbexec_member_account(struct sbexec_session *s,
				  struct task_struct *tsk)
{
	struct signal_struct *sig = tsk->signal;
	u64 ut, st, rss_kb;

	lockdep_assert_held(&s->members_lock);
	task_cputime_adjusted(tsk, &ut, &st);
	s->cpu_user_ns += ut + READ_ONCE(sig->utime);
	s->cpu_sys_ns += st + READ_ONCE(sig->stime);
	rss_kb = (u64)READ_ONCE(sig->maxrss) << (PAGE_SHIFT - 10);
	if (rss_kb > s->max_rss_kb)
		s->max_rss_kb = rss_kb;
	if (tsk_is_oom_victim(tsk))
		s->oom_killed = true;
}

static void sbexec_member_free_rcu(struct rcu_head *head)
{
	struct sbexec_member *m = container_of(head, struct sbexec_member,
					       rcu);

	put_pid(m->pid);
	kmem_cache_free(sbexec_member_cache, m);
}

/* The member @tsk's thread group is, or NULL. Caller holds RCU. */
static struct sbexec_member *sbexec_member_rcu(struct task_struct *tsk)
{
	struct sbexec_member *m = xa_load(&sbexec_members, tsk->tgid);

	if (m && m->pid != task_tgid(tsk))
		return NULL;
	return m;
}

/*
 * Link @m (with ->pid set) into @s. Caller holds members_lock and has
 * checked that the session takes members. Return: 0 or -ENOMEM.
 */
static int sbexec_member_link(struct sbexec_session *s,
			      struct sbexec_member *m, gfp_t gfp)
{
	int ret;

	lockdep_assert_held(&s->members_lock);
	m->sess = s;
	ret = xa_err(xa_store(&sbexec_members, pid_nr(m->pid), m, gfp));
	if (ret)
		return ret;
	list_add_tail(&m->node, &s->members);
	s->nr_live++;
	s->nr_total++;
	return 0;
}

/* Unlink @m from its session; false if it was unlinked already. */
static bool sbexec_member_unlink(struct sbexec_member *m)
{
	struct sbexec_session *s = m->sess;

	lockdep_assert_held(&s->members_lock);
	if (list_empty(&m->node))
		return false;
	list_del_init(&m->node);
	xa_cmpxchg(&sbexec_members, pid_nr(m->pid), m, NULL, GFP_ATOMIC);
	s->nr_live--;
	call_rcu(&m->rcu, sbexec_member_free_rcu);
	return true;
}

/*
 * A member forked @child: make it a member too. Runs in the fork probe
 * (atomic context, under RCU). A child the session cannot take (at its
 * member limit, or no memory to track it, or a tree kill under way) is
 * killed before it runs: nothing of a session runs untracked.
 */
static void sbexec_member_fork(struct sbexec_session *s,
			       struct task_struct *child)
{
	struct sbexec_member *m;
	int sig = 0;

	m = kmem_cache_zalloc(sbexec_member_cache, GFP_ATOMIC | __GFP_NOWARN);
	spin_lock(&s->members_lock);
	if (s->members_closed) {
		/* The session is being freed: only a tree kill follows it. */
		sig = s->kill_sig;
		goto out_unlock;
	}
	if (s->nr_live >= s->max_members) {
		s->nr_refused++;
		sig = SIGKILL;
		goto out_unlock;
	}
	if (!m) {
		s->nr_refused++;
		sig = SIGKILL;
		goto out_unlock;
	}
	m->pid = get_pid(task_tgid(child));
	if (sbexec_member_link(s, m, GFP_ATOMIC)) {
		put_pid(m->pid);
		s->nr_refused++;
		sig = SIGKILL;
		goto out_unlock;
	}
	m = NULL;
	sig = s->kill_sig;
out_unlock:
	spin_unlock(&s->members_lock);
	if (m)
		kmem_cache_free(sbexec_member_cache, m);
	if (sig)
		send_sig(sig, child, 1);
}

static void sbexec_fork_probe(void *data, struct task_struct *parent,
			      struct task_struct *child)
{
	struct sbexec_member *m;

	/* A new thread joins its group, which is a member or not already. */
	if (child->tgid == parent->tgid)
		return;
	rcu_read_lock();
	m = sbexec_member_rcu(parent);
	if (m)
		sbexec_member_fork(m->sess, child);
	rcu_read_unlock();
}

/*
 * The last thread of @m's process is exiting: drop the member; for the
 * leader, record its status. Atomic context, under RCU.
 */
static void sbexec_member_exited(struct sbexec_member *m,
				 struct task_struct *tsk)
{
	struct sbexec_session *s = m->sess;
	bool gone, leader = m->leader;
	u32 live;

	spin_lock(&s->members_lock);
	gone = sbexec_member_unlink(m);
	if (gone)
		sbexec_member_account(s, tsk);
	live = s->nr_live;
	spin_unlock(&s->members_lock);
	if (!gone)
		return;
	if (leader)
		sbexec_session_exited(s, sbexec_group_status(tsk));
	else if (!live)
		queue_work(sbexec_wq, &s->io_work);	/* the last one */
}

static void sbexec_exit_probe(void *data, struct task_struct *tsk)
{
	struct sbexec_member *m;

	/* Only the last thread of a group: live was decremented to zero. */
	if (atomic_read(&tsk->signal->live))
		return;
	rcu_read_lock();
	m = sbexec_member_rcu(tsk);
	if (m)
		sbexec_member_exited(m, tsk);
	rcu_read_unlock();
}

/*
 * The exit probe may have missed a leader that exited before it became a
 * member. After linking it (with a full barrier), a thread group whose
 * live count is already zero had its last thread past the decrement; wait
 * until it is a zombie, when the status is final, and drop it ourselves.
 * The helper guarantees the leader is not reaped before the reply that
 * brought us here has been processed.
 */
static void sbexec_member_catch_early_exit(struct sbexec_member *m)
{
	struct task_struct *tsk;
	int tries;

	smp_mb();	/* Pairs with atomic_dec_and_test() of signal->live. */
	tsk = get_pid_task(m->pid, PIDTYPE_PID);
	if (!tsk)
		return;
	if (atomic_read(&tsk->signal->live))
		goto out;
	for (tries = 0; tries < 2000 && !READ_ONCE(tsk->exit_state); tries++)
		usleep_range(500, 1000);
	rcu_read_lock();
	sbexec_member_exited(m, tsk);
	rcu_read_unlock();
out:
	put_task_struct(tsk);
}

/**
 * sbexec_members_setup - a new session has no members yet
 * @s: the session, being created
 */
void sbexec_members_setup(struct sbexec_session *s)
{
	spin_lock_init(&s->members_lock);
	INIT_LIST_HEAD(&s->members);
	s->exit_status = -1;
}

/**
 * sbexec_members_add_leader - make @pid the first member of @s
 * @s: the session, not yet started
 * @pid: the process the helper forked for it
 *
 * Called when the helper reports the fork (before the process may run the
 * command) or, for a helper that does not, when the session starts. A
 * second call for the same session does nothing.
 *
 * Return: 0, -ENOMEM, or -EBUSY when the session takes no members any
 * more (it is being freed).
 */
int sbexec_members_add_leader(struct sbexec_session *s, struct pid *pid)
{
	struct sbexec_member *m;
	int ret = 0;

	m = kmem_cache_zalloc(sbexec_member_cache, GFP_KERNEL_ACCOUNT);
	if (!m)
		return -ENOMEM;
	m->pid = get_pid(pid);
	m->leader = true;
	spin_lock(&s->members_lock);
	if (s->members_closed)
		ret = -EBUSY;
	else if (!s->nr_total)
		ret = sbexec_member_link(s, m, GFP_ATOMIC);
	else
		ret = 1;	/* already added */
	spin_unlock(&s->members_lock);
	if (ret) {
		put_pid(m->pid);
		kmem_cache_free(sbexec_member_cache, m);
		return ret < 0 ? ret : 0;
	}
	sbexec_member_catch_early_exit(m);
	return 0;
}

/**
 * sbexec_members_kill - signal every live member of @s
 * @s: the session
 * @sig: the signal; SIGKILL also kills every member forked from now on
 *
 * A member forking while this runs is caught either way: its child is on
 * the list before the walk takes the lock, or it sees the kill after.
 *
 * Return: how many members were signalled.
 */
u32 sbexec_members_kill(struct sbexec_session *s, int sig)
{
	struct sbexec_member *m;
	u32 n = 0;

	spin_lock(&s->members_lock);
	if (sig == SIGKILL)
		s->kill_sig = SIGKILL;
	list_for_each_entry(m, &s->members, node)
		if (!kill_pid(m->pid, sig, 1))
			n++;
	spin_unlock(&s->members_lock);
	return n;
}

/**
 * sbexec_members_live - how many processes of @s live
 * @s: the session
 *
 * Return: the number of live members.
 */
u32 sbexec_members_live(struct sbexec_session *s)
{
	u32 live;

	spin_lock(&s->members_lock);
	live = s->nr_live;
	spin_unlock(&s->members_lock);
	return live;
}

/**
 * sbexec_exit_info_fill - the exit record of a session, as of now
 * @s: the session
 * @status: the leader's wait(2) status
 * @info: filled in: how the leader ended (@exited and @code, or @signal
 *	and @core_dumped) and the whole tree's account so far
 */
void sbexec_exit_info_fill(struct sbexec_session *s, int status,
			   struct sbexec_exit_info *info)
{
	memset(info, 0, sizeof(*info));
	if ((status & 0x7f) == 0) {
		info->exited = 1;
		info->code = (status >> 8) & 0xff;
	} else {
		info->signal = status & 0x7f;
		info->core_dumped = !!(status & 0x80);
	}
	info->timed_out = READ_ONCE(s->timed_out);
	spin_lock(&s->members_lock);
	info->oom_killed = s->oom_killed;
	info->members = s->nr_total;
	info->members_refused = s->nr_refused;
	info->cpu_user_ns = s->cpu_user_ns;
	info->cpu_sys_ns = s->cpu_sys_ns;
	info->max_rss_kb = s->max_rss_kb;
	spin_unlock(&s->members_lock);
	info->stdout_bytes = atomic64_read(&s->stream_bytes[0]);
	info->stderr_bytes = atomic64_read(&s->stream_bytes[1]);
	info->wall_ns = ktime_get_boottime_ns() - s->start_ns;
}

/**
 * sbexec_members_count - live members, members ever and members refused
 * @s: the session
 * @live: set to the number of live members
 * @total: set to the number of members it ever had
 * @refused: set to the number of forks it refused (member limit, memory)
 */
void sbexec_members_count(struct sbexec_session *s, u32 *live, u32 *total,
			  u32 *refused)
{
	spin_lock(&s->members_lock);
	*live = s->nr_live;
	*total = s->nr_total;
	*refused = s->nr_refused;
	spin_unlock(&s->members_lock);
}

/**
 * sbexec_members_release - forget every member of a session being freed
 * @s: the session
 *
 * Its processes live on, untracked, unless a tree kill reached them; a
 * process forked by one of them from now on is not a member (and is
 * killed if the session was tree-killed). Called before the session's
 * free is queued behind a grace period, and on unload while the probes
 * still run: a probe that found a member before it was released sees the
 * session closed and leaves it alone.
 */
void sbexec_members_release(struct sbexec_session *s)
{
	struct sbexec_member *m, *tmp;

	spin_lock(&s->members_lock);
	s->members_closed = true;
	list_for_each_entry_safe(m, tmp, &s->members, node)
		sbexec_member_unlink(m);
	spin_unlock(&s->members_lock);
}

static void sbexec_find_tp(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sched_process_fork"))
		sbexec_tp_fork = tp;
	else if (!strcmp(tp->name, "sched_process_exit"))
		sbexec_tp_exit = tp;
}

/**
 * sbexec_members_init - attach the fork and exit probes
 *
 * Return: 0, -ENOENT when the kernel lacks either tracepoint, -ENOMEM, or
 * the registration's error.
 */
int sbexec_members_init(void)
{
	int err;

	for_each_kernel_tracepoint(sbexec_find_tp, NULL);
	if (!sbexec_tp_fork || !sbexec_tp_exit) {
		pr_err("sbexec: no sched_process_fork/exit tracepoint (CONFIG_TRACEPOINTS?)\n");
		return -ENOENT;
	}
	sbexec_member_cache = KMEM_CACHE(sbexec_member, SLAB_ACCOUNT);
	if (!sbexec_member_cache)
		return -ENOMEM;
	err = tracepoint_probe_register(sbexec_tp_exit, sbexec_exit_probe,
					NULL);
	if (err)
		goto err_cache;
	err = tracepoint_probe_register(sbexec_tp_fork, sbexec_fork_probe,
					NULL);
	if (err)
		goto err_exit_probe;
	return 0;

err_exit_probe:
	tracepoint_probe_unregister(sbexec_tp_exit, sbexec_exit_probe, NULL);
	tracepoint_synchronize_unregister();
err_cache:
	kmem_cache_destroy(sbexec_member_cache);
	return err;
}

/**
 * sbexec_members_exit - detach the probes and free the member cache
 *
 * After every session was released: no member is left. Waits for running
 * probe calls and for the members' deferred frees.
 */
void sbexec_members_exit(void)
{
	tracepoint_probe_unregister(sbexec_tp_fork, sbexec_fork_probe, NULL);
	tracepoint_probe_unregister(sbexec_tp_exit, sbexec_exit_probe, NULL);
	tracepoint_synchronize_unregister();
	rcu_barrier();
	WARN_ON(!xa_empty(&sbexec_members));
	kmem_cache_destroy(sbexec_member_cache);
}
