#!/usr/bin/env bash
# docker_run_sqlite3_wal_integrity: sqlite3 in WAL mode keeps its wal-index
# in a MAP_SHARED mapping of the -shm file that every connection maps; on a
# bind mount and on the container's root, a writer and concurrent readers in
# other processes commit, read and checkpoint, and the database passes
# PRAGMA integrity_check with the contents runc gives.
. "$(dirname "$0")/lib.sh"
apps_setup
cp "$(dirname "$0")/realapps/sqlite.sh" "$work/sqlite.sh"

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
