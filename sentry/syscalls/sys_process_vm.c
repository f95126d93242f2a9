/*
 * sys_process_vm.c — looking at other processes: kcmp, and
 * process_vm_readv and process_vm_writev: iovec checks
 * as Linux's (flags EINVAL, more than IOV_MAX EINVAL, unreadable arrays
 * EFAULT), then a copy that stops at the first fault on either side and
 * returns what was copied (the error only when nothing was).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>

#include "lib/page.h"
#include "sentry/kernel/kcmp.h"
#include "sentry/kernel/process_vm.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/file_args.h"
#include "sentry/syscalls/syscalls.h"

struct app_iovec {
	uint64_t base, len;
};

/* Copy in and check an iovec array: its total, or -errno. */
static int64_t iov_in(struct task *t, uint64_t addr, uint64_t cnt, struct app_iovec **out)
{
	*out = NULL;
	if (cnt > UIO_MAXIOV_)
		return -EINVAL;
	if (cnt == 0)
		return 0;
	struct app_iovec *v = calloc(cnt, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (task_copy_in(t, v, addr, cnt * sizeof(*v))) {
		free(v);
		return -EFAULT;
	}
	uint64_t total = 0;
	for (uint64_t i = 0; i < cnt; i++) {
		if ((int64_t)v[i].len < 0 || total + v[i].len > INT64_MAX) {
			free(v);
			return -EINVAL;
		}
		total += v[i].len;
	}
	*out = v;
	return (int64_t)(total > MAX_RW_COUNT ? MAX_RW_COUNT : total);
}

static int64_t process_vm_rw(struct task *t, const uint64_t a[6], bool write)
{
	int pid = (int)a[0];
	if (a[5])
		return -EINVAL;
	struct app_iovec *lv, *rv;
	int64_t ltotal = iov_in(t, a[1], a[2], &lv);
	if (ltotal < 0)
		return ltotal;
	int64_t rtotal = iov_in(t, a[3], a[4], &rv);
	if (rtotal < 0) {
		free(lv);
		return rtotal;
	}
	int64_t r = 0;
	struct mm *mm = NULL;
	if (ltotal == 0 || rtotal == 0)
		goto out;
	r = task_access_mm(t, pid, &mm);
	if (r)
		goto out;
	/* Walk both lists together, at most a page of the remote side at a
	 * time so that a fault stops the copy exactly there. */
	uint8_t buf[PAGE_SIZE];
	uint64_t li = 0, loff = 0, ri = 0, roff = 0, done = 0;
	int err = 0;
	while (li < a[2] && ri < a[4] && done < (uint64_t)ltotal) {
		if (loff == lv[li].len) {
			li++, loff = 0;
			continue;
		}
		if (roff == rv[ri].len) {
			ri++, roff = 0;
			continue;
		}
		uint64_t raddr = rv[ri].base + roff, laddr = lv[li].base + loff;
		uint64_t n = PAGE_SIZE - (raddr & (PAGE_SIZE - 1));
		if (n > rv[ri].len - roff)
			n = rv[ri].len - roff;
		if (n > lv[li].len - loff)
			n = lv[li].len - loff;
		if (n > (uint64_t)ltotal - done)
			n = (uint64_t)ltotal - done;
		if (write) {
			if (task_copy_in(t, buf, laddr, n) || mm_copy_out(mm, raddr, buf, n))
				err = -EFAULT;
		} else {
			if (mm_copy_in(mm, buf, raddr, n) || task_copy_out(t, laddr, buf, n))
				err = -EFAULT;
		}
		if (err)
			break;
		done += n;
		loff += n;
		roff += n;
	}
	r = done ? (int64_t)done : err;
out:
	free(lv);
	free(rv);
	if (mm)
		mm_put(mm);
	return r;
}

static int64_t sys_process_vm_readv(struct task *t, const uint64_t a[6])
{
	return process_vm_rw(t, a, false);
}

static int64_t sys_process_vm_writev(struct task *t, const uint64_t a[6])
{
	return process_vm_rw(t, a, true);
}

/* kcmp(2): the kernel compares (sentry/kernel/kcmp.c). */
static int64_t sys_kcmp(struct task *t, const uint64_t a[6])
{
	return task_kcmp(t, (int)a[0], (int)a[1], (int)a[2], a[3], a[4]);
}

const struct syscall_def sys_process_vm_defs[] = {
	{SYS_kcmp, "kcmp", sys_kcmp},
	{SYS_process_vm_readv, "process_vm_readv", sys_process_vm_readv},
	{SYS_process_vm_writev, "process_vm_writev", sys_process_vm_writev},
	{0},
};
