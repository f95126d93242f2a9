/* Unit tests for sentry/mm/pagecache.c: reading a file's pages into the
 * cache around a miss (one read of the backing file per fault-around
 * window), over an in-memory backing file that counts its reads. */
/* cmocka.h needs these first. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/mm/mm.h"
#include "sentry/mm/pagecache.h"

#define PG PAGE_SIZE

struct backing {
	char *data;
	uint64_t size;
	int reads;
	size_t max_read; /* 0: no limit; else each read returns at most this */
	uint64_t claimed; /* 0: size is the size; else what size() says */
};

static void b_get(void *owner) {}
static void b_put(void *owner) {}

static ssize_t b_read(void *owner, void *buf, size_t len, uint64_t off)
{
	struct backing *b = owner;
	b->reads++;
	if (off >= b->size)
		return 0;
	if (len > b->size - off)
		len = b->size - off;
	if (b->max_read && len > b->max_read)
		len = b->max_read;
	memcpy(buf, b->data + off, len);
	return (ssize_t)len;
}

static ssize_t b_write(void *owner, const void *buf, size_t len, uint64_t off)
{
	struct backing *b = owner;
	if (off + len > b->size)
		return -EIO; /* the tests write within the file */
	memcpy(b->data + off, buf, len);
	return (ssize_t)len;
}
static int64_t b_size(void *owner)
{
	struct backing *b = owner;
	return (int64_t)(b->claimed ? b->claimed : b->size);
}
static int b_datasync(void *owner) { return 0; }

static const struct pagecache_ops b_ops = {
    .get = b_get, .put = b_put, .read = b_read, .write = b_write, .size = b_size,
    .datasync = b_datasync};

struct fixture {
	struct memfile *mf;
	struct backing b;
	struct pagecache *pc;
	struct mm_file *f;
};

static void setup_file_keep(struct fixture *x, uint64_t size, bool keep)
{
	if (!x->mf)
		assert_int_equal(memfile_new(1024 * PG, &x->mf), 0);
	x->b.size = size;
	x->b.data = malloc(size);
	assert_non_null(x->b.data);
	for (uint64_t i = 0; i < size; i++)
		x->b.data[i] = (char)(i / PG * 7 + i % 251);
	x->pc = pagecache_new(x->mf, &b_ops, &x->b, 1, 2, keep);
	assert_non_null(x->pc);
	x->f = pagecache_mm_file(x->pc);
	x->f->ops->get(x->f); /* a mapping holds it */
}

static void setup_file(struct fixture *x, uint64_t size) { setup_file_keep(x, size, false); }

static void teardown_file(struct fixture *x)
{
	x->f->ops->put(x->f);
	pagecache_free(x->pc);
	assert_int_equal(memfile_used(x->mf), 0);
	memfile_free(x->mf);
	free(x->b.data);
}

/* The page's frame, checked against the backing file (zeroes past its end);
 * the caller's reference dropped again. */
static void check_page(struct fixture *x, uint64_t pgoff)
{
	int64_t off = x->f->ops->shared_page(x->f, pgoff);
	assert_true(off >= 0);
	const char *p = memfile_ptr(x->mf, (uint64_t)off);
	for (uint64_t i = 0; i < PG; i++) {
		uint64_t fo = pgoff * PG + i;
		char want = fo < x->b.size ? x->b.data[fo] : 0;
		if (p[i] != want)
			fail_msg("page %llu byte %llu", (unsigned long long)pgoff,
				 (unsigned long long)i);
	}
	memfile_decref(x->mf, (uint64_t)off, 1);
}

static void test_a_miss_reads_its_whole_window_in_one_read(void **state)
{
	struct fixture x = {0};
	setup_file(&x, 270 * PG);
	check_page(&x, 0);
	assert_int_equal(x.b.reads, 1);
	for (uint64_t p = 1; p < 128; p++) /* the window of a file fault */
		check_page(&x, p);
	assert_int_equal(x.b.reads, 1); /* the window came with the first */
	check_page(&x, 128);
	assert_int_equal(x.b.reads, 2);
	/* A miss inside a window reads from there to the window's end. */
	check_page(&x, 267);
	assert_int_equal(x.b.reads, 3);
	check_page(&x, 269);
	assert_int_equal(x.b.reads, 3);
	check_page(&x, 266);
	assert_int_equal(x.b.reads, 4);
	teardown_file(&x);
}

/* The frames a read fills may have held another file's or process's data
 * (the memory file's dirty pool hands them out as they are): past the end
 * of the file the last page still reads as zeroes, and nothing of the old
 * data shows. */
static void test_a_page_past_the_end_is_zero_in_a_reused_frame(void **state)
{
	struct fixture x = {0};
	assert_int_equal(memfile_new(1024 * PG, &x.mf), 0);
	int64_t old = memfile_alloc(x.mf, 8);
	assert_true(old >= 0);
	memset(memfile_ptr(x.mf, (uint64_t)old), 0x77, 8 * PG);
	memfile_decref(x.mf, (uint64_t)old, 8);
	assert_int_equal(memfile_dirty_pages(x.mf), 8);
	setup_file(&x, 2 * PG + 100); /* 3 pages, the last one partial */
	check_page(&x, 0);	      /* the window: all 3 pages, one read */
	assert_int_equal(x.b.reads, 1);
	assert_int_equal(memfile_dirty_pages(x.mf), 5); /* they were the pool's */
	check_page(&x, 2);
	check_page(&x, 1);
	teardown_file(&x);
}

static void test_read_around_stops_at_the_end_of_file_and_at_cached_pages(void **state)
{
	struct fixture x = {0};
	setup_file(&x, 20 * PG + 100); /* 21 pages, the last one partial */
	check_page(&x, 18);		/* reads 18..20 only, the tail zero */
	assert_int_equal(x.b.reads, 1);
	check_page(&x, 20);
	check_page(&x, 19);
	assert_int_equal(x.b.reads, 1);
	assert_int_equal(x.f->ops->shared_page(x.f, 21), -EIO); /* past the end */
	check_page(&x, 17);					 /* stops at 18, cached */
	assert_int_equal(x.b.reads, 2);
	teardown_file(&x);
}

/* cached_page gives a cached page's frame (with a reference) and never
 * reads: a page not cached, or past the end, is -ENOENT. */
static void test_cached_page_never_reads(void **state)
{
	struct fixture x = {0};
	setup_file(&x, 200 * PG + 10); /* 201 pages */
	assert_int_equal(x.f->ops->cached_page(x.f, 5), -ENOENT);
	assert_int_equal(x.b.reads, 0);
	check_page(&x, 130); /* reads 130..200 */
	assert_int_equal(x.b.reads, 1);
	int64_t off = x.f->ops->cached_page(x.f, 200);
	assert_true(off >= 0);
	int64_t shared = x.f->ops->shared_page(x.f, 200);
	assert_int_equal(off, shared);
	assert_int_equal(memfile_refcount(x.mf, (uint64_t)off), 3); /* cache + ours */
	memfile_decref(x.mf, (uint64_t)off, 1);
	memfile_decref(x.mf, (uint64_t)off, 1);
	assert_int_equal(x.f->ops->cached_page(x.f, 129), -ENOENT);
	assert_int_equal(x.f->ops->cached_page(x.f, 201), -ENOENT); /* past the end */
	assert_int_equal(x.b.reads, 1);
	teardown_file(&x);
}

static void test_a_short_read_caches_only_what_it_reached(void **state)
{
	struct fixture x = {0};
	setup_file(&x, 16 * PG);
	x.b.max_read = 3 * PG + 10;
	/* The reads loop to the window's length: all 16 pages arrive. */
	check_page(&x, 0);
	assert_true(x.b.reads > 1);
	int reads = x.b.reads;
	check_page(&x, 15);
	assert_int_equal(x.b.reads, reads);
	teardown_file(&x);

	/* A file that ends early (it shrank on the host): the pages past what
	 * the read reached are not cached, and a page with nothing is EIO. */
	struct fixture y = {0};
	setup_file(&y, 16 * PG);
	y.b.claimed = 16 * PG;
	y.b.size = 2 * PG + 5; /* the reads see less than the size says */
	check_page(&y, 0);
	assert_int_equal(y.b.reads, 2); /* 2 pages and 5 bytes, then the end */
	check_page(&y, 1);
	check_page(&y, 2); /* what was read, zeroes after */
	assert_int_equal(y.b.reads, 2);
	assert_int_equal(y.f->ops->shared_page(y.f, 3), -EIO);
	teardown_file(&y);
}

/* ---- pages kept after the last unmapping (file-access=exclusive) ---- */

static void unmap(struct fixture *x) { x->f->ops->put(x->f); }
static void map(struct fixture *x) { x->f->ops->get(x->f); }

static void test_kept_pages_outlive_the_last_unmapping(void **state)
{
	struct fixture x = {0};
	setup_file_keep(&x, 10 * PG, true);
	check_page(&x, 0);
	assert_int_equal(x.b.reads, 1);
	unmap(&x);
	assert_int_equal(pagecache_kept_pages(), 10);
	assert_int_equal(memfile_used(x.mf), 10 * PG);
	/* Mapped again (the program run again): no read of the file. */
	map(&x);
	assert_int_equal(pagecache_kept_pages(), 0);
	for (uint64_t p = 0; p < 10; p++)
		check_page(&x, p);
	assert_int_equal(x.b.reads, 1);
	/* read(2) of what is cached asks the file nothing either. */
	char buf[300];
	assert_int_equal(pagecache_read(x.pc, buf, sizeof(buf), 3 * PG - 100), sizeof(buf));
	assert_memory_equal(buf, x.b.data + 3 * PG - 100, sizeof(buf));
	assert_int_equal(x.b.reads, 1);
	/* Clipped at the end of the file. */
	assert_int_equal(pagecache_read(x.pc, buf, sizeof(buf), 10 * PG - 10), 10);
	assert_int_equal(x.b.reads, 1);
	teardown_file(&x);
	assert_int_equal(pagecache_kept_pages(), 0);
}

static void test_unkept_pages_go_with_the_last_unmapping(void **state)
{
	struct fixture x = {0};
	setup_file(&x, 4 * PG);
	check_page(&x, 0);
	unmap(&x);
	assert_int_equal(pagecache_kept_pages(), 0);
	assert_int_equal(memfile_used(x.mf), 0);
	map(&x);
	check_page(&x, 0);
	assert_int_equal(x.b.reads, 2);
	teardown_file(&x);
}

static void test_a_write_reaches_the_kept_pages(void **state)
{
	struct fixture x = {0};
	setup_file_keep(&x, 4 * PG, true);
	check_page(&x, 0);
	unmap(&x);
	/* write(2) through another description while nothing maps it: the
	 * file, then the cache, as goferfs does. */
	char data[200];
	memset(data, 'w', sizeof(data));
	pagecache_lock(x.pc);
	assert_int_equal(b_write(&x.b, data, sizeof(data), PG + 50), sizeof(data));
	pagecache_written(x.pc, data, sizeof(data), PG + 50, 4 * PG);
	pagecache_unlock(x.pc);
	map(&x);
	check_page(&x, 1); /* the page is the file's new contents */
	assert_int_equal(x.b.reads, 1);
	char buf[sizeof(data)];
	assert_int_equal(pagecache_read(x.pc, buf, sizeof(buf), PG + 50), sizeof(buf));
	assert_memory_equal(buf, data, sizeof(data));
	teardown_file(&x);
}

static void test_a_truncate_drops_the_kept_pages_past_the_end(void **state)
{
	struct fixture x = {0};
	setup_file_keep(&x, 8 * PG, true);
	check_page(&x, 0);
	unmap(&x);
	assert_int_equal(pagecache_kept_pages(), 8);
	/* Truncated to 2.5 pages while nothing maps it. */
	pagecache_lock(x.pc);
	x.b.size = 2 * PG + PG / 2;
	pagecache_resized(x.pc, 8 * PG, x.b.size);
	pagecache_unlock(x.pc);
	assert_int_equal(pagecache_kept_pages(), 3);
	assert_int_equal(memfile_used(x.mf), 3 * PG);
	map(&x);
	check_page(&x, 2); /* zeroes past the new end */
	assert_int_equal(x.f->ops->shared_page(x.f, 3), -EIO);
	/* Grown again: the new pages are read from the file, zeroes. */
	memset(x.b.data + x.b.size, 0, 8 * PG - x.b.size);
	pagecache_lock(x.pc);
	pagecache_resized(x.pc, x.b.size, 8 * PG);
	x.b.size = 8 * PG;
	pagecache_unlock(x.pc);
	check_page(&x, 5);
	assert_int_equal(x.b.reads, 2);
	teardown_file(&x);
}

static void test_past_the_budget_the_least_recently_unmapped_go_first(void **state)
{
	struct fixture x = {0}, y = {0}, z = {0};
	pagecache_set_keep_budget(20);
	setup_file_keep(&x, 10 * PG, true);
	y.mf = x.mf;
	setup_file_keep(&y, 8 * PG, true);
	z.mf = x.mf;
	setup_file_keep(&z, 6 * PG, true);
	check_page(&x, 0);
	check_page(&y, 0);
	check_page(&z, 0);
	unmap(&x); /* oldest */
	unmap(&y);
	assert_int_equal(pagecache_kept_pages(), 18);
	unmap(&z); /* 24 > 20: x goes */
	assert_int_equal(pagecache_kept_pages(), 14);
	map(&x);
	check_page(&x, 0);
	assert_int_equal(x.b.reads, 2);
	map(&y);
	check_page(&y, 0);
	assert_int_equal(y.b.reads, 1); /* y stayed */
	/* Mapped again, y left the LRU: a reclaim to nothing takes z only. */
	assert_int_equal(pagecache_reclaim(0), 6);
	assert_int_equal(pagecache_kept_pages(), 0);
	map(&z);
	pagecache_set_keep_budget(64ULL * 1024 * 1024 / PG);
	struct memfile *mf = x.mf;
	y.mf = z.mf = NULL;
	x.f->ops->put(x.f);
	pagecache_free(x.pc);
	free(x.b.data);
	y.f->ops->put(y.f);
	pagecache_free(y.pc);
	free(y.b.data);
	z.f->ops->put(z.f);
	pagecache_free(z.pc);
	free(z.b.data);
	assert_int_equal(memfile_used(mf), 0);
	memfile_free(mf);
}

static void test_a_short_memory_file_takes_the_kept_pages_back(void **state)
{
	struct fixture x = {0};
	setup_file_keep(&x, 16 * PG, true);
	memfile_set_shrinker(x.mf, pagecache_shrink, NULL);
	check_page(&x, 0);
	unmap(&x);
	assert_int_equal(pagecache_kept_pages(), 16);
	/* A limit of 20 pages: 10 more fit only if the kept ones go. */
	memfile_set_limit(x.mf, 20 * PG);
	int64_t a = memfile_alloc(x.mf, 10);
	assert_true(a >= 0);
	assert_int_equal(pagecache_kept_pages(), 0);
	assert_false(memfile_take_oom(x.mf));
	memfile_decref(x.mf, (uint64_t)a, 10);
	memfile_set_limit(x.mf, 0);
	map(&x);
	teardown_file(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_a_miss_reads_its_whole_window_in_one_read),
	    cmocka_unit_test(test_read_around_stops_at_the_end_of_file_and_at_cached_pages),
	    cmocka_unit_test(test_a_page_past_the_end_is_zero_in_a_reused_frame),
	    cmocka_unit_test(test_cached_page_never_reads),
	    cmocka_unit_test(test_a_short_read_caches_only_what_it_reached),
	    cmocka_unit_test(test_kept_pages_outlive_the_last_unmapping),
	    cmocka_unit_test(test_unkept_pages_go_with_the_last_unmapping),
	    cmocka_unit_test(test_a_write_reaches_the_kept_pages),
	    cmocka_unit_test(test_a_truncate_drops_the_kept_pages_past_the_end),
	    cmocka_unit_test(test_past_the_budget_the_least_recently_unmapped_go_first),
	    cmocka_unit_test(test_a_short_memory_file_takes_the_kept_pages_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
