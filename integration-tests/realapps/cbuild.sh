# gcc + make -j2: a small C project (a static library, a shared library, a
# program and its test run) built in /tmp from sources written here.
set -eu
d=/tmp/cproj
rm -rf "$d" && mkdir -p "$d/src" "$d/lib" && cd "$d"
cat >src/vec.h <<'C'
#pragma once
#include <stddef.h>
struct vec { long *v; size_t n, cap; };
void vec_push(struct vec *a, long x);
long vec_sum(const struct vec *a);
void vec_sort(struct vec *a);
C
cat >src/vec.c <<'C'
#include <stdlib.h>
#include "vec.h"
void vec_push(struct vec *a, long x)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 8;
		a->v = realloc(a->v, a->cap * sizeof(long));
	}
	a->v[a->n++] = x;
}
long vec_sum(const struct vec *a)
{
	long s = 0;
	for (size_t i = 0; i < a->n; i++)
		s += a->v[i];
	return s;
}
static int cmp(const void *x, const void *y)
{
	long a = *(const long *)x, b = *(const long *)y;
	return (a > b) - (a < b);
}
void vec_sort(struct vec *a) { qsort(a->v, a->n, sizeof(long), cmp); }
C
cat >src/str.h <<'C'
#pragma once
char *str_reverse(const char *s);
int str_words(const char *s);
C
cat >src/str.c <<'C'
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "str.h"
char *str_reverse(const char *s)
{
	size_t n = strlen(s);
	char *r = malloc(n + 1);
	for (size_t i = 0; i < n; i++)
		r[i] = s[n - 1 - i];
	r[n] = 0;
	return r;
}
int str_words(const char *s)
{
	int n = 0, in = 0;
	for (; *s; s++) {
		if (isspace((unsigned char)*s))
			in = 0;
		else if (!in++)
			n++;
	}
	return n;
}
C
cat >src/hash.h <<'C'
#pragma once
#include <stdint.h>
uint32_t hash_fnv1a(const void *p, unsigned long n);
C
cat >src/hash.c <<'C'
#include "hash.h"
uint32_t hash_fnv1a(const void *p, unsigned long n)
{
	const unsigned char *b = p;
	uint32_t h = 2166136261u;
	while (n--)
		h = (h ^ *b++) * 16777619u;
	return h;
}
C
cat >src/main.c <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hash.h"
#include "str.h"
#include "vec.h"
int main(int argc, char **argv)
{
	struct vec a = {0};
	for (long i = 0; i < 1000; i++)
		vec_push(&a, (i * 7919) % 1009);
	vec_sort(&a);
	char *r = str_reverse("visor realapps");
	printf("sum %ld min %ld max %ld\n", vec_sum(&a), a.v[0], a.v[a.n - 1]);
	printf("reverse %s words %d\n", r, str_words("  one two  three "));
	printf("fnv %08x\n", hash_fnv1a(r, strlen(r)));
	free(r);
	free(a.v);
	return argc > 1 ? atoi(argv[1]) : 0;
}
C
cat >src/test.c <<'C'
#include <assert.h>
#include <stdio.h>
#include <string.h>
#include "hash.h"
#include "str.h"
#include "vec.h"
int main(void)
{
	struct vec a = {0};
	vec_push(&a, 3); vec_push(&a, 1); vec_push(&a, 2);
	vec_sort(&a);
	assert(a.v[0] == 1 && a.v[2] == 3 && vec_sum(&a) == 6);
	assert(!strcmp(str_reverse("abc"), "cba"));
	assert(str_words("a b c") == 3);
	assert(hash_fnv1a("", 0) == 2166136261u);
	puts("tests passed: 4");
	return 0;
}
C
cat >Makefile <<'MK'
CFLAGS = -O2 -Wall -Werror -Isrc
all: lib/libutil.a lib/libhash.so prog unit
lib/libutil.a: obj/vec.o obj/str.o
	ar rcs $@ $^
lib/libhash.so: obj/hash.pic.o
	$(CC) -shared -o $@ $^
obj/%.o: src/%.c | obj
	$(CC) $(CFLAGS) -c -o $@ $<
obj/%.pic.o: src/%.c | obj
	$(CC) $(CFLAGS) -fPIC -c -o $@ $<
obj:
	mkdir -p obj
prog: obj/main.o lib/libutil.a lib/libhash.so
	$(CC) -o $@ obj/main.o -Llib -lutil -lhash
unit: obj/test.o lib/libutil.a lib/libhash.so
	$(CC) -o $@ obj/test.o -Llib -lutil -lhash
check: unit
	LD_LIBRARY_PATH=lib ./unit
.PHONY: all check
MK
make -s -j2
make -s check
ar t lib/libutil.a | sort
ls obj lib
LD_LIBRARY_PATH=lib ./prog
LD_LIBRARY_PATH=lib ./prog 7 || echo "prog exit $?"
# Rebuild after touching one source: make rebuilds only what depends on it.
sleep 1 && touch src/str.c && make -j2 prog | sort
