#!/usr/bin/env bash
# docker_run_process_calls_as_runc: the conformance programs for scheduling,
# prctl and memfd (static, bind-mounted read-only) give the same output in a
# container under visor as under runc: Docker's capability set (no
# CAP_SYS_NICE: real-time policies and negative nice values are EPERM) is
# honoured the way runc's kernel honours it.  Programs whose calls Docker's
# default seccomp profile refuses under runc (get_mempolicy, kcmp,
# process_vm_*, name_to_handle_at, unshare, clone3) are compared with runc
# in test_docker_seccomp.
set -u
. "$(dirname "$0")/lib.sh"
docker_setup
src=$(cd "$(dirname "$0")" && pwd)/conformance
bindir=$(mktemp -d)
trap 'rm -rf "$bindir"' EXIT
for p in sched sched_affinity proc_pidfd prctl memfd; do
	gcc -static -O1 -pthread -Wall -o "$bindir/$p" "$src/$p.c" ||
		fail "build of $p"
	want=$(timeout 120 docker run --rm --runtime=runc -v "$bindir:/t:ro" "$DOCKER_IMAGE" \
		/t/$p /tmp 2>&1; echo "exit $?")
	got=$(dr -v "$bindir:/t:ro" "$DOCKER_IMAGE" /t/$p /tmp 2>&1; echo "exit $?")
	[ "$want" = "$got" ] || fail "$p differs from runc: $(diff <(echo "$want") <(echo "$got") | head -20)"
done
exit 0
