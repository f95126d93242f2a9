#!/usr/bin/env bash
# oci_seccomp_profile_denies_what_it_names: a config.json whose linux.seccomp
# denies mkdir with EPERM and chmod(path, 0777) with errno 1234 gives exactly
# those errors to the app and to its children (the profile is inherited
# across fork and exec), lets chmod 0644 and everything else through, and
# skips a syscall name libseccomp does not know; a malformed profile fails
# create with the field named and leaves no state behind.
set -u
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (namespaces)"
T=$(mktemp -d /tmp/visor-seccomp-XXXXXX)
trap 'rm -rf "$T"' EXIT
make_bundle "$T/b" /bin/sh -c 'mkdir /x 2>&1; touch /f; chmod 777 /f 2>&1; chmod 644 /f && echo chmod-644-ok; stat -c %a /f; [ -d /x ] || echo no-x; echo done'
python3 - "$T/b/config.json" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["linux"]["seccomp"] = {
    "defaultAction": "SCMP_ACT_ALLOW",
    "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
    "syscalls": [
        {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
        {"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1234,
         "args": [{"index": 1, "value": 511, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]},
        {"names": ["fchmodat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1234,
         "args": [{"index": 2, "value": 511, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]},
        {"names": ["visor_syscall_from_the_future"], "action": "SCMP_ACT_ERRNO"},
    ],
}
json.dump(c, open(p, "w"), indent=2)
PY
out=$(timeout 60 "$VISOR" --root "$T/state" run --bundle "$T/b" scmp-$$ 2>&1) || fail "run: $out"
want='mkdir: can'"'"'t create directory '"'"'/x'"'"': Operation not permitted
chmod: /f: Unknown error 1234
chmod-644-ok
644
no-x
done'
[ "$out" = "$want" ] || fail "seccomp profile: got
$out
want
$want"

# Malformed: an unknown action.  create fails naming it; nothing remains.
python3 - "$T/b/config.json" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["linux"]["seccomp"]["syscalls"][1]["action"] = "SCMP_ACT_SOMETIMES"
json.dump(c, open(p, "w"), indent=2)
PY
err=$(timeout 30 "$VISOR" --root "$T/state" create --bundle "$T/b" bad-$$ 2>&1) &&
	fail "create accepted a malformed profile"
echo "$err" | grep -q 'linux.seccomp.syscalls\[1\].action: unknown action "SCMP_ACT_SOMETIMES"' ||
	fail "create's error does not name the field: $err"
[ ! -e "$T/state/bad-$$" ] || fail "a failed create left $T/state/bad-$$"
"$VISOR" --root "$T/state" state bad-$$ >/dev/null 2>&1 && fail "state knows bad-$$"
exit 0
