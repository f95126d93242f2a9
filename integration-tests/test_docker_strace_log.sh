#!/usr/bin/env bash
# docker_runtime_with_strace_logs_decoded_syscalls: a runtime registered
# with runtimeArgs `--strace --debug-log=DIR/` (runsc's form) writes
# DIR/<container id>.sentry.log (and the Gofer's DIR/<id>.gofer.log), whose
# Sentry lines name the container and show
# each app syscall as strace does (`openat(AT_FDCWD, "/nonexistent",
# O_RDONLY) = -1 ENOENT <0.000004>`, flags by name, pointers in hex, the
# time the call took as strace -T writes it); and `visor debug
# --unsupported ID` on the running container lists a syscall the app called
# that visor lacks (io_pgetevents: not offered).
set -u
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
STRACE_RUNTIME=${VISOR_STRACE_RUNTIME:-visor-ociseccomp-strace}
logdir=$(mktemp -d /tmp/visor-strace-log-XXXXXX)
bindir=$(mktemp -d)
id=""
cleanup() {
	[ -n "$id" ] && docker rm -f "$id" >/dev/null 2>&1
	rm -rf "$logdir" "$bindir"
}
trap cleanup EXIT
[ -n "${KEEP_LOG:-}" ] && trap 'cp "$log" "$KEEP_LOG"; cleanup' EXIT
[ "$(id -u)" = 0 ] || skip "docker tests need root"
# The strace runtime first: docker_setup makes dockerd reload daemon.json.
# A directory that does not exist yet: the runtime makes it.
python3 - "$VISOR_BIN" "$STRACE_RUNTIME" "$logdir/d/" "$VISOR_TEST_PLATFORM" <<'PY'
import json, os, sys
p = "/etc/docker/daemon.json"
d = json.load(open(p)) if os.path.exists(p) and os.path.getsize(p) > 0 else {}
args = ["--strace", "--debug-log=" + sys.argv[3]]
if sys.argv[4]:
    args.append("--platform=" + sys.argv[4])
d.setdefault("runtimes", {})[sys.argv[2]] = {"path": sys.argv[1], "runtimeArgs": args}
with open(p + ".tmp", "w") as f:
    json.dump(d, f, indent=2)
    f.write("\n")
os.rename(p + ".tmp", p)
PY
docker_setup
docker info 2>/dev/null | grep -q "$STRACE_RUNTIME" || fail "dockerd did not pick up $STRACE_RUNTIME"
gcc -static -O1 -Wall -o "$bindir/scmp_probe" "$here/seccomp/scmp_probe.c" || fail "build of scmp_probe"

id=$(timeout 60 docker run -d --runtime="$STRACE_RUNTIME" -v "$bindir:/t:ro" "$DOCKER_IMAGE" \
	sh -c '/t/scmp_probe io_pgetevents; cat /nonexistent; echo ready; sleep 60') ||
	fail "docker run -d: $id"
log="$logdir/d/$id.sentry.log"
for _ in $(seq 60); do
	grep -q 'nonexistent' "$log" 2>/dev/null && grep -q 'io_pgetevents' "$log" && break
	sleep 1
done
[ -s "$log" ] || fail "no log $log (dir: $(ls -R "$logdir"))"
[ -e "$logdir/d/$id.gofer.log" ] || fail "no Gofer log $logdir/d/$id.gofer.log: $(ls "$logdir/d")"
grep -q "container $id" "$log" || fail "the log does not name the container $id"
grep -qE "seccomp profile: [0-9]+ BPF instructions \(compiled by create\)" "$log" ||
	fail "the Sentry did not get Docker's seccomp profile from create: $(head -3 "$log")"
grep -q "sentry ${id:0:12}" "$log" || fail "the log lines do not carry the short id ${id:0:12}"
grep -qF 'openat(AT_FDCWD, "/nonexistent", O_RDONLY) = -1 ENOENT (No such file or directory)' "$log" ||
	fail "no decoded openat of /nonexistent in $log: $(grep -F nonexistent "$log" | head -3)"
# the time the call took, as strace -T
grep -qE 'openat\(AT_FDCWD, "/nonexistent", O_RDONLY\) = -1 ENOENT \(No such file or directory\) <[0-9]+\.[0-9]{6}>$' "$log" ||
	fail "no time after the openat of /nonexistent: $(grep -F nonexistent "$log" | head -3)"
grep -qE 'io_pgetevents\(0x1, 0x1, 0x1, 0x[0-9a-f]+, .*\) = -1 ENOSYS' "$log" ||
	fail "no io_pgetevents = -1 ENOSYS in $log: $(grep io_pgetevents "$log" | head -3)"
grep -qE 'clone\(CLONE_CHILD_CLEARTID\|CLONE_CHILD_SETTID\|SIGCHLD, NULL, NULL, 0x[0-9a-f]+\) = [0-9]+' "$log" ||
	fail "no decoded clone in $log: $(grep clone "$log" | head -3)"
grep -qE 'mprotect\(0x[0-9a-f]+, [0-9]+, PROT_READ\) = 0' "$log" ||
	fail "no decoded mprotect in $log: $(grep mprotect "$log" | head -3)"
grep -qE 'execve\("/t/scmp_probe", 0x[0-9a-f]+, 0x[0-9a-f]+\) = 0' "$log" ||
	fail "no decoded execve in $log: $(grep execve "$log" | head -3)"

state_root=/run/docker/runtime-runc/moby
[ -d "$state_root/$id" ] || state_root=/var/run/docker/runtime-runc/moby
[ -d "$state_root/$id" ] || fail "no state for $id under /run/docker/runtime-runc/moby"
table=$(timeout 20 "$VISOR" --root "$state_root" debug --unsupported "$id") ||
	fail "visor debug --unsupported: $table"
echo "$table"
echo "$table" | head -1 | grep -q 'SYSCALL.*NR.*COUNT' || fail "table header: $table"
echo "$table" | awk '$1 == "io_pgetevents" && $2 == 333 && $3 >= 1' | grep -q . ||
	fail "io_pgetevents is not in the unsupported table: $table"
exit 0
