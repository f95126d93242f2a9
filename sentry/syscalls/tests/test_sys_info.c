/* Unit tests for sentry/syscalls/sys_info.c. */
#include <sched.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>

#include "sentry/tests/harness.h"

#ifndef GRND_INSECURE
#define GRND_INSECURE 0x0004
#endif

/* The test task is the group's leader: tid 100 = tgid. */
static int setup(void **st)
{
	return kfx_setup_tid(st, 100);
}

static int64_t sc(struct task *t, int nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	return fx_call(sys_info_defs, t, nr, a0, a1, a2, a3, 0, 0);
}

/* Drop every capability and become uid 1000. */
static void become_user(struct task *t)
{
	struct creds *c = creds_dup(t->creds);
	c->ruid = c->euid = c->suid = c->fsuid = 1000;
	c->rgid = c->egid = c->sgid = c->fsgid = 1000;
	c->cap_effective = c->cap_permitted = 0;
	creds_put(t->creds);
	t->creds = c;
}

struct utsname6 {
	char f[6][65];
};

static void test_uname_reports_visor_linux(void **st)
{
	struct kfx_state *s = *st;
	uint64_t out = s->fx->base;
	assert_int_equal(sc(&s->t, SYS_uname, out, 0, 0, 0), 0);
	struct utsname6 u;
	assert_int_equal(mm_copy_in(s->fx->mm, &u, out, sizeof(u)), 0);
	assert_string_equal(u.f[0], "Linux");
	assert_string_equal(u.f[1], "visor-test");
	assert_string_equal(u.f[2], "6.1.0-visor");
	assert_string_equal(u.f[3], "#1 SMP visor");
	assert_string_equal(u.f[4], "x86_64");
	assert_string_equal(u.f[5], "(none)");
	assert_int_equal(sc(&s->t, SYS_uname, 0x1000, 0, 0, 0), -EFAULT);
}

static void test_sethostname_needs_cap_sys_admin_and_bounds_length(void **st)
{
	struct kfx_state *s = *st;
	uint64_t name = s->fx->base, out = s->fx->base + 1024;
	assert_int_equal(mm_copy_out(s->fx->mm, name, "box", 3), 0);
	assert_int_equal(sc(&s->t, SYS_sethostname, name, 65, 0, 0), -EINVAL);
	assert_int_equal(sc(&s->t, SYS_sethostname, name, (uint64_t)-1, 0, 0), -EINVAL);
	assert_int_equal(sc(&s->t, SYS_sethostname, 0x1000, 3, 0, 0), -EFAULT);
	assert_int_equal(sc(&s->t, SYS_sethostname, name, 3, 0, 0), 0);
	assert_int_equal(sc(&s->t, SYS_setdomainname, name, 2, 0, 0), 0);
	assert_int_equal(sc(&s->t, SYS_uname, out, 0, 0, 0), 0);
	struct utsname6 u;
	assert_int_equal(mm_copy_in(s->fx->mm, &u, out, sizeof(u)), 0);
	assert_string_equal(u.f[1], "box");
	assert_string_equal(u.f[5], "bo");
	become_user(&s->t);
	/* EPERM comes before the length check. */
	assert_int_equal(sc(&s->t, SYS_sethostname, name, 65, 0, 0), -EPERM);
	assert_int_equal(sc(&s->t, SYS_setdomainname, name, 3, 0, 0), -EPERM);
}

static void test_sysinfo_uses_sandbox_uptime_and_task_count(void **st)
{
	struct kfx_state *s = *st;
	uint64_t out = s->fx->base;
	s->fx->k.boot_mono.tv_sec -= 10;
	s->fx->k.ntasks = 3;
	assert_int_equal(sc(&s->t, SYS_sysinfo, out, 0, 0, 0), 0);
	struct sysinfo si;
	assert_int_equal(mm_copy_in(s->fx->mm, &si, out, sizeof(si)), 0);
	assert_true(si.uptime >= 10 && si.uptime <= 12);
	assert_int_equal(si.procs, 3);
	assert_true(si.totalram > 0);
	assert_true(si.mem_unit > 0);
	assert_int_equal(si.loads[0], 0);
	assert_int_equal(sc(&s->t, SYS_sysinfo, 0x1000, 0, 0, 0), -EFAULT);
}

static void test_getrandom_flags_and_output(void **st)
{
	struct kfx_state *s = *st;
	uint64_t out = s->fx->base;
	assert_int_equal(sc(&s->t, SYS_getrandom, out, 16, 0x8, 0), -EINVAL);
	assert_int_equal(sc(&s->t, SYS_getrandom, out, 16, GRND_INSECURE | GRND_RANDOM, 0),
			 -EINVAL);
	assert_int_equal(sc(&s->t, SYS_getrandom, out, 0, 0, 0), 0);
	assert_int_equal(sc(&s->t, SYS_getrandom, 0x1000, 16, 0, 0), -EFAULT);
	unsigned char a[64], b[64];
	assert_int_equal(sc(&s->t, SYS_getrandom, out, 64, GRND_NONBLOCK, 0), 64);
	assert_int_equal(mm_copy_in(s->fx->mm, a, out, 64), 0);
	assert_int_equal(sc(&s->t, SYS_getrandom, out, 64, GRND_INSECURE, 0), 64);
	assert_int_equal(mm_copy_in(s->fx->mm, b, out, 64), 0);
	assert_memory_not_equal(a, b, 64);
	/* Larger than one chunk, up to the end of the mapping. */
	assert_int_equal(sc(&s->t, SYS_getrandom, out, 10000, GRND_RANDOM, 0), 10000);
	/* Running off the mapping: the bytes that fitted are counted. */
	int64_t n = sc(&s->t, SYS_getrandom, out + FX_MEM - 4096, 8192, 0, 0);
	assert_int_equal(n, 4096);
}

static void test_rlimit_rules(void **st)
{
	struct kfx_state *s = *st;
	uint64_t rl = s->fx->base;
	struct rlimit r;
	assert_int_equal(sc(&s->t, SYS_getrlimit, RLIMIT_NOFILE, rl, 0, 0), 0);
	assert_int_equal(mm_copy_in(s->fx->mm, &r, rl, sizeof(r)), 0);
	assert_int_equal(r.rlim_cur, 1024);
	assert_int_equal(r.rlim_max, 4096);
	assert_int_equal(sc(&s->t, SYS_getrlimit, RLIM_NLIMITS, rl, 0, 0), -EINVAL);
	assert_int_equal(sc(&s->t, SYS_getrlimit, RLIMIT_NOFILE, 0x1000, 0, 0), -EFAULT);

	/* Soft above hard. */
	r = (struct rlimit){5000, 4096};
	assert_int_equal(mm_copy_out(s->fx->mm, rl, &r, sizeof(r)), 0);
	assert_int_equal(sc(&s->t, SYS_setrlimit, RLIMIT_NOFILE, rl, 0, 0), -EINVAL);
	/* Beyond fs.nr_open, even for root. */
	r = (struct rlimit){1024, 2000000};
	assert_int_equal(mm_copy_out(s->fx->mm, rl, &r, sizeof(r)), 0);
	assert_int_equal(sc(&s->t, SYS_setrlimit, RLIMIT_NOFILE, rl, 0, 0), -EPERM);
	/* Root raises the hard limit. */
	r = (struct rlimit){2048, 8192};
	assert_int_equal(mm_copy_out(s->fx->mm, rl, &r, sizeof(r)), 0);
	assert_int_equal(sc(&s->t, SYS_setrlimit, RLIMIT_NOFILE, rl, 0, 0), 0);
	assert_int_equal(s->fx->tg.rlimits[RLIMIT_NOFILE].rlim_max, 8192);

	/* A user may lower the hard limit but not raise it again. */
	become_user(&s->t);
	r = (struct rlimit){1000, 3000};
	assert_int_equal(mm_copy_out(s->fx->mm, rl, &r, sizeof(r)), 0);
	assert_int_equal(sc(&s->t, SYS_setrlimit, RLIMIT_NOFILE, rl, 0, 0), 0);
	r = (struct rlimit){1000, 3001};
	assert_int_equal(mm_copy_out(s->fx->mm, rl, &r, sizeof(r)), 0);
	assert_int_equal(sc(&s->t, SYS_setrlimit, RLIMIT_NOFILE, rl, 0, 0), -EPERM);
	assert_int_equal(s->fx->tg.rlimits[RLIMIT_NOFILE].rlim_max, 3000);
	/* Soft limit moves freely below the hard one. */
	r = (struct rlimit){3000, 3000};
	assert_int_equal(mm_copy_out(s->fx->mm, rl, &r, sizeof(r)), 0);
	assert_int_equal(sc(&s->t, SYS_setrlimit, RLIMIT_NOFILE, rl, 0, 0), 0);
}

static void test_prlimit64_old_new_and_other_pids(void **st)
{
	struct kfx_state *s = *st;
	uint64_t nw = s->fx->base, old = s->fx->base + 64;
	struct rlimit r = {100, 200};
	assert_int_equal(mm_copy_out(s->fx->mm, nw, &r, sizeof(r)), 0);
	assert_int_equal(sc(&s->t, SYS_prlimit64, 0, RLIMIT_CORE, nw, old), 0);
	struct rlimit o;
	assert_int_equal(mm_copy_in(s->fx->mm, &o, old, sizeof(o)), 0);
	assert_true(o.rlim_cur == RLIM_INFINITY && o.rlim_max == RLIM_INFINITY);
	assert_int_equal(sc(&s->t, SYS_prlimit64, 0, RLIMIT_CORE, 0, old), 0);
	assert_int_equal(mm_copy_in(s->fx->mm, &o, old, sizeof(o)), 0);
	assert_int_equal(o.rlim_cur, 100);
	assert_int_equal(o.rlim_max, 200);
	assert_int_equal(sc(&s->t, SYS_prlimit64, 0, 99, 0, old), -EINVAL);
	assert_int_equal(sc(&s->t, SYS_prlimit64, 4242, RLIMIT_CORE, 0, old), -ESRCH);
	assert_int_equal(sc(&s->t, SYS_prlimit64, 0, RLIMIT_CORE, 0x1000, old), -EFAULT);

	/* A task of another process run by another user: EPERM unless
	 * CAP_SYS_RESOURCE. */
	struct thread_group tg2 = {.tgid = 300};
	vmutex_init(&tg2.siglock, LOCK_CLASS(SIGLOCK));
	for (int i = 0; i < RLIM_NLIMITS; i++)
		tg2.rlimits[i] = (struct rlimit){RLIM_INFINITY, RLIM_INFINITY};
	struct task other;
	kfx_task_init(s->fx, &other, 300);
	other.tg = &tg2;
	become_user(&other);
	assert_int_equal(sc(&s->t, SYS_prlimit64, 300, RLIMIT_CORE, 0, old), 0); /* root */
	become_user(&s->t);
	struct creds *c = creds_dup(s->t.creds);
	c->ruid = 2000; /* ids no longer match the target's */
	creds_put(s->t.creds);
	s->t.creds = c;
	assert_int_equal(sc(&s->t, SYS_prlimit64, 300, RLIMIT_CORE, 0, old), -EPERM);
	kfx_task_fini(&other);
	vmutex_destroy(&tg2.siglock);
}

static void test_getrusage_reports_group_times(void **st)
{
	struct kfx_state *s = *st;
	uint64_t out = s->fx->base;
	s->fx->tg.utime_ns = 1500000000ULL;
	s->fx->tg.cstime_ns = 2000000ULL;
	assert_int_equal(sc(&s->t, SYS_getrusage, RUSAGE_SELF, out, 0, 0), 0);
	struct rusage ru;
	assert_int_equal(mm_copy_in(s->fx->mm, &ru, out, sizeof(ru)), 0);
	assert_int_equal(ru.ru_utime.tv_sec, 1);
	assert_int_equal(ru.ru_utime.tv_usec, 500000);
	assert_int_equal(sc(&s->t, SYS_getrusage, (uint64_t)RUSAGE_CHILDREN, out, 0, 0), 0);
	assert_int_equal(mm_copy_in(s->fx->mm, &ru, out, sizeof(ru)), 0);
	assert_int_equal(ru.ru_stime.tv_usec, 2000);
	assert_int_equal(ru.ru_utime.tv_sec, 0);
	assert_int_equal(sc(&s->t, SYS_getrusage, RUSAGE_THREAD, out, 0, 0), 0);
	assert_int_equal(sc(&s->t, SYS_getrusage, 7, out, 0, 0), -EINVAL);
	assert_int_equal(sc(&s->t, SYS_getrusage, RUSAGE_SELF, 0x1000, 0, 0), -EFAULT);
}

static void test_sched_affinity_reports_host_cpus(void **st)
{
	struct kfx_state *s = *st;
	uint64_t out = s->fx->base;
	assert_int_equal(sc(&s->t, SYS_sched_getaffinity, 0, 0, out, 0), -EINVAL);
	assert_int_equal(sc(&s->t, SYS_sched_getaffinity, 0, 1023, out, 0), -EINVAL);
	int64_t n = sc(&s->t, SYS_sched_getaffinity, 0, 1024, out, 0);
	assert_true(n >= 8 && n % 8 == 0 && n <= 1024);
	uint64_t mask[128] = {0};
	assert_int_equal(mm_copy_in(s->fx->mm, mask, out, (size_t)n), 0);
	int bits = 0;
	for (int i = 0; i < n / 8; i++)
		bits += __builtin_popcountll(mask[i]);
	cpu_set_t host;
	sched_getaffinity(0, sizeof(host), &host);
	assert_int_equal(bits, CPU_COUNT(&host));
	assert_int_equal(sc(&s->t, SYS_sched_getaffinity, 4242, 1024, out, 0), -ESRCH);
	assert_int_equal(sc(&s->t, SYS_sched_getaffinity, 0, 1024, 0x1000, 0), -EFAULT);
	/* Setting the same mask is a no-op that succeeds; a mask with no
	 * allowed CPU is EINVAL. */
	assert_int_equal(sc(&s->t, SYS_sched_setaffinity, 0, (uint64_t)n, out, 0), 0);
	uint64_t zero[128] = {0};
	assert_int_equal(mm_copy_out(s->fx->mm, out, zero, (size_t)n), 0);
	assert_int_equal(sc(&s->t, SYS_sched_setaffinity, 0, (uint64_t)n, out, 0), -EINVAL);
	/* A narrower mask is the task's from then on (taskset -c). */
	int first = 0;
	while (!CPU_ISSET(first, &host))
		first++;
	uint64_t one[128] = {0};
	one[first / 64] = 1ULL << (first % 64);
	assert_int_equal(mm_copy_out(s->fx->mm, out, one, (size_t)n), 0);
	assert_int_equal(sc(&s->t, SYS_sched_setaffinity, 0, (uint64_t)n, out, 0), 0);
	assert_int_equal(mm_copy_out(s->fx->mm, out, zero, (size_t)n), 0);
	assert_int_equal(sc(&s->t, SYS_sched_getaffinity, 0, 1024, out, 0), n);
	assert_int_equal(mm_copy_in(s->fx->mm, mask, out, (size_t)n), 0);
	assert_memory_equal(mask, one, (size_t)n);
}

static void test_scheduler_queries(void **st)
{
	struct kfx_state *s = *st;
	uint64_t out = s->fx->base;
	assert_int_equal(sc(&s->t, SYS_sched_get_priority_max, SCHED_FIFO, 0, 0, 0), 99);
	assert_int_equal(sc(&s->t, SYS_sched_get_priority_min, SCHED_RR, 0, 0, 0), 1);
	assert_int_equal(sc(&s->t, SYS_sched_get_priority_max, SCHED_OTHER, 0, 0, 0), 0);
	assert_int_equal(sc(&s->t, SYS_sched_get_priority_min, 17, 0, 0, 0), -EINVAL);
	/* sched_getscheduler and sched_getparam: test_sys_sched.c. */
	assert_int_equal(sc(&s->t, SYS_sched_yield, 0, 0, 0, 0), 0);
	assert_int_equal(sc(&s->t, SYS_getcpu, out, out + 4, 0, 0), 0);
	assert_int_equal(sc(&s->t, SYS_getcpu, 0x1000, 0, 0, 0), -EFAULT);
}

static void test_priority_and_personality(void **st)
{
	struct kfx_state *s = *st;
	assert_int_equal(sc(&s->t, SYS_getpriority, PRIO_PROCESS, 0, 0, 0), 20);
	assert_int_equal(sc(&s->t, SYS_getpriority, 9, 0, 0, 0), -EINVAL);
	assert_int_equal(sc(&s->t, SYS_getpriority, PRIO_PROCESS, 4242, 0, 0), -ESRCH);
	assert_int_equal(sc(&s->t, SYS_setpriority, PRIO_PROCESS, 0, 0, 0), 0);
	/* Recorded per task (sched.c): getpriority answers 20 - nice. */
	assert_int_equal(sc(&s->t, SYS_setpriority, PRIO_PROCESS, 0, 5, 0), 0);
	assert_int_equal(sc(&s->t, SYS_getpriority, PRIO_PROCESS, 0, 0, 0), 15);
	assert_int_equal(sc(&s->t, SYS_setpriority, PRIO_PROCESS, 0, 99, 0), 0);
	assert_int_equal(sc(&s->t, SYS_getpriority, PRIO_PROCESS, 0, 0, 0), 1);
	become_user(&s->t);
	/* Raising priority needs RLIMIT_NICE (0 here) or CAP_SYS_NICE. */
	assert_int_equal(sc(&s->t, SYS_setpriority, PRIO_PROCESS, 0, (uint64_t)-5, 0), -EACCES);

	assert_int_equal(sc(&s->t, SYS_personality, 0xffffffff, 0, 0, 0), 0);
	assert_int_equal(sc(&s->t, SYS_personality, 0, 0, 0, 0), 0);
	assert_int_equal(sc(&s->t, SYS_personality, 0x0040000 /* ADDR_NO_RANDOMIZE */, 0, 0, 0),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_uname_reports_visor_linux, setup,
						kfx_teardown),
		cmocka_unit_test_setup_teardown(
			test_sethostname_needs_cap_sys_admin_and_bounds_length, setup,
			kfx_teardown),
		cmocka_unit_test_setup_teardown(test_sysinfo_uses_sandbox_uptime_and_task_count,
						setup, kfx_teardown),
		cmocka_unit_test_setup_teardown(test_getrandom_flags_and_output, setup,
						kfx_teardown),
		cmocka_unit_test_setup_teardown(test_rlimit_rules, setup, kfx_teardown),
		cmocka_unit_test_setup_teardown(test_prlimit64_old_new_and_other_pids, setup,
						kfx_teardown),
		cmocka_unit_test_setup_teardown(test_getrusage_reports_group_times, setup,
						kfx_teardown),
		cmocka_unit_test_setup_teardown(test_sched_affinity_reports_host_cpus, setup,
						kfx_teardown),
		cmocka_unit_test_setup_teardown(test_scheduler_queries, setup, kfx_teardown),
		cmocka_unit_test_setup_teardown(test_priority_and_personality, setup, kfx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
