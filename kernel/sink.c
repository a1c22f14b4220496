// SPDX-License-Identifier: GPL-2.0
/*
 * Output files (SBEXEC_EXEC_F_DIRECT_OUTPUT): a session's stdout and stderr
 * as files of the module, whose write() puts the bytes straight into the
 * session's ring (one copy, from the writer's buffer into the ring) instead
 * of into a pipe that io_work then reads into the ring (two copies).
 *
 * What a program sees, against a pipe:
 *  - fstat(): a fifo (S_IFIFO, mode 0600, owned by the helper's fsuid), on
 *    an internal filesystem of the module, so that runtimes which decide
 *    by the file type (libuv's, Node's) treat it as the pipe they expect;
 *    F_GETPIPE_SZ and F_SETPIPE_SZ fail with EBADF, as on any non-pipe;
 *  - isatty() is false; lseek() and pwrite() fail with ESPIPE;
 *  - write(), writev(), O_APPEND, O_NONBLOCK (EAGAIN when the ring is
 *    full), splice() and sendfile() into it work; writes of up to PIPE_BUF
 *    bytes are never split or interleaved with other writers;
 *  - poll() reports EPOLLOUT while a PIPE_BUF write would not block;
 *  - /proc/self/fd/1 (so /dev/stdout) can be opened again for writing;
 *  - once the session cannot deliver more output (its exit record is in
 *    the ring, or it is gone), write() fails with EPIPE and raises SIGPIPE,
 *    and poll() reports EPOLLERR: a pipe's reader going away looks the
 *    same. (A pipe would still take up to its size after the exit record,
 *    bytes nobody would ever read.)
 *
 * Lifetime: a struct sbexec_sink (made and released by io.c with its
 * session) is referenced by its session (until the session is released)
 * and by each open file. Writers reach the session through sink->sess
 * under sink->lock (sbexec_io_sink_session()), taking a session reference
 * for the length of one write. This file is the files' side only.
 */

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mount.h>
#include <linux/poll.h>
#include <linux/pseudo_fs.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uio.h>

#include "sbexec.h"

#define SBEXEC_SINK_MAGIC	0x53425853	/* "SBXS" */

static struct vfsmount *sbexec_sink_mnt;

static void sbexec_sink_open_one(struct sbexec_sink *k, struct inode *inode,
				 struct file *file)
{
	kref_get(&k->ref);
	atomic_inc(&k->writers);
	file->private_data = k;
	stream_open(inode, file);
}

/* open() of /proc/PID/fd/N: another writer of the same output. */
static int sbexec_sink_open(struct inode *inode, struct file *file)
{
	if (file->f_mode & FMODE_READ)
		return -ENXIO;	/* only the session reads its output */
	sbexec_sink_open_one(inode->i_private, inode, file);
	return 0;
}

static int sbexec_sink_release(struct inode *inode, struct file *file)
{
	struct sbexec_sink *k = file->private_data;
	struct sbexec_session *s;

	if (atomic_dec_and_test(&k->writers)) {
		/* The stream's end of file: io_work may write the record. */
		s = sbexec_io_sink_session(k);
		if (s) {
			queue_work(sbexec_wq, &s->io_work);
			sbexec_session_put(s);
		}
	}
	sbexec_io_sink_put(k);
	return 0;
}

static ssize_t sbexec_sink_write_iter(struct kiocb *iocb,
				      struct iov_iter *from)
{
	struct file *file = iocb->ki_filp;
	struct sbexec_sink *k = file->private_data;
	bool nonblock = (file->f_flags & O_NONBLOCK) ||
			(iocb->ki_flags & IOCB_NOWAIT);
	struct sbexec_session *s;
	ssize_t ret;

	if (!iov_iter_count(from))
		return 0;
	s = sbexec_io_sink_session(k);
	ret = s ? sbexec_io_write(s, k, from, nonblock) : -EPIPE;
	sbexec_session_put(s);
	if (ret == -EPIPE)
		send_sig(SIGPIPE, current, 0);
	return ret;
}

static __poll_t sbexec_sink_poll(struct file *file, poll_table *wait)
{
	struct sbexec_sink *k = file->private_data;
	struct sbexec_session *s;
	__poll_t mask;

	poll_wait(file, &k->wait, wait);
	s = sbexec_io_sink_session(k);
	mask = s ? sbexec_io_write_poll(s) : EPOLLERR;
	sbexec_session_put(s);
	return mask;
}

static const struct file_operations sbexec_sink_fops = {
	.owner = THIS_MODULE,
	.open = sbexec_sink_open,
	.release = sbexec_sink_release,
	.write_iter = sbexec_sink_write_iter,
	.splice_write = iter_file_splice_write,
	.poll = sbexec_sink_poll,
};

/**
 * sbexec_sink_install - a new fd of the sink's file in current's table
 * @k: the sink, whose session is being spawned
 *
 * Called for the helper (SBEXEC_IOC_OUTPUT_FD), at most once per sink.
 *
 * Return: the fd (O_WRONLY, O_CLOEXEC), or -EMFILE, -ENFILE, -ENOMEM.
 */
int sbexec_sink_install(struct sbexec_sink *k)
{
	static const char * const names[] = {
		[SBEXEC_STREAM_STDOUT] = "sbexec-stdout",
		[SBEXEC_STREAM_STDERR] = "sbexec-stderr",
	};
	struct inode *inode;
	struct file *file;
	int fd, ret;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;
	inode = alloc_anon_inode(sbexec_sink_mnt->mnt_sb);
	if (IS_ERR(inode)) {
		ret = PTR_ERR(inode);
		goto err_put_fd;
	}
	inode->i_mode = S_IFIFO | 0600;
	inode->i_fop = &sbexec_sink_fops;
	inode->i_private = k;
	/* The file's fops reference, which alloc_file_pseudo() does not take. */
	__module_get(THIS_MODULE);
	file = alloc_file_pseudo(inode, sbexec_sink_mnt, names[k->stream],
				 O_WRONLY, &sbexec_sink_fops);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto err_module_put;
	}
	sbexec_sink_open_one(k, inode, file);
	fd_install(fd, file);
	return fd;

err_module_put:
	module_put(THIS_MODULE);
	iput(inode);
err_put_fd:
	put_unused_fd(fd);
	return ret;
}

/* /proc/PID/fd/N shows "sbexec-stdout:[INO]", as a pipe "pipe:[INO]". */
static char *sbexec_sink_dname(struct dentry *dentry, char *buf, int len)
{
	char name[48];
	int n;

	n = snprintf(name, sizeof(name), "%s:[%lu]", dentry->d_name.name,
		     d_inode(dentry)->i_ino);
	if (n >= len || n >= sizeof(name))
		return ERR_PTR(-ENAMETOOLONG);
	return memcpy(buf + len - n - 1, name, n + 1);
}

static const struct dentry_operations sbexec_sink_dops = {
	.d_dname = sbexec_sink_dname,
};

static int sbexec_sink_init_fs_context(struct fs_context *fc)
{
	struct pseudo_fs_context *ctx = init_pseudo(fc, SBEXEC_SINK_MAGIC);

	if (!ctx)
		return -ENOMEM;
	ctx->dops = &sbexec_sink_dops;
	return 0;
}

/*
 * Not registered, and without an owner: the mount must not pin the module
 * (files do, through their fops); it goes in sbexec_sinks_exit().
 */
static struct file_system_type sbexec_sink_fs_type = {
	.name = "sbexec",
	.init_fs_context = sbexec_sink_init_fs_context,
	.kill_sb = kill_anon_super,
};

/**
 * sbexec_sinks_init - the internal filesystem of the output files
 *
 * Return: 0 or -errno.
 */
int sbexec_sinks_init(void)
{
	sbexec_sink_mnt = kern_mount(&sbexec_sink_fs_type);
	return PTR_ERR_OR_ZERO(sbexec_sink_mnt);
}

/**
 * sbexec_sinks_exit - unmount it (no output file is open: each pins us)
 */
void sbexec_sinks_exit(void)
{
	kern_unmount(sbexec_sink_mnt);
}
