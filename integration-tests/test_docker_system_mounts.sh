#!/usr/bin/env bash
# docker_run_system_mounts: the mounts Docker asks for are the Sentry's own:
# /proc (with the container's processes), /sys (cpu online list the Go and
# Java runtimes and glibc read), /sys/fs/cgroup, /dev/mqueue, /dev/shm;
# /proc/self/mountinfo, /proc/self/cgroup and /proc/cgroups as a JVM reads
# them to find the container's limits (each v1 hierarchy a "cgroup" mount
# whose super options name its controller, the container at its root), and
# the cpuset the container runs on (--cpuset-cpus) in cpuset.cpus;
# /proc/sys/vm/overcommit_memory and overcommit_ratio as runc shows them;
# /sys/kernel/mm/transparent_hugepage as the host has it.
set -u
. "$(dirname "$0")/lib.sh"
docker_setup
out=$(dr "$DOCKER_IMAGE" sh -c 'cat /proc/mounts; cat /sys/devices/system/cpu/online' 2>&1) ||
	fail "docker run: $out"
for want in '^proc /proc proc' '^sysfs /sys sysfs ro' ' /sys/fs/cgroup ' ' /dev/mqueue ' ' /dev/shm '; do
	echo "$out" | grep -q -- "$want" || fail "no mount matching '$want' in: $out"
done
# Each mount's flags from the spec, as runc's container lists them.
for want in '^proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0$' \
	' /dev/mqueue mqueue rw,nosuid,nodev,noexec,relatime 0 0$' ' /dev/shm tmpfs rw,[^ ]*noexec'; do
	echo "$out" | grep -q -- "$want" || fail "no mount matching '$want' in: $out"
done
ncpu=$(nproc --all 2>/dev/null || nproc)
want=$([ "$ncpu" -gt 1 ] && echo "0-$((ncpu - 1))" || echo 0)
echo "$out" | grep -qx "$want" || fail "/sys/devices/system/cpu/online is not $want: $out"

out=$(dr --cpuset-cpus=0 "$DOCKER_IMAGE" sh -c 'cat /proc/self/mountinfo; echo ==;
	cat /proc/self/cgroup; echo ==; cat /proc/cgroups; echo ==; stat -f -c %T /sys/fs/cgroup;
	cat /sys/fs/cgroup/cpuset/cpuset.cpus /sys/fs/cgroup/cpuset.cpus.effective 2>/dev/null; true' 2>&1) ||
	fail "docker run: $out"
mountinfo=$(echo "$out" | sed -n '1,/^==$/p' | sed '$d')
# ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS - TYPE SOURCE SUPER-OPTIONS
echo "$mountinfo" | grep -Eq '^[0-9]+ [0-9]+ [0-9]+:[0-9]+ / / (rw|ro)[^ ]* - ' ||
	fail "no root line in /proc/self/mountinfo: $mountinfo"
echo "$mountinfo" | grep -Eq '^[0-9]+ [0-9]+ [0-9]+:[0-9]+ / /proc (rw|ro)[^ ]* - proc ' ||
	fail "no /proc line in /proc/self/mountinfo: $mountinfo"
if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
	echo "$mountinfo" | grep -Eq ' /sys/fs/cgroup [^ ]+ - cgroup2 ' ||
		fail "no cgroup2 mount in /proc/self/mountinfo: $mountinfo"
	echo "$out" | grep -qx '0::/' || fail "/proc/self/cgroup is not 0::/: $out"
else
	for c in cpu cpuacct cpuset memory pids; do
		echo "$mountinfo" | grep -Eq "^[0-9]+ [0-9]+ [0-9]+:[0-9]+ / /sys/fs/cgroup/$c [^ ]+ - cgroup cgroup [a-z]+,$c\$" ||
			fail "no cgroup mount of $c in /proc/self/mountinfo: $mountinfo"
		echo "$out" | grep -Eqx "[1-9][0-9]*:$c:/" || fail "no $c line in /proc/self/cgroup: $out"
		echo "$out" | grep -Eq "^$c	[1-9][0-9]*	[0-9]+	1\$" || fail "$c not in /proc/cgroups: $out"
	done
fi
echo "$out" | tail -1 | grep -qx 0 || fail "the cpuset of --cpuset-cpus=0 is not 0: $out"
# Without it, every CPU of the host, as runc shows, however the platform
# ties the Sentry's own threads to CPUs (systrap_cpu.c): a process that
# forked and ran a while reads it.
want=$(timeout 60 docker run --rm --runtime=runc "$DOCKER_IMAGE" cat /sys/fs/cgroup/cpuset/cpuset.cpus 2>&1)
got=$(dr "$DOCKER_IMAGE" sh -c 'for i in 1 2 3; do true; done; sleep 0.2; cat /sys/fs/cgroup/cpuset/cpuset.cpus; nproc' 2>&1)
[ "$got" = "$(printf '%s\n%s' "$want" "$(nproc)")" ] || fail "cpuset.cpus and nproc: runc [$want] visor [$got]"

# vm.overcommit_memory and _ratio (glibc's heap trim and Redis read them):
# the Sentry's overcommit is Linux's heuristic mode (sentry/mm/mm.c) whatever
# the host's, so it shows 0 and 50; runc shows the host's, which are those
# on a host with the defaults (compared then).
got=$(dr "$DOCKER_IMAGE" cat /proc/sys/vm/overcommit_memory /proc/sys/vm/overcommit_ratio 2>&1)
[ "$got" = "$(printf '0\n50')" ] || fail "/proc/sys/vm: visor [$got], want 0 and 50"
if [ "$(cat /proc/sys/vm/overcommit_memory /proc/sys/vm/overcommit_ratio)" = "$(printf '0\n50')" ]; then
	want=$(timeout 60 docker run --rm --runtime=runc "$DOCKER_IMAGE" cat /proc/sys/vm/overcommit_memory /proc/sys/vm/overcommit_ratio 2>&1)
	[ "$got" = "$want" ] || fail "/proc/sys/vm: runc [$want] visor [$got]"
fi
# The host's transparent huge page settings (the Go runtime reads
# hpage_pmd_size at every start).
thp=/sys/kernel/mm/transparent_hugepage
if [ -r $thp/hpage_pmd_size ]; then
	want=$(timeout 60 docker run --rm --runtime=runc "$DOCKER_IMAGE" cat $thp/enabled $thp/hpage_pmd_size 2>&1)
	got=$(dr "$DOCKER_IMAGE" cat $thp/enabled $thp/hpage_pmd_size 2>&1)
	[ "$got" = "$want" ] || fail "$thp: runc [$want] visor [$got]"
fi
exit 0
