/*
 * Randomized differential test of sentry/mm against a simple model.
 *
 * Up to three address spaces (fork makes more) share a 48-page region.  The
 * model knows, per page: mapped or not, prot, and what backs it: private
 * anonymous contents, a shared anonymous object and page offset, or a page
 * of one fake file (shared, or private: the file's page until written, then
 * a private copy; pages past EOF give SIGBUS).  Random mmap/munmap/mprotect/mremap/madvise/fork and
 * reads/writes — both Sentry-side (copy_in/out) and app-side (through the
 * fake platform's view, faulting into mm_handle_fault) — are applied to both
 * and every result is compared: return codes, contents, si_codes, the VMA
 * list (which checks splitting and merging), and the consistency of the
 * platform's view with the page table.  Fixed seeds: failures reproduce.
 */
#include "sentry/mm/tests/mm_test_util.h"

#define RP 48
#define RBASE 0x40000000ULL
#define MAXMM 3
#define MAXOBJ 64
#define MAXPGOFF 160
#define RW (PROT_READ | PROT_WRITE)

struct mpage {
	uint8_t d[4096];
};

enum kind { K_ANON, K_SHMEM, K_FSHARED, K_FPRIV };

struct slot {
	bool mapped;
	int prot;
	enum kind kind;
	int obj, pgoff;	  /* K_SHMEM: object; file kinds: pgoff in the file */
	struct mpage *pg; /* K_ANON contents; K_FPRIV private copy once written */
};

/* The fake file: FPAGES pages of data, size just short of FEOF pages. */
#define FPAGES 64
#define FEOF 40
#define FSIZE (FEOF * 4096 - 100)
static uint8_t fdata[FPAGES * 4096];
static struct mpage fcontent[FPAGES]; /* the file's pages as the model sees them */
static struct fake_file ffile;

struct model {
	struct mm *mm;
	struct slot s[RP];
};

static struct memfile *mf;
static struct model models[MAXMM];
static int nmodels;
static struct mpage *shobj[MAXOBJ][MAXPGOFF];
static int nobj;
static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static unsigned rn(unsigned n) { return (unsigned)(rnd() % n); }

static uint64_t PA(int i) { return RBASE + (uint64_t)i * PG; }

static bool is_shared(const struct slot *s) { return s->kind == K_SHMEM || s->kind == K_FSHARED; }

static bool past_eof(const struct slot *s)
{
	return (s->kind == K_FSHARED || s->kind == K_FPRIV) && s->pgoff >= FEOF;
}

/* The bytes the page shows; for_write makes a private file page's copy. */
static uint8_t *slot_bytes(struct slot *s, bool for_write)
{
	switch (s->kind) {
	case K_ANON:
		return s->pg->d;
	case K_SHMEM:
		if (!shobj[s->obj][s->pgoff])
			shobj[s->obj][s->pgoff] = calloc(1, sizeof(struct mpage));
		return shobj[s->obj][s->pgoff]->d;
	case K_FSHARED:
		return fcontent[s->pgoff].d;
	case K_FPRIV:
		if (!s->pg && for_write) {
			s->pg = malloc(sizeof(struct mpage));
			memcpy(s->pg, &fcontent[s->pgoff], sizeof(struct mpage));
		}
		return s->pg ? s->pg->d : fcontent[s->pgoff].d;
	}
	return NULL;
}

static void slot_clear(struct slot *s)
{
	free(s->pg);
	memset(s, 0, sizeof(*s));
}

static void slot_new_private(struct slot *s, int prot)
{
	slot_clear(s);
	s->mapped = true;
	s->prot = prot;
	s->pg = calloc(1, sizeof(struct mpage));
}

static bool readable(const struct slot *s)
{
	return s->mapped && (s->prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) && !past_eof(s);
}

static bool writable(const struct slot *s)
{
	return s->mapped && (s->prot & PROT_WRITE) && !past_eof(s);
}

static int rand_prot(void)
{
	static const int prots[] = {PROT_NONE, PROT_READ, RW, RW, RW, RW | PROT_EXEC};
	return prots[rn(6)];
}

/* Could pages i and i+1 be one VMA? (mm's merge rule) */
static bool same_vma(const struct slot *a, const struct slot *b)
{
	if (!a->mapped || !b->mapped || a->prot != b->prot || a->kind != b->kind)
		return false;
	if (a->kind == K_ANON)
		return true;
	return a->obj == b->obj && a->pgoff + 1 == b->pgoff;
}

/* ---- operations ---- */

static void op_mmap(struct model *m)
{
	int i = (int)rn(RP), n = 1 + (int)rn(8);
	if (i + n > RP)
		n = RP - i;
	int prot = rand_prot();
	unsigned r = rn(10);
	enum kind kind = r < 7 ? K_ANON : r == 7 ? K_SHMEM : r == 8 ? K_FSHARED : K_FPRIV;
	if (kind == K_SHMEM && nobj >= MAXOBJ)
		kind = K_ANON;
	int obj = 0, pg0 = 0;
	int64_t got;
	if (kind == K_ANON || kind == K_SHMEM) {
		int flags =
		    MAP_ANONYMOUS | MAP_FIXED | (kind == K_SHMEM ? MAP_SHARED : MAP_PRIVATE);
		got = mm_mmap(m->mm, PA(i), (uint64_t)n * PG, prot, flags, NULL, 0);
		if (kind == K_SHMEM)
			obj = nobj++;
	} else {
		pg0 = (int)rn(FPAGES - 8);
		int flags = MAP_FIXED | (kind == K_FSHARED ? MAP_SHARED : MAP_PRIVATE);
		got = mm_mmap(m->mm, PA(i), (uint64_t)n * PG, prot, flags, &ffile.f,
			      (uint64_t)pg0 * PG);
	}
	assert_int_equal(got, (int64_t)PA(i));
	for (int k = 0; k < n; k++) {
		struct slot *s = &m->s[i + k];
		slot_clear(s);
		*s = (struct slot){.mapped = true,
				   .prot = prot,
				   .kind = kind,
				   .obj = obj,
				   .pgoff = kind == K_ANON ? 0 : pg0 + k};
		if (kind == K_ANON)
			s->pg = calloc(1, sizeof(struct mpage));
	}
}

static void op_munmap(struct model *m)
{
	int i = (int)rn(RP), n = 1 + (int)rn(10);
	if (i + n > RP)
		n = RP - i;
	assert_int_equal(mm_munmap(m->mm, PA(i), (uint64_t)n * PG), 0);
	for (int k = 0; k < n; k++)
		slot_clear(&m->s[i + k]);
}

static void op_mprotect(struct model *m)
{
	int i = (int)rn(RP), n = 1 + (int)rn(10);
	if (i + n > RP)
		n = RP - i;
	int prot = rand_prot();
	bool hole = false;
	for (int k = 0; k < n; k++)
		hole |= !m->s[i + k].mapped;
	int r = mm_mprotect(m->mm, PA(i), (uint64_t)n * PG, prot);
	assert_int_equal(r, hole ? -ENOMEM : 0);
	if (!hole)
		for (int k = 0; k < n; k++)
			m->s[i + k].prot = prot;
}

static void op_madvise(struct model *m)
{
	int i = (int)rn(RP), n = 1 + (int)rn(10);
	if (i + n > RP)
		n = RP - i;
	bool hole = false;
	for (int k = 0; k < n; k++) {
		struct slot *s = &m->s[i + k];
		hole |= !s->mapped;
		if (s->mapped && s->kind == K_ANON) {
			memset(s->pg->d, 0, PG);
		} else if (s->mapped && s->kind == K_FPRIV) {
			free(s->pg); /* back to the file's page */
			s->pg = NULL;
		}
	}
	assert_int_equal(mm_madvise(m->mm, PA(i), (uint64_t)n * PG, MADV_DONTNEED),
			 hole ? -ENOMEM : 0);
}

/* Sentry-side copy of len bytes at region offset off. */
static void op_copy(struct model *m, bool out)
{
	uint64_t off = rnd() % (RP * PG);
	size_t len = 1 + rn(3 * PG);
	if (off + len > RP * PG)
		len = RP * PG - off;
	uint8_t *buf = malloc(len);
	for (size_t k = 0; k < len; k++)
		buf[k] = (uint8_t)rnd();
	/* Bytes before the first inaccessible page are transferred. */
	size_t ok = 0;
	bool fault = false;
	while (ok < len) {
		struct slot *s = &m->s[(off + ok) / PG];
		if (!(out ? writable(s) : readable(s))) {
			fault = true;
			break;
		}
		size_t n = PG - (off + ok) % PG;
		if (n > len - ok)
			n = len - ok;
		ok += n;
	}
	if (out) {
		assert_int_equal(mm_copy_out(m->mm, RBASE + off, buf, len), fault ? -EFAULT : 0);
		for (size_t k = 0; k < ok; k++)
			slot_bytes(&m->s[(off + k) / PG], true)[(off + k) % PG] = buf[k];
	} else {
		assert_int_equal(mm_copy_in(m->mm, buf, RBASE + off, len), fault ? -EFAULT : 0);
		for (size_t k = 0; k < ok; k++)
			if (buf[k] != slot_bytes(&m->s[(off + k) / PG], false)[(off + k) % PG])
				fail_msg("copy_in mismatch at %#llx",
					 (unsigned long long)(RBASE + off + k));
	}
	free(buf);
}

/* App-side access within one page. */
static void op_app(struct model *m, bool write)
{
	int i = (int)rn(RP);
	size_t po = rn(PG), n = 1 + rn(64);
	if (po + n > PG)
		n = PG - po;
	struct slot *s = &m->s[i];
	uint8_t buf[64];
	for (size_t k = 0; k < n; k++)
		buf[k] = (uint8_t)rnd();
	bool ok = write ? writable(s) : readable(s);
	int r = app_access(m->mm, mf, PA(i) + po, buf, n, write);
	if (s->mapped && (s->prot & 7) && past_eof(s)) {
		/* A page past EOF is never filled: SIGBUS whatever the access
		 * (the platform does not say it was a write to a read-only
		 * page, which Linux would answer with SIGSEGV). */
		assert_int_equal(r, -EIO);
		return;
	}
	if (!ok) {
		assert_int_equal(r, -EFAULT);
		assert_int_equal(last_si_code, s->mapped ? SEGV_ACCERR : SEGV_MAPERR);
		return;
	}
	assert_int_equal(r, 0);
	uint8_t *d = slot_bytes(s, write) + po;
	if (write)
		memcpy(d, buf, n);
	else if (memcmp(d, buf, n) != 0)
		fail_msg("app read mismatch at %#llx", (unsigned long long)(PA(i) + po));
}

/* Give the grown pages [from, to) of a moved/grown range their identity. */
static void grow_slots(struct slot *dst, int from, int to, const struct slot *last)
{
	for (int k = from; k < to; k++) {
		if (last->kind != K_ANON) {
			slot_clear(&dst[k]);
			dst[k] = *last;
			dst[k].pg = NULL;
			dst[k].pgoff = last->pgoff + (k - from) + 1;
		} else {
			slot_new_private(&dst[k], last->prot);
		}
	}
}

static void op_mremap(struct model *m)
{
	int i = (int)rn(RP);
	if (!m->s[i].mapped)
		return;
	int rs = i, re = i + 1;
	while (rs > 0 && same_vma(&m->s[rs - 1], &m->s[rs]))
		rs--;
	while (re < RP && same_vma(&m->s[re - 1], &m->s[re]))
		re++;
	int x = rs + (int)rn((unsigned)(re - rs));
	int y = x + 1 + (int)rn((unsigned)(re - x));
	int old = y - x, nw = 1 + (int)rn(6);
	struct slot last = m->s[y - 1];
	if ((last.kind == K_SHMEM && last.pgoff + nw >= MAXPGOFF) ||
	    (last.kind != K_ANON && last.pgoff + nw >= FPAGES))
		nw = 1;
	bool inplace = rn(2);
	if (getenv("MM_TRACE"))
		fprintf(stderr, "mremap run [%d,%d) x=%d y=%d nw=%d inplace=%d\n", rs, re, x, y, nw,
			inplace);
	if (inplace) {
		if (x + nw > RP) /* stay inside the model's region */
			nw = RP - x;
		/* In place: shrink, or grow when the range ends its VMA and room follows. */
		int64_t r = mm_mremap(m->mm, PA(x), (uint64_t)old * PG, (uint64_t)nw * PG, 0, 0);
		if (nw <= old) {
			assert_int_equal(r, (int64_t)PA(x));
			for (int k = x + nw; k < y; k++)
				slot_clear(&m->s[k]);
			return;
		}
		bool room = y == re;
		for (int k = y; room && k < x + nw; k++)
			room = !m->s[k].mapped;
		if (!room) {
			assert_int_equal(r, -ENOMEM);
			return;
		}
		assert_int_equal(r, (int64_t)PA(x));
		grow_slots(m->s, y, x + nw, &last);
		return;
	}
	/* MREMAP_FIXED to a target that does not overlap the source. */
	int t;
	for (int tries = 0;; tries++) {
		if (tries > 20)
			return;
		t = (int)rn((unsigned)(RP - nw + 1));
		if (t + nw <= x || t >= y)
			break;
	}
	if (getenv("MM_TRACE"))
		fprintf(stderr, "  fixed to t=%d\n", t);
	int64_t r = mm_mremap(m->mm, PA(x), (uint64_t)old * PG, (uint64_t)nw * PG,
			      MREMAP_MAYMOVE | MREMAP_FIXED, PA(t));
	assert_int_equal(r, (int64_t)PA(t));
	int moved = old < nw ? old : nw;
	struct slot tmp[RP];
	memcpy(tmp, &m->s[x], (size_t)moved * sizeof(struct slot));
	for (int k = x + moved; k < y; k++)
		slot_clear(&m->s[k]);
	for (int k = x; k < x + moved; k++)
		memset(&m->s[k], 0, sizeof(struct slot)); /* moved, not freed */
	for (int k = t; k < t + nw; k++)
		slot_clear(&m->s[k]);
	memcpy(&m->s[t], tmp, (size_t)moved * sizeof(struct slot));
	if (nw > moved)
		grow_slots(m->s + t, moved, nw, &tmp[moved - 1]);
}

static void model_free(struct model *m)
{
	mm_put(m->mm);
	for (int k = 0; k < RP; k++)
		slot_clear(&m->s[k]);
}

static void op_fork_or_exit(void)
{
	if (nmodels < MAXMM) {
		struct model *p = &models[rn((unsigned)nmodels)];
		struct model *c = &models[nmodels++];
		c->mm = mm_fork(p->mm);
		assert_non_null(c->mm);
		for (int k = 0; k < RP; k++) {
			c->s[k] = p->s[k];
			if (p->s[k].pg) {
				c->s[k].pg = malloc(sizeof(struct mpage));
				memcpy(c->s[k].pg, p->s[k].pg, sizeof(struct mpage));
			}
		}
		check_consistency(p->mm);
	} else {
		int k = (int)rn((unsigned)nmodels);
		model_free(&models[k]);
		models[k] = models[--nmodels];
	}
}

struct vma_check {
	struct model *m;
	int i; /* next page expected */
};

static void check_vma(const struct mm_vma_info *v, void *arg)
{
	struct vma_check *c = arg;
	struct model *m = c->m;
	assert_true(v->start >= RBASE && v->end <= PA(RP));
	int s = (int)((v->start - RBASE) / PG), e = (int)((v->end - RBASE) / PG);
	for (int k = c->i; k < s; k++)
		if (m->s[k].mapped)
			fail_msg("page %d mapped in the model but not in mm", k);
	/* The VMA is exactly one model run. */
	assert_true(m->s[s].mapped);
	if (s > 0 && same_vma(&m->s[s - 1], &m->s[s])) {
		for (size_t q = 0; q < m->mm->vmas.n; q++) {
			struct vma *w = m->mm->vmas.v[q];
			fprintf(stderr, "vma %d-%d prot %d flags %x file %p off %llx\n",
				(int)((w->start - RBASE) / PG), (int)((w->end - RBASE) / PG),
				w->prot, w->flags, (void *)w->file, (unsigned long long)w->off);
		}
		fail_msg("VMA at page %d should have merged with the one before", s);
	}
	for (int k = s; k < e; k++) {
		assert_true(m->s[k].mapped);
		assert_int_equal(m->s[k].prot, v->prot);
		assert_int_equal(is_shared(&m->s[k]), v->shared);
		if (k > s && !same_vma(&m->s[k - 1], &m->s[k]))
			fail_msg("VMA [%d,%d) spans a model boundary at %d", s, e, k);
	}
	c->i = e;
}

static void verify(struct model *m)
{
	check_consistency(m->mm);
	struct vma_check c = {m, 0};
	mm_for_each_vma(m->mm, check_vma, &c);
	for (int k = c.i; k < RP; k++)
		if (m->s[k].mapped)
			fail_msg("page %d mapped in the model but not in mm", k);
	if (c.i > 0 && c.i < RP && same_vma(&m->s[c.i - 1], &m->s[c.i]))
		fail_msg("last VMA ends early");
	static uint8_t buf[4096];
	for (int k = 0; k < RP; k++) {
		int r = mm_copy_in(m->mm, buf, PA(k), PG);
		if (!readable(&m->s[k])) {
			assert_int_equal(r, -EFAULT);
			continue;
		}
		assert_int_equal(r, 0);
		if (memcmp(buf, slot_bytes(&m->s[k], false), PG) != 0)
			fail_msg("page %d differs from the model", k);
	}
}

static void run(uint64_t seed, int nops)
{
	rng = seed;
	nobj = 0;
	memset(shobj, 0, sizeof(shobj));
	memset(models, 0, sizeof(models));
	assert_int_equal(memfile_new(256ULL << 20, &mf), 0);
	for (size_t k = 0; k < sizeof(fdata); k++)
		fdata[k] = (uint8_t)rnd();
	memset(fcontent, 0, sizeof(fcontent));
	memcpy(fcontent, fdata, FSIZE);
	ff_init(&ffile, mf, fdata, FSIZE, true);
	models[0].mm = mm_new(mf, &fake_plat);
	assert_non_null(models[0].mm);
	nmodels = 1;
	for (int op = 0; op < nops; op++) {
		struct model *m = &models[rn((unsigned)nmodels)];
		unsigned what = rn(20);
		if (getenv("MM_TRACE"))
			fprintf(stderr, "op %d: %u on mm %p\n", op, what, (void *)m->mm);
		switch (what) {
		case 0:
		case 1:
		case 2:
			op_mmap(m);
			break;
		case 3:
			op_munmap(m);
			break;
		case 4:
		case 5:
			op_mprotect(m);
			break;
		case 6:
			op_madvise(m);
			break;
		case 7:
		case 8:
			op_copy(m, true);
			break;
		case 9:
			op_copy(m, false);
			break;
		case 10:
		case 11:
		case 12:
			op_app(m, true);
			break;
		case 13:
		case 14:
			op_app(m, false);
			break;
		case 15:
		case 16:
			op_mremap(m);
			break;
		case 17:
			op_fork_or_exit();
			break;
		default:
			check_consistency(m->mm);
			break;
		}
		if (getenv("MM_TRACE") || op % 50 == 0)
			for (int k = 0; k < nmodels; k++)
				verify(&models[k]);
	}
	for (int k = 0; k < nmodels; k++)
		verify(&models[k]);
	while (nmodels)
		model_free(&models[--nmodels]);
	for (int o = 0; o < MAXOBJ; o++)
		for (int p = 0; p < MAXPGOFF; p++)
			free(shobj[o][p]);
	assert_int_equal(ffile.refs, 0);
	ff_release(&ffile);
	/* Every page returned: no refcount leak anywhere. */
	assert_int_equal(memfile_used(mf), 0);
	memfile_free(mf);
}

static void test_random_ops_match_model_seed1(void **state) { run(0x9e3779b97f4a7c15ULL, 4000); }

static void test_random_ops_match_model_seed2(void **state) { run(0x0123456789abcdefULL, 4000); }

static void test_random_ops_match_model_seed3(void **state) { run(0xdeadbeefcafef00dULL, 4000); }

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_random_ops_match_model_seed1),
	    cmocka_unit_test(test_random_ops_match_model_seed2),
	    cmocka_unit_test(test_random_ops_match_model_seed3),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
