#!/usr/bin/env bash
# docker_resources: `docker run --memory --memory-swap --cpus --cpu-shares
# --pids-limit` puts every process of the sandbox (the Sentry, the Gofer and
# the app's stub processes) in the container's cgroup with the limits
# written as runc writes them, and `docker update` changes them live.
# Inside, /proc/meminfo, sysinfo and /sys/fs/cgroup show them; a fork loop
# gets EAGAIN at --pids-limit; at --memory the Sentry's OOM killer kills
# the process that grows, and the rest goes on.
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
	[ "$(val "$mem/pids.max")" = 184 ] || fail "pids.max"
	[ "$(val "$mem/cpu.max")" = "150000 100000" ] || fail "cpu.max $(val "$mem/cpu.max")"
else
	# The host's memory limit is the user's, as runc writes it (docker
	# stats shows it); the Sentry keeps the app below it by a share for the
	# sandbox's own memory (memfile_app_limit), so its OOM killer acts first.
	[ "$(val "$mem/memory.limit_in_bytes")" = 67108864 ] || fail "memory.limit_in_bytes"
	[ ! -e "$mem/memory.memsw.limit_in_bytes" ] ||
		[ "$(val "$mem/memory.memsw.limit_in_bytes")" = 134217728 ] || fail "memsw"
	# The host counts host tasks (a Sentry thread and a stub thread per app
	# task): runtime/sandbox.c gives it 3 per app task + 64; the app's 40 is
	# the Sentry's to enforce (below).
	[ "$(val "$(cgdir pids)/pids.max")" = 184 ] || fail "pids.max $(val "$(cgdir pids)/pids.max")"
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
	[ "$(val "$mem/pids.max")" = 214 ] || fail "after update: pids.max"
else
	[ "$(val "$mem/memory.limit_in_bytes")" = 100663296 ] || fail "after update: memory.limit_in_bytes"
	[ "$(val "$(cgdir pids)/pids.max")" = 214 ] || fail "after update: pids.max"
fi
echo "docker update changed the limits live"

# Inside, the limits are what the app sees: /proc/meminfo, sysinfo (free),
# /sys/fs/cgroup in the host's layout (v1 here: memory.limit_in_bytes).
inside() { timeout 20 docker exec "$id" sh -c "$1"; }
if $v2; then
	want_mem="memory.max:100663296 pids.max:50"
	got=$(inside 'echo memory.max:$(cat /sys/fs/cgroup/memory.max) pids.max:$(cat /sys/fs/cgroup/pids.max)')
else
	want_mem="memory.limit_in_bytes:100663296 pids.max:50"
	got=$(inside 'echo memory.limit_in_bytes:$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes) pids.max:$(cat /sys/fs/cgroup/pids/pids.max)')
fi
[ "$got" = "$want_mem" ] || fail "inside after update: $got, wanted $want_mem"
got=$(inside 'grep MemTotal /proc/meminfo')
[ "$(echo $got)" = "MemTotal: 98304 kB" ] || fail "inside /proc/meminfo: $got"
got=$(inside 'free | awk "/^Mem:/ {print \$2}"')
[ "$got" = 98304 ] || fail "inside sysinfo (free) total: $got"
echo "inside: /proc/meminfo, sysinfo and /sys/fs/cgroup show the limits"
docker rm -f "$id" >/dev/null

# A fork loop meets --pids-limit: fork fails with EAGAIN, as under runc, and
# the container goes on.
out=$(DR_TIMEOUT=120 dr --pids-limit=40 visor-busybox sh -c \
	'sh -c "i=0; while [ \$i -lt 100 ]; do sleep 60 & i=\$((i+1)); done" 2>&1 | head -1
	 set -- /proc/[0-9]*; echo procs=$#
	 kill -9 -1; wait; echo alive') || fail "the container did not survive its fork loop: $out"
echo "$out" | grep -q "Resource temporarily unavailable" || fail "no EAGAIN from fork: $out"
echo "$out" | grep -q "^alive$" || fail "not responsive after the fork loop: $out"
n=$(echo "$out" | sed -n 's/^procs=//p')
[ "$n" -le 40 ] || fail "$n processes with --pids-limit=40"
echo "fork loop at --pids-limit=40: EAGAIN, $n processes, still responsive"

# --memory=64m: a child that allocates 300 MB is killed alone (137) and the
# shell goes on; so is a writer filling /dev/shm (as under runc, where the
# memory cgroup kills it: the 64 MiB shm and the 64 MiB limit meet); a
# container whose init is the one that grows ends with 137.
out=$(dr --memory=64m visor-busybox sh -c \
	'dd if=/dev/zero of=/dev/null bs=300M count=1 2>/dev/null; echo big=$?
	 dd if=/dev/zero of=/dev/shm/x bs=1M count=300 2>/dev/null; echo shm=$?
	 echo alive') || fail "the container died of its child's allocation: $out"
echo "$out" | grep -qx big=137 || fail "the 300 MB child was not killed alone: $out"
echo "$out" | grep -qE '^shm=(137|1)$' || fail "the /dev/shm writer: $out"
echo "$out" | grep -qx alive || fail "the shell did not go on: $out"
echo "--memory=64m: the 300 MB child and the /dev/shm writer are killed alone; the shell goes on"
name=visor-oom-$$
timeout 120 docker run --name "$name" --runtime="$DOCKER_RUNTIME" --memory=64m visor-busybox \
	dd if=/dev/zero of=/dev/null bs=300M count=1 >/dev/null 2>&1
st=$?
oom=$(docker inspect -f '{{.State.OOMKilled}}' "$name")
docker rm -f "$name" >/dev/null 2>&1
[ $st = 137 ] || fail "init that outgrows --memory=64m: exit $st, wanted 137"
[ "$oom" = true ] || fail "init that outgrows --memory=64m: docker inspect OOMKilled is $oom"
echo "init that outgrows its limit: exit 137, OOMKilled true"

# /proc/PID/oom_score_adj as Linux keeps it (range, the unprivileged
# floor, inheritance), the same as under runc.
script='exec 2>&1; cat /proc/self/oom_score_adj; echo 500 > /proc/self/oom_score_adj; echo w=$?
	cat /proc/self/oom_score_adj; echo 100 > /proc/self/oom_score_adj; echo w=$?
	echo -100 > /proc/self/oom_score_adj; echo w=$?; echo 2000 > /proc/self/oom_score_adj; echo w=$?
	echo abc > /proc/self/oom_score_adj; echo w=$?; cat /proc/1/oom_score_adj'
want=$(timeout 60 docker run --rm --runtime=runc visor-busybox sh -c "$script")
got=$(dr visor-busybox sh -c "$script")
[ "$got" = "$want" ] || fail "oom_score_adj: runc [$want] visor [$got]"
echo "/proc/PID/oom_score_adj as under runc"
exit 0
