#!/usr/bin/env bash
# oci_delete_force: `visor delete --force` of a wedged sandbox always
# succeeds and leaves nothing: no process, state directory or cgroup.  A
# running `sleep 1000` is wedged four ways: its Sentry SIGSTOPped, its Gofer
# SIGSTOPped, its stub SIGSTOPped, and all three; each with and without a
# linux.cgroupsPath (without one, the runtime itself must find and end the
# Gofer and the stubs).  runc's delete --force of a stopped init succeeds
# the same way.
set -u
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (namespaces)"
T=$(mktemp -d /tmp/visor-oci-delforce-XXXXXX)
ROOT=$T/state
V() { "$VISOR" --root "$ROOT" --log "$T/log" "$@"; }
pids_all=""
cleanup() {
	local id p
	for id in $(V list -q 2>/dev/null); do V delete --force "$id" >/dev/null 2>&1; done
	for p in $pids_all; do kill -CONT "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

alive() { [ -e "/proc/$1/stat" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }

make_bundle "$T/b" /bin/sleep 1000
cp "$T/b/config.json" "$T/config.plain.json"

# wedge HOW CGROUP: create and start a sleep, stop what HOW names, delete --force.
wedge() {
	local how=$1 cg=$2 id sentry gofer stubs p i t0 t1
	id=wedge-$how-$cg
	if [ "$cg" = cgroup ]; then
		python3 - "$T/config.plain.json" "$T/b/config.json" "$id" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["linux"]["cgroupsPath"] = "/visor-test-delforce/" + sys.argv[3]
json.dump(c, open(sys.argv[2], "w"))
PY
	else
		cp "$T/config.plain.json" "$T/b/config.json"
	fi
	timeout 30 "$VISOR" --root "$ROOT" --log "$T/log" create --bundle "$T/b" \
		--pid-file "$T/pid" "$id" </dev/null >/dev/null 2>"$T/err" ||
		fail "$id: create: $(cat "$T/err")"
	V start "$id" || fail "$id: start"
	sentry=$(cat "$T/pid")
	gofer=$(sed -n 's/.*"goferPid": *\([0-9]*\).*/\1/p' "$ROOT/$id/state.json")
	[ -n "$gofer" ] && alive "$gofer" || fail "$id: no live Gofer (${gofer:-none})"
	for i in $(seq 50); do
		stubs=$(ps -o pid= --ppid "$sentry" | tr '\n' ' ')
		ps -o comm= --ppid "$sentry" | grep -qx sleep && break
		sleep 0.1
	done
	ps -o comm= --ppid "$sentry" | grep -qx sleep || fail "$id: no stub named sleep"
	stub=$(ps -o pid=,comm= --ppid "$sentry" | awk '$2 == "sleep" {print $1}' | head -1)
	pids_all="$pids_all $sentry $gofer $stubs"
	case $how in
	sentry) kill -STOP "$sentry" ;;
	gofer) kill -STOP "$gofer" ;;
	stub) kill -STOP "$stub" ;;
	all) kill -STOP "$sentry" "$gofer" "$stub" ;;
	esac
	t0=$(date +%s%N)
	timeout 60 "$VISOR" --root "$ROOT" --log "$T/log" delete --force "$id" 2>"$T/err" ||
		fail "$id: delete --force failed or hung: $(cat "$T/err")"
	t1=$(date +%s%N)
	for p in $sentry $gofer $stubs; do
		for i in $(seq 100); do alive "$p" || break; sleep 0.1; done
		alive "$p" && fail "$id: process $p is left after delete --force: $(ps -o pid=,ppid=,stat=,comm= -p "$p")"
	done
	[ -e "$ROOT/$id" ] && fail "$id: its state directory is left"
	[ -z "$(find /sys/fs/cgroup -maxdepth 3 -name "$id" 2>/dev/null)" ] ||
		fail "$id: its cgroup is left: $(find /sys/fs/cgroup -maxdepth 3 -name "$id" | head -1)"
	echo "delete --force, $how stopped, $cg: ok in $(((t1 - t0) / 1000000)) ms, nothing left"
}

for cg in plain cgroup; do
	for how in sentry gofer stub all; do
		wedge "$how" "$cg"
	done
done
for d in /sys/fs/cgroup/*/visor-test-delforce /sys/fs/cgroup/visor-test-delforce; do
	[ -d "$d" ] && rmdir "$d" 2>/dev/null
done
exit 0
