/*
 * hostcpu.c — the host's CPUs, read once at boot (see hostcpu.h).
 */
#include "sentry/kernel/hostcpu.h"

#include <pthread.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static long online = 1;
static uint64_t mask[HOSTCPU_MASK_BYTES / 8];
static unsigned mask_bytes;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void read_host(void)
{
	online = sysconf(_SC_NPROCESSORS_ONLN);
	if (online < 1)
		online = 1;
	long r = syscall(SYS_sched_getaffinity, 0, sizeof(mask), mask);
	if (r <= 0) {
		/* Cannot happen on Linux; be a one-CPU machine rather than fail. */
		memset(mask, 0, sizeof(mask));
		mask[0] = 1;
		mask_bytes = 8;
	} else {
		mask_bytes = (unsigned)r;
	}
}

void hostcpu_init(void) { pthread_once(&once, read_host); }

long hostcpu_online(void)
{
	hostcpu_init();
	return online;
}

const uint64_t *hostcpu_mask(unsigned *bytes)
{
	hostcpu_init();
	*bytes = mask_bytes;
	return mask;
}
