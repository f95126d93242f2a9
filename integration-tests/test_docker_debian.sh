#!/usr/bin/env bash
# docker_run_debian_bash_script_and_pthreads: on a Debian 12 image, bash runs
# a script with pipes, subshells and command substitution, and ls -l, sort,
# grep, sed, tar and a dynamically linked pthread program behave as under runc.
set -u
. "$(dirname "$0")/lib.sh"
docker_setup
docker_import_debian

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/threads.c" <<'C'
#include <pthread.h>
#include <stdio.h>
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long total;
static void *add(void *arg)
{
	for (int i = 0; i < 100000; i++) {
		pthread_mutex_lock(&mu);
		total += (long)arg;
		pthread_mutex_unlock(&mu);
	}
	return NULL;
}
int main(void)
{
	pthread_t t[4];
	for (long i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, add, (void *)(i + 1));
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	printf("total %ld\n", total);
	return 0;
}
C
gcc -O1 -pthread -o "$work/threads" "$work/threads.c" || fail "cannot build the pthread program"
cat >"$work/script.sh" <<'SH'
set -eu
cd /tmp
printf '%s\n' pear apple fig banana >fruit
sort fruit | grep -v fig | sed 's/a/A/g' | tr '\n' ' '; echo
n=$(wc -l <fruit); echo "count $n"
(cd / && echo "subshell in $(pwd)")
mkdir -p d/e && echo hello >d/e/f && chmod 640 d/e/f
tar -cf d.tar d && rm -rf d && tar -xf d.tar && cat d/e/f
ls -l d/e | awk 'NR==2 {print $1, $5, $NF}'
for i in 1 2 3; do echo -n "$i"; done; echo
/w/threads
SH

run() { timeout 120 docker run --rm --runtime="$1" -v "$work:/w:ro" "$DEBIAN_IMAGE" /bin/bash /w/script.sh 2>&1; }
want=$(run runc) || fail "the script fails under runc: $want"
got=$(run "$DOCKER_RUNTIME") || fail "the script fails under visor: $got"
echo "$got"
[ "$want" = "$got" ] || fail "outputs differ: runc [$want] visor [$got]"
echo "$got" | grep -q '^total 1000000$' || fail "pthread total: $got"
exit 0
