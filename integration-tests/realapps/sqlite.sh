# sqlite3 in WAL mode in directory $1: a writer and concurrent readers in
# other processes, then integrity checks (test_docker_sqlite runs it on a
# bind mount and on the root).
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
# (on stdout only: docker interleaves the two streams in no fixed order)
if [ -e t.db-wal ]; then echo "wal blocks $(ls -s t.db-wal | cut -d' ' -f1)"; else echo 'no wal file'; fi
sq t.db 'SELECT v FROM t WHERE k = 4998;'
