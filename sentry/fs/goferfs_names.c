/*
 * goferfs_names.c — the set of names made in a directory the Sentry made.
 *
 * A list of the names up to GOFER_NAMES_LIST (git's objects/ gets up to 256
 * directories, each with a name or two), then a Bloom filter of
 * GOFER_NAMES_BLOOM_BITS (8 KiB, 4 probes from double hashing of a 64-bit
 * FNV-1a): a tar or a build writing thousands of files into one directory
 * keeps 8 KiB instead of every name.  A name the filter may hold is asked
 * for, as a listed one is.  Past GOFER_NAMES_MAX names (one name in 400
 * would then be asked for in vain) the set is full.  A hostile app that
 * picks colliding names only costs itself walks.
 */
#include "sentry/fs/goferfs_names.h"

#include <stdlib.h>
#include <string.h>

#define GOFER_NAMES_LIST 256
#define GOFER_NAMES_BLOOM_BITS 65536u
#define GOFER_NAMES_MAX 4096u

static void probes(const char *name, uint32_t bit[4])
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	uint32_t h1 = (uint32_t)h, h2 = (uint32_t)(h >> 32) | 1;
	for (uint32_t i = 0; i < 4; i++)
		bit[i] = (h1 + i * h2) % GOFER_NAMES_BLOOM_BITS;
}

static void bloom_add(uint64_t *bloom, const char *name)
{
	uint32_t bit[4];
	probes(name, bit);
	for (int i = 0; i < 4; i++)
		bloom[bit[i] / 64] |= 1ULL << (bit[i] % 64);
}

/* The list is full: its names go into a filter instead. */
static bool to_bloom(struct gofer_names *s)
{
	uint64_t *bloom = calloc(GOFER_NAMES_BLOOM_BITS / 64, sizeof(*bloom));
	if (!bloom)
		return false;
	for (uint32_t i = 0; i < s->n; i++) {
		bloom_add(bloom, s->list[i]);
		free(s->list[i]);
	}
	free(s->list);
	s->list = NULL;
	s->cap = 0;
	s->bloom = bloom;
	return true;
}

bool gofer_names_add(struct gofer_names *s, const char *name)
{
	if (s->n >= GOFER_NAMES_MAX)
		return false;
	if (!s->bloom && s->n == GOFER_NAMES_LIST && !to_bloom(s))
		return false;
	if (s->bloom) {
		bloom_add(s->bloom, name);
		s->n++;
		return true;
	}
	if (s->n == s->cap) {
		uint32_t cap = s->cap ? 2u * s->cap : 8u;
		char **m = realloc(s->list, cap * sizeof(*m));
		if (!m)
			return false;
		s->list = m;
		s->cap = cap;
	}
	char *copy = strdup(name);
	if (!copy)
		return false;
	s->list[s->n++] = copy;
	return true;
}

bool gofer_names_may_hold(const struct gofer_names *s, const char *name)
{
	if (s->bloom) {
		uint32_t bit[4];
		probes(name, bit);
		for (int i = 0; i < 4; i++)
			if (!(s->bloom[bit[i] / 64] & (1ULL << (bit[i] % 64))))
				return false;
		return true;
	}
	for (uint32_t i = 0; i < s->n; i++)
		if (!strcmp(s->list[i], name))
			return true;
	return false;
}

void gofer_names_clear(struct gofer_names *s)
{
	for (uint32_t i = 0; s->list && i < s->n; i++)
		free(s->list[i]);
	free(s->list);
	free(s->bloom);
	*s = (struct gofer_names){0};
}
