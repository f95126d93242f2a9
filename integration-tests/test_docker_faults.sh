#!/usr/bin/env bash
# docker_faults: a sandbox survives the death of any one of its host
# processes the way a container survives its init's: SIGKILL of the Sentry,
# of the Gofer or of the stub process of a running `sleep 1000` ends the
# container within 5 s with a non-zero status (docker wait), and after
# `docker rm -f` no process, mount, state directory or cgroup of it is
# left.  A wedged sandbox (its Sentry, Gofer, stub or all three
# SIGSTOPped) is removed by `docker rm -f`, leaving nothing.  40 containers
# started and removed 8 at a time all exit 0 and leave nothing behind.
set -u
. "$(dirname "$0")/lib.sh"
docker_setup

# shellcheck source=integration-tests/sandbox_procs.sh
. "$(dirname "$0")/sandbox_procs.sh"

# kill_one WHAT: SIGKILL one process of a running sandbox.
kill_one() {
	local what=$1 id code t0 t1
	id=$(timeout 60 docker run -d --runtime="$DOCKER_RUNTIME" visor-busybox sleep 1000) ||
		fail "run -d"
	sandbox_pids "$id"
	case $what in
	sentry) kill -9 "$sentry" ;;
	gofer) kill -9 "$gofer" ;;
	stub) kill -9 "$stub" ;;
	esac
	t0=$(date +%s%N)
	code=$(timeout 5 docker wait "$id") || {
		docker rm -f "$id" >/dev/null 2>&1
		fail "SIGKILL of the $what: the container did not end within 5 s"
	}
	t1=$(date +%s%N)
	[ "$code" != 0 ] || fail "SIGKILL of the $what: the container exited 0"
	echo "SIGKILL of the $what: exit $code after $(((t1 - t0) / 1000000)) ms"
	timeout 30 docker rm -f "$id" >/dev/null || fail "docker rm -f after the $what died"
	# shellcheck disable=SC2086
	leftovers "$id" "$sentry" "$gofer" $children
}

kill_one sentry
kill_one gofer
kill_one stub

# A wedged sandbox: its Sentry, its Gofer, its stub or all three stopped.
# docker rm -f must not hang, and leaves nothing.
for what in sentry gofer stub all; do
	id=$(timeout 60 docker run -d --runtime="$DOCKER_RUNTIME" visor-busybox sleep 1000) ||
		fail "run -d"
	sandbox_pids "$id"
	case $what in
	sentry) stopped=$sentry ;;
	gofer) stopped=$gofer ;;
	stub) stopped=$stub ;;
	all) stopped="$sentry $gofer $stub" ;;
	esac
	# shellcheck disable=SC2086
	kill -STOP $stopped
	timeout 30 docker rm -f "$id" >/dev/null || {
		# shellcheck disable=SC2086
		kill -9 $stopped
		fail "docker rm -f of a sandbox whose $what is stopped failed or hung"
	}
	# shellcheck disable=SC2086
	leftovers "$id" "$sentry" "$gofer" $children
	[ "$what" = all ] && what="Sentry, Gofer and stub"
	echo "docker rm -f with the $what stopped: ok"
done

# 40 containers, 8 at a time, each removed at its end.
for b in $(seq 5); do
	ids=()
	for i in $(seq 8); do
		ids+=("$(timeout 120 docker run -d --runtime="$DOCKER_RUNTIME" visor-busybox \
			sh -c 'echo hi; exit 0')") || fail "run -d in batch $b"
	done
	for id in "${ids[@]}"; do
		code=$(timeout 60 docker wait "$id") || fail "$id did not end"
		[ "$code" = 0 ] || fail "$id exited $code"
		[ "$(docker logs "$id" 2>&1)" = hi ] || fail "$id: wrong output"
		timeout 30 docker rm "$id" >/dev/null || fail "docker rm $id"
	done
	for id in "${ids[@]}"; do
		leftovers "$id"
	done
done
echo "40 containers, 8 at a time: all exit 0, nothing left"
exit 0
