#!/usr/bin/env bash
# docker_run_sqlite3_wal_integrity: sqlite3 in WAL mode keeps its wal-index
# in a MAP_SHARED mapping of the -shm file that every connection maps; on a
# bind mount and on the container's root, a writer and concurrent readers in
# other processes commit, read and checkpoint, and the database passes
# PRAGMA integrity_check with the contents runc gives.
. "$(dirname "$0")/lib.sh"
apps_setup
cat >"$work/sqlite.sh" <<'SH'
set -eu
mkdir -p "$1" && cd "$1" && rm -f t.db t.db-wal t.db-shm
# Wait for locks rather than fail (SQLITE_BUSY is normal between processes).
sq() { sqlite3 -cmd '.timeout 20000' "$@"; }
sq t.db 'PRAGMA journal_mode=WAL;' 'CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER, v TEXT);'
# Readers in other processes, each through its own mapping of t.db-shm.
for r in 1 2; do
	(for i in $(seq 1 15); do sq t.db 'SELECT count(*) >= 0 FROM t;' >/dev/null; done) &
done
for batch in $(seq 0 9); do
	sq t.db "BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
		INSERT INTO t(k, v) SELECT $batch * 500 + i, printf('row %d of batch %d', i, $batch) FROM n; COMMIT;"
done
wait
sq t.db 'PRAGMA journal_mode;' 'SELECT count(*), sum(k), max(length(v)) FROM t;' \
	'UPDATE t SET v = upper(v) WHERE k % 7 = 0;' 'DELETE FROM t WHERE k % 11 = 0;' \
	'PRAGMA integrity_check;' 'SELECT count(*), sum(k), sum(length(v)) FROM t;' \
	'PRAGMA wal_checkpoint(TRUNCATE);' 'VACUUM;' 'PRAGMA integrity_check;'
ls -s t.db-wal | cut -d' ' -f1
sq t.db 'SELECT v FROM t WHERE k = 4998;'
SH

for dir in /w/bind /srv/root; do
	got=$(same_as_runc "$IMAGE" "$work" sqlite.sh "$dir") || exit 1
	[ "$(echo "$got" | grep -c '^ok$')" = 2 ] || fail "integrity_check in $dir: $got"
	echo "ok: sqlite3 WAL in $dir"
done
# The database the container left on the host is whole.
sqlite3_host() { timeout 60 docker run --rm --runtime=runc -v "$work:/w" "$IMAGE" sqlite3 "$@"; }
check=$(sqlite3_host /w/bind/t.db 'PRAGMA integrity_check;' 'SELECT count(*) FROM t;') ||
	fail "the host copy does not open: $check"
[ "$check" = "$(printf 'ok\n4546')" ] || fail "the host copy: $check"
exit 0
