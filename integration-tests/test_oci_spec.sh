#!/usr/bin/env bash
# A user runs `visor spec` in a bundle directory: it writes a config.json
# that is valid JSON with the standard defaults; running it again refuses to
# overwrite; `visor spec --rootless` and `visor features` print valid JSON.
set -u
fail() { echo "FAIL: $*"; exit 1; }
command -v python3 >/dev/null || { echo "SKIP: python3 is needed to check JSON"; exit 77; }

dir=$(mktemp -d /tmp/visor-spec-test.XXXXXX) || fail "mktemp"
trap 'rm -rf "$dir"' EXIT

# spec in the current directory (no --bundle)
(cd "$dir" && "$VISOR" spec) || fail "visor spec exited non-zero"
[ -f "$dir/config.json" ] || fail "no config.json written"
python3 -m json.tool "$dir/config.json" >/dev/null || fail "config.json is not valid JSON"
python3 - "$dir/config.json" <<'EOF' || fail "config.json content"
import json, sys
c = json.load(open(sys.argv[1]))
assert c["ociVersion"] == "1.1.0", c["ociVersion"]
p = c["process"]
assert p["args"] == ["sh"] and p["terminal"] is True and p["cwd"] == "/", p
assert c["root"] == {"path": "rootfs", "readonly": True}, c["root"]
dsts = [m["destination"] for m in c["mounts"]]
for d in ["/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys"]:
    assert d in dsts, (d, dsts)
ns = sorted(n["type"] for n in c["linux"]["namespaces"])
assert ns == ["ipc", "mount", "network", "pid", "uts"], ns
assert "/proc/kcore" in c["linux"]["maskedPaths"]
assert "/proc/sys" in c["linux"]["readonlyPaths"]
EOF

# a second spec refuses to overwrite, says why, and leaves the file intact
sum=$(md5sum <"$dir/config.json")
err=$("$VISOR" spec --bundle "$dir" 2>&1) && fail "second spec succeeded"
echo "$err" | grep -q "already exists" || fail "message: $err"
[ "$(md5sum <"$dir/config.json")" = "$sum" ] || fail "config.json was modified"

# --rootless into another bundle, with --bundle=DIR
mkdir "$dir/rl"
"$VISOR" spec --rootless --bundle="$dir/rl" || fail "spec --rootless"
python3 - "$dir/rl/config.json" "$(id -u)" <<'EOF' || fail "rootless config.json content"
import json, sys
c = json.load(open(sys.argv[1]))
ns = [n["type"] for n in c["linux"]["namespaces"]]
assert "user" in ns and "network" not in ns, ns
assert c["linux"]["uidMappings"][0]["hostID"] == int(sys.argv[2])
EOF

# a bad argument is an error
"$VISOR" spec --bundle "$dir/does-not-exist" 2>/dev/null && fail "spec into a missing dir succeeded"
"$VISOR" spec --bogus 2>/dev/null && fail "spec accepted --bogus"

# features
out=$("$VISOR" features) || fail "visor features exited non-zero"
echo "$out" | python3 -m json.tool >/dev/null || fail "features is not valid JSON: $out"
echo "$out" | python3 -c '
import json, sys
f = json.load(sys.stdin)
assert f["ociVersionMin"] == "1.0.0" and f["ociVersionMax"] == "1.1.0"
assert f["hooks"] == []
assert "rbind" in f["mountOptions"] and "ro" in f["mountOptions"]
assert "pid" in f["linux"]["namespaces"]
assert "CAP_SYS_ADMIN" in f["linux"]["capabilities"]
assert f["annotations"]["io.github.visor.platforms"] == "ptrace,systrap"
' || fail "features content: $out"
exit 0
