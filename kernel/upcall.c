// SPDX-License-Identifier: GPL-2.0
/*
 * The upcall plane: spawn requests queued for the one registered
 * sbexec-helper, read by it from /dev/sbexec, and answered by its write().
 *
 * Each request has exactly one outcome: it is completed once, by the
 * helper's reply or by the helper's unregistration, or it is taken off its
 * list by its waiter (timeout, fatal signal). Whoever takes it off a list
 * under sbexec_chan_lock decides the outcome; a reply that finds its
 * request gone gets -ENOENT and the helper kills the child it made.
 *
 * The helper reports each child it forks (SBEXEC_UP_FORKED) before the
 * child may execute anything. A request that then ends without a session,
 * whoever ends it, has that child killed here, so a client that is told
 * its command did not start never has it running.
 */

#include <linux/list.h>
#include <linux/pid.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "sbexec.h"

/**
 * struct sbexec_upcall - one spawn request on its way through the helper
 * @node: on sbexec_pending or on the helper's inflight list
 * @ref: held by the waiter, by list membership and by a reading helper
 * @id: request id, copied into the message header
 * @msg: the encoded request (header and attributes); owned
 * @len: its length
 * @sess: the session being started; a reference is held
 * @child: the helper's child for it (SBEXEC_UP_FORKED), or NULL; set under
 *	sbexec_chan_lock while the request is in flight, read by whoever
 *	took the request off its list; a reference is held
 * @reaped: on sbexec_helper_unregister()'s private list
 * @done: completed once, with the outcome in @result and @fail
 * @result: 0 when started, -errno otherwise
 * @fail: why not, when @result is not 0
 */
struct sbexec_upcall {
	struct list_head node;
	struct kref ref;
	u64 id;
	void *msg;
	size_t len;
	struct sbexec_session *sess;
	struct pid *child;
	struct list_head reaped;
	struct completion done;
	int result;
	struct sbexec_failure fail;
};

static void sbexec_upcall_release(struct kref *ref)
{
	struct sbexec_upcall *up = container_of(ref, struct sbexec_upcall, ref);

	put_pid(up->child);
	sbexec_session_put(up->sess);
	kvfree(up->msg);
	kfree(up);
}

static void sbexec_upcall_put(struct sbexec_upcall *up)
{
	kref_put(&up->ref, sbexec_upcall_release);
}

/*
 * The request ends without a session: kill the child the helper forked for
 * it, if it said so. Only by the one who took @up off its list.
 */
static void sbexec_upcall_kill_child(struct sbexec_upcall *up)
{
	if (up->child) {
		/* And everything it forked, wherever that went. */
		sbexec_members_kill(up->sess, SIGKILL);
		sbexec_kill_child(up->child);
	}
}

/**
 * struct sbexec_helper - the registered helper
 * @inflight: requests it has read but not answered
 * @read_lock: serialises its readers
 */
struct sbexec_helper {
	struct list_head inflight;
	struct mutex read_lock;	/* serialises the helper's read() calls */
};

/*
 * sbexec_chan_lock protects sbexec_cur_helper, sbexec_pending,
 * sbexec_nr_upcalls, sbexec_next_upcall_id and every helper's inflight
 * list.
 */
static DEFINE_SPINLOCK(sbexec_chan_lock);
static struct sbexec_helper *sbexec_cur_helper;
static LIST_HEAD(sbexec_pending);
static unsigned int sbexec_nr_upcalls;	/* pending + inflight */
static u64 sbexec_next_upcall_id = 1;
static DECLARE_WAIT_QUEUE_HEAD(sbexec_helper_wq);

static const struct nla_policy sbexec_failure_policy[SBEXEC_FAILURE_A_MAX + 1] = {
	[SBEXEC_FAILURE_A_KIND] = NLA_POLICY_RANGE(NLA_U32, 1, SBEXEC_FAIL_MAX),
	[SBEXEC_FAILURE_A_ERRNO] = NLA_POLICY_MAX(NLA_U32, MAX_ERRNO),
	[SBEXEC_FAILURE_A_ERRNO_NAME] = { .type = NLA_NUL_STRING,
					  .len = SBEXEC_MAX_ERRNO_NAME_LEN },
	[SBEXEC_FAILURE_A_MESSAGE] = { .type = NLA_NUL_STRING,
				       .len = SBEXEC_MAX_MESSAGE_LEN },
	[SBEXEC_FAILURE_A_STAGE] = NLA_POLICY_MAX(NLA_U32, SBEXEC_STAGE_MAX),
};

static const struct nla_policy sbexec_reply_policy[SBEXEC_UA_MAX + 1] = {
	[SBEXEC_UA_PID] = NLA_POLICY_MIN(NLA_U32, 1),	/* <= PID_MAX_LIMIT: code */
	[SBEXEC_UA_STDIN_FD] = { .type = NLA_U32 },
	[SBEXEC_UA_STDOUT_FD] = { .type = NLA_U32 },
	[SBEXEC_UA_STDERR_FD] = { .type = NLA_U32 },
	[SBEXEC_UA_PTY_FD] = { .type = NLA_U32 },
	[SBEXEC_UA_FAILURE] = NLA_POLICY_NESTED(sbexec_failure_policy),
};

static void sbexec_fail_helper_gone(struct sbexec_upcall *up, bool sent)
{
	sbexec_failure_set(&up->fail, SBEXEC_FAIL_HELPER_UNAVAILABLE,
			   SBEXEC_STAGE_UPCALL, ENOTCONN,
			   sent ? "sbexec-helper went away before answering the spawn request" :
				  "sbexec-helper went away before taking the spawn request");
	sbexec_failure_name_errno(&up->fail);
	up->result = -ENOTCONN;
}

/**
 * sbexec_upcall_spawn - ask the helper to start @s's process
 * @s: the session, not started yet
 * @msg: encoded request (header and attributes); ownership passes here
 * @len: its length
 * @fail: why the process was not started, when the return is not 0
 *
 * Waits for the helper's answer, at most upcall_timeout_ms.
 *
 * Return: 0 when the session was started; -EINTR on a fatal signal
 * (nothing runs on our behalf: the child the helper reported forked is
 * killed, a late reply is refused); any other -errno with @fail filled in.
 * Whenever the return is not 0, no child of this request is left running.
 */
int sbexec_upcall_spawn(struct sbexec_session *s, void *msg, size_t len,
			struct sbexec_failure *fail)
{
	struct sbexec_upcall_hdr *hdr = msg;
	struct sbexec_upcall *up;
	unsigned long timeout;
	bool owned;
	long left;
	int ret;

	up = kzalloc(sizeof(*up), GFP_KERNEL);
	if (!up) {
		kvfree(msg);
		return -ENOMEM;
	}
	kref_init(&up->ref);
	kref_get(&s->ref);
	up->sess = s;
	up->msg = msg;
	up->len = len;
	init_completion(&up->done);
	INIT_LIST_HEAD(&up->node);
	INIT_LIST_HEAD(&up->reaped);

	spin_lock(&sbexec_chan_lock);
	if (!sbexec_cur_helper) {
		spin_unlock(&sbexec_chan_lock);
		sbexec_failure_set(fail, SBEXEC_FAIL_HELPER_UNAVAILABLE,
				   SBEXEC_STAGE_ADMISSION, ENOTCONN,
				   "no sbexec-helper is registered on /dev/sbexec; start sbexec-helper");
		sbexec_failure_name_errno(fail);
		ret = -ENOTCONN;
		goto out_put;
	}
	if (sbexec_nr_upcalls >= READ_ONCE(sbexec_max_pending)) {
		spin_unlock(&sbexec_chan_lock);
		sbexec_failure_set(fail, SBEXEC_FAIL_RESOURCE_LIMIT,
				   SBEXEC_STAGE_ADMISSION, EAGAIN,
				   "too many spawn requests queued for sbexec-helper (max_pending=%u)",
				   READ_ONCE(sbexec_max_pending));
		sbexec_failure_name_errno(fail);
		ret = -EAGAIN;
		goto out_put;
	}
	up->id = sbexec_next_upcall_id++;
	hdr->id = up->id;
	sbexec_nr_upcalls++;
	kref_get(&up->ref);	/* the list's */
	list_add_tail(&up->node, &sbexec_pending);
	spin_unlock(&sbexec_chan_lock);
	wake_up_interruptible(&sbexec_helper_wq);

	timeout = msecs_to_jiffies(READ_ONCE(sbexec_upcall_timeout_ms));
	left = wait_for_completion_killable_timeout(&up->done, timeout);
	if (left <= 0) {
		/* Timed out or killed: take the request back unless done. */
		spin_lock(&sbexec_chan_lock);
		owned = !list_empty(&up->node);
		if (owned) {
			list_del_init(&up->node);
			sbexec_nr_upcalls--;
		}
		spin_unlock(&sbexec_chan_lock);
		if (owned) {
			sbexec_upcall_kill_child(up);
			sbexec_upcall_put(up);	/* the list's */
			ret = -EINTR;
			if (left == 0) {
				sbexec_failure_set(fail,
						   SBEXEC_FAIL_HELPER_UNAVAILABLE,
						   SBEXEC_STAGE_UPCALL, ETIMEDOUT,
						   "sbexec-helper did not answer within %u ms",
						   READ_ONCE(sbexec_upcall_timeout_ms));
				sbexec_failure_name_errno(fail);
				ret = -ETIMEDOUT;
			}
			goto out_put;
		}
		/* A reply or the helper's exit is completing it right now. */
		wait_for_completion(&up->done);
	}
	ret = up->result;
	if (ret)
		*fail = up->fail;
out_put:
	sbexec_upcall_put(up);
	return ret;
}

/**
 * sbexec_helper_register - make the caller the helper
 * @out: the helper state, on success
 *
 * The caller (the device's ioctl) has checked CAP_SYS_ADMIN.
 *
 * Return: 0, -EBUSY if a helper is registered, -ENOMEM.
 */
int sbexec_helper_register(struct sbexec_helper **out)
{
	struct sbexec_helper *h;
	int ret = 0;

	h = kzalloc(sizeof(*h), GFP_KERNEL);
	if (!h)
		return -ENOMEM;
	INIT_LIST_HEAD(&h->inflight);
	mutex_init(&h->read_lock);

	spin_lock(&sbexec_chan_lock);
	if (sbexec_cur_helper)
		ret = -EBUSY;
	else
		sbexec_cur_helper = h;
	spin_unlock(&sbexec_chan_lock);
	if (ret) {
		kfree(h);
		return ret;
	}
	*out = h;
	return 0;
}

/**
 * sbexec_helper_output_fd - SBEXEC_IOC_OUTPUT_FD: an output file for a child
 * @h: the helper
 * @arg: the in-flight request's id and the stream
 *
 * Called in the helper's ioctl() context: the fd goes into its table.
 *
 * Return: the fd, or -EINVAL, -ENOENT, -EEXIST, -EMFILE, -ENFILE, -ENOMEM
 * (see the uapi header).
 */
int sbexec_helper_output_fd(struct sbexec_helper *h,
			    const struct sbexec_output_fd *arg)
{
	struct sbexec_session *sess = NULL;
	struct sbexec_sink *k = NULL;
	struct sbexec_upcall *it;
	int ret = -ENOENT;

	if (arg->flags || (arg->stream != SBEXEC_STREAM_STDOUT &&
			   arg->stream != SBEXEC_STREAM_STDERR))
		return -EINVAL;
	spin_lock(&sbexec_chan_lock);
	list_for_each_entry(it, &h->inflight, node) {
		if (it->id != arg->id)
			continue;
		k = it->sess->sink[arg->stream != SBEXEC_STREAM_STDOUT];
		if (!k) {
			ret = -EINVAL;	/* not a DIRECT_OUTPUT session */
		} else if (k->handed) {
			ret = -EEXIST;
		} else {
			k->handed = true;
			sess = it->sess;
			kref_get(&sess->ref);	/* keeps @k */
			ret = 0;
		}
		break;
	}
	spin_unlock(&sbexec_chan_lock);
	if (ret)
		return ret;
	ret = sbexec_sink_install(k);
	if (ret < 0) {
		spin_lock(&sbexec_chan_lock);
		k->handed = false;
		spin_unlock(&sbexec_chan_lock);
	}
	sbexec_session_put(sess);
	return ret;
}

/**
 * sbexec_helper_unregister - the helper's file is released
 * @h: the helper
 *
 * Every request it had read, and every request still waiting for a
 * helper, fails with "helper went away"; sessions already started are not
 * affected (the module owns their I/O and learns their exit itself).
 */
void sbexec_helper_unregister(struct sbexec_helper *h)
{
	struct sbexec_upcall *up, *tmp;
	LIST_HEAD(gone);

	/*
	 * Off their lists under the lock, in one go: a waiter that times out
	 * or is killed meanwhile then finds its request taken and waits for
	 * our completion instead of counting it out a second time.
	 */
	spin_lock(&sbexec_chan_lock);
	if (sbexec_cur_helper == h)
		sbexec_cur_helper = NULL;
	list_for_each_entry_safe(up, tmp, &h->inflight, node) {
		list_del_init(&up->node);
		sbexec_nr_upcalls--;
		sbexec_fail_helper_gone(up, true);
		list_add_tail(&up->reaped, &gone);
	}
	list_for_each_entry_safe(up, tmp, &sbexec_pending, node) {
		list_del_init(&up->node);
		sbexec_nr_upcalls--;
		sbexec_fail_helper_gone(up, false);
		list_add_tail(&up->reaped, &gone);
	}
	spin_unlock(&sbexec_chan_lock);
	wake_up_interruptible(&sbexec_helper_wq);

	list_for_each_entry_safe(up, tmp, &gone, reaped) {
		list_del(&up->reaped);
		sbexec_upcall_kill_child(up);
		complete(&up->done);
		sbexec_upcall_put(up);	/* the list's */
	}
	kfree(h);
}

/**
 * sbexec_helper_read - the helper takes the next spawn request
 * @h: the helper
 * @buf: user buffer
 * @count: its size
 * @nonblock: O_NONBLOCK
 *
 * Return: the message length, -EMSGSIZE if it does not fit (it stays
 * queued), -EAGAIN, -ERESTARTSYS, -EFAULT.
 */
ssize_t sbexec_helper_read(struct sbexec_helper *h, char __user *buf,
			   size_t count, bool nonblock)
{
	struct sbexec_upcall *up;
	ssize_t ret;

	if (mutex_lock_interruptible(&h->read_lock))
		return -ERESTARTSYS;
	for (;;) {
		spin_lock(&sbexec_chan_lock);
		up = list_first_entry_or_null(&sbexec_pending,
					      struct sbexec_upcall, node);
		if (up) {
			if (up->len > count) {
				spin_unlock(&sbexec_chan_lock);
				ret = -EMSGSIZE;
				goto out;
			}
			list_move_tail(&up->node, &h->inflight);
			kref_get(&up->ref);	/* ours, for the copy */
		}
		spin_unlock(&sbexec_chan_lock);
		if (up)
			break;
		ret = -EAGAIN;
		if (nonblock)
			goto out;
		ret = wait_event_interruptible(sbexec_helper_wq,
					       !list_empty_careful(&sbexec_pending));
		if (ret)
			goto out;
	}

	ret = up->len;
	if (copy_to_user(buf, up->msg, up->len)) {
		/* Give it back to the next read, unless its waiter left. */
		spin_lock(&sbexec_chan_lock);
		if (!list_empty(&up->node))
			list_move(&up->node, &sbexec_pending);
		spin_unlock(&sbexec_chan_lock);
		ret = -EFAULT;
	}
	sbexec_upcall_put(up);
out:
	mutex_unlock(&h->read_lock);
	return ret;
}

/**
 * sbexec_helper_poll - poll() of the helper's file
 * @h: the helper
 * @file: its file
 * @wait: poll table
 *
 * Return: EPOLLIN when a request waits.
 */
__poll_t sbexec_helper_poll(struct sbexec_helper *h, struct file *file,
			    poll_table *wait)
{
	poll_wait(file, &sbexec_helper_wq, wait);
	return list_empty_careful(&sbexec_pending) ? 0 : EPOLLIN | EPOLLRDNORM;
}

static int sbexec_parse_failure(struct nlattr *nest, struct sbexec_failure *f)
{
	struct nlattr *tb[SBEXEC_FAILURE_A_MAX + 1];
	int err;

	err = nla_parse_nested(tb, SBEXEC_FAILURE_A_MAX, nest,
			       sbexec_failure_policy, NULL);
	if (err)
		return err;
	if (!tb[SBEXEC_FAILURE_A_KIND] || !tb[SBEXEC_FAILURE_A_MESSAGE])
		return -EINVAL;
	sbexec_failure_set(f, nla_get_u32(tb[SBEXEC_FAILURE_A_KIND]),
			   tb[SBEXEC_FAILURE_A_STAGE] ?
			   nla_get_u32(tb[SBEXEC_FAILURE_A_STAGE]) :
			   SBEXEC_STAGE_NONE,
			   tb[SBEXEC_FAILURE_A_ERRNO] ?
			   nla_get_u32(tb[SBEXEC_FAILURE_A_ERRNO]) : 0,
			   "%s", (char *)nla_data(tb[SBEXEC_FAILURE_A_MESSAGE]));
	if (tb[SBEXEC_FAILURE_A_ERRNO_NAME])
		nla_strscpy(f->errno_name, tb[SBEXEC_FAILURE_A_ERRNO_NAME],
			    sizeof(f->errno_name));
	return 0;
}

/*
 * SBEXEC_UP_FORKED: remember the child forked for in-flight request @id.
 * On error the helper keeps the child at its gate and kills it.
 */
static int sbexec_helper_forked(struct sbexec_helper *h, u64 id,
				struct nlattr **tb)
{
	struct sbexec_session *sess = NULL;
	struct sbexec_upcall *it;
	struct pid *pid, *child = NULL;
	int ret = -ENOENT;

	if (tb[SBEXEC_UA_STDIN_FD] || tb[SBEXEC_UA_STDOUT_FD] ||
	    tb[SBEXEC_UA_STDERR_FD] || tb[SBEXEC_UA_PTY_FD] ||
	    tb[SBEXEC_UA_FAILURE])
		return -EINVAL;
	pid = sbexec_helper_child(tb[SBEXEC_UA_PID]);
	if (IS_ERR(pid))
		return PTR_ERR(pid);
	spin_lock(&sbexec_chan_lock);
	list_for_each_entry(it, &h->inflight, node) {
		if (it->id != id)
			continue;
		if (it->child) {
			ret = -EEXIST;
		} else {
			it->child = pid;
			child = get_pid(pid);
			sess = it->sess;
			kref_get(&sess->ref);
			pid = NULL;
			ret = 0;
		}
		break;
	}
	spin_unlock(&sbexec_chan_lock);
	put_pid(pid);
	if (sess) {
		/* Before it may run: everything it forks is the session's. */
		ret = sbexec_members_add_leader(sess, child);
		sbexec_session_put(sess);
		put_pid(child);
	}
	return ret;
}

/**
 * sbexec_helper_write - the helper reports on a spawn request
 * @h: the helper
 * @buf: one message: header and attributes
 * @count: its length
 *
 * SBEXEC_UP_FORKED records the request's child; SBEXEC_UP_SPAWNED answers
 * the request (started, or a failure).
 *
 * Return: @count, -ENOENT for an id that is not this helper's inflight
 * request (for instance one whose client gave up: the helper must then
 * kill the child it spawned), -EEXIST for a second FORKED, -ESRCH for a
 * FORKED pid that is not the helper's child, -EINVAL for a malformed
 * message (a malformed SPAWNED fails the request with kind Other), -EFAULT.
 */
ssize_t sbexec_helper_write(struct sbexec_helper *h, const char __user *buf,
			    size_t count)
{
	struct nlattr *tb[SBEXEC_UA_MAX + 1];
	struct sbexec_upcall_hdr *hdr;
	struct sbexec_upcall *up, *it;
	void *msg;
	int ret, perr;

	if (count < sizeof(*hdr) || count > SBEXEC_UPCALL_MAX_REPLY)
		return -EINVAL;
	msg = memdup_user(buf, count);
	if (IS_ERR(msg))
		return PTR_ERR(msg);
	hdr = msg;
	if (hdr->len != count || hdr->flags ||
	    (hdr->type != SBEXEC_UP_SPAWNED && hdr->type != SBEXEC_UP_FORKED)) {
		ret = -EINVAL;
		goto out_free;
	}
	perr = nla_parse(tb, SBEXEC_UA_MAX, msg + sizeof(*hdr),
			 count - sizeof(*hdr), sbexec_reply_policy, NULL);
	if (hdr->type == SBEXEC_UP_FORKED) {
		ret = perr ?: sbexec_helper_forked(h, hdr->id, tb);
		goto out_done;
	}

	up = NULL;
	spin_lock(&sbexec_chan_lock);
	list_for_each_entry(it, &h->inflight, node) {
		if (it->id == hdr->id) {
			up = it;
			list_del_init(&up->node);
			sbexec_nr_upcalls--;
			break;
		}
	}
	spin_unlock(&sbexec_chan_lock);
	if (!up) {
		ret = -ENOENT;
		goto out_free;
	}

	ret = perr;
	if (!ret && tb[SBEXEC_UA_FAILURE]) {
		ret = sbexec_parse_failure(tb[SBEXEC_UA_FAILURE], &up->fail);
		if (!ret)
			up->result = up->fail.err ? -(int)up->fail.err : -EINVAL;
	} else if (!ret) {
		ret = sbexec_handoff(up->sess, up->child, tb);
		if (!ret)
			up->result = 0;
	}
	if (ret) {
		sbexec_failure_set(&up->fail, SBEXEC_FAIL_OTHER,
				   SBEXEC_STAGE_UPCALL, -ret,
				   "sbexec-helper sent an invalid spawn reply (error %d); child killed",
				   ret);
		up->result = ret;
	}
	if (up->result)
		sbexec_upcall_kill_child(up);
	complete(&up->done);
	sbexec_upcall_put(up);	/* the list's */
out_done:
	if (!ret)
		ret = count;
out_free:
	kfree(msg);
	return ret;
}
