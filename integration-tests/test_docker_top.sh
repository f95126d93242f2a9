#!/usr/bin/env bash
# docker_top_lists_the_containers_processes: `docker top` (the shim asks
# `visor ps --format json` for host pids, dockerd shows those host processes)
# lists exactly the container's processes: each row a live host process whose
# parent is the container's Sentry (the stub backing that process), named
# after the app's command; and `visor ps` (table) shows the sandbox pid, the
# host pid and the command of each.
set -u
. "$(dirname "$0")/lib.sh"
docker_setup
id=
T=$(mktemp -d /tmp/visor-top-XXXXXX)
cleanup() {
	[ -n "$id" ] && docker rm -f "$id" >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT
D() { timeout 60 docker "$@"; }

# "; exit 0" keeps sh itself alive (a shell execs its last command otherwise,
# under runc too): three processes, sh and two sleeps.
id=$(D run -d --runtime="$DOCKER_RUNTIME" "$DOCKER_IMAGE" sh -c 'sleep 1000 & sleep 2000; exit 0') ||
	fail "docker run -d"
sentry=$(D inspect -f '{{.State.Pid}}' "$id") || fail "docker inspect"
[ -n "$sentry" ] && [ "$sentry" -gt 0 ] || fail "no Sentry pid: '$sentry'"

# Wait until both sleeps have been exec'd (a forked child keeps the shell's
# address space name until it execs).
top=
for i in $(seq 50); do
	top=$(D top "$id" -o pid,ppid,comm,args) || fail "docker top: $top"
	[ "$(echo "$top" | awk 'NR > 1 && $3 == "sleep"' | wc -l)" = 2 ] && break
	sleep 0.1
done
echo "$top"
rows=$(echo "$top" | awk 'NR > 1' | wc -l)
[ "$rows" = 3 ] || fail "docker top shows $rows processes, wanted 3 (sh, sleep, sleep): $top"
cmds=$(echo "$top" | awk 'NR > 1 {print $3}' | sort | tr '\n' ' ')
[ "$cmds" = "sh sleep sleep " ] || fail "docker top commands: '$cmds', wanted 'sh sleep sleep '"
for pid in $(echo "$top" | awk 'NR > 1 {print $1}'); do
	[ -d "/proc/$pid" ] || fail "docker top pid $pid is not a live host process"
	ppid=$(awk '/^PPid:/ {print $2}' "/proc/$pid/status")
	[ "$ppid" = "$sentry" ] || fail "host process $pid has parent $ppid, not the Sentry $sentry"
	comm=$(cat "/proc/$pid/comm")
	case "$comm" in sh | sleep) ;; *) fail "host process $pid is named '$comm'" ;; esac
done
# The default docker top (ps -ef): a stub has no command line, so the CMD
# column is its name in brackets.
top=$(D top "$id") || fail "docker top (default)"
echo "$top"
cmds=$(echo "$top" | awk 'NR > 1 {print $NF}' | sort | tr '\n' ' ')
case "$cmds" in
"[sh] [sleep] [sleep] " | "sh sleep sleep ") ;;
*) fail "docker top CMD column: '$cmds'" ;;
esac

# visor ps (what the shim runs): json = those host pids; table = both views.
state_root=/run/docker/runtime-runc/moby
[ -d "$state_root/$id" ] || state_root=/var/run/docker/runtime-runc/moby
if [ -d "$state_root/$id" ]; then
	json=$(timeout 20 "$VISOR" --root "$state_root" ps --format json "$id") || fail "visor ps json"
	want=$(D top "$id" -o pid | awk 'NR > 1' | sort -n | tr '\n' ' ')
	got=$(echo "$json" | tr -d '[]' | tr ',' '\n' | sort -n | tr '\n' ' ')
	[ "$got" = "$want" ] || fail "visor ps --format json: '$json', docker top pids: '$want'"
	table=$(timeout 20 "$VISOR" --root "$state_root" ps "$id") || fail "visor ps table"
	echo "$table"
	echo "$table" | head -1 | grep -q 'PID.*HOST-PID.*CMD' || fail "visor ps table header: $table"
	echo "$table" | awk 'NR > 1 && $1 == 1 && $3 == "sh"' | grep -q . ||
		fail "visor ps table: no sandbox pid 1 running sh: $table"
	[ "$(echo "$table" | awk 'NR > 1 && $2 ~ /^[0-9]+$/' | wc -l)" = 3 ] ||
		fail "visor ps table: not every process has a host pid: $table"
fi

# An app that renames itself (prctl PR_SET_NAME) is renamed on the host too.
# Needs a C compiler with a static libc; skipped quietly without one.
docker rm -f "$id" >/dev/null 2>&1
id=
cat >"$T/prname.c" <<'EOF'
#include <sys/prctl.h>
#include <unistd.h>
int main(void)
{
	if (prctl(PR_SET_NAME, "renamed-by-app") != 0)
		return 1;
	for (;;)
		pause();
}
EOF
if cc -static -O2 -o "$T/prname" "$T/prname.c" 2>/dev/null; then
	id=$(D run -d --runtime="$DOCKER_RUNTIME" -v "$T/prname:/prname:ro" "$DOCKER_IMAGE" /prname) ||
		fail "docker run -d prname"
	sentry=$(D inspect -f '{{.State.Pid}}' "$id")
	for i in $(seq 50); do
		top=$(D top "$id" -o pid,ppid,comm) || fail "docker top (prname): $top"
		echo "$top" | awk 'NR > 1 {print $3}' | grep -qx renamed-by-app && break
		sleep 0.1
	done
	echo "$top"
	[ "$(echo "$top" | awk 'NR > 1' | wc -l)" = 1 ] || fail "docker top (prname): $top"
	pid=$(echo "$top" | awk 'NR == 2 {print $1}')
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = renamed-by-app ] ||
		fail "PR_SET_NAME did not reach the host: $pid is '$(cat "/proc/$pid/comm" 2>/dev/null)'"
	[ "$(awk '/^PPid:/ {print $2}' "/proc/$pid/status")" = "$sentry" ] ||
		fail "renamed process $pid is not the Sentry's child"
fi
exit 0
