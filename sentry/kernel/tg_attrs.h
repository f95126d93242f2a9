/*
 * tg_attrs.h — small per-process attributes that prctl(2) reads and sets
 * (tg_attrs.c), so that the syscall layer takes no kernel lock itself.
 */
#ifndef VISOR_SENTRY_TG_ATTRS_H
#define VISOR_SENTRY_TG_ATTRS_H

struct task;

/* PR_GET_DUMPABLE / PR_SET_DUMPABLE (0 or 1; execve makes it 1 again). */
int tg_get_dumpable(struct task *t);
void tg_set_dumpable(struct task *t, int v);
/* PR_GET_CHILD_SUBREAPER / PR_SET_CHILD_SUBREAPER: orphans below a
 * subreaper go to it, not to init (exit.c). */
int tg_get_child_subreaper(struct task *t);
void tg_set_child_subreaper(struct task *t, int v);

/* membarrier(2)'s registrations: add the MEMBARRIER_STATE_* bits in set
 * (0: none) and return them all. */
unsigned tg_membarrier_state(struct task *t, unsigned set);

#endif
