/*
 * hostcpu.h — the host's CPUs as the sandbox shows them (hostcpu.c): how
 * many are online and the Sentry's CPU affinity mask, read once at boot.
 *
 * Read before the jail (glibc's sysconf reads /sys, which the jailed Sentry
 * cannot open) and before any Sentry thread is tied to one CPU (the systrap
 * platform ties a thread to its app thread's CPU, after which the thread's
 * own affinity says nothing about the sandbox's).  /proc, /sys, io_setup
 * and sched_getaffinity all answer from here.
 */
#ifndef VISOR_SENTRY_HOSTCPU_H
#define VISOR_SENTRY_HOSTCPU_H

#include <stdint.h>

#define HOSTCPU_MASK_BYTES 1024 /* 8192 CPUs, Linux's largest NR_CPUS */

/* Read the facts now (at boot); later calls do nothing.  Each accessor
 * reads them first when nobody did (unit tests). */
void hostcpu_init(void);
/* CPUs online (sysconf(_SC_NPROCESSORS_ONLN)), at least 1. */
long hostcpu_online(void);
/* The affinity mask, and its size in bytes as the host's sched_getaffinity
 * reports it (cpumask_size(): a multiple of 8). */
const uint64_t *hostcpu_mask(unsigned *bytes);

#endif
