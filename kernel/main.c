// SPDX-License-Identifier: GPL-2.0
/*
 * sbexec: exec sessions for sandbox guests.
 *
 * Module parameters, and the order in which the planes come up and go
 * down. On unload every remaining session's process group is killed and
 * every session freed; the helper and readers hold module references
 * through their open files, so unload waits for them to close.
 */

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/workqueue.h>
#include <net/genetlink.h>

#include "sbexec.h"

/*
 * Every limit is a positive number: 0 would refuse every EXEC (or time it
 * out at once) without saying why, so writing 0 fails with EINVAL.
 */
static int sbexec_param_set_positive(const char *val,
				     const struct kernel_param *kp)
{
	unsigned int n;
	int err;

	err = kstrtouint(val, 0, &n);
	if (err)
		return err;
	if (!n)
		return -EINVAL;
	WRITE_ONCE(*(unsigned int *)kp->arg, n);
	return 0;
}

static const struct kernel_param_ops sbexec_param_ops_positive = {
	.set = sbexec_param_set_positive,
	.get = param_get_uint,
};

unsigned int sbexec_max_sessions = 1024;
module_param_cb(max_sessions, &sbexec_param_ops_positive,
		&sbexec_max_sessions, 0644);
MODULE_PARM_DESC(max_sessions, "Most sessions at once (default 1024)");

unsigned int sbexec_ring_size = 256 * 1024;
module_param_cb(ring_size, &sbexec_param_ops_positive, &sbexec_ring_size,
		0644);
MODULE_PARM_DESC(ring_size,
		 "Output ring bytes per session, rounded up to a power of two pages (default 256 KiB)");

unsigned int sbexec_max_ring_size = 16 * 1024 * 1024;
module_param_cb(max_ring_size, &sbexec_param_ops_positive,
		&sbexec_max_ring_size, 0644);
MODULE_PARM_DESC(max_ring_size,
		 "Largest ring an EXEC may ask for with RING_SIZE (default 16 MiB)");

unsigned int sbexec_max_ring_memory_kb = 512 * 1024;
module_param_cb(max_ring_memory_kb, &sbexec_param_ops_positive,
		&sbexec_max_ring_memory_kb, 0644);
MODULE_PARM_DESC(max_ring_memory_kb,
		 "Ring memory of all sessions together, in KiB (default 512 MiB)");

unsigned int sbexec_max_pending = 64;
module_param_cb(max_pending, &sbexec_param_ops_positive, &sbexec_max_pending,
		0644);
MODULE_PARM_DESC(max_pending,
		 "Most spawn requests queued for or held by the helper (default 64)");

unsigned int sbexec_upcall_timeout_ms = 30000;
module_param_cb(upcall_timeout_ms, &sbexec_param_ops_positive,
		&sbexec_upcall_timeout_ms, 0644);
MODULE_PARM_DESC(upcall_timeout_ms,
		 "How long EXEC waits for the helper's answer (default 30000)");

unsigned int sbexec_max_members = 1024;
module_param_cb(max_members, &sbexec_param_ops_positive, &sbexec_max_members,
		0644);
MODULE_PARM_DESC(max_members,
		 "Most live processes of one session, and the largest MAX_MEMBERS an EXEC may ask for (default 1024)");

struct workqueue_struct *sbexec_wq;

static int __init sbexec_init(void)
{
	int err;

	sbexec_wq = alloc_workqueue("sbexec", WQ_UNBOUND, 0);
	if (!sbexec_wq)
		return -ENOMEM;
	err = sbexec_members_init();
	if (err)
		goto err_destroy_wq;
	err = sbexec_sessions_init();
	if (err)
		goto err_members;
	err = sbexec_sinks_init();
	if (err)
		goto err_sessions;
	err = sbexec_dev_init();
	if (err)
		goto err_sinks;
	err = sbexec_genl_init();
	if (err)
		goto err_dev;
	return 0;

err_dev:
	sbexec_dev_exit();
err_sinks:
	sbexec_sinks_exit();
err_sessions:
	sbexec_sessions_exit();
err_members:
	sbexec_members_exit();
err_destroy_wq:
	destroy_workqueue(sbexec_wq);
	return err;
}

static void __exit sbexec_exit(void)
{
	sbexec_events_stop();
	sbexec_genl_exit();
	sbexec_dev_exit();
	sbexec_sinks_exit();
	sbexec_sessions_exit();
	sbexec_members_exit();
	destroy_workqueue(sbexec_wq);
}

module_init(sbexec_init);
module_exit(sbexec_exit);

MODULE_DESCRIPTION("sbexec: exec sessions for sandbox guests");
/*
 * Load on first use: a client resolving the "sbexec" genl family makes the
 * kernel modprobe "net-pf-16-proto-16-family-sbexec". /dev/sbexec has a
 * dynamic minor, so the helper's side is loaded by whoever starts it (the
 * systemd unit's ExecStartPre, modules-load.d) or by a first client.
 */
MODULE_ALIAS_GENL_FAMILY(SBEXEC_GENL_NAME);
MODULE_AUTHOR("sbexec developers");
MODULE_LICENSE("GPL");
