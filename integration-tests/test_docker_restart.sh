#!/usr/bin/env bash
# docker_restart: a restart of dockerd treats a visor container as runc's.
# With live-restore off the restart ends it (137, as runc: SIGTERM then
# SIGKILL at dockerd's shutdown) and leaves no process, mount, state
# directory or cgroup; with live-restore on it survives with the same pid,
# and `docker exec` and `docker stop` still work; after such a restart,
# SIGKILL of the Sentry, the Gofer or a stub still ends the container
# within 5 s with a non-zero status and leaves nothing.
#
# The shared dockerd is never touched: the test runs a dockerd of its own
# (its own socket, data root, exec root, pid file, managed containerd, no
# bridge visor-rst0, no iptables) with the runtime registered in its own config file,
# and removes all of it at the end.  Skips when that dockerd cannot start.
set -u
. "$(dirname "$0")/lib.sh"
# shellcheck source=integration-tests/sandbox_procs.sh
. "$(dirname "$0")/sandbox_procs.sh"

[ "$(id -u)" = 0 ] || skip "needs root"
command -v dockerd >/dev/null 2>&1 && command -v containerd >/dev/null 2>&1 ||
	skip "no dockerd or containerd"

name=visor-restart-$DOCKER_RUNTIME
run_dir=/run/$name
data_root=/var/lib/$name
sock=$run_dir/docker.sock
export DOCKER_HOST=unix://$sock
state_roots=("$run_dir/exec/runtime-runc")
# Its own bridge: a dockerd started with --bridge=none deletes docker0, the
# shared daemon's bridge (dockerd's removeDefaultBridgeInterface).
bridge=visor-rst0

# own_config LIVE_RESTORE: this dockerd's config, the build as $DOCKER_RUNTIME.
own_config() {
	local args=""
	[ -n "$VISOR_TEST_PLATFORM" ] && args=", \"runtimeArgs\": [\"--platform=$VISOR_TEST_PLATFORM\"]"
	cat >"$run_dir/daemon.json" <<JSON
{"runtimes": {"$DOCKER_RUNTIME": {"path": "$VISOR_BIN"$args}}, "live-restore": $1}
JSON
}

own_pid() { cat "$run_dir/docker.pid" 2>/dev/null; }

# own_start: dockerd answering (a second try when it gave up waiting for its
# containerd, as it may on a loaded machine).
own_start() {
	own_start_once || own_start_once
}

own_start_once() {
	(cd "$run_dir" && setsid dockerd --config-file "$run_dir/daemon.json" \
		--data-root "$data_root" --exec-root "$run_dir/exec" \
		--pidfile "$run_dir/docker.pid" -H "unix://$sock" \
		--bridge="$bridge" --iptables=false --ip6tables=false --ip-masq=false \
		>>"$run_dir/dockerd.log" 2>&1 &)
	local i
	for i in $(seq 90); do
		timeout 10 docker version >/dev/null 2>&1 && return 0
		# Gone: it gave up (its log says why).
		[ "$i" -gt 5 ] && ! kill -0 "$(own_pid)" 2>/dev/null && return 1
		sleep 1
	done
	return 1
}

# own_stop: SIGTERM, as `systemctl restart docker`; dockerd ends what
# live-restore does not keep.
own_stop() {
	local pid i
	pid=$(own_pid)
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid"
	for i in $(seq 120); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.5
	done
	kill -KILL "$pid" 2>/dev/null
}

own_restart() {
	own_stop
	own_start || fail "dockerd did not come back (see $run_dir/dockerd.log)"
}

cleanup() {
	if [ -n "$(own_pid)" ] && kill -0 "$(own_pid)" 2>/dev/null; then
		local ids
		ids=$(docker ps -aq 2>/dev/null)
		# shellcheck disable=SC2086
		[ -z "$ids" ] || timeout 60 docker rm -f $ids >/dev/null 2>&1
		own_config false
		own_stop
	fi
	# Its managed containerd and shims, if any outlived it.
	local p
	for p in $(pgrep -f "containerd --config $run_dir/" 2>/dev/null); do kill -9 "$p"; done
	for p in $(pgrep -f "containerd-shim-runc-v2 .*-address $run_dir/" 2>/dev/null); do
		kill -9 "$p"
	done
	grep -o " $data_root[^ ]*\| $run_dir[^ ]*" /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null; done
	rm -rf "$run_dir" "$data_root"
	ip link del "$bridge" 2>/dev/null
}

rm -rf "$run_dir" "$data_root"
mkdir -p "$run_dir" "$data_root"
trap cleanup EXIT
ip link del "$bridge" 2>/dev/null
ip link add "$bridge" type bridge && ip addr add 10.231.77.1/24 dev "$bridge" &&
	ip link set "$bridge" up || skip "cannot make the bridge $bridge"
own_config false
own_start || skip "a second dockerd does not start here (see $run_dir/dockerd.log)"
docker_import_busybox

# run_sleep [RUNTIME]: a detached `sleep 1000`, on visor unless told.
run_sleep() {
	timeout 60 docker run -d --runtime="${1:-$DOCKER_RUNTIME}" --network=none visor-busybox \
		sleep 1000 || fail "docker run -d on ${1:-$DOCKER_RUNTIME}"
}

# ---- live-restore off: the restart ends the container, as runc's ----
for rt in runc "$DOCKER_RUNTIME"; do
	id=$(run_sleep "$rt")
	[ "$rt" = runc ] || sandbox_pids "$id"
	own_restart
	st=$(docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$id")
	echo "live-restore off, $rt: after the restart the container is $st"
	case $st in exited\ 0 | running*) fail "$rt: the restart left it '$st'" ;; esac
	[ "$rt" = runc ] && { want=$st; docker rm "$id" >/dev/null; continue; }
	[ "$st" = "$want" ] || fail "live-restore off: visor '$st', runc '$want'"
	# shellcheck disable=SC2086
	leftovers "$id" "$sentry" "$gofer" $children
	timeout 30 docker rm "$id" >/dev/null || fail "docker rm after the restart"
	leftovers "$id"
done
echo "live-restore off: the container ends as under runc, nothing left"

# ---- live-restore on: the container survives ----
own_config true
own_restart
docker info 2>/dev/null | grep -q 'Live Restore Enabled: true' || fail "live-restore is not on"
id=$(run_sleep)
sandbox_pids "$id"
own_restart
[ "$(docker inspect -f '{{.State.Status}} {{.State.Pid}}' "$id")" = "running $sentry" ] ||
	fail "live-restore: after the restart: $(docker inspect -f '{{.State.Status}} {{.State.Pid}}' "$id")"
for p in $sentry $gofer $stub; do
	[ -d "/proc/$p" ] || fail "live-restore: process $p is gone"
done
out=$(timeout 30 docker exec "$id" sh -c 'echo exec ok; cat /proc/1/cmdline | tr "\0" " "') ||
	fail "live-restore: docker exec after the restart: $out"
case $out in "exec ok"*"sleep 1000 ") ;; *) fail "live-restore: docker exec printed: $out" ;; esac
timeout 60 docker stop -t 2 "$id" >/dev/null || fail "live-restore: docker stop after the restart"
st=$(docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$id")
[ "$st" = "exited 137" ] || fail "live-restore: docker stop left '$st'"
# shellcheck disable=SC2086
leftovers "$id" "$sentry" "$gofer" $children
timeout 30 docker rm "$id" >/dev/null || fail "docker rm"
leftovers "$id"
echo "live-restore on: the container survives the restart; exec and stop work; nothing left"

# ---- live-restore on: a sandbox process killed after the restart ----
for what in sentry gofer stub; do
	id=$(run_sleep)
	sandbox_pids "$id"
	own_restart
	case $what in
	sentry) kill -9 "$sentry" ;;
	gofer) kill -9 "$gofer" ;;
	stub) kill -9 "$stub" ;;
	esac
	t0=$(date +%s%N)
	code=$(timeout 5 docker wait "$id") || {
		late=$(timeout 30 docker wait "$id") && late="it ended later (exit $late)" ||
			late="it did not end within 35 s"
		docker rm -f "$id" >/dev/null 2>&1
		fail "after a restart, SIGKILL of the $what: the container did not end within 5 s; $late"
	}
	t1=$(date +%s%N)
	[ "$code" != 0 ] || fail "after a restart, SIGKILL of the $what: exit 0"
	echo "after a restart, SIGKILL of the $what: exit $code after $(((t1 - t0) / 1000000)) ms"
	timeout 30 docker rm -f "$id" >/dev/null || fail "docker rm -f after the $what died"
	# shellcheck disable=SC2086
	leftovers "$id" "$sentry" "$gofer" $children
done
exit 0
