#!/usr/bin/env bash
# docker_stop_keeps_every_byte_written: processes in a container write files
# on a bind mount through write, pwrite, mmap + msync, a shared mapping never
# synced, two processes' halves of one mapping and O_APPEND from two
# processes; the container is stopped with `docker stop` (its processes
# still running, their mappings in place) and every byte is checked on the
# host.
. "$(dirname "$0")/lib.sh"
apps_setup
gcc -static -O1 -Wall -o "$work/data_writers" "$(dirname "$0")/data_writers.c" ||
	fail "cannot build data_writers"

round() { # RUNTIME
	local dir=$work/$1 id i
	mkdir -p "$dir"
	cp "$work/data_writers" "$dir/"
	id=$(timeout 60 docker run -d --runtime="$1" -v "$dir:/w" "$IMAGE" \
		/w/data_writers write /w) || fail "$1: docker run failed"
	for i in $(seq 1 600); do
		[ -e "$dir/done" ] && break
		sleep 0.2
	done
	[ -e "$dir/done" ] || {
		docker logs "$id" 2>&1 | tail -5
		docker rm -f "$id" >/dev/null 2>&1
		fail "$1: the writers did not finish"
	}
	timeout 120 docker stop -t 2 "$id" >/dev/null || fail "$1: docker stop failed"
	docker rm "$id" >/dev/null 2>&1
	"$work/data_writers" check "$dir" || fail "$1: the files on the host differ"
	echo "ok: $1 wrote every byte"
}
round runc # the writers and the checker agree with each other
round "$DOCKER_RUNTIME"
exit 0
