/*
 * Unit tests for the systrap platform's queued maps and protects
 * (systrap.c: st_as_queue, st_as_flush): what the Sentry maps or protects
 * while no thread of the address space runs app code waits for the next
 * thread that resumes, and holds before ANY thread runs app code again,
 * not only that one.
 *
 * Many contexts resume together right after a queued map: the first one
 * sends the queue to the leader; the others must wait until the leader is
 * done.  They once saw an empty queue as soon as the first had taken it and
 * ran at once: each such thread faulted on a page the Sentry had already
 * mapped, and the Sentry (which takes a second fault on a page it has just
 * mapped again for an access the mapping forbids) sent it a false SIGSEGV
 * with SEGV_ACCERR, the fault Go programs were reported to die of on
 * systrap under load (issue 10).
 */
/* cmocka.h needs these three first. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "platform/systrap/systrap_internal.h"

#define PLAT_NAME "systrap"
#define STUB_PID(as) systrap_as_stub_pid(as)
#define DEATH_STATUS(as) systrap_as_death_status(as)
/* The shared harness: only part of it is used here. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "platform/tests/plat_test.h"

enum { NTHR = 6, ROUNDS = 150 };

struct racer {
	struct addr_space *as;
	struct context *ctx;
	pthread_barrier_t *bar;
	int faults, others; /* rounds that ended in a fault / anything else wrong */
};

/* One context, bound once, resumed each round at CODE_VA: it reads DATA_VA
 * and traps with what it read (syscall 60, rdi). */
static void *racer_run(void *a)
{
	struct racer *r = a;
	for (int i = 0; i <= ROUNDS; i++) {
		pthread_barrier_wait(r->bar); /* the round's map is queued */
		plat_regs_t regs;
		memset(&regs, 0, sizeof(regs));
		regs.rip = CODE_VA;
		regs.rsp = STACK_VA + PAGE / 2;
		struct plat_event ev;
		int ret = ops->context_switch(r->ctx, r->as, &regs, &ev);
		if (ret == 0 && ev.kind == PLAT_EV_FAULT && ev.fault_addr == DATA_VA)
			r->faults++;
		else if (ret || ev.kind != PLAT_EV_SYSCALL || regs.orig_rax != 60 ||
			 regs.rdi != 0x5151 + (unsigned)i)
			r->others++;
		pthread_barrier_wait(r->bar); /* every context is back in the Sentry */
	}
	return NULL;
}

static void test_a_queued_map_holds_for_every_thread_that_resumes(void **state)
{
	struct prog p = {0};
	movabs_rbx(&p, DATA_VA);
	EMIT(&p, 0x48, 0x8b, 0x3b); /* mov (%rbx),%rdi */
	trap60(&p);
	struct env e;
	env_start(&e, &p);
	pthread_barrier_t bar;
	pthread_barrier_init(&bar, NULL, NTHR + 1);
	struct racer r[NTHR];
	pthread_t t[NTHR];
	for (int i = 0; i < NTHR; i++) {
		r[i] = (struct racer){.as = e.as, .ctx = ops->new_context(plat), .bar = &bar};
		assert_non_null(r[i].ctx);
		assert_int_equal(pthread_create(&t[i], NULL, racer_run, &r[i]), 0);
	}
	for (int i = 0; i <= ROUNDS; i++) {
		/* Round 0 binds every context to a thread of its own (the
		 * leader's clones send the queue early); the rest race. */
		uint64_t v = 0x5151 + (unsigned)i;
		uint64_t off = i % 2 ? DATA2_OFF : DATA_OFF;
		assert_int_equal(pwrite(memfd, &v, 8, (off_t)off), 8);
		assert_int_equal(ops->as_map(e.as, DATA_VA, PAGE, PROT_READ, off), 0);
		pthread_barrier_wait(&bar);
		pthread_barrier_wait(&bar);
		/* Gone again, at once: the next round's map is the only way
		 * any thread can read DATA_VA. */
		assert_int_equal(ops->as_unmap(e.as, DATA_VA, PAGE), 0);
	}
	int faults = 0, others = 0;
	for (int i = 0; i < NTHR; i++) {
		pthread_join(t[i], NULL);
		faults += r[i].faults;
		others += r[i].others;
		ops->context_release(r[i].ctx);
	}
	pthread_barrier_destroy(&bar);
	if (faults || others)
		fprintf(stderr, "%d of %d runs faulted on the queued page, %d went wrong otherwise\n",
			faults, NTHR * (ROUNDS + 1), others);
	assert_int_equal(faults, 0);
	assert_int_equal(others, 0);
	env_end(&e);
}

static struct plat_stats stats_now(void)
{
	struct plat_stats st = {0};
	ops->stats(plat, &st);
	return st;
}

/* The stats line's counters: the maps queued while no thread ran go to the
 * leader as one request at the next switch, and it carries them all. */
static void test_stats_count_one_request_for_the_queued_maps(void **state)
{
	struct prog p = {0};
	movabs_rbx(&p, DATA_VA);
	EMIT(&p, 0x48, 0x8b, 0x3b); /* mov (%rbx),%rdi */
	trap60(&p);
	struct env e;
	env_start(&e, &p); /* leaves the code and stack maps queued */
	uint64_t v = 0x7a7a;
	assert_int_equal(pwrite(memfd, &v, 8, (off_t)DATA_OFF), 8);
	assert_int_equal(ops->as_map(e.as, DATA_VA, PAGE, PROT_READ, DATA_OFF), 0);
	struct plat_stats before = stats_now();
	unsigned reqs = systrap_as_requests(e.as);
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SYSCALL);
	assert_int_equal(e.regs.rdi, 0x7a7a);
	struct plat_stats after = stats_now();
	assert_int_equal(systrap_as_requests(e.as), reqs + 1);
	assert_int_equal(after.requests - before.requests, 1);
	assert_int_equal(after.ops - before.ops, 3);
	env_end(&e);
}

/* A fork's child gets its maps before its stub exists
 * (platform_ops.map_before_entry): they are kept and hold from its first
 * instruction on, in the stub's first request; an unmap before entry holds
 * too, and a queue that cannot take a map says so (-ENOSPC) rather than
 * claim a page it does not map. */
static void test_maps_before_the_first_entry_hold_from_the_first_instruction(void **state)
{
	assert_true(ops->map_before_entry);
	struct prog p = {0};
	movabs_rbx(&p, DATA_VA);
	EMIT(&p, 0x48, 0x8b, 0x3b); /* mov (%rbx),%rdi */
	trap60(&p);
	load_prog(&p, CODE_OFF);
	uint64_t v = 0x6b6b;
	assert_int_equal(pwrite(memfd, &v, 8, (off_t)DATA_OFF), 8);
	struct addr_space *as = ops->new_addr_space(plat);
	assert_non_null(as);
	struct context *ctx = ops->new_context(plat);
	assert_non_null(ctx);
	assert_int_equal(ops->as_map(as, CODE_VA, PAGE, PROT_READ | PROT_EXEC, CODE_OFF), 0);
	assert_int_equal(ops->as_map(as, DATA_VA, PAGE, PROT_READ, DATA2_OFF), 0);
	/* Unmapped again before entry, then mapped to another frame: only
	 * the last holds. */
	assert_int_equal(ops->as_unmap(as, DATA_VA, PAGE), 0);
	assert_int_equal(ops->as_map(as, DATA_VA, PAGE, PROT_READ, DATA_OFF), 0);
	assert_int_equal(STUB_PID(as), 0);
	plat_regs_t regs;
	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE_VA;
	struct plat_event ev;
	assert_int_equal(ops->context_switch(ctx, as, &regs, &ev), 0);
	assert_int_equal(ev.kind, PLAT_EV_SYSCALL);
	assert_int_equal(regs.orig_rax, 60);
	assert_int_equal(regs.rdi, 0x6b6b);
	ops->as_release(as);
	/* A queue before entry takes so many maps, then refuses one. */
	as = ops->new_addr_space(plat);
	assert_non_null(as);
	int err = 0, n = 0;
	for (; n < 1000 && !err; n++)
		err = ops->as_map(as, DATA_VA + (uint64_t)n * PAGE, PAGE, PROT_READ, DATA_OFF);
	assert_int_equal(err, -ENOSPC);
	assert_true(n > 40);
	/* An unmap that does not fit empties it: nothing is mapped then. */
	assert_int_equal(ops->as_unmap(as, DATA_VA, PAGE), 0);
	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE_VA;
	assert_int_equal(ops->context_switch(ctx, as, &regs, &ev), 0);
	assert_int_equal(ev.kind, PLAT_EV_FAULT);
	assert_int_equal(ev.fault_addr, CODE_VA);
	ops->as_release(as);
	ops->context_release(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_a_queued_map_holds_for_every_thread_that_resumes),
	    cmocka_unit_test(test_stats_count_one_request_for_the_queued_maps),
	    cmocka_unit_test(test_maps_before_the_first_entry_hold_from_the_first_instruction),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
