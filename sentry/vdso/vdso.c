/*
 * vdso.c — the vDSO's image and parameter page in the memory file, and
 * their mapping into a process image; see vdso.h.
 *
 * Layout of a mapping, as Linux's: the parameter page ("[vvar]") right
 * below the image ("[vdso]"), which reaches it at a fixed distance (its
 * linker script's vvar_page).  Both are mm_files whose pages are the
 * vDSO's own memory-file pages (shared_page), so mm shows them by name in
 * /proc/PID/maps, fork keeps them, exec drops them with the old
 * mm, and munmap/mremap treat them as any mapping.
 */
#include "sentry/vdso/vdso.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "sentry/vdso/vclock.h"
#include "sentry/vdso/vvar.h"

/* vdso_blob.S */
extern const char vdso_image_start[], vdso_image_end[];

struct vdso_part {
	struct mm_file file;
	struct vdso *vd;
	uint64_t off;	/* memory-file offset of its first page */
	uint64_t bytes; /* page rounded */
};

struct vdso {
	struct memfile *mf;
	struct vdso_part vvar, image;
	volatile struct vvar_data *data; /* the Sentry's view of the vvar page */
};

static struct vdso_part *to_part(struct mm_file *f) { return (struct vdso_part *)f; }

/* The vDSO lives as long as the Sentry: mappings need no reference. */
static void part_get(struct mm_file *f) { (void)f; }
static void part_put(struct mm_file *f) { (void)f; }

static ssize_t part_pread(struct mm_file *f, void *buf, size_t len, uint64_t off)
{
	struct vdso_part *p = to_part(f);
	if (off >= p->bytes)
		return 0;
	if (len > p->bytes - off)
		len = p->bytes - off;
	memcpy(buf, (char *)memfile_ptr(p->vd->mf, p->off) + off, len);
	return (ssize_t)len;
}

static int64_t part_shared_page(struct mm_file *f, uint64_t pgoff)
{
	struct vdso_part *p = to_part(f);
	if (pgoff >= p->bytes / PAGE_SIZE)
		return -EINVAL;
	uint64_t off = p->off + pgoff * PAGE_SIZE;
	memfile_incref(p->vd->mf, off, 1);
	return (int64_t)off;
}

static int64_t part_size(struct mm_file *f) { return (int64_t)to_part(f)->bytes; }

static const struct mm_file_ops vdso_part_ops = {
    .get = part_get,
    .put = part_put,
    .pread = part_pread,
    .shared_page = part_shared_page,
    .size = part_size,
};

static int part_init(struct vdso *vd, struct vdso_part *p, const char *name, uint64_t bytes)
{
	p->vd = vd;
	p->bytes = PAGE_ROUND_UP(bytes);
	int64_t off = memfile_alloc(vd->mf, p->bytes / PAGE_SIZE);
	if (off < 0)
		return (int)off;
	p->off = (uint64_t)off;
	p->file.ops = &vdso_part_ops;
	p->file.name = (char *)name;
	return 0;
}

struct vdso *vdso_new(struct memfile *mf, int64_t boot_ns)
{
	struct vdso *vd = calloc(1, sizeof(*vd));
	if (!vd)
		return NULL;
	vd->mf = mf;
	size_t len = (size_t)(vdso_image_end - vdso_image_start);
	if (part_init(vd, &vd->vvar, "[vvar]", PAGE_SIZE) < 0 ||
	    part_init(vd, &vd->image, "[vdso]", len) < 0) {
		free(vd);
		return NULL;
	}
	memcpy(memfile_ptr(mf, vd->image.off), vdso_image_start, len);
	vd->data = memfile_ptr(mf, vd->vvar.off);
	/* Without a usable TSC the page stays disabled: every call is the
	 * syscall, the host's clocks as before. */
	vclock_start(vd->data, boot_ns);
	return vd;
}

int64_t vdso_map(struct mm *mm, void *arg)
{
	struct vdso *vd = arg;
	uint64_t total = vd->vvar.bytes + vd->image.bytes;
	/* Reserve both where mmap chooses, then map each over its part. */
	int64_t base = mm_mmap(mm, 0, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	if (base < 0)
		return base;
	int64_t r = mm_mmap(mm, (uint64_t)base, vd->vvar.bytes, PROT_READ,
			    MAP_SHARED | MAP_FIXED | MM_MAP_NOMAYWRITE, &vd->vvar.file, 0);
	if (r < 0)
		return r;
	uint64_t image = (uint64_t)base + vd->vvar.bytes;
	r = mm_mmap(mm, image, vd->image.bytes, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED,
		    &vd->image.file, 0);
	if (r < 0)
		return r;
	return (int64_t)image;
}

bool vdso_clock_now(const struct vdso *vd, int clk, int64_t *ns)
{
	return vclock_read(vd->data, clk, ns);
}
