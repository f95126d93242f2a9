# integration-tests/sandbox_procs.sh — a Docker container's sandbox processes
# and what it leaves behind, for the fault tests.  Source it after lib.sh.
#
#   sandbox_pids ID    sets sentry (the pid Docker knows), gofer (its sibling
#                      under the shim), stub (the stub named after the app,
#                      "sleep"), children (all the Sentry's children)
#   leftovers ID PID...  fail if a PID lives on (a zombie about to be reaped
#                      is fine), or a state directory under $state_roots, a
#                      cgroup or a mount names ID
#
# state_roots: the runtime's state directories (runc's --root that dockerd
# passes); a test with a dockerd of its own sets its own.
state_roots=(/run/docker/runtime-runc /var/run/docker/runtime-runc /run/containerd/runc)

leftovers() {
	local id=$1 p r
	shift
	for p in "$@"; do
		for r in $(seq 50); do
			[ -d "/proc/$p" ] || break
			grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null && break
			sleep 0.1
		done
		if [ -d "/proc/$p" ] && ! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null; then
			fail "$id: process $p ($(tr '\0' ' ' <"/proc/$p/cmdline" | cut -c1-80)) is left"
		fi
	done
	for r in "${state_roots[@]}"; do
		[ -e "$r" ] || continue
		[ -z "$(find "$r" -maxdepth 2 -name "$id" 2>/dev/null)" ] ||
			fail "$id: a state directory is left under $r"
	done
	[ -z "$(find /sys/fs/cgroup -maxdepth 4 -name "*$id*" 2>/dev/null)" ] ||
		fail "$id: cgroups are left: $(find /sys/fs/cgroup -maxdepth 4 -name "*$id*" | head -3)"
	! grep -q "$id" /proc/self/mountinfo || fail "$id: mounts are left"
}

sandbox_pids() {
	local id=$1
	sentry=$(docker inspect -f '{{.State.Pid}}' "$id")
	[ -n "$sentry" ] && [ "$sentry" != 0 ] || fail "$id: no pid"
	local shim
	shim=$(ps -o ppid= -p "$sentry" | tr -d ' ')
	gofer=$(ps -eo pid=,ppid=,args= | awk -v s="$shim" '$2 == s && / gofer --sock-fd/ {print $1}')
	[ -n "$gofer" ] || fail "$id: no gofer found"
	# The stub running the app is named after it (systrap also has a
	# stub template, named otherwise).
	stub=""
	local i
	for i in $(seq 50); do
		stub=$(ps -o pid=,comm= --ppid "$sentry" | awk '$2 == "sleep" {print $1}' | head -1)
		[ -n "$stub" ] && break
		sleep 0.1
	done
	[ -n "$stub" ] || fail "$id: no stub process named sleep"
	children=$(ps -o pid= --ppid "$sentry" | tr '\n' ' ')
}
