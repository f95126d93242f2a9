#!/usr/bin/env bash
# A user namespace in config.json (linux.namespaces "user" with uidMappings/
# gidMappings, what dockerd --userns-remap writes) is refused at create with
# a message naming it, and the failed create leaves nothing behind (no
# state, no process); uidMappings without the namespace are refused too.
set -u
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (namespaces)"
T=$(mktemp -d /tmp/visor-userns-XXXXXX)
ROOT=$T/state
cleanup() { rm -rf "$T"; }
trap cleanup EXIT

try_create() { # NAME: create container NAME from $T/b; its stderr in $T/NAME.err
	timeout 30 "$VISOR" --root "$ROOT" --log "$T/log" create --bundle "$T/b" --pid-file "$T/$1.pid" "$1" \
		</dev/null >/dev/null 2>"$T/$1.err"
}
check_refused() { # NAME
	grep -q 'user namespace' "$T/$1.err" "$T/log" || fail "$1: no message naming the user namespace: $(cat "$T/$1.err")"
	[ -e "$ROOT/$1" ] && fail "$1: the failed create left its state"
	[ -s "$T/$1.pid" ] && fail "$1: the failed create wrote a pid file"
	pgrep -f -- "--root $ROOT " >/dev/null && fail "$1: a process of the failed create is left"
	echo "$1: refused: $(head -c 200 "$T/$1.err")"
}

make_bundle "$T/b" /bin/true
sed -i 's|"namespaces": \[|"uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}], "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}], "namespaces": [{"type": "user"}, |' "$T/b/config.json"
grep -q '"type": "user"' "$T/b/config.json" || fail "could not write the bundle"
try_create u1 && fail "create with a user namespace succeeded"
check_refused u1

sed -i 's|{"type": "user"}, ||' "$T/b/config.json"
try_create u2 && fail "create with uidMappings and no user namespace succeeded"
check_refused u2

# Without them the same bundle is created (the refusal is about the mappings).
sed -i 's|"uidMappings": \[[^]]*\], "gidMappings": \[[^]]*\], ||' "$T/b/config.json"
try_create u3 || fail "create without a user namespace failed: $(cat "$T/u3.err")"
"$VISOR" --root "$ROOT" --log "$T/log" delete --force u3 >/dev/null 2>&1
echo "user namespaces are refused at create"
