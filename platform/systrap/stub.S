/*
 * stub.S — the code of the systrap platform's stub processes.
 *
 * These bytes never run where the linker put them: systrap_stub.c copies
 * [systrap_stub_start, systrap_stub_end) into the first page of the stub
 * blob, at a fixed high address, and writes the parameter page that follows
 * it (systrap_layout.h).  The code is position independent; it reaches the
 * parameters relative to itself (PARAM) and the control region at its fixed
 * address.  It makes only the host syscalls the stub filters allow
 * (systrap_stub.c), and is the only code left in any stub process.
 *
 * Who runs what (the Sentry never runs any of it):
 *   template  the first stub process, forked from the Sentry at platform
 *             init: unmaps the Sentry, installs the base filter, then forks
 *             one new stub per request on its socket (CLONE_PARENT: the
 *             Sentry is the parent of every stub).
 *   child     a new stub's set-up: map its control region, then become...
 *   leader    ...the stub's leader thread: runs the Sentry's requests (map,
 *             unmap, protect the memory file; clone app threads; name the
 *             process) and signals each completion on the stub's eventfd.
 *             Trusted: uses no stack, reads only the read-only page.
 *   thread    a new app thread's start: its signal stack, the app filter
 *             (in notification mode with a listener, whose number it writes
 *             into its slot for the leader to send to the Sentry), then a
 *             first trap that parks it in the handler.
 *   handler   the SIGSYS/SIGSEGV/... handler of app threads: hands the trap
 *             to the Sentry through the thread's slot and waits (spin, then
 *             futex; in notification mode, the hand-off syscall the app
 *             filter answers with a notification to the thread's listener)
 *             until the Sentry has written the registers to resume
 *             with into the signal frame, then returns through the restorer
 *             (rt_sigreturn).  Runs on app threads: nothing it sees is
 *             trusted by the Sentry.
 */
#include "platform/systrap/systrap_layout.h"

#define SYS_write 1
#define SYS_close 3
#define SYS_mmap 9
#define SYS_munmap 11
#define SYS_rt_sigprocmask 14
#define SYS_rt_sigreturn 15
#define SYS_getpid 39
#define SYS_recvmsg 47
#define SYS_clone 56
#define SYS_sigaltstack 131
#define SYS_prctl 157
#define SYS_arch_prctl 158
#define SYS_getppid 110
#define SYS_futex 202
#define SYS_exit_group 231
#define SYS_dup3 292
#define SYS_seccomp 317
#define SYS_mprotect 10

#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#define MAP_SHARED 1
#define MAP_PRIVATE 2
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define SIG_SETMASK 2
#define SIGKILL 9
#define SIGSYS 31
#define SYS_SECCOMP 1
#define PR_SET_PDEATHSIG 1
#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define SECCOMP_SET_MODE_FILTER 1
#define MSG_CTRUNC 8
#define SOL_SOCKET 1
#define SCM_RIGHTS 1
#define EINVAL 22

/* The kernel's ucontext: gregs[] (REG_* of sys/ucontext.h), then fpregs. */
#define UC_GREG(r) (40 + 8 * (r))
#define UC_RIP UC_GREG(16)
#define UC_FPREGS UC_GREG(23)

#define PARAM(off) (systrap_stub_start + ST_PARAMS_OFF + (off))(%rip)

	.text
	.balign 64
	.globl systrap_stub_start
	.globl systrap_stub_template
	.globl systrap_stub_handler
	.globl systrap_stub_restorer
	.globl systrap_stub_thread_trap
	.globl systrap_stub_handoff_ret
	.globl systrap_stub_end
	.hidden systrap_stub_start
	.hidden systrap_stub_template
	.hidden systrap_stub_handler
	.hidden systrap_stub_restorer
	.hidden systrap_stub_thread_trap
	.hidden systrap_stub_handoff_ret
	.hidden systrap_stub_end
systrap_stub_start:

/* ---- the template ------------------------------------------------------- */

/* Entered by a jump from the forked Sentry code (systrap_stub.c), all
 * signals blocked, only the memory file and the template socket open. */
systrap_stub_template:
	/* Nothing of the Sentry stays: unmap below and above the blob. */
	xor	%edi, %edi
	lea	systrap_stub_start(%rip), %rsi
	mov	$SYS_munmap, %eax
	syscall
	test	%rax, %rax
	jnz	.Lt_die
	lea	systrap_stub_start + ST_BLOB_SIZE(%rip), %rdi
	movabs	$ST_USER_TOP, %rsi
	sub	%rdi, %rsi
	mov	$SYS_munmap, %eax
	syscall
	test	%rax, %rax
	jnz	.Lt_die
	/* Scratch: buffers and a stack, then a zeroed XSAVE area. */
	movabs	$ST_SCRATCH, %rdi
	mov	$ST_SCRATCH_SIZE, %esi
	mov	$(PROT_READ | PROT_WRITE), %edx
	mov	$(MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED), %r10d
	mov	$-1, %r8
	xor	%r9d, %r9d
	mov	$SYS_mmap, %eax
	syscall
	cmp	%rdi, %rax
	jne	.Lt_die
	mov	%rdi, %rbx
	lea	0x1000(%rbx), %rsp
	/* The FPU and vector registers still hold whatever the Sentry had:
	 * every stub thread starts from the template's, so reset them all
	 * (an XRSTOR of a zero header is the init state of each component). */
	lea	0x1000(%rbx), %rdi
	movl	$0x1f80, 24(%rdi)	/* MXCSR: all exceptions masked */
	cmpl	$0, PARAM(P_XSAVE)
	je	1f
	mov	$-1, %eax
	mov	$-1, %edx
	xrstor64 (%rdi)
	jmp	2f
1:	fxrstor64 (%rdi)
2:
	/* The filter of every stub thread, inherited by every stub. */
	mov	$SECCOMP_SET_MODE_FILTER, %edi
	xor	%esi, %esi
	lea	PARAM(P_BASE_FPROG), %rdx
	mov	$SYS_seccomp, %eax
	syscall
	test	%rax, %rax
	jnz	.Lt_die
	/* Ready: the Sentry reads a 0. */
	movq	$0, 512(%rbx)
	call	.Lt_reply
.Lt_loop:
	/* recvmsg(T, {iov: 64 bytes at +128; control: 64 bytes at +256}) */
	xor	%eax, %eax
	mov	%rax, 0(%rbx)		/* msg_name */
	mov	%rax, 8(%rbx)		/* msg_namelen */
	lea	64(%rbx), %rcx
	mov	%rcx, 16(%rbx)		/* msg_iov */
	movq	$1, 24(%rbx)		/* msg_iovlen */
	lea	256(%rbx), %rcx
	mov	%rcx, 32(%rbx)		/* msg_control */
	movq	$64, 40(%rbx)		/* msg_controllen */
	mov	%rax, 48(%rbx)		/* msg_flags */
	lea	128(%rbx), %rcx
	mov	%rcx, 64(%rbx)		/* iov_base */
	movq	$64, 72(%rbx)		/* iov_len */
	mov	%rax, 256(%rbx)
	mov	%rax, 264(%rbx)
	mov	%rax, 272(%rbx)
	movl	PARAM(P_TMPL_FD), %edi
	mov	%rbx, %rsi
	xor	%edx, %edx
	mov	$SYS_recvmsg, %eax
	syscall
	test	%rax, %rax
	jle	.Lt_exit		/* the Sentry closed its end (or died) */
	/* Exactly one SCM_RIGHTS message with three fds: control, eventfd,
	 * the socket the leader sends listeners on. */
	testl	$MSG_CTRUNC, 48(%rbx)
	jnz	.Lt_bad
	cmpq	$28, 40(%rbx)
	jb	.Lt_bad
	cmpq	$28, 256(%rbx)
	jne	.Lt_bad
	cmpl	$SOL_SOCKET, 264(%rbx)
	jne	.Lt_bad
	cmpl	$SCM_RIGHTS, 268(%rbx)
	jne	.Lt_bad
	movl	272(%rbx), %edi
	movl	PARAM(P_CTL_FD), %esi
	call	.Lt_movefd
	movl	276(%rbx), %edi
	movl	PARAM(P_EVENT_FD), %esi
	call	.Lt_movefd
	movl	280(%rbx), %edi
	movl	PARAM(P_NOTIF_FD), %esi
	call	.Lt_movefd
	mov	$ST_STUB_CLONE_FLAGS, %edi
	xor	%esi, %esi
	xor	%edx, %edx
	xor	%r10d, %r10d
	xor	%r8d, %r8d
	mov	$SYS_clone, %eax
	syscall
	test	%rax, %rax
	jz	.Lc_child
	mov	%rax, 512(%rbx)
	movl	PARAM(P_CTL_FD), %edi
	mov	$SYS_close, %eax
	syscall
	movl	PARAM(P_EVENT_FD), %edi
	mov	$SYS_close, %eax
	syscall
	movl	PARAM(P_NOTIF_FD), %edi
	mov	$SYS_close, %eax
	syscall
	call	.Lt_reply
	jmp	.Lt_loop
.Lt_bad:
	movq	$-EINVAL, 512(%rbx)
	call	.Lt_reply
	jmp	.Lt_loop

/* write(T, scratch + 512, 8): the reply (a pid or -errno). */
.Lt_reply:
	movl	PARAM(P_TMPL_FD), %edi
	lea	512(%rbx), %rsi
	mov	$8, %edx
	mov	$SYS_write, %eax
	syscall
	cmp	$8, %rax
	jne	.Lt_exit
	ret

/* Move fd %edi to number %esi (they differ: see systrap_stub.c). */
.Lt_movefd:
	cmp	%edi, %esi
	je	1f
	push	%rdi
	xor	%edx, %edx
	mov	$SYS_dup3, %eax
	syscall
	pop	%rdi
	mov	$SYS_close, %eax
	syscall
1:	ret

.Lt_exit:
	xor	%edi, %edi
	mov	$SYS_exit_group, %eax
	syscall
	ud2
.Lt_die:
	mov	$ST_EXIT_SETUP, %edi
	mov	$SYS_exit_group, %eax
	syscall
	ud2

/* mmap(%rdi, ST_PATCH_SIZE, r-x, MAP_SHARED|MAP_FIXED, control, ST_PATCH_OFF)
 * or die (inline: a new stub's set-up has no stack). */
.macro MAP_PATCH
	mov	$ST_PATCH_SIZE, %esi
	mov	$(PROT_READ | PROT_EXEC), %edx
	mov	$(MAP_SHARED | MAP_FIXED), %r10d
	movl	PARAM(P_CTL_FD), %r8d
	mov	$ST_PATCH_OFF, %r9d
	mov	$SYS_mmap, %eax
	syscall
	cmp	%rdi, %rax
	jne	.Lt_die
.endm

/* ---- a new stub (the template's child) ------------------------------------ */

.Lc_child:
	/* Die with the Sentry (the parent, through CLONE_PARENT). */
	mov	$PR_SET_PDEATHSIG, %edi
	mov	$SIGKILL, %esi
	mov	$SYS_prctl, %eax
	syscall
	mov	$SYS_getppid, %eax
	syscall
	cmpl	PARAM(P_SENTRY_PID), %eax
	jne	.Lt_die
	/* Drop the template's scratch (no stack from here on) and socket. */
	movabs	$ST_SCRATCH, %rdi
	mov	$ST_SCRATCH_SIZE, %esi
	mov	$SYS_munmap, %eax
	syscall
	test	%rax, %rax
	jnz	.Lt_die
	movl	PARAM(P_TMPL_FD), %edi
	mov	$SYS_close, %eax
	syscall
	/* The control region: the request page read-only, the rest writable. */
	movabs	$ST_CTL_BASE, %rdi
	mov	$0x1000, %esi
	mov	$PROT_READ, %edx
	mov	$(MAP_SHARED | MAP_FIXED), %r10d
	movl	PARAM(P_CTL_FD), %r8d
	xor	%r9d, %r9d
	mov	$SYS_mmap, %eax
	syscall
	cmp	%rdi, %rax
	jne	.Lt_die
	movabs	$(ST_CTL_BASE + 0x1000), %rdi
	mov	$(ST_CTL_SIZE - 0x1000), %esi
	mov	$(PROT_READ | PROT_WRITE), %edx
	mov	$(MAP_SHARED | MAP_FIXED), %r10d
	movl	PARAM(P_CTL_FD), %r8d
	mov	$0x1000, %r9d
	mov	$SYS_mmap, %eax
	syscall
	cmp	%rdi, %rax
	jne	.Lt_die
	/* The syscall-patch entry table (stub_patch.inc), read+exec. */
	movabs	$ST_PATCH_HI, %rdi
	MAP_PATCH
	cmpl	$0, PARAM(P_PATCH_LO)
	je	1f
	mov	$ST_PATCH_LO, %edi
	MAP_PATCH
1:	movl	PARAM(P_CTL_FD), %edi
	mov	$SYS_close, %eax
	syscall
	/* Ready: as after a request, with nothing done. */
	xor	%r15d, %r15d		/* the last request served */
	xor	%r14d, %r14d
	xor	%ebp, %ebp		/* an op failed */
	jmp	.Ll_signal

/* ---- the leader ---------------------------------------------------------- */

/* Registers: rbx the RO page, r12 the op index, r13 the op count, r14 the
 * request being served, r15 the last one served, rbp "an op failed". */
.Ll_wait:
	movabs	$ST_CTL_BASE, %rbx
	movl	RO_REQ_SEQ(%rbx), %eax
	cmp	%r15d, %eax
	jne	.Ll_work
	movl	RO_SPIN(%rbx), %ecx
.Ll_spin:
	test	%ecx, %ecx
	jz	.Ll_sleep
	pause
	movl	RO_REQ_SEQ(%rbx), %eax
	cmp	%r15d, %eax
	jne	.Ll_work
	dec	%ecx
	jmp	.Ll_spin
.Ll_sleep:
	movabs	$(ST_CTL_BASE + ST_RW_OFF), %rax
	movl	$1, RW_LEADER_WAITING(%rax)
	mfence
	movl	RO_REQ_SEQ(%rbx), %eax
	cmp	%r15d, %eax
	jne	1f
	lea	RO_REQ_SEQ(%rbx), %rdi
	mov	$FUTEX_WAIT, %esi
	mov	%r15d, %edx
	xor	%r10d, %r10d
	mov	$SYS_futex, %eax
	syscall
1:	movabs	$(ST_CTL_BASE + ST_RW_OFF), %rax
	movl	$0, RW_LEADER_WAITING(%rax)
	jmp	.Ll_wait

.Ll_work:
	mov	%eax, %r14d
	movl	RO_NOPS(%rbx), %r13d
	cmp	$ST_MAX_OPS, %r13d
	jbe	1f
	mov	$ST_MAX_OPS, %r13d
1:	xor	%r12d, %r12d
	xor	%ebp, %ebp
.Ll_op:
	cmp	%r13d, %r12d
	jae	.Ll_signal
	mov	%r12, %rax
	shl	$6, %rax
	lea	RO_OPS(%rbx, %rax), %rax
	mov	8(%rax), %rdi
	mov	16(%rax), %rsi
	mov	24(%rax), %rdx
	mov	32(%rax), %r10
	mov	40(%rax), %r8
	mov	48(%rax), %r9
	mov	0(%rax), %rax
	/* A clone has its own syscall instruction: the new thread knows
	 * itself by where it returns, never by memory.  By the time it runs,
	 * the leader may have finished this request and the Sentry written
	 * the next one over the page: a new thread that looked at the op
	 * there could take itself for the leader and serve that request too,
	 * and never start. */
	cmp	$SYS_clone, %rax
	je	.Ll_clone
	syscall
.Ll_done:
	mov	%r12, %rcx
	shl	$6, %rcx
	mov	RO_OPS(%rbx, %rcx), %rdx	/* the op's number, again */
	movabs	$(ST_CTL_BASE + ST_RW_OFF), %rsi
	mov	%rax, RW_RESULTS(%rsi, %r12, 8)
	cmp	$-4095, %rax
	jb	.Ll_next
	/* Failed.  Unmap and protect must hold: the Sentry relies on the app
	 * losing the access.  A protect that failed (a hole in the range)
	 * drops the range instead; an unmap that failed ends the stub. */
	cmp	$SYS_munmap, %rdx
	je	.Ll_fatal
	cmp	$SYS_mprotect, %rdx
	jne	3f
	mov	%r12, %rcx
	shl	$6, %rcx
	mov	RO_OPS + 8(%rbx, %rcx), %rdi
	mov	RO_OPS + 16(%rbx, %rcx), %rsi
	mov	$SYS_munmap, %eax
	syscall
	test	%rax, %rax
	jnz	.Ll_fatal
3:	mov	$1, %ebp
.Ll_next:
	inc	%r12d
	jmp	.Ll_op

.Ll_clone:
	syscall
	test	%rax, %rax
	jz	.Lth_start			/* the new thread */
	jmp	.Ll_done

.Ll_signal:
	movabs	$(ST_CTL_BASE + ST_RW_OFF), %rax
	movl	%r14d, RW_DONE_SEQ(%rax)
	movl	PARAM(P_EVENT_FD), %edi
	lea	PARAM(P_ONE), %rsi
	test	%ebp, %ebp
	jz	1f
	lea	PARAM(P_TWO), %rsi
1:	mov	$8, %edx
	mov	$SYS_write, %eax
	syscall
	cmp	$8, %rax
	jne	.Ll_fatal
	mov	%r14d, %r15d
	jmp	.Ll_wait

.Ll_fatal:
	mov	$ST_EXIT_FATAL, %edi
	mov	$SYS_exit_group, %eax
	syscall
	ud2

/* ---- a new app thread ---------------------------------------------------- */

/* Cloned by the leader: rsp is the top of the thread's area, all signals
 * blocked (the leader's mask). */
.Lth_start:
	mov	%rsp, %rbx
	dec	%rbx
	and	$-ST_TH_SIZE, %rbx
	/* sigaltstack({area + ST_TH_STACK_OFF, 0, ST_TH_STACK_SIZE}) */
	sub	$32, %rsp
	lea	ST_TH_STACK_OFF(%rbx), %rax
	mov	%rax, 0(%rsp)
	movq	$0, 8(%rsp)
	movq	$ST_TH_STACK_SIZE, 16(%rsp)
	mov	%rsp, %rdi
	xor	%esi, %esi
	mov	$SYS_sigaltstack, %eax
	syscall
	test	%rax, %rax
	jnz	.Lth_die
	/* The app filter: from here on this thread is an app thread.  In
	 * notification mode it comes with the thread's own listener, whose
	 * number the Sentry finds in the slot (and takes with pidfd_getfd). */
	mov	$SECCOMP_SET_MODE_FILTER, %edi
	movl	PARAM(P_SECCOMP_FLAGS), %esi
	lea	PARAM(P_APP_FPROG), %rdx
	mov	$SYS_seccomp, %eax
	syscall
	test	%rax, %rax
	js	.Lth_die
	inc	%eax
	movl	%eax, SL_LFD(%rbx)
	/* Unblock every signal (the app filter allows exactly this call). */
	mov	$SIG_SETMASK, %edi
	lea	PARAM(P_ZERO), %rsi
	xor	%edx, %edx
	mov	$8, %r10d
	mov	$SYS_rt_sigprocmask, %eax
	syscall
	test	%rax, %rax
	jnz	.Lth_die
	/* Park in the handler: the Sentry's first resume of this thread
	 * replaces this frame's registers with the app's. */
	mov	$SYS_getpid, %eax
systrap_stub_thread_trap:
	syscall
.Lth_die:
	ud2

/* ---- the handler of app threads ------------------------------------------- */

/* rdi = signal, rsi = siginfo, rdx = ucontext, on the thread's signal stack;
 * our signals are blocked while it runs (a fault in here is fatal). */
systrap_stub_handler:
	mov	%rsp, %rbx
	and	$-ST_TH_SIZE, %rbx
	movabs	$ST_TH_BASE, %rax
	cmp	%rax, %rbx
	jb	.Lh_bad
	movabs	$ST_TH_END, %rax
	cmp	%rax, %rbx
	jae	.Lh_bad
	/* A fault signal sent from outside (kill) is not a fault: ignore it. */
	cmp	$ST_SIG_INTERRUPT, %edi
	je	.Lh_intr
	movl	8(%rsi), %eax		/* si_code */
	cmp	$SIGSYS, %edi
	jne	1f
	cmp	$SYS_SECCOMP, %eax
	jne	.Lh_ret
	jmp	.Lh_post
1:	test	%eax, %eax
	jle	.Lh_ret
.Lh_post:
	mov	%rdi, SL_SIG(%rbx)
	mov	%rsi, SL_INFO(%rbx)
	mov	%rdx, SL_UC(%rbx)
	mov	$ST_STATE_EVENT, %eax
	xchg	%eax, SL_STATE(%rbx)
	cmpl	$0, PARAM(P_NOTIF)
	jne	.Lh_notif
	cmpl	$0, SL_SENTRY_WAIT(%rbx)
	je	.Lh_wait
	lea	SL_STATE(%rbx), %rdi
	mov	$FUTEX_WAKE, %esi
	mov	$1, %edx
	mov	$SYS_futex, %eax
	syscall
	/* The Sentry was asleep: it must be scheduled before it serves us,
	 * most often on this very CPU (the wake-up's affinity), where our
	 * spinning only keeps it off.  Sleep at once. */
	jmp	.Lh_sleep
.Lh_wait:
	movl	SL_SPIN(%rbx), %ecx
.Lh_spin:
	cmpl	$ST_STATE_RESUME, SL_STATE(%rbx)
	je	.Lh_resumed
	test	%ecx, %ecx
	jz	.Lh_sleep
	pause
	dec	%ecx
	jmp	.Lh_spin
.Lh_sleep:
	movl	$1, SL_STUB_WAIT(%rbx)
	mfence
	cmpl	$ST_STATE_RESUME, SL_STATE(%rbx)
	je	1f
	lea	SL_STATE(%rbx), %rdi
	mov	$FUTEX_WAIT, %esi
	mov	$ST_STATE_EVENT, %edx
	xor	%r10d, %r10d
	mov	$SYS_futex, %eax
	syscall
1:	movl	$0, SL_STUB_WAIT(%rbx)
	cmpl	$ST_STATE_RESUME, SL_STATE(%rbx)
	jne	.Lh_sleep
	jmp	.Lh_resumed
/* Notification mode: the Sentry waits on this thread's listener, but for a
 * new thread's first trap (it sleeps on the slot then).  The hand-off is a
 * syscall the app filter answers with a user notification from this one
 * address; the Sentry's reply comes after it has written the frame. */
.Lh_notif:
	cmpl	$0, SL_SENTRY_WAIT(%rbx)
	je	1f
	lea	SL_STATE(%rbx), %rdi
	mov	$FUTEX_WAKE, %esi
	mov	$1, %edx
	mov	$SYS_futex, %eax
	syscall
1:	cmpl	$ST_STATE_RESUME, SL_STATE(%rbx)
	je	.Lh_resumed
	mov	$SYS_getppid, %eax
	syscall
systrap_stub_handoff_ret:
	jmp	1b
.Lh_resumed:
	/* The fs and gs bases are not in the signal frame. */
	mov	SL_FS_WANT(%rbx), %rsi
	cmp	SL_FS_CUR(%rbx), %rsi
	je	2f
	mov	$ARCH_SET_FS, %edi
	mov	$SYS_arch_prctl, %eax
	syscall
	mov	%rsi, SL_FS_CUR(%rbx)
2:	mov	SL_GS_WANT(%rbx), %rsi
	cmp	SL_GS_CUR(%rbx), %rsi
	je	.Lh_ret
	mov	$ARCH_SET_GS, %edi
	mov	$SYS_arch_prctl, %eax
	syscall
	mov	%rsi, SL_GS_CUR(%rbx)
.Lh_ret:
	ret
.Lh_wait_end:
/* The interrupt signal, taken while the thread runs the syscall-patch
 * trampoline (stub_patch.inc) or the restorer it returns through, or waits
 * for the Sentry in the code above on its behalf (the handler itself runs
 * all of these with the signal blocked): not now.  The trampoline posts a trap very soon anyway, and
 * the Sentry's pending interrupt makes its next switch return at once. */
.Lh_intr:
	mov	UC_RIP(%rdx), %rax
	lea	systrap_patch_start(%rip), %rcx
	cmp	%rcx, %rax
	jb	1f
	lea	systrap_stub_end(%rip), %rcx	/* the trampoline, then the restorer */
	cmp	%rcx, %rax
	jb	.Lh_ret
1:	lea	.Lh_post(%rip), %rcx
	cmp	%rcx, %rax
	jb	.Lh_post
	lea	.Lh_wait_end(%rip), %rcx
	cmp	%rcx, %rax
	jb	.Lh_ret
	jmp	.Lh_post
.Lh_bad:
	ud2

#include "platform/systrap/stub_patch.inc"

/* sa_restorer of every handler: the only rt_sigreturn the filters allow. */
systrap_stub_restorer:
	mov	$SYS_rt_sigreturn, %eax
	syscall
	ud2
systrap_stub_end:

	.section .note.GNU-stack,"",@progbits
