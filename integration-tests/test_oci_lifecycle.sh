#!/usr/bin/env bash
# OCI lifecycle driven the way containerd-shim-runc-v2 drives runc, without
# Docker: create -> state (created) -> start -> state (running) -> kill ->
# state (stopped) -> delete; plus run's exit status, failures that leave
# nothing behind, and runc's kill/delete rules.
set -u
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (namespaces)"
T=$(mktemp -d /tmp/visor-oci-XXXXXX)
ROOT=$T/state
V() { "$VISOR" --root "$ROOT" --log "$T/log" "$@"; }
cleanup() {
	for id in $(V list -q 2>/dev/null); do V delete --force "$id" >/dev/null 2>&1; done
	rm -rf "$T"
}
trap cleanup EXIT

# wait_status ID STATUS: poll `state` until it reports STATUS (5 s).
wait_status() {
	local i s
	for i in $(seq 50); do
		s=$(V state "$1" 2>/dev/null | sed -n 's/.*"status": *"\([a-z]*\)".*/\1/p')
		[ "$s" = "$2" ] && return 0
		sleep 0.1
	done
	fail "container $1: status ${s:-?}, wanted $2"
}

# alive PID: a process that is not a zombie (the Sentry's parent after
# create is whoever adopts orphans here, and may reap late).
alive() { [ -e "/proc/$1/stat" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }

# --- run: output and exit status come through --------------------------------
make_bundle "$T/b1" /bin/sh -c 'echo out; echo err >&2; hostname; exit 42'
(cd "$T/b1" && timeout 30 "$VISOR" --root "$ROOT" --log "$T/log" run r1 >"$T/o" 2>"$T/e")
st=$?
[ $st = 42 ] || fail "run: exit status $st, wanted 42 (stderr: $(cat "$T/e"))"
grep -qx out "$T/o" || fail "run: stdout lost: $(cat "$T/o")"
grep -qx visortest "$T/o" || fail "run: hostname not from config: $(cat "$T/o")"
grep -qx err "$T/e" || fail "run: stderr lost: $(cat "$T/e")"
[ -e "$ROOT/r1" ] && fail "run left its state behind"

# --- create / start / state / kill / delete ------------------------------------
make_bundle "$T/b2" /bin/sleep 1000
timeout 30 "$VISOR" --root "$ROOT" --log "$T/log" create --bundle "$T/b2" --pid-file "$T/pid" c1 \
	</dev/null >"$T/c1.out" 2>"$T/c1.err" || fail "create: $(cat "$T/c1.err")"
[ -s "$T/pid" ] || fail "create wrote no pid file"
pid=$(cat "$T/pid")
alive "$pid" || fail "pid file names no live process ($pid)"
out=$(V state c1) || fail "state after create"
echo "$out" | grep -q '"status": *"created"' || fail "state after create: $out"
echo "$out" | grep -q "\"pid\": *$pid" || fail "state pid is not the Sentry's ($pid): $out"
echo "$out" | grep -q "\"platform\": *\"$TEST_PLATFORM\"" || fail "state: not $TEST_PLATFORM: $out"
echo "$out" | grep -q "\"bundle\": *\"$T/b2\"" || fail "state bundle: $out"
V create --bundle "$T/b2" c1 </dev/null >/dev/null 2>"$T/e" && fail "second create with the same id succeeded"
grep -q 'already exists' "$T/e" || fail "duplicate create message: $(cat "$T/e")"
V delete c1 2>/dev/null && : # runc deletes a created container by killing it
V state c1 >/dev/null 2>&1 && fail "delete of a created container left it"
alive "$pid" && fail "delete left the Sentry running"

# The platform asked for is the one the sandbox runs (and reports); one this
# build does not have fails the create, saying so.
for plat in ptrace systrap; do
	timeout 30 "$VISOR_BIN" --root "$ROOT" --log "$T/log" --platform=$plat create --bundle "$T/b2" \
		"p-$plat" </dev/null >/dev/null 2>"$T/e" || fail "create on $plat: $(cat "$T/e")"
	out=$(V state "p-$plat") || fail "state p-$plat"
	echo "$out" | grep -q "\"platform\": *\"$plat\"" || fail "state on $plat: $out"
	V delete --force "p-$plat" || fail "delete p-$plat"
done
timeout 30 "$VISOR_BIN" --root "$ROOT" --log "$T/log" --platform=kvm create --bundle "$T/b2" p-kvm \
	</dev/null >/dev/null 2>"$T/e" && fail "create on a platform this build lacks succeeded"
grep -q 'unknown platform "kvm"' "$T/e" || fail "unknown platform: message: $(cat "$T/e")"
V state p-kvm >/dev/null 2>&1 && fail "a failed create left its state"

timeout 30 "$VISOR" --root "$ROOT" --log "$T/log" create --bundle "$T/b2" --pid-file "$T/pid" c2 \
	</dev/null >/dev/null 2>"$T/e" || fail "create c2: $(cat "$T/e")"
pid=$(cat "$T/pid")
V start c2 || fail "start"
wait_status c2 running
V start c2 2>/dev/null && fail "second start succeeded"
V delete c2 2>"$T/e" && fail "delete of a running container without --force succeeded"
grep -q 'not stopped' "$T/e" || fail "delete running message: $(cat "$T/e")"
V kill c2 BOGUS 2>/dev/null && fail "kill with a bad signal name succeeded"
V pause c2 2>"$T/e" && fail "pause without linux.cgroupsPath succeeded"
grep -q cgroupsPath "$T/e" || fail "pause without a cgroup: message: $(cat "$T/e")"
V update --memory 100000000 c2 2>"$T/e" && fail "update without linux.cgroupsPath succeeded"
grep -q cgroupsPath "$T/e" || fail "update without a cgroup: message: $(cat "$T/e")"
V update --memory lots c2 2>/dev/null && fail "update with a non-numeric limit succeeded"
V kill c2 KILL || fail "kill KILL"
wait_status c2 stopped
V kill c2 TERM 2>/dev/null && fail "kill TERM of a stopped container succeeded (runc: not running)"
V kill c2 KILL || fail "kill KILL of a stopped container must succeed"
V kill --all c2 TERM || fail "kill --all of a stopped container must succeed"
out=$(V state c2) || fail "state of stopped"
echo "$out" | grep -q '"pid": *0' || fail "stopped state pid: $out"
V list | grep -q "c2 .*stopped *$TEST_PLATFORM" || fail "list (with the platform): $(V list)"
V list --format json | grep -q '"id": *"c2"' || fail "list json: $(V list --format json)"
V list --format json | grep -q "\"platform\": *\"$TEST_PLATFORM\"" ||
	fail "list json platform: $(V list --format json)"
V delete c2 || fail "delete stopped"
[ -e "$ROOT/c2" ] && fail "delete left $ROOT/c2"
V delete c2 2>/dev/null && fail "delete of an absent container succeeded"
V delete --force c2 || fail "delete --force of an absent container must succeed"

# --- SIGTERM with a handler; signal names and numbers ---------------------------
make_bundle "$T/b3" /bin/sh -c 'trap "exit 7" TERM; while :; do sleep 0.1; done'
timeout 30 "$VISOR" --root "$ROOT" --log "$T/log" create --bundle "$T/b3" c3 </dev/null >/dev/null 2>"$T/e" ||
	fail "create c3: $(cat "$T/e")"
V start c3 || fail "start c3"
sleep 0.5
V kill c3 SIGTERM || fail "kill SIGTERM"
wait_status c3 stopped
V delete c3 || fail "delete c3"

# --- delete --force kills a running container ------------------------------------
timeout 30 "$VISOR" --root "$ROOT" --log "$T/log" create --bundle "$T/b2" --pid-file "$T/pid" c4 \
	</dev/null >/dev/null 2>"$T/e" || fail "create c4: $(cat "$T/e")"
pid=$(cat "$T/pid")
V start c4 || fail "start c4"
V delete --force c4 || fail "delete --force running"
sleep 0.2
alive "$pid" && fail "delete --force left the Sentry running"
[ -e "$ROOT/c4" ] && fail "delete --force left state"

# --- linux.namespaces network path: the sandbox joins it ------------------------
if command -v ip >/dev/null && ip netns add "visor-oci-$$" 2>/dev/null; then
	make_bundle "$T/b7" /bin/true
	sed -i "s|{\"type\": \"network\"}|{\"type\": \"network\", \"path\": \"/var/run/netns/visor-oci-$$\"}|" "$T/b7/config.json"
	grep -q "visor-oci-$$" "$T/b7/config.json" || fail "test set-up: netns path not in config"
	timeout 30 "$VISOR" --root "$ROOT" --log "$T/log" create --bundle "$T/b7" --pid-file "$T/pid" c7 \
		</dev/null >/dev/null 2>"$T/e" || { ip netns del "visor-oci-$$"; fail "create with a netns path: $(cat "$T/e")"; }
	pid=$(cat "$T/pid")
	[ "$(readlink /proc/$pid/ns/net)" = "$(ip netns exec "visor-oci-$$" readlink /proc/self/ns/net)" ] ||
		{ ip netns del "visor-oci-$$"; fail "the Sentry is not in the configured network namespace"; }
	V delete --force c7
	ip netns del "visor-oci-$$"
	sed -i "s|/var/run/netns/visor-oci-$$|/var/run/netns/no-such-netns-$$|" "$T/b7/config.json"
	V create --bundle "$T/b7" c8 </dev/null >/dev/null 2>"$T/e" && fail "create with a missing netns succeeded"
	grep -q 'network' "$T/e" || fail "missing netns message: $(cat "$T/e")"
	[ -e "$ROOT/c8" ] && fail "failed create left $ROOT/c8"
fi

# --- hooks: prestart gets the state (pid = the Sentry) on stdin; poststart
# and poststop run; a failing prestart hook fails create, leaving nothing ---
make_bundle "$T/b9" /bin/sleep 1000
python3 - "$T" <<'PY'
import json, sys
t = sys.argv[1]
p = t + "/b9/config.json"
c = json.load(open(p))
hook = lambda name: {"path": "/bin/sh", "args": ["sh", "-c", "cat > %s/%s.state" % (t, name)]}
c["hooks"] = {"prestart": [hook("prestart")], "poststart": [hook("poststart")], "poststop": [hook("poststop")]}
json.dump(c, open(p, "w"))
c["hooks"] = {"prestart": [{"path": "/bin/sh", "args": ["sh", "-c", "echo hook-said-no; exit 3"]}]}
import os; os.makedirs(t + "/b10", exist_ok=True)
os.symlink(t + "/b9/rootfs", t + "/b10/rootfs")
json.dump(c, open(t + "/b10/config.json", "w"))
PY
timeout 30 "$VISOR" --root "$ROOT" --log "$T/log" create --bundle "$T/b9" --pid-file "$T/pid" c9 \
	</dev/null >/dev/null 2>"$T/e" || fail "create with hooks: $(cat "$T/e")"
grep -q "\"pid\":$(cat "$T/pid")" "$T/prestart.state" || fail "prestart state: $(cat "$T/prestart.state" 2>&1)"
grep -q '"id":"c9"' "$T/prestart.state" || fail "prestart state id: $(cat "$T/prestart.state")"
V start c9 || fail "start c9"
[ -s "$T/poststart.state" ] || fail "poststart hook did not run"
V delete --force c9 || fail "delete c9"
[ -s "$T/poststop.state" ] || fail "poststop hook did not run"
V create --bundle "$T/b10" c10 </dev/null >/dev/null 2>"$T/e" && fail "create with a failing prestart hook succeeded"
grep -q 'hook-said-no' "$T/e" || fail "failing hook message: $(cat "$T/e")"
[ -e "$ROOT/c10" ] && fail "failed hook left $ROOT/c10"

# --- missing mount points are made inside the root, never through a symlink out of it
make_bundle "$T/b11" /bin/sh -c 'test -d /made/here'
sed -i 's|    {"destination": "/proc"|    {"destination": "/made/here", "type": "tmpfs", "source": "tmpfs"},\n    {"destination": "/proc"|' "$T/b11/config.json"
(cd "$T/b11" && timeout 30 "$VISOR" --root "$ROOT" --log "$T/log" run c11 </dev/null >/dev/null 2>"$T/e") ||
	fail "missing mount point not created: $(cat "$T/e")"
mkdir -p "$T/outside"
ln -s "$T/outside" "$T/b11/rootfs/esc"
sed -i 's|"/made/here"|"/esc/x"|; s|test -d /made/here|true|' "$T/b11/config.json"
(cd "$T/b11" && timeout 30 "$VISOR" --root "$ROOT" --log "$T/log" run c12 </dev/null >/dev/null 2>&1)
[ -e "$T/outside/x" ] && fail "mount point creation followed a symlink out of the root"
V delete --force c12 2>/dev/null

# --- a create killed half-way (SIGKILL: no clean-up of its own) leaves a
# record that delete --force uses to kill the Sentry ---
mkdir -p "$T/b13"
ln -s "$T/b9/rootfs" "$T/b13/rootfs"
python3 - "$T" <<'PY'
import json, sys
t = sys.argv[1]
c = json.load(open(t + "/b9/config.json"))
c["hooks"] = {"prestart": [{"path": "/bin/sh", "args": ["sh", "-c", "echo $$ > %s/slow.pid; cat > %s/slow.state; exec sleep 30" % (t, t)]}]}
json.dump(c, open(t + "/b13/config.json", "w"))
PY
"$VISOR" --root "$ROOT" --log "$T/log" create --bundle "$T/b13" c13 </dev/null >/dev/null 2>&1 &
cpid=$!
for i in $(seq 50); do [ -s "$T/slow.state" ] && break; sleep 0.1; done
[ -s "$T/slow.state" ] || fail "slow hook never ran"
spid=$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$T/slow.state")
kill -KILL $cpid
wait $cpid 2>/dev/null
kill "$(cat "$T/slow.pid")" 2>/dev/null # the hook, orphaned with its create
alive "$spid" || fail "test set-up: the Sentry is already gone"
V delete --force c13 || fail "delete --force of a half-made container"
sleep 0.2
alive "$spid" && fail "delete --force left the Sentry of a killed create running"
[ -e "$ROOT/c13" ] && fail "delete --force left $ROOT/c13"

# --- failures leave nothing behind -------------------------------------------------
make_bundle "$T/b5" /no/such/program
V create --bundle "$T/b5" c5 </dev/null >/dev/null 2>"$T/e" && fail "create of a missing program succeeded"
grep -q '/no/such/program' "$T/e" || fail "exec error not reported by create: $(cat "$T/e")"
[ -e "$ROOT/c5" ] && fail "failed create left $ROOT/c5"
mkdir -p "$T/b6"
cp -r "$T/b2/rootfs" "$T/b6/" 2>/dev/null
sed 's/"uid": 0/"uid": "zero"/' "$T/b2/config.json" >"$T/b6/config.json"
V create --bundle "$T/b6" c6 </dev/null >/dev/null 2>"$T/e" && fail "create with a bad config succeeded"
grep -q 'process.user.uid' "$T/e" || fail "bad config message does not name the field: $(cat "$T/e")"
[ -e "$ROOT/c6" ] && fail "failed create left $ROOT/c6"
V create --bundle "$T/nonexistent" c7 </dev/null >/dev/null 2>&1 && fail "create without a bundle succeeded"
V create --bundle "$T/b2" '../evil' </dev/null >/dev/null 2>&1 && fail "create with id ../evil succeeded"
V state nosuch 2>/dev/null && fail "state of an absent container succeeded"
V pause c1 2>/dev/null && fail "pause of an absent container succeeded"
V update --memory 1 c1 2>/dev/null && fail "update of an absent container succeeded"
exit 0
