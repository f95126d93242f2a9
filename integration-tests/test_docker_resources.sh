#!/usr/bin/env bash
# docker_resources: `docker run --memory --memory-swap --cpus --cpu-shares
# --pids-limit` puts every process of the sandbox (the Sentry, the Gofer and
# the app's stub processes) in the container's cgroup with the limits
# written as runc writes them, and `docker update` changes them live.
set -u
. "$(dirname "$0")/lib.sh"
docker_setup

v2=false
[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] && v2=true

id=$(timeout 60 docker run -d --runtime="$DOCKER_RUNTIME" --memory=64m --memory-swap=128m \
	--cpus=1.5 --cpu-shares=512 --pids-limit=40 visor-busybox \
	sh -c 'sleep 1000 & wait') || fail "docker run -d with limits"
trap 'docker rm -f "$id" >/dev/null 2>&1' EXIT
sentry=$(docker inspect -f '{{.State.Pid}}' "$id")
cgpath=$(docker inspect -f '{{.HostConfig.CgroupParent}}' "$id")
# cgdir CTRL: the container's directory in a controller's hierarchy, found
# from the Sentry's own /proc/PID/cgroup (cgroupfs or systemd layout alike).
cgdir() {
	local rel
	if $v2; then
		rel=$(awk -F: '$1 == 0 {print $3}' "/proc/$sentry/cgroup")
		echo "/sys/fs/cgroup$rel"
	else
		rel=$(awk -F: -v c="$1" '{n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3}' \
			"/proc/$sentry/cgroup")
		echo "/sys/fs/cgroup/$1$rel"
	fi
}
mem=$(cgdir memory)
case $mem in *"$id"*) ;; *) fail "the Sentry is not in the container's cgroup: $mem (parent ${cgpath:-default})" ;; esac

# Every process of the sandbox: Sentry, Gofer (its sibling under the shim),
# the stubs (the Sentry's children: sh and sleep).
shim=$(ps -o ppid= -p "$sentry" | tr -d ' ')
gofer=$(ps -eo pid=,ppid=,args= | awk -v s="$shim" '$2 == s && / gofer --sock-fd/ {print $1}')
for i in $(seq 50); do
	stubs=$(ps -o pid= --ppid "$sentry" | tr -d ' ' | tr '\n' ' ')
	[ "$(echo $stubs | wc -w)" -ge 2 ] && break
	sleep 0.1
done
procs=" $(tr '\n' ' ' <"$mem/cgroup.procs") "
for p in $sentry $gofer $stubs; do
	case $procs in *" $p "*) ;; *) fail "process $p ($(cat /proc/$p/comm)) is not in $mem: $procs" ;; esac
done
echo "cgroup.procs lists the Sentry, the Gofer and $(echo $stubs | wc -w) stubs"

val() { cat "$1" 2>/dev/null | tr -d '\n'; }
if $v2; then
	[ "$(val "$mem/memory.max")" = 67108864 ] || fail "memory.max $(val "$mem/memory.max")"
	[ "$(val "$mem/memory.swap.max")" = 67108864 ] || fail "memory.swap.max $(val "$mem/memory.swap.max")"
	[ "$(val "$mem/pids.max")" = 40 ] || fail "pids.max"
	[ "$(val "$mem/cpu.max")" = "150000 100000" ] || fail "cpu.max $(val "$mem/cpu.max")"
else
	[ "$(val "$mem/memory.limit_in_bytes")" = 67108864 ] || fail "memory.limit_in_bytes"
	[ ! -e "$mem/memory.memsw.limit_in_bytes" ] ||
		[ "$(val "$mem/memory.memsw.limit_in_bytes")" = 134217728 ] || fail "memsw"
	[ "$(val "$(cgdir pids)/pids.max")" = 40 ] || fail "pids.max $(val "$(cgdir pids)/pids.max")"
	cpu=$(cgdir cpu)
	[ "$(val "$cpu/cpu.cfs_quota_us")" = 150000 ] || fail "cfs_quota_us $(val "$cpu/cpu.cfs_quota_us")"
	[ "$(val "$cpu/cpu.cfs_period_us")" = 100000 ] || fail "cfs_period_us"
	[ "$(val "$cpu/cpu.shares")" = 512 ] || fail "cpu.shares $(val "$cpu/cpu.shares")"
fi
echo "limits applied: memory 64m, memory+swap 128m, cpus 1.5, shares 512, pids 40"

timeout 30 docker update --memory=96m --memory-swap=192m --pids-limit=50 "$id" >/dev/null ||
	fail "docker update"
if $v2; then
	[ "$(val "$mem/memory.max")" = 100663296 ] || fail "after update: memory.max"
	[ "$(val "$mem/pids.max")" = 50 ] || fail "after update: pids.max"
else
	[ "$(val "$mem/memory.limit_in_bytes")" = 100663296 ] || fail "after update: memory.limit_in_bytes"
	[ "$(val "$(cgdir pids)/pids.max")" = 50 ] || fail "after update: pids.max"
fi
echo "docker update changed the limits live"
exit 0
