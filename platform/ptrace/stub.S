/*
 * stub.S — the code of the ptrace platform's stub page.
 *
 * These bytes are never run where the linker put them: ptrace_stub.c copies
 * [ptrace_stub_start, ptrace_stub_end) into one page at a fixed high address
 * (>= PLAT_APP_TOP), and that page is the only code left in every stub
 * process.  The code must therefore be position independent, use no stack and
 * no data, and make only the host syscalls the stub's seccomp filter allows.
 *
 * The tracer (a Sentry thread) drives it by setting rip:
 *   inject: run one syscall (rax = number, args in rdi rsi rdx r10 r8 r9), then
 *           trap with int3 so the tracer sees a SIGTRAP stop and reads rax.
 *   clone:  the same for clone(CLONE_THREAD...): the parent traps, the new
 *           thread (rax == 0) falls into the wait loop.
 *   wait:   where spare (untraced) stub threads sit until a Sentry thread
 *           seizes them: pause() forever.  Uses no stack.
 */
	.text
	.balign 64
	.globl ptrace_stub_start
	.globl ptrace_stub_inject
	.globl ptrace_stub_clone
	.globl ptrace_stub_wait
	.globl ptrace_stub_end
	.hidden ptrace_stub_start
	.hidden ptrace_stub_inject
	.hidden ptrace_stub_clone
	.hidden ptrace_stub_wait
	.hidden ptrace_stub_end
ptrace_stub_start:
ptrace_stub_inject:
	syscall
	int3
ptrace_stub_clone:
	syscall
	test	%rax, %rax
	jz	ptrace_stub_wait
	int3
ptrace_stub_wait:
	mov	$34, %eax	/* SYS_pause */
	syscall
	jmp	ptrace_stub_wait
ptrace_stub_end:

	.section .note.GNU-stack,"",@progbits
