/*
 * plat_common_tests.h — the behaviour every platform must show (platform.h),
 * run against each: syscalls, faults, signals, interrupts, FPU state, the
 * life of stubs.  Included by each platform's test file after plat_test.h;
 * PLAT_COMMON_TESTS lists them for its cmocka table.
 */
#ifndef VISOR_PLATFORM_TESTS_PLAT_COMMON_TESTS_H
#define VISOR_PLATFORM_TESTS_PLAT_COMMON_TESTS_H

static void test_syscall_trap_and_result_resumes_after_syscall(void **state)
{
	struct prog p = {0};
	mov_eax(&p, 39);
	sys(&p);
	EMIT(&p, 0x48, 0x89, 0xc7); /* mov %rax,%rdi */
	trap60(&p);
	struct env e;
	env_start(&e, &p);
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SYSCALL);
	assert_int_equal(e.regs.orig_rax, 39);
	assert_int_equal(e.regs.rip, CODE_VA + 7);
	/* An fs base the kernel would refuse is the Sentry's bug: -EINVAL. */
	e.regs.fs_base = 1ULL << 63;
	assert_int_equal(sw(&e), -EINVAL);
	e.regs.fs_base = 0;
	e.regs.rax = 0x123456789abcULL;
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SYSCALL);
	assert_int_equal(e.regs.orig_rax, 60);
	assert_int_equal(e.regs.rdi, 0x123456789abcULL);
	assert_int_equal(e.regs.rip, CODE_VA + 17);
	env_end(&e);
}

static void test_int80_is_a_gp_fault_not_a_64bit_syscall(void **state)
{
	struct prog p = {0};
	mov_eax(&p, 20);      /* 32-bit getpid; 64-bit 20 is writev */
	EMIT(&p, 0xcd, 0x80); /* int $0x80 */
	trap60(&p);
	struct env e;
	env_start(&e, &p);
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_FAULT);
	assert_int_equal(e.ev.fault_signo, SIGSEGV);
	assert_int_equal(e.ev.fault_code, SI_KERNEL);
	assert_int_equal(e.regs.rip, CODE_VA + 5); /* at the int $0x80 */
	assert_int_equal(e.regs.rax, 20);
	/* The Sentry skips it (as a SIGSEGV handler might): the app goes on. */
	e.regs.rip += 2;
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SYSCALL);
	assert_int_equal(e.regs.orig_rax, 60);
	env_end(&e);
}

static void test_load_from_unmapped_faults_then_map_retries(void **state)
{
	struct prog p = {0};
	movabs_rbx(&p, DATA_VA + 8);
	EMIT(&p, 0x48, 0x8b, 0x3b); /* mov (%rbx),%rdi */
	trap60(&p);
	uint64_t val = 0xfeedfacecafef00dULL;
	assert_int_equal(pwrite(memfd, &val, 8, DATA_OFF + 8), 8);
	struct env e;
	env_start(&e, &p);
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_FAULT);
	assert_int_equal(e.ev.fault_addr, DATA_VA + 8);
	assert_int_equal(e.ev.fault_signo, SIGSEGV);
	assert_int_equal(e.ev.fault_code, SEGV_MAPERR);
	assert_int_equal(e.ev.fault_access, 0); /* a read */
	assert_int_equal(e.regs.rip, CODE_VA + 10); /* still at the load */
	assert_int_equal(ops->as_map(e.as, DATA_VA, PAGE, PROT_READ, DATA_OFF), 0);
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SYSCALL);
	assert_int_equal(e.regs.orig_rax, 60);
	assert_int_equal(e.regs.rdi, val);
	/* Unmapped again: the same load faults again. */
	assert_int_equal(ops->as_unmap(e.as, DATA_VA, PAGE), 0);
	e.regs.rip = CODE_VA;
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_FAULT);
	assert_int_equal(e.ev.fault_addr, DATA_VA + 8);
	env_end(&e);
}

static void test_store_to_readonly_faults_accerr_then_protect_rw_succeeds(void **state)
{
	struct prog p = {0};
	movabs_rbx(&p, DATA2_VA + 16);
	movabs_rax(&p, 0x1122334455667788ULL);
	EMIT(&p, 0x48, 0x89, 0x03); /* mov %rax,(%rbx) */
	trap60(&p);
	uint64_t zero = 0, got = 0;
	assert_int_equal(pwrite(memfd, &zero, 8, DATA2_OFF + 16), 8);
	struct env e;
	env_start(&e, &p);
	assert_int_equal(ops->as_map(e.as, DATA2_VA, PAGE, PROT_READ, DATA2_OFF), 0);
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_FAULT);
	assert_int_equal(e.ev.fault_addr, DATA2_VA + 16);
	assert_int_equal(e.ev.fault_code, SEGV_ACCERR);
	/* systrap knows a write (the frame's error code); ptrace does not. */
	assert_int_equal(e.ev.fault_access, strcmp(ops->name, "systrap") ? 0 : PROT_WRITE);
	assert_int_equal(ops->as_protect(e.as, DATA2_VA, PAGE, PROT_READ | PROT_WRITE), 0);
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SYSCALL);
	assert_int_equal(e.regs.orig_rax, 60);
	assert_int_equal(pread(memfd, &got, 8, DATA2_OFF + 16), 8);
	assert_int_equal(got, 0x1122334455667788ULL);
	/* A protect over a hole (the cache holds only part of the range)
	 * must not leave the mapped page writable: it is dropped instead. */
	assert_int_equal(ops->as_protect(e.as, DATA2_VA, 2 * PAGE, PROT_READ), 0);
	e.regs.rip = CODE_VA;
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_FAULT);
	assert_int_equal(e.ev.fault_addr, DATA2_VA + 16);
	env_end(&e);
}

static void test_ud2_gives_sigill_and_int3_gives_sigtrap(void **state)
{
	struct prog p = {0};
	EMIT(&p, 0x0f, 0x0b); /* ud2 */
	EMIT(&p, 0xcc);	      /* int3 */
	trap60(&p);
	struct env e;
	env_start(&e, &p);
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SIGNAL);
	assert_int_equal(e.ev.info.si_signo, SIGILL);
	assert_int_equal(e.regs.rip, CODE_VA);
	e.regs.rip += 2; /* the Sentry's SIGILL handler would skip it */
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SIGNAL);
	assert_int_equal(e.ev.info.si_signo, SIGTRAP);
	assert_int_equal(e.regs.rip, CODE_VA + 3); /* after the int3 */
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SYSCALL);
	assert_int_equal(e.regs.orig_rax, 60);
	env_end(&e);
}

static void test_interrupt_stops_infinite_loop_and_is_never_lost(void **state)
{
	struct prog p = {0};
	EMIT(&p, 0xeb, 0xfe); /* 0: jmp . */
	mov_eax(&p, 39);      /* 2: a syscall, to see no stale interrupt */
	sys(&p);
	trap60(&p);
	struct env e;
	env_start(&e, &p);

	struct intr_arg ia = {e.ctx, 100};
	pthread_t t;
	double t0 = now_s();
	assert_int_equal(pthread_create(&t, NULL, interrupter, &ia), 0);
	assert_int_equal(sw(&e), 0);
	double dt = now_s() - t0;
	pthread_join(t, NULL);
	assert_int_equal(e.ev.kind, PLAT_EV_INTERRUPT);
	assert_int_equal(e.regs.rip, CODE_VA); /* it was spinning in the loop */
	assert_true(dt >= 0.09);

	/* An interrupt while the app is stopped: the next switch returns at
	 * once, without running app code. */
	ops->context_interrupt(e.ctx);
	e.regs.rip = CODE_VA;
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_INTERRUPT);
	assert_int_equal(e.regs.rip, CODE_VA);

	/* And it is consumed: the next switch runs the app to its syscall. */
	e.regs.rip = CODE_VA + 2;
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SYSCALL);
	assert_int_equal(e.regs.orig_rax, 39);
	env_end(&e);
}

static void test_outside_signals_neither_kill_nor_stop_the_stub(void **state)
{
	struct prog p = {0};
	EMIT(&p, 0xeb, 0xfe); /* jmp . */
	struct env e;
	env_start(&e, &p);
	assert_int_equal(ops->as_prepare_thread(e.as), 0); /* an untraced spare too */
	pid_t pid = STUB_PID(e.as);
	/* Sent while the app runs: each must be swallowed; the SIGSTOP starts
	 * a group-stop the SIGCONT ends. */
	struct intr_arg ia = {e.ctx, 300};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, interrupter, &ia), 0);
	struct timespec ts = {0, 20 * 1000000L};
	nanosleep(&ts, NULL);
	/* Not SIGSEGV/SIGBUS/SIGILL/SIGFPE/SIGTRAP: a real fault (and every
	 * injection's int3) resets those to SIG_DFL, so from outside they are
	 * fatal, like SIGKILL. */
	const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGALRM, SIGSTOP, SIGCONT, SIGCHLD};
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		assert_int_equal(kill(pid, sigs[i]), 0);
		nanosleep(&ts, NULL);
	}
	assert_int_equal(sw(&e), 0);
	pthread_join(t, NULL);
	assert_int_equal(e.ev.kind, PLAT_EV_INTERRUPT);
	assert_int_equal(e.regs.rip, CODE_VA);
	assert_true(proc_exists(pid));
	assert_int_equal(DEATH_STATUS(e.as), 0);
	/* Still fully usable. */
	assert_int_equal(ops->as_map(e.as, DATA_VA, PAGE, PROT_READ, DATA_OFF), 0);
	ops->context_interrupt(e.ctx);
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_INTERRUPT);
	env_end(&e);
	assert_true(gone(pid));
}

static void test_fpregs_set_reaches_app_and_get_reads_back(void **state)
{
	struct prog p = {0};
	EMIT(&p, 0x66, 0x48, 0x0f, 0x7e, 0xc7); /* movq %xmm0,%rdi */
	EMIT(&p, 0x66, 0x48, 0x0f, 0x6e, 0xcf); /* movq %rdi,%xmm1 */
	trap60(&p);
	struct env e;
	env_start(&e, &p);
	plat_fpregs_t fp;
	assert_int_equal(ops->context_get_fpregs(e.ctx, &fp), 0);
	uint64_t pat = 0x0123456789abcdefULL;
	memcpy(&fp.fx.xmm_space[0], &pat, 8); /* xmm0 low half */
	if (plat->xstate_features)
		fp.bytes[PLAT_XSTATE_HEADER] |= 0x3; /* xstate_bv: x87 and SSE present */
	assert_int_equal(ops->context_set_fpregs(e.ctx, &fp), 0);
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SYSCALL);
	assert_int_equal(e.regs.rdi, pat);
	memset(&fp, 0, sizeof(fp));
	assert_int_equal(ops->context_get_fpregs(e.ctx, &fp), 0);
	uint64_t x1;
	memcpy(&x1, &fp.fx.xmm_space[4], 8); /* xmm1 low half, from the stub thread */
	assert_int_equal(x1, pat);
	env_end(&e);
}

/* The whole XSAVE area travels: the upper half of ymm0, set through the
 * AVX component of the state, is what the app reads. */
static void test_fpregs_carry_avx_upper_halves(void **state)
{
	if (!(plat->xstate_features & 0x4)) {
		skip(); /* no AVX on this CPU */
		return;
	}
	unsigned int a, avx_off, c, d;
	__cpuid_count(0xd, 2, a, avx_off, c, d);
	struct prog p = {0};
	EMIT(&p, 0xc4, 0xe3, 0x7d, 0x19, 0xc1, 0x01); /* vextractf128 $1,%ymm0,%xmm1 */
	EMIT(&p, 0x66, 0x48, 0x0f, 0x7e, 0xcf);       /* movq %xmm1,%rdi */
	trap60(&p);
	struct env e;
	env_start(&e, &p);
	plat_fpregs_t *fp = calloc(1, sizeof(*fp));
	assert_non_null(fp);
	assert_int_equal(ops->context_get_fpregs(e.ctx, fp), 0);
	uint64_t pat = 0xfedcba9876543210ULL;
	memcpy(fp->bytes + avx_off, &pat, 8); /* ymm0 bits 128..191 */
	fp->bytes[PLAT_XSTATE_HEADER] |= 0x4;  /* xstate_bv: AVX present */
	assert_int_equal(ops->context_set_fpregs(e.ctx, fp), 0);
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SYSCALL);
	assert_int_equal(e.regs.rdi, pat);
	memset(fp, 0, sizeof(*fp));
	assert_int_equal(ops->context_get_fpregs(e.ctx, fp), 0);
	uint64_t back;
	memcpy(&back, fp->bytes + avx_off, 8);
	assert_int_equal(back, pat);
	free(fp);
	env_end(&e);
}

static void test_fpregs_follow_context_into_another_addr_space(void **state)
{
	/* as1: xmm2 = rdi (set by us), trap.  as2: rdi = xmm2, trap. */
	struct prog p = {0};
	EMIT(&p, 0x66, 0x48, 0x0f, 0x6e, 0xd7); /* movq %rdi,%xmm2 */
	trap60(&p);
	struct env e;
	env_start(&e, &p);
	e.regs.rdi = 0x5566778899aabbccULL;
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SYSCALL);

	struct prog q = {0};
	EMIT(&q, 0x66, 0x48, 0x0f, 0x7e, 0xd7); /* movq %xmm2,%rdi */
	trap60(&q);
	load_prog(&q, CODE_OFF + 0x100);
	struct addr_space *as2 = ops->new_addr_space(plat);
	plat_regs_t r = {.rip = CODE_VA + 0x100};
	struct plat_event ev;
	assert_int_equal(ops->context_switch(e.ctx, as2, &r, &ev), 0);
	assert_int_equal(ev.kind, PLAT_EV_FAULT); /* nothing mapped yet */
	assert_int_equal(ops->as_map(as2, CODE_VA, PAGE, PROT_READ | PROT_EXEC, CODE_OFF), 0);
	assert_int_equal(ops->context_switch(e.ctx, as2, &r, &ev), 0);
	assert_int_equal(ev.kind, PLAT_EV_SYSCALL);
	assert_int_equal(r.rdi, 0x5566778899aabbccULL);
	ops->as_release(as2);
	env_end(&e);
}

static void test_release_leaves_no_stub_or_zombie(void **state)
{
	struct prog p = {0};
	trap60(&p);
	struct env e;
	env_start(&e, &p);
	pid_t pid = STUB_PID(e.as);
	assert_int_equal(ops->as_prepare_thread(e.as), 0); /* ptrace: an untraced spare too */
	assert_true(proc_exists(pid));
	env_end(&e);
	/* Reaped (perhaps in the background): not even a zombie.  The
	 * platform's own helpers, such as systrap's template, may remain
	 * children of ours. */
	assert_true(gone(pid));
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(errno, ESRCH);
	int st;
	assert_int_equal(waitpid(pid, &st, __WALL | WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static void test_bad_arguments_are_rejected(void **state)
{
	struct addr_space *as = ops->new_addr_space(plat);
	assert_non_null(as);
	assert_int_equal(ops->as_map(as, CODE_VA + 1, PAGE, PROT_READ, 0), -EINVAL);
	assert_int_equal(ops->as_map(as, CODE_VA, PAGE, PROT_READ, 12), -EINVAL);
	assert_int_equal(ops->as_map(as, CODE_VA, 0, PROT_READ, 0), -EINVAL);
	assert_int_equal(ops->as_map(as, PLAT_APP_TOP, PAGE, PROT_READ, 0), -EINVAL);
	assert_int_equal(ops->as_map(as, PLAT_APP_TOP - PAGE, 2 * PAGE, PROT_READ, 0), -EINVAL);
	assert_int_equal(ops->as_map(as, CODE_VA, PAGE, 0x100, 0), -EINVAL);
	assert_int_equal(ops->as_unmap(as, 0, ~0ULL & ~(PAGE - 1)), -EINVAL);
	assert_int_equal(ops->as_protect(as, CODE_VA, PAGE, PROT_READ), 0); /* never entered */
	ops->as_release(as);
	errno = 0;
	assert_null(platform_new(PLAT_NAME, -1));
	assert_int_equal(errno, EBADF);
}


/* ---- host names (docker top) ----------------------------------------------- */

static void test_stub_takes_the_name_and_host_pid_is_the_stub(void **state)
{
	struct prog p = {0};
	mov_eax(&p, 39);
	sys(&p);
	trap60(&p);
	struct env e;
	/* Named before the stub exists: applied when it is created. */
	env_start_named(&e, &p, "first-name");
	pid_t pid = STUB_PID(e.as);
	assert_true(pid > 0);
	assert_int_equal(ops->as_host_pid(e.as), pid);
	char comm[32];
	read_comm(pid, "", comm, sizeof(comm));
	assert_string_equal(comm, "first-name");
	/* Before any thread was cloned: the app's stub thread has it too. */
	assert_int_equal(threads_named(pid, "first-name"), 2);
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SYSCALL);
	assert_int_equal(e.regs.orig_rax, 39);

	/* Renamed while running (the caller is stopped in as): the leader, the
	 * thread ps shows, takes it at once; longer names are cut to 15. */
	assert_int_equal(ops->as_set_name(e.as, "a-very-long-process-name"), 0);
	read_comm(pid, "", comm, sizeof(comm));
	assert_string_equal(comm, "a-very-long-pro");
	/* The leader went back to waiting, untraced: the app still runs. */
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SYSCALL);
	assert_int_equal(e.regs.orig_rax, 60);
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	int tracer = -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "TracerPid:", 10))
			tracer = atoi(line + 10);
	fclose(f);
	assert_int_equal(tracer, 0);
	/* Another rename from the same thread works the same way. */
	assert_int_equal(ops->as_set_name(e.as, "sleep"), 0);
	read_comm(pid, "", comm, sizeof(comm));
	assert_string_equal(comm, "sleep");

	env_end(&e);
	assert_true(gone(pid));
}

/* ---- numbers ------------------------------------------------------------ */

static void test_bench_syscall_trap_map_and_stub_creation(void **state)
{
	struct prog p = {0};
	mov_eax(&p, 39); /* loop: getppid; jmp loop */
	sys(&p);
	EMIT(&p, 0xeb, 0xf7);
	struct env e;
	env_start(&e, &p);
	double best, trap_ns = bench_traps(&e, &best);
	double map_ns = bench_maps(&e);
	double create_us = bench_stub_creation();
	print_message("%s platform: %.0f ns per syscall trap (best batch %.0f), %.0f ns per "
		      "as_map, %.0f us per stub creation+release\n",
		      PLAT_NAME, trap_ns, best, map_ns, create_us);
	env_end(&e);
}

#define PLAT_COMMON_TESTS                                                                          \
	cmocka_unit_test(test_syscall_trap_and_result_resumes_after_syscall),                      \
	    cmocka_unit_test(test_int80_is_a_gp_fault_not_a_64bit_syscall),                        \
	    cmocka_unit_test(test_load_from_unmapped_faults_then_map_retries),                     \
	    cmocka_unit_test(test_store_to_readonly_faults_accerr_then_protect_rw_succeeds),       \
	    cmocka_unit_test(test_ud2_gives_sigill_and_int3_gives_sigtrap),                        \
	    cmocka_unit_test(test_interrupt_stops_infinite_loop_and_is_never_lost),                \
	    cmocka_unit_test(test_outside_signals_neither_kill_nor_stop_the_stub),                 \
	    cmocka_unit_test(test_fpregs_set_reaches_app_and_get_reads_back),                      \
	    cmocka_unit_test(test_fpregs_carry_avx_upper_halves),                                  \
	    cmocka_unit_test(test_fpregs_follow_context_into_another_addr_space),                  \
	    cmocka_unit_test(test_release_leaves_no_stub_or_zombie),                               \
	    cmocka_unit_test(test_bad_arguments_are_rejected),                                     \
	    cmocka_unit_test(test_stub_takes_the_name_and_host_pid_is_the_stub),                   \
	    cmocka_unit_test(test_bench_syscall_trap_map_and_stub_creation)

#endif
