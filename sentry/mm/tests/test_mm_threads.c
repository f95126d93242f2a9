/*
 * Concurrency test of sentry/mm: several task threads copy in/out and fault
 * on their own parts of one mm while another thread forks it (turning every
 * private page copy-on-write under their feet), maps and unmaps elsewhere,
 * and reads /proc-style VMA lists.  Each worker checks that it always reads
 * back what it wrote; at the end every page is returned.
 */
#include <pthread.h>

#include "sentry/mm/tests/mm_test_util.h"

#define NWORKERS 4
#define WPAGES 32
#define ITERS 3000
#define BASE 0x40000000ULL

static struct memfile *mf;
static struct mm *mm;
static volatile int stop;

/* The fake platform is not thread-safe by itself; mm calls it under
 * mm->lock, so per mm it is serialized — which this test also checks by
 * running it under ASan/TSan. */

struct worker {
	int id;
	uint64_t base;
	uint8_t shadow[WPAGES][64]; /* first 64 bytes of each page as last written */
	int failures;
};

static uint64_t xs(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t seed = 0x1000 + (uint64_t)w->id;
	for (int it = 0; it < ITERS; it++) {
		int pg = (int)(xs(&seed) % WPAGES);
		uint64_t a = w->base + (uint64_t)pg * PG;
		switch (xs(&seed) % 6) {
		case 0:
		case 1: {
			uint8_t buf[64];
			for (int k = 0; k < 64; k++)
				buf[k] = (uint8_t)xs(&seed);
			if (mm_copy_out(mm, a, buf, 64) != 0)
				w->failures++;
			memcpy(w->shadow[pg], buf, 64);
			break;
		}
		case 2:
		case 3: {
			uint8_t buf[64];
			if (mm_copy_in(mm, buf, a, 64) != 0 || memcmp(buf, w->shadow[pg], 64) != 0)
				w->failures++;
			break;
		}
		case 4: {
			/* Faulting on a page that is already mapped with all
			 * its VMA allows may rightly be SEGV_ACCERR (the mm
			 * takes it for an exec of a non-exec page). */
			int code = 0;
			int r = mm_handle_fault(mm, a + 8, &code);
			if (r != 0 && !(r == -EFAULT && code == SEGV_ACCERR))
				w->failures++;
			break;
		}
		case 5:
			if (mm_madvise(mm, a, PG, MADV_DONTNEED) != 0)
				w->failures++;
			memset(w->shadow[pg], 0, 64);
			break;
		}
	}
	return NULL;
}

static void count_vma(const struct mm_vma_info *v, void *arg) { (*(int *)arg)++; }

static void *forker_main(void *arg)
{
	int *forks = arg;
	uint64_t seed = 77;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		struct mm *c = mm_fork(mm);
		if (!c)
			abort();
		/* The child reads a little, then goes away. */
		uint8_t b;
		mm_copy_in(c, &b, BASE + (xs(&seed) % (NWORKERS * WPAGES)) * PG, 1);
		mm_put(c);
		int64_t x = mm_mmap(mm, 0, 4 * PG, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
		if (x > 0) {
			mm_copy_out(mm, (uint64_t)x, "x", 1);
			mm_munmap(mm, (uint64_t)x, 4 * PG);
		}
		int n = 0;
		mm_for_each_vma(mm, count_vma, &n);
		(*forks)++;
	}
	return NULL;
}

static void test_concurrent_copies_faults_and_forks_stay_consistent(void **state)
{
	assert_int_equal(memfile_new(256ULL << 20, &mf), 0);
	mm = mm_new(mf, &fake_plat);
	assert_non_null(mm);
	assert_int_equal(mm_mmap(mm, BASE, NWORKERS * WPAGES * PG, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0),
			 (int64_t)BASE);
	static struct worker ws[NWORKERS];
	pthread_t th[NWORKERS], ft;
	int forks = 0;
	stop = 0;
	assert_int_equal(pthread_create(&ft, NULL, forker_main, &forks), 0);
	for (int i = 0; i < NWORKERS; i++) {
		memset(&ws[i], 0, sizeof(ws[i]));
		ws[i].id = i;
		ws[i].base = BASE + (uint64_t)i * WPAGES * PG;
		assert_int_equal(pthread_create(&th[i], NULL, worker_main, &ws[i]), 0);
	}
	for (int i = 0; i < NWORKERS; i++)
		pthread_join(th[i], NULL);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	pthread_join(ft, NULL);
	for (int i = 0; i < NWORKERS; i++)
		assert_int_equal(ws[i].failures, 0);
	assert_true(forks > 0);
	check_consistency(mm);
	mm_put(mm);
	assert_int_equal(memfile_used(mf), 0);
	memfile_free(mf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_concurrent_copies_faults_and_forks_stay_consistent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
