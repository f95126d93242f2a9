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

static ssize_t b_write(void *owner, const void *buf, size_t len, uint64_t off) { return -EIO; }
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

static void setup_file(struct fixture *x, uint64_t size)
{
	assert_int_equal(memfile_new(1024 * PG, &x->mf), 0);
	x->b.size = size;
	x->b.data = malloc(size);
	assert_non_null(x->b.data);
	for (uint64_t i = 0; i < size; i++)
		x->b.data[i] = (char)(i / PG * 7 + i % 251);
	x->pc = pagecache_new(x->mf, &b_ops, &x->b, 1, 2);
	assert_non_null(x->pc);
	x->f = pagecache_mm_file(x->pc);
	x->f->ops->get(x->f); /* a mapping holds it */
}

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
	setup_file(&x, 140 * PG);
	check_page(&x, 0);
	assert_int_equal(x.b.reads, 1);
	for (uint64_t p = 1; p < 64; p++) /* the window of a file fault */
		check_page(&x, p);
	assert_int_equal(x.b.reads, 1); /* the window came with the first */
	check_page(&x, 64);
	assert_int_equal(x.b.reads, 2);
	/* A miss inside a window reads from there to the window's end. */
	check_page(&x, 137);
	assert_int_equal(x.b.reads, 3);
	check_page(&x, 139);
	assert_int_equal(x.b.reads, 3);
	check_page(&x, 136);
	assert_int_equal(x.b.reads, 4);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_a_miss_reads_its_whole_window_in_one_read),
	    cmocka_unit_test(test_read_around_stops_at_the_end_of_file_and_at_cached_pages),
	    cmocka_unit_test(test_a_short_read_caches_only_what_it_reached),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
