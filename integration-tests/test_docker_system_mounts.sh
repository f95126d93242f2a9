#!/usr/bin/env bash
# docker_run_system_mounts: the mounts Docker asks for are the Sentry's own:
# /proc (with the container's processes), /sys (cpu online list the Go and
# Java runtimes and glibc read), /sys/fs/cgroup, /dev/mqueue, /dev/shm.
set -u
. "$(dirname "$0")/lib.sh"
docker_setup
out=$(dr "$DOCKER_IMAGE" sh -c 'cat /proc/mounts; cat /sys/devices/system/cpu/online' 2>&1) ||
	fail "docker run: $out"
for want in '^proc /proc proc' '^sysfs /sys sysfs ro' ' /sys/fs/cgroup ' ' /dev/mqueue ' ' /dev/shm '; do
	echo "$out" | grep -q -- "$want" || fail "no mount matching '$want' in: $out"
done
ncpu=$(nproc --all 2>/dev/null || nproc)
want=$([ "$ncpu" -gt 1 ] && echo "0-$((ncpu - 1))" || echo 0)
echo "$out" | grep -qx "$want" || fail "/sys/devices/system/cpu/online is not $want: $out"
exit 0
