#!/usr/bin/env bash
# oci_cgroups: the sandbox's cgroup as runc makes it, without Docker.
#  - a systemd cgroupsPath "slice:prefix:name" (Docker's systemd driver) is
#    created where systemd puts the scope (<slice>/<prefix>-<name>.scope);
#  - every process of the sandbox (Sentry, Gofer, the app's stub) is in it
#    and linux.resources are written into it (memory, swap, pids, cpu quota,
#    period and shares);
#  - a limit the host refuses fails create with a message naming it, and
#    leaves no state, process or cgroup behind;
#  - delete removes the cgroup.
set -u
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (cgroups, namespaces)"
[ -d /sys/fs/cgroup ] || skip "no /sys/fs/cgroup"
T=$(mktemp -d /tmp/visor-cg-XXXXXX)
ROOT=$T/state
V() { "$VISOR" --root "$ROOT" --log "$T/log" "$@"; }
cleanup() {
	for id in $(V list -q 2>/dev/null); do V delete --force "$id" >/dev/null 2>&1; done
	rm -rf "$T"
}
trap cleanup EXIT

v2=false
[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] && v2=true
# cgdir CTRL REL: where a v1 controller's (or the v2) directory is.
cgdir() { if $v2; then echo "/sys/fs/cgroup/$2"; else echo "/sys/fs/cgroup/$1/$2"; fi; }

# set_cgroup BUNDLE PATH RESOURCES_JSON: linux.cgroupsPath and resources.
set_cgroup() {
	python3 - "$1/config.json" "$2" "$3" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["linux"]["cgroupsPath"] = sys.argv[2]
c["linux"]["resources"] = json.loads(sys.argv[3])
json.dump(c, open(p, "w"), indent=1)
PY
}

alive() { [ -e "/proc/$1/stat" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }

# --- a systemd path, limits, every process inside -----------------------------------
name=cgt$$
make_bundle "$T/b1" /bin/sleep 1000
set_cgroup "$T/b1" "system.slice:visor-test:$name" \
	'{"memory": {"limit": 67108864, "swap": 134217728}, "pids": {"limit": 40},
	  "cpu": {"quota": 50000, "period": 100000, "shares": 256}}'
rel=system.slice/visor-test-$name.scope
timeout 60 "$VISOR" --root "$ROOT" --log "$T/log" create --bundle "$T/b1" --pid-file "$T/pid" c1 \
	</dev/null >/dev/null 2>"$T/e" || fail "create with a systemd cgroupsPath: $(cat "$T/e")"
V start c1 || fail "start"
sentry=$(cat "$T/pid")
mem=$(cgdir memory "$rel")
[ -d "$mem" ] || fail "no cgroup at $mem"
# The app's stub appears once init runs.
for i in $(seq 50); do
	n=$(wc -l <"$mem/cgroup.procs")
	[ "$n" -ge 3 ] && break
	sleep 0.1
done
procs=$(tr '\n' ' ' <"$mem/cgroup.procs")
echo "$procs" | grep -qw "$sentry" || fail "the Sentry ($sentry) is not in $mem: $procs"
[ "$n" -ge 3 ] || fail "Sentry, Gofer and stub should be in $mem: $procs"
for p in $procs; do
	comm=$(cat "/proc/$p/comm" 2>/dev/null)
	case $comm in visor | sleep) ;; *) fail "a stranger in the cgroup: $p ($comm)" ;; esac
done
pids=$(cgdir pids "$rel")
tr ' ' '\n' <<<"$procs" | grep . | sort >"$T/a"
sort "$pids/cgroup.procs" >"$T/b"
cmp -s "$T/a" "$T/b" || fail "the pids cgroup holds other processes than the memory one"
if $v2; then
	[ "$(cat "$mem/memory.max")" = 67108864 ] || fail "memory.max: $(cat "$mem/memory.max")" # as runc
	[ "$(cat "$mem/memory.swap.max")" = 67108864 ] || fail "memory.swap.max: $(cat "$mem/memory.swap.max")"
	[ "$(cat "$mem/pids.max")" = 184 ] || fail "pids.max: $(cat "$mem/pids.max")" # 3 per app task + 64
	[ "$(cat "$mem/cpu.max")" = "50000 100000" ] || fail "cpu.max: $(cat "$mem/cpu.max")"
else
	[ "$(cat "$mem/memory.limit_in_bytes")" = 67108864 ] || # as runc writes it
		fail "memory.limit_in_bytes: $(cat "$mem/memory.limit_in_bytes")"
	if [ -e "$mem/memory.memsw.limit_in_bytes" ]; then
		[ "$(cat "$mem/memory.memsw.limit_in_bytes")" = 134217728 ] ||
			fail "memory.memsw.limit_in_bytes: $(cat "$mem/memory.memsw.limit_in_bytes")"
	fi
	[ "$(cat "$pids/pids.max")" = 184 ] || fail "pids.max: $(cat "$pids/pids.max")" # 3 per app task + 64
	cpu=$(cgdir cpu "$rel")
	[ "$(cat "$cpu/cpu.cfs_quota_us")" = 50000 ] || fail "cfs_quota_us: $(cat "$cpu/cpu.cfs_quota_us")"
	[ "$(cat "$cpu/cpu.cfs_period_us")" = 100000 ] || fail "cfs_period_us"
	[ "$(cat "$cpu/cpu.shares")" = 256 ] || fail "cpu.shares: $(cat "$cpu/cpu.shares")"
fi
echo "systemd path $rel: Sentry, Gofer and stub inside, limits applied"
V delete --force c1 || fail "delete --force"
for i in $(seq 50); do alive "$sentry" || break; sleep 0.1; done
[ -d "$mem" ] && fail "delete left $mem"
[ -d "$pids" ] && fail "delete left $pids"
echo "delete removed the cgroup"

# --- a limit the kernel refuses fails create, leaving nothing ------------------------
make_bundle "$T/b2" /bin/true
# CFS refuses a quota under 1 ms.
set_cgroup "$T/b2" "/visor-test/bad$$" '{"cpu": {"quota": 500, "period": 100000}}'
V create --bundle "$T/b2" c2 </dev/null >/dev/null 2>"$T/e" && fail "create with quota 500 succeeded"
grep -q 'cpu' "$T/e" || fail "the error does not name the limit: $(cat "$T/e")"
echo "refused: $(cat "$T/e")"
[ -e "$ROOT/c2" ] && fail "the failed create left its state"
[ -d "$(cgdir cpu visor-test/bad$$)" ] && fail "the failed create left its cgroup"
# blkio weight without a CFQ/BFQ scheduler (no blkio.weight): refused too.
if ! $v2 && [ -d /sys/fs/cgroup/blkio ] && [ ! -e /sys/fs/cgroup/blkio/blkio.weight ] &&
	[ ! -e /sys/fs/cgroup/blkio/blkio.bfq.weight ]; then
	set_cgroup "$T/b2" "/visor-test/bad$$" '{"blockIO": {"weight": 300}}'
	V create --bundle "$T/b2" c2 </dev/null >/dev/null 2>"$T/e" && fail "create with a blkio weight succeeded"
	grep -q 'blkio' "$T/e" || fail "the error does not name blkio: $(cat "$T/e")"
	echo "refused: $(cat "$T/e")"
	[ -d "$(cgdir blkio visor-test/bad$$)" ] && fail "the failed create left its cgroup"
fi
rmdir "$(cgdir cpu visor-test)" 2>/dev/null
for c in /sys/fs/cgroup/*/visor-test; do rmdir "$c" 2>/dev/null; done
exit 0
