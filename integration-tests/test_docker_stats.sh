#!/usr/bin/env bash
# docker_stats: `docker stats` shows a visor container's real memory and
# CPU, as under runc.  Every process of the sandbox is in the container's
# cgroup and the app's memory is the Sentry's memory file, charged to it,
# so a process that allocates and touches 200 MB shows about 200 MiB, and a
# process that spins shows the CPU it burns.  `visor events --stats ID`
# (runc's JSON form) reports the same cgroup figures.
set -u
. "$(dirname "$0")/lib.sh"
docker_setup

work=$(mktemp -d)
# Containers started (start runs in a subshell: they are listed in a file).
cleanup() {
	local id
	for id in $(cat "$work/ids" 2>/dev/null); do docker rm -f "$id" >/dev/null 2>&1; done
	rm -rf "$work"
}
trap cleanup EXIT
gcc -static -O1 -Wall -o "$work/stats_load" "$(dirname "$0")/stats_load.c" ||
	fail "cannot build stats_load"

# start RUNTIME ARGS...: a detached container running stats_load ARGS, once
# it has said "ready".
start() {
	local rt=$1 id i
	shift
	id=$(timeout 60 docker run -d --runtime="$rt" -v "$work:/w:ro" visor-busybox \
		/w/stats_load "$@") || fail "$rt: docker run -d stats_load $*"
	echo "$id" >>"$work/ids"
	for i in $(seq 100); do
		[ "$(docker logs "$id" 2>&1)" = ready ] && break
		sleep 0.2
	done
	[ "$(docker logs "$id" 2>&1)" = ready ] || fail "$rt: stats_load $* never got ready"
	echo "$id"
}

# mib ID: the memory docker stats shows, in MiB (integer).
mib() {
	docker stats --no-stream --format '{{.MemUsage}}' "$1" | awk '{
		v = $1; u = v; sub(/[0-9.]+/, "", u); sub(/[A-Za-z]+$/, "", v)
		m = u == "GiB" ? 1024 : u == "MiB" ? 1 : u == "KiB" ? 1 / 1024 : 1 / 1048576
		printf "%d\n", v * m }'
}

# cpu_pair A B: the highest CPU percentage docker stats shows for A and for
# B over four samples each, taken alternately (a burst of load elsewhere on
# the machine then hits both alike).
cpu_pair() {
	local best_a=0 best_b=0 i c
	for i in 1 2 3 4; do
		c=$(docker stats --no-stream --format '{{.CPUPerc}}' "$1" | tr -d '%')
		c=${c%.*}
		[ "${c:-0}" -gt "$best_a" ] && best_a=$c
		c=$(docker stats --no-stream --format '{{.CPUPerc}}' "$2" | tr -d '%')
		c=${c%.*}
		[ "${c:-0}" -gt "$best_b" ] && best_b=$c
	done
	echo "$best_a $best_b"
}

# events ID: visor events --stats of it, from the state root dockerd gives runtimes.
events() {
	local root
	root=$(dirname "$(find /run/docker /var/run/docker -maxdepth 3 -name "$1" -path '*runtime-*' 2>/dev/null | head -1)")
	[ -n "$root" ] && [ "$root" != . ] || fail "no state directory for $1"
	"$VISOR_BIN" --root "$root" events --stats "$1"
}
# jq-like: one figure of an events JSON (python3 is what lib.sh already uses).
field() { python3 -c 'import json,sys; d=json.load(sys.stdin)["data"]
for k in sys.argv[1].split("."): d = d[k]
print(d)' "$1"; }

# ---- memory ----
ref=$(start runc mem 200)
sleep 2
want=$(mib "$ref")
id=$(start "$DOCKER_RUNTIME" mem 200)
sleep 2
got=$(mib "$id")
echo "200 MB touched: runc $want MiB, visor $got MiB"
[ "$got" -ge 190 ] || fail "docker stats shows $got MiB for a sandbox holding 200 MB"
[ "$got" -le $((want + 128)) ] || fail "docker stats shows $got MiB, runc $want MiB"
ev=$(events "$id") || fail "visor events --stats"
usage=$(echo "$ev" | field memory.usage.usage) || fail "events: no memory.usage.usage: $ev"
[ "$usage" -ge $((190 << 20)) ] || fail "events: memory usage $usage"
[ "$(echo "$ev" | python3 -c 'import json,sys; print(json.load(sys.stdin)["type"])')" = stats ] ||
	fail "events: not a stats event: $ev"
[ "$(echo "$ev" | field pids.current)" = 1 ] || fail "events: pids.current: $ev"
echo "visor events --stats: memory usage $((usage >> 20)) MiB, pids 1"
docker rm -f "$ref" "$id" >/dev/null

# ---- CPU ----
# The machine may be shared: runc's and visor's burners run side by side,
# and the bar is 50% of a CPU, or half of what runc's gets when even runc
# cannot reach that.
ref=$(start runc burn)
id=$(start "$DOCKER_RUNTIME" burn)
sleep 2
ev0=$(events "$id") || fail "visor events --stats"
read -r want got < <(cpu_pair "$ref" "$id")
ev1=$(events "$id") || fail "visor events --stats"
echo "a spinning process, side by side: runc ${want}% CPU, visor ${got}%"
bar=$((want / 2 < 50 ? want / 2 : 50))
[ "$got" -ge "$bar" ] || fail "docker stats shows ${got}% CPU for a spinning process (runc ${want}%)"
t0=$(echo "$ev0" | field cpu.usage.total) || fail "events: no cpu.usage.total: $ev0"
t1=$(echo "$ev1" | field cpu.usage.total) || fail "events: no cpu.usage.total: $ev1"
[ "$t1" -gt "$t0" ] || fail "events: cpu.usage.total did not grow ($t0 -> $t1)"
echo "visor events --stats: cpu.usage.total grew by $(((t1 - t0) / 1000000)) ms"
exit 0
