#!/usr/bin/env bash
# docker_seccomp_profile_applies_as_runc: the seccomp profile Docker puts in
# config.json is applied by the Sentry, so a program gets the same answers
# under visor as under runc:
#  - Docker's default profile: unshare(CLONE_NEWUSER), add_key, keyctl,
#    mount, a personality outside the allowed values are EPERM, clone3 is
#    ENOSYS; ordinary calls work;
#  - --security-opt seccomp=PROFILE denying mkdir: `mkdir /x` fails with
#    EPERM, chmod(0777) with the profile's errno;
#  - --security-opt seccomp=unconfined: mkdir works;
#  - a `docker exec`'d process runs under the container's profile.
# Also the conformance programs that Docker's default profile changes
# (kcmp, process_vm, mem_calls) give runc's output.
set -u
. "$(dirname "$0")/lib.sh"
docker_setup
here=$(cd "$(dirname "$0")" && pwd)
bindir=$(mktemp -d)
trap 'rm -rf "$bindir"' EXIT
gcc -static -O1 -Wall -o "$bindir/scmp_probe" "$here/seccomp/scmp_probe.c" || fail "build of scmp_probe"

# both ARGS...: the same docker run under runc and visor; they must agree.
both() {
	local want got
	want=$(timeout 120 docker run --rm --runtime=runc -v "$bindir:/t:ro" "$@" 2>&1; echo "exit $?")
	got=$(dr -v "$bindir:/t:ro" "$@" 2>&1; echo "exit $?")
	[ "$want" = "$got" ] || fail "differs from runc: docker run $*:
$(diff <(echo "$want") <(echo "$got"))"
	echo "$got"
}

ops="getpid unshare_user unshare_ns add_key keyctl mount clone3 personality_linux personality_bad mkdir"
out=$(both "$DOCKER_IMAGE" /t/scmp_probe $ops)
for want in "getpid: ok" "unshare_user: EPERM" "add_key: EPERM" "keyctl: EPERM" "mount: EPERM" \
	"clone3: ENOSYS" "personality_linux: ok" "personality_bad: EPERM" "mkdir: ok"; do
	echo "$out" | grep -qx "$want" || fail "default profile: no \"$want\" in: $out"
done

cat >"$bindir/deny-mkdir.json" <<'EOF'
{
  "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [
    {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"},
    {"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "errnoRet": 122,
     "args": [{"index": 1, "value": 511, "op": "SCMP_CMP_EQ"}]}
  ]
}
EOF
out=$(both --security-opt seccomp="$bindir/deny-mkdir.json" "$DOCKER_IMAGE" \
	sh -c 'exec 2>&1; mkdir /x; echo "mkdir $?"; /t/scmp_probe chmod0777 getpid')
echo "$out" | grep -q "mkdir: can't create directory '/x': Operation not permitted" ||
	fail "deny-mkdir profile: $out"
echo "$out" | grep -qx "chmod0777: EDQUOT" || fail "deny-mkdir profile, chmod errnoRet: $out"

# docker exec: the exec'd process runs under the container's profile too.
ctr=$(dr -d --security-opt seccomp="$bindir/deny-mkdir.json" -v "$bindir:/t:ro" "$DOCKER_IMAGE" sleep 60) ||
	fail "docker run -d: $ctr"
out=$(timeout 60 docker exec "$ctr" /t/scmp_probe mkdir getpid 2>&1)
docker rm -f "$ctr" >/dev/null 2>&1
[ "$out" = "$(printf 'mkdir: EPERM\ngetpid: ok')" ] || fail "docker exec under the profile: $out"

out=$(both --security-opt seccomp=unconfined "$DOCKER_IMAGE" sh -c 'mkdir /x && echo made')
[ "$out" = "$(printf 'made\nexit 0')" ] || fail "unconfined: $out"

# Conformance programs whose answers depend on Docker's default profile.
for p in kcmp process_vm mem_calls; do
	gcc -static -O1 -pthread -Wall -o "$bindir/$p" "$here/conformance/$p.c" 2>/dev/null ||
		fail "build of $p"
	both "$DOCKER_IMAGE" /t/$p /tmp >/dev/null
done
exit 0
