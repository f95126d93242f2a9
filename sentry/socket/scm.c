/*
 * scm.c — ancillary data ("socket control messages"): parsing what sendmsg
 * carries (SCM_RIGHTS, SCM_CREDENTIALS) and writing what recvmsg gives back,
 * as Linux's net/core/scm.c.
 *
 * Control data is always a Sentry copy here: the syscall layer copied the
 * app's msg_control in (send) and copies the written part out (receive).
 * Passed files travel as references in a struct scm_files; receiving
 * installs them in the receiver's fd table.  Every file_put here runs with
 * no lock held (a last put may release a socket or talk to the Gofer).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/socket/socket.h"
#include "sentry/vfs/vfs.h"

void scm_files_put(struct scm_files *fp)
{
	if (!fp)
		return;
	for (int i = 0; i < fp->count; i++)
		file_put(fp->files[i]);
	free(fp);
}

struct scm_files *scm_files_dup(const struct scm_files *fp)
{
	struct scm_files *d = malloc(sizeof(*d));
	if (!d)
		return NULL;
	d->count = fp->count;
	for (int i = 0; i < fp->count; i++) {
		d->files[i] = fp->files[i];
		file_get(d->files[i]);
	}
	return d;
}

void scm_destroy(struct scm *scm)
{
	scm_files_put(scm->fp);
	scm->fp = NULL;
}

/* SCM_RIGHTS: take a reference on each descriptor's file (Linux's
 * scm_fp_copy: an empty list is no list; EINVAL past SCM_MAX_FD; EBADF for
 * a descriptor that is not open; O_PATH descriptors may travel). */
static int copy_rights(struct task *t, const struct cmsghdr *h, const char *data, struct scm *scm)
{
	size_t num = (h->cmsg_len - sizeof(*h)) / sizeof(int);
	if (num == 0)
		return 0;
	if (num > SCM_MAX_FD)
		return -EINVAL;
	if (!scm->fp) {
		scm->fp = calloc(1, sizeof(*scm->fp));
		if (!scm->fp)
			return -ENOMEM;
	}
	if (scm->fp->count + num > SCM_MAX_FD)
		return -EINVAL;
	for (size_t i = 0; i < num; i++) {
		int fd;
		memcpy(&fd, data + i * sizeof(int), sizeof(fd));
		struct file *f = fd >= 0 && t ? fdt_get_file(t->fdt, fd) : NULL;
		if (!f)
			return -EBADF;
		scm->fp->files[scm->fp->count++] = f;
	}
	return 0;
}

static bool id_is_own(uint32_t id, uint32_t r, uint32_t e, uint32_t s)
{
	return id == r || id == e || id == s;
}

/* SCM_CREDENTIALS: what Linux's scm_check_creds allows: one's own pid,
 * real/effective/saved ids, or anything with CAP_SYS_ADMIN / CAP_SETUID /
 * CAP_SETGID; the pid must exist. */
static int copy_creds(struct task *t, const struct cmsghdr *h, const char *data, struct scm *scm)
{
	if (h->cmsg_len != CMSG_LEN(sizeof(struct ucred)))
		return -EINVAL;
	struct ucred uc;
	memcpy(&uc, data, sizeof(uc));
	if (uc.uid == (uint32_t)-1 || uc.gid == (uint32_t)-1)
		return -EINVAL;
	const struct creds *c = t ? t->creds : NULL;
	struct scm_creds own;
	socket_task_creds(t, &own, NULL);
	if (c) {
		bool pid_ok = uc.pid == own.pid || creds_capable(c, CAP_SYS_ADMIN);
		bool uid_ok = id_is_own(uc.uid, c->ruid, c->euid, c->suid) ||
			      creds_capable(c, CAP_SETUID);
		bool gid_ok = id_is_own(uc.gid, c->rgid, c->egid, c->sgid) ||
			      creds_capable(c, CAP_SETGID);
		if (!pid_ok || !uid_ok || !gid_ok)
			return -EPERM;
		if (uc.pid != own.pid && !(t->k && uc.pid > 0 && kernel_task_exists(t->k, uc.pid)))
			return -ESRCH;
	}
	scm->creds = (struct scm_creds){uc.pid, uc.uid, uc.gid};
	return 0;
}

int scm_send(struct task *t, const void *control, size_t len, bool rights_ok, struct scm *scm)
{
	memset(scm, 0, sizeof(*scm));
	socket_task_creds(t, &scm->creds, NULL);
	scm->has_creds = true;
	const char *base = control;
	size_t off = 0;
	int r = 0;
	/* As Linux's for_each_cmsghdr and CMSG_OK: a header must fit, and its
	 * length must cover the header and stay inside the buffer. */
	while (base && off <= len && len - off >= sizeof(struct cmsghdr)) {
		struct cmsghdr h;
		memcpy(&h, base + off, sizeof(h));
		if (h.cmsg_len < sizeof(h) || h.cmsg_len > len - off) {
			r = -EINVAL;
			break;
		}
		if (h.cmsg_level == SOL_SOCKET) {
			const char *data = base + off + CMSG_LEN(0);
			if (h.cmsg_type == SCM_RIGHTS)
				r = rights_ok ? copy_rights(t, &h, data, scm) : -EINVAL;
			else if (h.cmsg_type == SCM_CREDENTIALS)
				r = copy_creds(t, &h, data, scm);
			else
				r = -EINVAL;
			if (r < 0)
				break;
		}
		size_t step = CMSG_ALIGN(h.cmsg_len);
		if (step > len - off)
			break;
		off += step;
	}
	if (r < 0) {
		scm_destroy(scm);
		return r;
	}
	if (scm->fp && scm->fp->count == 0) {
		free(scm->fp);
		scm->fp = NULL;
	}
	return 0;
}

/* ---------------------------------------------------------------- receive */

static size_t ctl_room(const struct sock_msg *m)
{
	return m->control ? m->controllen - m->ctl_used : 0;
}

void sock_put_cmsg(struct sock_msg *m, int level, int type, const void *data, size_t len)
{
	size_t room = ctl_room(m);
	if (!m->control || room < sizeof(struct cmsghdr)) {
		m->msg_flags |= MSG_CTRUNC;
		return;
	}
	size_t cmlen = CMSG_LEN(len);
	if (room < cmlen) {
		m->msg_flags |= MSG_CTRUNC;
		cmlen = room;
	}
	struct cmsghdr h = {.cmsg_len = cmlen, .cmsg_level = level, .cmsg_type = type};
	char *p = (char *)m->control + m->ctl_used;
	memcpy(p, &h, sizeof(h));
	memcpy(p + CMSG_LEN(0), data, cmlen - CMSG_LEN(0));
	size_t space = CMSG_SPACE(len);
	m->ctl_used += space < room ? space : room;
}

/* As Linux's scm_detach_fds: install as many files as fit in the room left
 * (and in the fd table); the rest are closed and MSG_CTRUNC says so. */
static void detach_files(struct task *t, struct sock_msg *m, struct scm_files *fp, int flags)
{
	size_t room = ctl_room(m);
	int fdmax = room <= sizeof(struct cmsghdr) ? 0 : (int)((room - sizeof(struct cmsghdr)) / sizeof(int));
	if (fdmax > fp->count)
		fdmax = fp->count;
	int fd_flags = (flags & MSG_CMSG_CLOEXEC) ? FD_CLOEXEC : 0;
	int i;
	char *p = m->control ? (char *)m->control + m->ctl_used : NULL;
	for (i = 0; i < fdmax; i++) {
		int fd = t && t->fdt ? fdt_install(t->fdt, fp->files[i], fd_flags, 0) : -EBADF;
		if (fd < 0)
			break;
		memcpy(p + CMSG_LEN(0) + i * sizeof(int), &fd, sizeof(fd));
	}
	if (i > 0) {
		struct cmsghdr h = {.cmsg_len = CMSG_LEN(i * sizeof(int)),
				    .cmsg_level = SOL_SOCKET,
				    .cmsg_type = SCM_RIGHTS};
		memcpy(p, &h, sizeof(h));
		size_t space = CMSG_SPACE(i * sizeof(int));
		m->ctl_used += space < room ? space : room;
	}
	if (i < fp->count || (fp->count && fdmax <= 0))
		m->msg_flags |= MSG_CTRUNC;
}

void scm_recv(struct task *t, struct socket *s, struct sock_msg *m, int flags)
{
	vmutex_lock(&s->lock);
	bool passcred = s->passcred;
	vmutex_unlock(&s->lock);
	if (!m->control) {
		if (passcred || m->rscm.fp)
			m->msg_flags |= MSG_CTRUNC;
		scm_destroy(&m->rscm);
		return;
	}
	if (passcred) {
		struct ucred uc = {.pid = m->rscm.creds.pid,
				   .uid = m->rscm.creds.uid,
				   .gid = m->rscm.creds.gid};
		sock_put_cmsg(m, SOL_SOCKET, SCM_CREDENTIALS, &uc, sizeof(uc));
	}
	if (m->rscm.fp)
		detach_files(t, m, m->rscm.fp, flags);
	scm_destroy(&m->rscm); /* installed files hold their own references */
}
