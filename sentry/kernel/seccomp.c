/*
 * seccomp.c — the app's own seccomp: strict mode, classic-BPF filters (the
 * checker and the interpreter over struct seccomp_data), and the action a
 * syscall gets at dispatch.
 *
 * The Sentry enforces the app's filters itself, at syscall entry on every
 * platform (task.c calls seccomp_syscall_enter before the handler), so the
 * host never sees them.  The rules are Linux's (kernel/seccomp.c,
 * Documentation/userspace-api/seccomp_filter.rst): every filter of the
 * chain runs, the least permissive action wins (the lowest action as a
 * signed 32-bit value; among equals, the newest filter's data), and an
 * action this kernel does not know kills the process.
 *
 * What this file must never do: touch app memory (the syscall layer copies
 * programs in), or exit and signal tasks (seccomp_enter.c acts on its
 * verdicts, so the checker and the interpreter link without the task
 * machinery).
 */
#include "sentry/kernel/seccomp.h"
#include "sentry/kernel/kernel.h"
#include "lib/log.h"

#include <errno.h>
#include <linux/audit.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1 /* SIGSYS's si_code for a seccomp trap */
#endif

static void filter_get(struct seccomp_filter *f)
{
	if (f)
		atomic_fetch_add(&f->refs, 1);
}

static void filter_put(struct seccomp_filter *f)
{
	while (f && atomic_fetch_sub(&f->refs, 1) == 1) {
		struct seccomp_filter *prev = f->prev;
		free(f);
		f = prev;
	}
}

static struct seccomp_filter *chain_of(const struct task *t)
{
	return __atomic_load_n(&t->seccomp, __ATOMIC_ACQUIRE);
}

/* ---- the checker ---- */

#define MEMWORDS 16 /* BPF_MEMWORDS */

/* Is code an instruction seccomp runs (seccomp_check_filter's list)? */
static bool insn_allowed(const struct sock_filter *in)
{
	switch (in->code) {
	case BPF_LD | BPF_W | BPF_ABS:
		/* A word of struct seccomp_data, aligned. */
		return in->k < sizeof(struct seccomp_data) && (in->k & 3) == 0;
	case BPF_LD | BPF_W | BPF_LEN:
	case BPF_LDX | BPF_W | BPF_LEN:
	case BPF_RET | BPF_K:
	case BPF_RET | BPF_A:
	case BPF_ALU | BPF_NEG:
	case BPF_LD | BPF_IMM:
	case BPF_LDX | BPF_IMM:
	case BPF_MISC | BPF_TAX:
	case BPF_MISC | BPF_TXA:
	case BPF_LD | BPF_MEM:
	case BPF_LDX | BPF_MEM:
	case BPF_ST:
	case BPF_STX:
	case BPF_JMP | BPF_JA:
		return true;
	}
	if (BPF_CLASS(in->code) == BPF_ALU && (BPF_SRC(in->code) == BPF_K ||
					       BPF_SRC(in->code) == BPF_X)) {
		switch (BPF_OP(in->code)) {
		case BPF_ADD: case BPF_SUB: case BPF_MUL: case BPF_DIV:
		case BPF_AND: case BPF_OR: case BPF_XOR: case BPF_LSH: case BPF_RSH:
			return true;
		}
		return false;
	}
	if (BPF_CLASS(in->code) == BPF_JMP && (BPF_SRC(in->code) == BPF_K ||
					       BPF_SRC(in->code) == BPF_X)) {
		switch (BPF_OP(in->code)) {
		case BPF_JEQ: case BPF_JGT: case BPF_JGE: case BPF_JSET:
			return true;
		}
	}
	return false;
}

int seccomp_check_prog(const struct sock_filter *prog, unsigned int len)
{
	if (len == 0 || len > SECCOMP_MAX_PROG_INSNS)
		return -EINVAL;
	for (unsigned int pc = 0; pc < len; pc++) {
		const struct sock_filter *in = &prog[pc];
		if (!insn_allowed(in))
			return -EINVAL;
		switch (in->code) {
		case BPF_ALU | BPF_DIV | BPF_K:
			if (in->k == 0)
				return -EINVAL;
			break;
		case BPF_ALU | BPF_LSH | BPF_K:
		case BPF_ALU | BPF_RSH | BPF_K:
			if (in->k >= 32)
				return -EINVAL;
			break;
		case BPF_LD | BPF_MEM:
		case BPF_LDX | BPF_MEM:
		case BPF_ST:
		case BPF_STX:
			if (in->k >= MEMWORDS)
				return -EINVAL;
			break;
		case BPF_JMP | BPF_JA:
			if (in->k >= len - pc - 1)
				return -EINVAL;
			break;
		default:
			if (BPF_CLASS(in->code) == BPF_JMP &&
			    (pc + in->jt + 1 >= len || pc + in->jf + 1 >= len))
				return -EINVAL;
		}
	}
	if (BPF_CLASS(prog[len - 1].code) != BPF_RET)
		return -EINVAL;

	/* As Linux's check_load_and_stores: a scratch slot read must have
	 * been written on every path to the read.  Jumps go forward only, so
	 * one pass in order carries the written set to every target. */
	uint16_t *written = malloc(len * sizeof(*written));
	if (!written)
		return -ENOMEM;
	for (unsigned int i = 0; i < len; i++)
		written[i] = 0xffff;
	written[0] = 0;
	int r = 0;
	for (unsigned int pc = 0; pc < len && !r; pc++) {
		const struct sock_filter *in = &prog[pc];
		uint16_t m = written[pc];
		switch (in->code) {
		case BPF_ST:
		case BPF_STX:
			m |= (uint16_t)(1u << in->k);
			break;
		case BPF_LD | BPF_MEM:
		case BPF_LDX | BPF_MEM:
			if (!(m & (1u << in->k)))
				r = -EINVAL;
			break;
		case BPF_JMP | BPF_JA:
			written[pc + 1 + in->k] &= m;
			m = 0xffff; /* nothing falls through */
			break;
		default:
			if (BPF_CLASS(in->code) == BPF_JMP) {
				written[pc + 1 + in->jt] &= m;
				written[pc + 1 + in->jf] &= m;
				m = 0xffff;
			} else if (BPF_CLASS(in->code) == BPF_RET) {
				m = 0xffff;
			}
		}
		if (pc + 1 < len)
			written[pc + 1] &= m;
	}
	free(written);
	return r;
}

/* ---- the interpreter ---- */

static uint32_t data_word(const struct seccomp_data *d, uint32_t off)
{
	uint32_t w;
	memcpy(&w, (const char *)d + off, sizeof(w)); /* checked: aligned, inside */
	return w;
}

/* The interpreter.  With known_nr_only, only nr and arch may be read: a
 * load of any other field (instruction pointer, arguments) sets *unknown and
 * ends the run (the verdict cache's question, see seccomp_allow_bitmap). */
static inline __attribute__((always_inline)) uint32_t
run_prog(const struct sock_filter *prog, unsigned int len, const struct seccomp_data *data,
	 bool known_nr_only, bool *unknown)
{
	uint32_t A = 0, X = 0, M[MEMWORDS] = {0};
	for (unsigned int pc = 0; pc < len; pc++) {
		const struct sock_filter *in = &prog[pc];
		uint32_t k = in->k;
		uint32_t src = BPF_SRC(in->code) == BPF_X ? X : k;
		switch (in->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (known_nr_only && k >= offsetof(struct seccomp_data, instruction_pointer)) {
				*unknown = true;
				return 0;
			}
			A = data_word(data, k);
			continue;
		case BPF_LD | BPF_W | BPF_LEN:
			A = sizeof(*data);
			continue;
		case BPF_LDX | BPF_W | BPF_LEN:
			X = sizeof(*data);
			continue;
		case BPF_LD | BPF_IMM:
			A = k;
			continue;
		case BPF_LDX | BPF_IMM:
			X = k;
			continue;
		case BPF_LD | BPF_MEM:
			A = M[k];
			continue;
		case BPF_LDX | BPF_MEM:
			X = M[k];
			continue;
		case BPF_ST:
			M[k] = A;
			continue;
		case BPF_STX:
			M[k] = X;
			continue;
		case BPF_MISC | BPF_TAX:
			X = A;
			continue;
		case BPF_MISC | BPF_TXA:
			A = X;
			continue;
		case BPF_RET | BPF_K:
			return k;
		case BPF_RET | BPF_A:
			return A;
		case BPF_ALU | BPF_NEG:
			A = -A;
			continue;
		case BPF_JMP | BPF_JA:
			pc += k;
			continue;
		}
		if (BPF_CLASS(in->code) == BPF_ALU) {
			switch (BPF_OP(in->code)) {
			case BPF_ADD: A += src; break;
			case BPF_SUB: A -= src; break;
			case BPF_MUL: A *= src; break;
			case BPF_DIV:
				if (src == 0)
					return 0; /* as classic BPF: the program ends, returning 0 */
				A /= src;
				break;
			case BPF_AND: A &= src; break;
			case BPF_OR: A |= src; break;
			case BPF_XOR: A ^= src; break;
			case BPF_LSH: A <<= (src & 31); break;
			case BPF_RSH: A >>= (src & 31); break;
			}
			continue;
		}
		if (BPF_CLASS(in->code) == BPF_JMP) {
			bool c = false;
			switch (BPF_OP(in->code)) {
			case BPF_JEQ: c = A == src; break;
			case BPF_JGT: c = A > src; break;
			case BPF_JGE: c = A >= src; break;
			case BPF_JSET: c = (A & src) != 0; break;
			}
			pc += c ? in->jt : in->jf;
			continue;
		}
		return 0; /* unreachable for a checked program */
	}
	return 0;
}

uint32_t seccomp_run_prog(const struct sock_filter *prog, unsigned int len,
			  const struct seccomp_data *data)
{
	return run_prog(prog, len, data, false, NULL);
}

void seccomp_allow_bitmap(const struct sock_filter *prog, unsigned int len,
			  uint64_t bits[SECCOMP_CACHE_WORDS])
{
	struct seccomp_data d;
	memset(&d, 0, sizeof(d));
	d.arch = AUDIT_ARCH_X86_64;
	for (int nr = 0; nr < SECCOMP_CACHE_NRS; nr++) {
		bool unknown = false;
		d.nr = nr;
		uint32_t r = run_prog(prog, len, &d, true, &unknown);
		if (!unknown && (r & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ALLOW)
			bits[nr / 64] |= 1ull << (nr % 64);
		else
			bits[nr / 64] &= ~(1ull << (nr % 64));
	}
}

/* ---- syscall entry ---- */

/* The action as Linux orders them: a signed compare of the action bits. */
static int32_t action_rank(uint32_t ret)
{
	return (int32_t)(ret & SECCOMP_RET_ACTION_FULL);
}

static uint32_t run_chain(const struct seccomp_filter *f, const struct seccomp_data *d,
			  const struct seccomp_filter **match)
{
	uint32_t ret = SECCOMP_RET_ALLOW;
	*match = NULL;
	for (; f; f = f->prev) {
		uint32_t cur = seccomp_run_prog(f->insns, f->len, d);
		if (action_rank(cur) < action_rank(ret)) {
			ret = cur;
			*match = f;
		}
	}
	return ret;
}

/* As Linux's mode-1 list for x86-64. */
static bool strict_allowed(int nr)
{
	return nr == SYS_read || nr == SYS_write || nr == SYS_exit || nr == SYS_rt_sigreturn;
}

enum seccomp_verdict seccomp_decide(struct task *t, int nr, const uint64_t a[6], int64_t *ret,
				    siginfo_t *info)
{
	int mode = __atomic_load_n(&t->seccomp_mode, __ATOMIC_ACQUIRE);
	if (mode == SECCOMP_MODE_DISABLED)
		return SECCOMP_V_RUN;
	memset(info, 0, sizeof(*info));
	if (mode == SECCOMP_MODE_STRICT) {
		if (strict_allowed(nr))
			return SECCOMP_V_RUN;
		log_info("seccomp: task %d killed by strict mode (syscall %d)", t->tid, nr);
		info->si_signo = SIGKILL; /* as Linux: this thread, with SIGKILL */
		return SECCOMP_V_KILL_THREAD;
	}

	/* As Linux's action cache: a number every filter allows whatever the
	 * arguments skips the programs. */
	const struct seccomp_filter *top = chain_of(t);
	if (nr >= 0 && nr < SECCOMP_CACHE_NRS && top &&
	    (top->allow_cache[nr / 64] >> (nr % 64)) & 1)
		return SECCOMP_V_RUN;
	struct seccomp_data d;
	memset(&d, 0, sizeof(d));
	d.nr = nr;
	d.arch = AUDIT_ARCH_X86_64;
	d.instruction_pointer = t->regs.rip;
	for (int i = 0; i < 6; i++)
		d.args[i] = a[i];
	const struct seccomp_filter *match;
	uint32_t r = run_chain(chain_of(t), &d, &match);
	uint32_t data = r & SECCOMP_RET_DATA;

	switch (r & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_ALLOW:
		return SECCOMP_V_RUN;
	case SECCOMP_RET_LOG:
		log_info("seccomp: task %d syscall %d logged", t->tid, nr);
		return SECCOMP_V_RUN;
	case SECCOMP_RET_ERRNO:
		*ret = -(int64_t)(data > 4095 ? 4095 : data);
		return SECCOMP_V_RETURN;
	case SECCOMP_RET_TRACE:
	case SECCOMP_RET_USER_NOTIF:
		/* No tracer (ptrace is not offered) and no listener: as Linux
		 * without one, the syscall fails with ENOSYS. */
		*ret = -ENOSYS;
		return SECCOMP_V_RETURN;
	case SECCOMP_RET_TRAP:
		info->si_signo = SIGSYS;
		info->si_code = SYS_SECCOMP;
		info->si_errno = (int)data;
		info->si_call_addr = (void *)(uintptr_t)t->regs.rip;
		info->si_syscall = nr;
		info->si_arch = AUDIT_ARCH_X86_64;
		/* As Linux's syscall_rollback: rax is the syscall number again. */
		*ret = (int64_t)(uint64_t)t->regs.orig_rax;
		return SECCOMP_V_TRAP;
	case SECCOMP_RET_KILL_THREAD:
		if (match && match->log)
			log_info("seccomp: task %d killed (syscall %d)", t->tid, nr);
		info->si_signo = SIGSYS;
		return SECCOMP_V_KILL_THREAD;
	default: /* SECCOMP_RET_KILL_PROCESS and unknown actions */
		log_info("seccomp: process %d killed (syscall %d)", t->tg->tgid, nr);
		info->si_signo = SIGSYS;
		return SECCOMP_V_KILL_PROCESS;
	}
}

/* ---- installing ---- */

int seccomp_set_strict(struct task *t)
{
	struct thread_group *tg = t->tg;
	vmutex_lock(&tg->siglock);
	int r = 0;
	/* As Linux's seccomp_may_assign_mode. */
	if (t->seccomp_mode != SECCOMP_MODE_DISABLED && t->seccomp_mode != SECCOMP_MODE_STRICT)
		r = -EINVAL;
	else
		__atomic_store_n(&t->seccomp_mode, SECCOMP_MODE_STRICT, __ATOMIC_RELEASE);
	vmutex_unlock(&tg->siglock);
	return r;
}

/* Is a an ancestor of b (or b itself, or NULL)? */
static bool is_ancestor(const struct seccomp_filter *a, const struct seccomp_filter *b)
{
	if (!a)
		return true;
	for (; b; b = b->prev)
		if (a == b)
			return true;
	return false;
}

int seccomp_set_filter(struct task *t, unsigned int flags, const struct sock_filter *prog,
		       unsigned int len)
{
	struct seccomp_filter *f = malloc(sizeof(*f) + len * sizeof(prog[0]));
	if (!f)
		return -ENOMEM;
	atomic_init(&f->refs, 1);
	f->prev = NULL;
	f->log = (flags & SECCOMP_FILTER_FLAG_LOG) != 0;
	f->len = len;
	memcpy(f->insns, prog, len * sizeof(prog[0]));
	/* Its own verdicts now (the work, outside the lock); the chain's below,
	 * once its predecessor is known. */
	seccomp_allow_bitmap(f->insns, f->len, f->allow_cache);

	struct thread_group *tg = t->tg;
	struct seccomp_filter *olds[64];
	int nold = 0;
	int r = 0;
	vmutex_lock(&tg->siglock);
	if (t->seccomp_mode != SECCOMP_MODE_DISABLED && t->seccomp_mode != SECCOMP_MODE_FILTER) {
		r = -EINVAL;
		goto out;
	}
	/* As Linux: the instructions of every filter on the path, plus 4 for
	 * each, at most MAX_INSNS_PER_PATH. */
	unsigned long total = len;
	for (const struct seccomp_filter *o = t->seccomp; o; o = o->prev)
		total += o->len + 4;
	if (total > SECCOMP_MAX_PATH_INSNS) {
		r = -ENOMEM;
		goto out;
	}
	if (flags & SECCOMP_FILTER_FLAG_TSYNC) {
		/* Every other thread must be in no mode, or run a chain the
		 * caller's extends (seccomp_can_sync_threads). */
		for (struct task *o = tg->threads; o; o = o->tg_next) {
			if (o == t || o->exiting)
				continue;
			if (o->seccomp_mode == SECCOMP_MODE_DISABLED ||
			    (o->seccomp_mode == SECCOMP_MODE_FILTER &&
			     is_ancestor(o->seccomp, t->seccomp)))
				continue;
			r = (flags & SECCOMP_FILTER_FLAG_TSYNC_ESRCH) ? -ESRCH : o->tid;
			goto out;
		}
	}
	f->prev = t->seccomp; /* t's reference moves to the new filter */
	if (f->prev)
		for (int i = 0; i < SECCOMP_CACHE_WORDS; i++)
			f->allow_cache[i] &= f->prev->allow_cache[i];
	__atomic_store_n(&t->seccomp, f, __ATOMIC_RELEASE);
	__atomic_store_n(&t->seccomp_mode, SECCOMP_MODE_FILTER, __ATOMIC_RELEASE);
	f = NULL;
	if (flags & SECCOMP_FILTER_FLAG_TSYNC) {
		struct seccomp_filter *mine = t->seccomp;
		for (struct task *o = tg->threads; o; o = o->tg_next) {
			if (o == t || o->exiting)
				continue;
			filter_get(mine);
			struct seccomp_filter *old = o->seccomp;
			__atomic_store_n(&o->seccomp, mine, __ATOMIC_RELEASE);
			__atomic_store_n(&o->seccomp_mode, SECCOMP_MODE_FILTER, __ATOMIC_RELEASE);
			/* An ancestor of mine: putting it frees nothing, but do
			 * it outside the lock all the same, in a batch. */
			if (old && nold < (int)(sizeof(olds) / sizeof(olds[0])))
				olds[nold++] = old;
			else if (old)
				filter_put(old);
		}
	}
out:
	vmutex_unlock(&tg->siglock);
	for (int i = 0; i < nold; i++)
		filter_put(olds[i]);
	free(f);
	return r;
}

void seccomp_fork(struct task *child, const struct task *parent)
{
	struct seccomp_filter *f = chain_of(parent);
	filter_get(f);
	child->seccomp = f;
	child->seccomp_mode = seccomp_mode(parent);
}

void seccomp_task_free(struct task *t)
{
	filter_put(t->seccomp);
	t->seccomp = NULL;
}
