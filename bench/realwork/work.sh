#!/usr/bin/env bash
# bench/realwork/work.sh WORKLOAD...: real work, timed from inside, run the
# same way natively and in each container by bench/realwork.sh.  Prints one
# line per workload: "NAME MS" (wall milliseconds of the work alone, not of
# the set-up or the container's start), or "NAME FAIL" when it fails.
# Every file it makes lives under $RW_DIR (default /root/realwork: the
# container's root file system, served by the Gofer under visor).
#
#   forkexec   2000 x /bin/true from bash
#   gcc        a 24-file C project built with make -j1
#   sqlite     20000 inserts in one transaction, then an aggregate query
#   git        init, add 500 files, commit, log
#   tar        2000 small files: create an archive, extract it
#   pystart    python3 -c pass, 50 times
#   pythreads  two threads, a queue.Queue each way, 20000 round trips
#   tcpecho    a TCP echo over 127.0.0.1, 20000 round trips of 64 bytes
#
# RW_SCALE=PERCENT scales every count above (default 100).
set -u
export LC_ALL=C
RW_DIR=${RW_DIR:-/root/realwork}
PY=${PY:-python3}

now() { date +%s%N; }
# sc N: N scaled by RW_SCALE percent, at least 1.
sc() { local n=$(($1 * ${RW_SCALE:-100} / 100)); echo $((n > 0 ? n : 1)); }
RW_N_TRIPS=$(sc 20000)
export RW_N_TRIPS

prep_gcc() {
	local NF
	NF=$(sc 24)
	mkdir -p "$1" && cd "$1" || return 1
	local i
	for i in $(seq "$NF"); do
		cat >"f$i.c" <<C
#include <stdio.h>
#include <string.h>
#include "common.h"
struct rec$i { int id; char name[32]; double v[8]; };
static int cmp$i(const void *a, const void *b) { return ((const struct rec$i *)a)->id - ((const struct rec$i *)b)->id; }
int work$i(int n)
{
	struct rec$i r[64];
	for (int k = 0; k < 64; k++) {
		r[k].id = (k * 7919 + n) % 101;
		snprintf(r[k].name, sizeof(r[k].name), "r%d-%d", $i, k);
		for (int j = 0; j < 8; j++) r[k].v[j] = k * j * 0.5;
	}
	qsort(r, 64, sizeof(r[0]), cmp$i);
	return r[0].id + (int)strlen(r[63].name) + COMMON_K;
}
C
	done
	printf '#include <stdlib.h>\n#define COMMON_K 3\n' >common.h
	{
		echo '#include <stdio.h>'
		for i in $(seq "$NF"); do echo "int work$i(int);"; done
		echo 'int main(void) { int s = 0;'
		for i in $(seq "$NF"); do echo "s += work$i($i);"; done
		echo 'printf("%d\n", s); return 0; }'
	} >main.c
	cat >Makefile <<'M'
SRCS := $(wildcard *.c)
OBJS := $(SRCS:.c=.o)
prog: $(OBJS)
	$(CC) -o $@ $(OBJS)
%.o: %.c common.h
	$(CC) -O2 -Wall -c -o $@ $<
M
}

prep_files() { # DIR N: N small files in DIR
	mkdir -p "$1" || return 1
	local i
	for i in $(seq "$2"); do echo "file $i $RANDOM$RANDOM" >"$1/f$i.txt"; done
}

# run_one NAME: sets up outside the timed part, times the work, cleans up.
run_one() {
	local name=$1 d=$RW_DIR/$1 t0 t1 ok=1
	rm -rf "$d" && mkdir -p "$d" && cd "$d" || { echo "$name FAIL"; return; }
	case $name in
	gcc) prep_gcc "$d/src" >/dev/null ;;
	git) prep_files "$d/repo" "$(sc 500)" ;;
	tar) prep_files "$d/in" "$(sc 2000)" ;;
	esac
	cd "$d" || return
	t0=$(now)
	case $name in
	forkexec)
		local n
		n=$(sc 2000)
		for ((i = 0; i < n; i++)); do /bin/true || ok=0; done ;;
	gcc)
		make -s -j1 -C src CC=gcc >/dev/null && [ "$(./src/prog)" -gt 0 ] || ok=0 ;;
	sqlite)
		sed "s/@N@/$(sc 20000)/" <<'SQL' | sqlite3 "$d/db" >/dev/null || ok=0
CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER, s TEXT);
BEGIN;
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < @N@)
INSERT INTO t(k, s) SELECT x % 97, hex(randomblob(24)) FROM c;
COMMIT;
CREATE INDEX tk ON t(k);
SELECT k, count(*), max(length(s)) FROM t GROUP BY k ORDER BY k LIMIT 5;
SQL
		;;
	git)
		(cd repo && git init -q . && git add . && git -c user.name=b -c user.email=b@b \
			commit -q -m bench && [ "$(git log --oneline | wc -l)" = 1 ]) || ok=0 ;;
	tar)
		tar -C in -cf a.tar . && mkdir out && tar -C out -xf a.tar &&
			[ "$(ls out | wc -l)" = "$(sc 2000)" ] || ok=0 ;;
	pystart)
		local n
		n=$(sc 50)
		for ((i = 0; i < n; i++)); do "$PY" -c pass || ok=0; done ;;
	pythreads)
		"$PY" - <<'P' || ok=0
import os, queue, threading
N = int(os.environ["RW_N_TRIPS"])
a, b = queue.Queue(), queue.Queue()
def echo():
    for _ in range(N):
        b.put(a.get())
t = threading.Thread(target=echo)
t.start()
for i in range(N):
    a.put(i)
    assert b.get() == i
t.join()
P
		;;
	tcpecho)
		"$PY" - <<'P' || ok=0
import os, socket, threading
N = int(os.environ["RW_N_TRIPS"])
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(1)
def serve():
    c, _ = ls.accept()
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    while True:
        m = c.recv(64)
        if not m:
            break
        c.sendall(m)
    c.close()
t = threading.Thread(target=serve)
t.start()
s = socket.create_connection(ls.getsockname())
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
msg = b"x" * 64
for _ in range(N):
    s.sendall(msg)
    got = b""
    while len(got) < 64:
        got += s.recv(64 - len(got))
s.close()
t.join()
P
		;;
	*) ok=0 ;;
	esac
	t1=$(now)
	cd / && rm -rf "$d"
	if [ $ok = 1 ]; then echo "$name $(((t1 - t0) / 1000000))"; else echo "$name FAIL"; fi
}

for w in "$@"; do run_one "$w"; done
