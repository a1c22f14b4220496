// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/sbexec: a misc device whose open files take one of two roles,
 * chosen once by ioctl: the helper (SBEXEC_IOC_HELPER_REGISTER), which
 * reads spawn requests and writes results, or the reader of one session
 * (SBEXEC_IOC_ATTACH), which reads its output records. The device node is
 * mode 0600, and CAP_SYS_ADMIN is checked here and nowhere else: at open(),
 * so that only a privileged process holds such a file, and again when a
 * role is chosen, of the caller then (the file may have been passed on, or
 * its opener may have dropped its privileges since). A file with a role
 * needs no privilege to be used: an attached reader keeps reading.
 */

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "sbexec.h"

enum sbexec_role {
	SBEXEC_ROLE_NONE,
	SBEXEC_ROLE_HELPER,
	SBEXEC_ROLE_READER,
};

/**
 * struct sbexec_devfile - private data of an open /dev/sbexec
 * @lock: protects @role and the role's pointer while the role is chosen
 * @role: enum sbexec_role; set once, never changes afterwards
 * @helper: the helper state (helper role)
 * @sess: the session, with a reference (reader role)
 */
struct sbexec_devfile {
	struct mutex lock;	/* serialises choosing the role */
	int role;
	struct sbexec_helper *helper;
	struct sbexec_session *sess;
};

static int sbexec_dev_open(struct inode *inode, struct file *file)
{
	struct sbexec_devfile *df;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	df = kzalloc(sizeof(*df), GFP_KERNEL);
	if (!df)
		return -ENOMEM;
	mutex_init(&df->lock);
	file->private_data = df;
	return stream_open(inode, file);
}

static int sbexec_dev_release(struct inode *inode, struct file *file)
{
	struct sbexec_devfile *df = file->private_data;

	if (df->role == SBEXEC_ROLE_HELPER) {
		sbexec_helper_unregister(df->helper);
	} else if (df->role == SBEXEC_ROLE_READER) {
		sbexec_session_detach(df->sess);
		sbexec_session_put(df->sess);
	}
	kfree(df);
	return 0;
}

/* The role, once chosen; readers of the role pointers need no lock. */
static int sbexec_dev_role(struct sbexec_devfile *df)
{
	/* Pairs with smp_store_release() where the role is chosen. */
	return smp_load_acquire(&df->role);
}

static ssize_t sbexec_dev_read(struct file *file, char __user *buf,
			       size_t count, loff_t *ppos)
{
	struct sbexec_devfile *df = file->private_data;
	bool nonblock = file->f_flags & O_NONBLOCK;

	switch (sbexec_dev_role(df)) {
	case SBEXEC_ROLE_HELPER:
		return sbexec_helper_read(df->helper, buf, count, nonblock);
	case SBEXEC_ROLE_READER:
		return sbexec_session_read(df->sess, buf, count, nonblock);
	}
	return -EBADFD;
}

static ssize_t sbexec_dev_write(struct file *file, const char __user *buf,
				size_t count, loff_t *ppos)
{
	struct sbexec_devfile *df = file->private_data;

	if (sbexec_dev_role(df) != SBEXEC_ROLE_HELPER)
		return -EBADFD;
	return sbexec_helper_write(df->helper, buf, count);
}

static __poll_t sbexec_dev_poll(struct file *file, poll_table *wait)
{
	struct sbexec_devfile *df = file->private_data;

	switch (sbexec_dev_role(df)) {
	case SBEXEC_ROLE_HELPER:
		return sbexec_helper_poll(df->helper, file, wait);
	case SBEXEC_ROLE_READER:
		return sbexec_session_poll(df->sess, file, wait);
	}
	return EPOLLERR;
}

static int sbexec_dev_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct sbexec_devfile *df = file->private_data;

	if (sbexec_dev_role(df) != SBEXEC_ROLE_READER)
		return -EBADFD;
	return sbexec_ring_mmap(&df->sess->ring, vma);
}

static long sbexec_ioc_attach(struct sbexec_devfile *df, void __user *argp)
{
	struct sbexec_session *s;
	struct sbexec_attach arg;
	int ret;

	if (copy_from_user(&arg, argp, sizeof(arg)))
		return -EFAULT;
	if (arg.flags || arg.reserved)
		return -EINVAL;
	/* 0 is never a session id: out of range, as on netlink. */
	if (!arg.session_id)
		return -ERANGE;
	s = sbexec_session_lookup(arg.session_id);
	if (!s)
		return -ENOENT;
	if (!sbexec_session_may_use(s)) {
		sbexec_session_put(s);
		return -EPERM;
	}
	ret = sbexec_session_attach(s, &arg);
	if (ret) {
		sbexec_session_put(s);
		return ret;
	}
	if (copy_to_user(argp, &arg, sizeof(arg))) {
		sbexec_session_detach(s);
		sbexec_session_put(s);
		return -EFAULT;
	}
	df->sess = s;
	/* Publishes df->sess; pairs with sbexec_dev_role(). */
	smp_store_release(&df->role, SBEXEC_ROLE_READER);
	return 0;
}

static long sbexec_ioc_output_fd(struct sbexec_devfile *df,
				 struct sbexec_output_fd __user *argp)
{
	struct sbexec_output_fd arg;

	if (sbexec_dev_role(df) != SBEXEC_ROLE_HELPER)
		return -EBADFD;
	if (copy_from_user(&arg, argp, sizeof(arg)))
		return -EFAULT;
	return sbexec_helper_output_fd(df->helper, &arg);
}

static long sbexec_dev_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	struct sbexec_devfile *df = file->private_data;
	long ret;

	if (cmd == SBEXEC_IOC_CONSUMED) {
		if (sbexec_dev_role(df) != SBEXEC_ROLE_READER)
			return -EBADFD;
		return sbexec_session_consumed(df->sess);
	}
	if (cmd == SBEXEC_IOC_OUTPUT_FD)
		return sbexec_ioc_output_fd(df, (void __user *)arg);
	if (cmd != SBEXEC_IOC_HELPER_REGISTER && cmd != SBEXEC_IOC_ATTACH)
		return -ENOTTY;
	/* Choosing a role: the caller's privilege, not the opener's. */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;

	mutex_lock(&df->lock);
	if (df->role != SBEXEC_ROLE_NONE) {
		ret = -EBUSY;
		goto out;
	}
	if (cmd == SBEXEC_IOC_HELPER_REGISTER) {
		ret = sbexec_helper_register(&df->helper);
		if (ret)
			goto out;
		/* Publishes df->helper; pairs with sbexec_dev_role(). */
		smp_store_release(&df->role, SBEXEC_ROLE_HELPER);
	} else {
		ret = sbexec_ioc_attach(df, (void __user *)arg);
	}
out:
	mutex_unlock(&df->lock);
	return ret;
}

static const struct file_operations sbexec_dev_fops = {
	.owner = THIS_MODULE,
	.open = sbexec_dev_open,
	.release = sbexec_dev_release,
	.read = sbexec_dev_read,
	.write = sbexec_dev_write,
	.poll = sbexec_dev_poll,
	.mmap = sbexec_dev_mmap,
	.unlocked_ioctl = sbexec_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice sbexec_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = SBEXEC_DEVICE_NAME,
	.fops = &sbexec_dev_fops,
	.mode = 0600,
};

/**
 * sbexec_dev_init - register /dev/sbexec
 *
 * Return: 0 or -errno.
 */
int sbexec_dev_init(void)
{
	return misc_register(&sbexec_misc);
}

/**
 * sbexec_dev_exit - unregister /dev/sbexec
 */
void sbexec_dev_exit(void)
{
	misc_deregister(&sbexec_misc);
}
