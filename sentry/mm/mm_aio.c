/*
 * mm_aio.c — the mm's slot for its AIO contexts (mm.h: mm_aio); what they
 * are is sentry/syscalls/sys_aio.c's business, mm_put releases them.
 */
#include "sentry/mm/mm.h"
#include "sentry/mm/mm_internal.h"

void *mm_aio(struct mm *mm, void *(*make)(void), void (*release)(void *))
{
	vmutex_lock(&mm->lock);
	if (!mm->aio && make && (mm->aio = make()) != NULL)
		mm->aio_release = release;
	void *a = mm->aio;
	vmutex_unlock(&mm->lock);
	return a;
}
