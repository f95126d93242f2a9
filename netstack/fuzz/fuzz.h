/*
 * fuzz.h — what the netstack's fuzz targets share: a virtual clock, a
 * stack with no-op callbacks, and the entry point's declaration.
 */
#ifndef VISOR_NETSTACK_FUZZ_H
#define VISOR_NETSTACK_FUZZ_H

#include "netstack/netstack.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t fuzz_now;

static uint64_t fuzz_clock(void *ctx)
{
	(void)ctx;
	return fuzz_now;
}

static void fuzz_ready(void *ctx, struct ns_endpoint *ep, void *user, uint32_t events)
{
	(void)ctx, (void)ep, (void)user, (void)events;
}

/* A fresh stack at a fixed time, its randomness from seed. */
static struct ns_stack *fuzz_stack(uint64_t seed)
{
	static const struct ns_stack_ops ops = {.now = fuzz_clock, .ready = fuzz_ready};
	fuzz_now = 1000000000000ull;
	return ns_stack_new(&ops, NULL, seed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
