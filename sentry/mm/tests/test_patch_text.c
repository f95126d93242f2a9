/* Unit tests for sentry/mm/patch_text.c: mm_patch_text, the write behind
 * syscall patching. */
#include "sentry/mm/tests/mm_test_util.h"

static struct memfile *mf;

static int setup(void **state)
{
	fake_releases = 0;
	return memfile_new(16ULL << 20, &mf) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	uint64_t used = memfile_used(mf);
	memfile_free(mf);
	mf = NULL;
	return used ? -1 : 0;
}

#define RX (PROT_READ | PROT_EXEC)

static uint8_t text[2 * 4096];
static const uint8_t site[7] = {0xb8, 0x27, 0, 0, 0, 0x0f, 0x05}; /* mov $39,%eax; syscall */
static const uint8_t call[5] = {0xe8, 0x11, 0x22, 0x33, 0x44};

/* A private r-x mapping of a file holding site at each offset in offs. */
static struct mm *map_text(struct fake_file *ff, const unsigned *offs, int n, int prot, int flags,
			   uint64_t *addr)
{
	memset(text, 0x90, sizeof(text));
	for (int i = 0; i < n; i++)
		memcpy(text + offs[i], site, sizeof(site));
	ff_init(ff, mf, text, sizeof(text), true);
	struct mm *mm = mm_new(mf, &fake_plat);
	assert_non_null(mm);
	int64_t a = mm_mmap(mm, 0, sizeof(text), prot, flags, &ff->f, 0);
	assert_true(a > 0);
	*addr = (uint64_t)a;
	return mm;
}

static void read_back(struct mm *mm, uint64_t a, uint8_t *buf, size_t n)
{
	assert_int_equal(mm_access_force(mm, a, buf, n, false), 0);
}

/* Patched in the mm's own copy: the file and a second mapping keep theirs;
 * the bytes after the replaced ones stay. */
static void test_patch_private_copy_only(void **state)
{
	static const unsigned offs[] = {0x100};
	struct fake_file ff;
	uint64_t a;
	struct mm *mm = map_text(&ff, offs, 1, RX, MAP_PRIVATE, &a);
	struct mm *other = mm_new(mf, &fake_plat);
	int64_t b = mm_mmap(other, 0, sizeof(text), RX, MAP_PRIVATE, &ff.f, 0);
	assert_true(b > 0);
	uint8_t got[7];
	read_back(other, (uint64_t)b + 0x100, got, 7); /* both share the file's page now */
	assert_int_equal(mm_patch_text(mm, a + 0x100, site, 7, call, 5), 0);
	read_back(mm, a + 0x100, got, 7);
	assert_memory_equal(got, call, 5);
	assert_int_equal(got[5], 0x0f);
	assert_int_equal(got[6], 0x05);
	read_back(other, (uint64_t)b + 0x100, got, 7);
	assert_memory_equal(got, site, 7);
	assert_memory_equal(text + 0x100, site, 7);
	/* Again: the bytes are no longer the site's. */
	assert_int_equal(mm_patch_text(mm, a + 0x100, site, 7, call, 5), -EAGAIN);
	check_consistency(mm);
	mm_put(other);
	mm_put(mm);
	ff_release(&ff);
}

/* Every alignment whose 5 bytes fit one aligned 16; never across one or a
 * page. */
static void test_patch_alignment(void **state)
{
	static const unsigned offs[] = {0x200, 0x213, 0x229, 0x23b, 0x24c, 0xffb};
	static const int want[] = {0, 0, 0, 0, -EXDEV, -EXDEV};
	struct fake_file ff;
	uint64_t a;
	struct mm *mm = map_text(&ff, offs, 6, RX, MAP_PRIVATE, &a);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(mm_patch_text(mm, a + offs[i], site, 7, call, 5), want[i]);
		uint8_t got[5];
		read_back(mm, a + offs[i], got, 5);
		assert_memory_equal(got, want[i] ? site : call, 5);
	}
	mm_put(mm);
	ff_release(&ff);
}

/* Not in a shared, a writable or a non-executable mapping, nor where
 * nothing is mapped. */
static void test_patch_refuses_other_mappings(void **state)
{
	static const unsigned offs[] = {0x300};
	struct fake_file ff;
	uint64_t a;
	struct mm *mm = map_text(&ff, offs, 1, RX, MAP_SHARED, &a);
	assert_int_equal(mm_patch_text(mm, a + 0x300, site, 7, call, 5), -EACCES);
	mm_put(mm);
	ff_release(&ff);
	mm = map_text(&ff, offs, 1, RX | PROT_WRITE, MAP_PRIVATE, &a);
	assert_int_equal(mm_patch_text(mm, a + 0x300, site, 7, call, 5), -EACCES);
	mm_put(mm);
	ff_release(&ff);
	mm = map_text(&ff, offs, 1, PROT_READ, MAP_PRIVATE, &a);
	assert_int_equal(mm_patch_text(mm, a + 0x300, site, 7, call, 5), -EACCES);
	assert_int_equal(mm_patch_text(mm, a + 0x10000, site, 7, call, 5), -EACCES);
	mm_put(mm);
	ff_release(&ff);
}

/* A fork's child shares the patched page, copy-on-write. */
static void test_patch_inherited_by_fork(void **state)
{
	static const unsigned offs[] = {0x400};
	struct fake_file ff;
	uint64_t a;
	struct mm *mm = map_text(&ff, offs, 1, RX, MAP_PRIVATE, &a);
	assert_int_equal(mm_patch_text(mm, a + 0x400, site, 7, call, 5), 0);
	struct mm *child = mm_fork(mm);
	assert_non_null(child);
	uint8_t got[5];
	read_back(child, a + 0x400, got, 5);
	assert_memory_equal(got, call, 5);
	mm_put(child);
	mm_put(mm);
	ff_release(&ff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	    T(test_patch_private_copy_only),
	    T(test_patch_alignment),
	    T(test_patch_refuses_other_mappings),
	    T(test_patch_inherited_by_fork),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
