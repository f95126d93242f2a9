#!/usr/bin/env bash
# A user registers visor with Docker: `visor install` / `visor uninstall` on a
# temp daemon.json, driving the real binary.  Other keys and runtimes survive
# byte-for-byte in meaning (checked with python3's json when present, with
# grep otherwise), a second install changes nothing, a broken file is left
# alone with a one-line error, and --reload without a dockerd still succeeds.
set -u
fail() { echo "FAIL: $*"; exit 1; }
[ -x "${VISOR:-}" ] || { echo "SKIP: \$VISOR ($VISOR) is not built"; exit 77; }

tmp=$(mktemp -d /tmp/visor-install-it.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cfg=$tmp/etc/docker/daemon.json
self=$(readlink -f "$VISOR")

# 1. No file, no directory: install creates both, 0644, no backup.
out=$("$VISOR" install --config="$cfg" -- --platform=systrap) || fail "install on absent file: $out"
[ -f "$cfg" ] || fail "daemon.json not created"
[ "$(stat -c %a "$cfg")" = 644 ] || fail "mode $(stat -c %a "$cfg"), want 644"
[ ! -e "$cfg.bak" ] || fail "backup made although there was no file"
grep -q "\"path\": \"$self\"" "$cfg" || fail "path is not the binary: $(cat "$cfg")"
grep -q '"--platform=systrap"' "$cfg" || fail "runtimeArgs missing: $(cat "$cfg")"
[ "$(tail -c1 "$cfg" | od -An -c | tr -d ' ')" = '\n' ] || fail "no final newline"

# 2. An existing file with other keys and runtimes, odd numbers, unicode.
cat >"$cfg" <<'EOF'
{"log-level":"warn","ratio":1.50,"big":12345678901234567890,"flags":[true,false,null],
 "nested":{"a":{"b":[1,{"c":"caf\u00e9 \"q\" \\"}]}},
 "runtimes":{"nvidia":{"path":"/usr/bin/nvidia-container-runtime","runtimeArgs":[]}},
 "default-runtime":"runc"}
EOF
chmod 600 "$cfg"
cp "$cfg" "$tmp/orig.json"
"$VISOR" install --config "$cfg" --runtime visor-debug --path /usr/bin/visor \
	-- --debug --debug-log=/var/log/visor/%ID%.log --strace >/dev/null || fail "install into existing"
cmp -s "$cfg.bak" "$tmp/orig.json" || fail "backup does not hold the previous file"
[ "$(stat -c %a "$cfg")" = 600 ] || fail "mode not kept: $(stat -c %a "$cfg")"
grep -q '"ratio": 1.50,' "$cfg" || fail "1.50 re-spelled: $(cat "$cfg")"
grep -q '12345678901234567890' "$cfg" || fail "big integer lost"
if command -v python3 >/dev/null; then
	python3 - "$tmp/orig.json" "$cfg" <<'EOF' || fail "other keys changed"
import json, sys
a = json.load(open(sys.argv[1]), object_pairs_hook=lambda p: p)
b = json.load(open(sys.argv[2]), object_pairs_hook=lambda p: p)
da, db = dict(a), dict(b)
assert [k for k, _ in a] == [k for k, _ in b], "key order"
for k in da:
    if k != "runtimes":
        assert da[k] == db[k], k
ra, rb = dict(da["runtimes"]), dict(db["runtimes"])
assert ra["nvidia"] == rb["nvidia"]
v = dict(rb["visor-debug"])
assert v["path"] == "/usr/bin/visor", v
assert v["runtimeArgs"] == ["--debug", "--debug-log=/var/log/visor/%ID%.log", "--strace"], v
EOF
fi

# 3. Idempotent: the same install again leaves the file and backup alone.
sum=$(md5sum <"$cfg")
ino=$(stat -c %i "$cfg")
baksum=$(md5sum <"$cfg.bak")
out=$("$VISOR" install --config "$cfg" --runtime visor-debug --path /usr/bin/visor \
	-- --debug --debug-log=/var/log/visor/%ID%.log --strace) || fail "second install"
echo "$out" | grep -q 'already registered' || fail "second install said: $out"
[ "$(md5sum <"$cfg")" = "$sum" ] || fail "second install changed the file"
[ "$(stat -c %i "$cfg")" = "$ino" ] || fail "second install rewrote the file"
[ "$(md5sum <"$cfg.bak")" = "$baksum" ] || fail "second install made a new backup"

# 4. Uninstall removes only that runtime; twice is fine.
"$VISOR" uninstall --config "$cfg" --runtime=visor-debug >/dev/null || fail "uninstall"
grep -q visor-debug "$cfg" && fail "runtime still there: $(cat "$cfg")"
grep -q '"nvidia"' "$cfg" || fail "other runtime lost"
grep -q '"default-runtime": "runc"' "$cfg" || fail "other key lost"
out=$("$VISOR" uninstall --config "$cfg" --runtime=visor-debug) || fail "second uninstall failed"
echo "$out" | grep -q 'nothing to do' || fail "second uninstall said: $out"
"$VISOR" uninstall --config "$tmp/none/daemon.json" >/dev/null || fail "uninstall on absent file"
[ ! -e "$tmp/none" ] || fail "uninstall created a directory"

# 5. Broken files: one-line error naming the file, exit 1, nothing touched.
for bad in '{"runtimes": {' '[1,2]' '{"runtimes": "visor"}' '{"runtimes": {"visor": 3}}' \
	'{"a": 1, // comment
}'; do
	printf '%s' "$bad" >"$cfg"
	ls -la --time-style=full-iso "$(dirname "$cfg")" >"$tmp/before"
	for cmd in install uninstall; do
		err=$("$VISOR" $cmd --config "$cfg" 2>&1 >/dev/null)
		st=$?
		[ $st -eq 1 ] || fail "$cmd on '$bad' exited $st"
		[ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] || fail "error is not one line: $err"
		case $err in *"$cfg"*) ;; *) fail "error does not name the file: $err" ;; esac
		[ "$(cat "$cfg")" = "$bad" ] || fail "$cmd changed the broken file"
		ls -la --time-style=full-iso "$(dirname "$cfg")" >"$tmp/after"
		cmp -s "$tmp/before" "$tmp/after" || fail "$cmd touched the directory: $(diff "$tmp/before" "$tmp/after")"
	done
done

# 6. Empty file counts as {}; --reload with no dockerd around notes it, exits 0.
: >"$cfg"
if pgrep -x dockerd >/dev/null 2>&1; then
	reload=""   # a real dockerd here: do not poke it from a test on a temp config
else
	reload="--reload"
fi
out=$("$VISOR" install --config "$cfg" $reload 2>&1) || fail "install into empty file: $out"
grep -q '"visor"' "$cfg" || fail "empty file not treated as {}"
if [ -n "$reload" ]; then
	echo "$out" | grep -qi 'no running dockerd' || fail "--reload did not say there is no dockerd: $out"
fi

# 7. The examples in docker/ are exactly what visor install writes.
ex=$(cd "$(dirname "$0")/.." && pwd)/docker
for plat in ptrace systrap kvm; do
	: >"$tmp/ex.json"
	"$VISOR" install --config "$tmp/ex.json" --path /usr/bin/visor -- --platform=$plat >/dev/null ||
		fail "install --platform=$plat"
	cmp -s "$tmp/ex.json" "$ex/daemon-$plat.json" || fail "docker/daemon-$plat.json differs: $(diff "$tmp/ex.json" "$ex/daemon-$plat.json")"
done
printf '{"log-level": "warn"}' >"$tmp/ex.json"
"$VISOR" install --config "$tmp/ex.json" --path /usr/bin/visor -- --platform=systrap >/dev/null &&
"$VISOR" install --config "$tmp/ex.json" --path /usr/bin/visor --runtime=visor-ptrace -- --platform=ptrace >/dev/null &&
"$VISOR" install --config "$tmp/ex.json" --path /usr/bin/visor --runtime=visor-debug -- \
	--debug --debug-log=/var/log/visor/%ID%.log --strace >/dev/null || fail "multi install"
cmp -s "$tmp/ex.json" "$ex/daemon-multi.json" || fail "docker/daemon-multi.json differs: $(diff "$tmp/ex.json" "$ex/daemon-multi.json")"

# 8. Misuse is refused.
"$VISOR" install --config "$cfg" --platform=kvm >/dev/null 2>&1 && fail "option before -- accepted"
"$VISOR" install --config "$cfg" --runtime=runc >/dev/null 2>&1 && fail "runtime name runc accepted"
exit 0
