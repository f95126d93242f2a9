#!/usr/bin/env bash
# oci_masked_paths_hide_what_exists: linux.maskedPaths cover an existing
# directory with an empty read-only one and an existing file with an empty
# read-only file; a path that does not exist is skipped, not an error.
set -u
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (namespaces)"
T=$(mktemp -d /tmp/visor-masked-XXXXXX)
trap 'rm -rf "$T"' EXIT
make_bundle "$T/b" /bin/sh -c 'ls -A /secretdir | wc -l; cat /secret.txt | wc -c; echo x > /secret.txt || echo write-refused; touch /secretdir/y || echo create-refused; ls /open/f'
mkdir -p "$T/b/rootfs/secretdir" "$T/b/rootfs/open"
echo hidden >"$T/b/rootfs/secretdir/a"
echo hidden >"$T/b/rootfs/secret.txt"
echo visible >"$T/b/rootfs/open/f"
python3 - "$T/b/config.json" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["root"]["readonly"] = False
c["linux"]["maskedPaths"] = ["/secretdir", "/secret.txt", "/does/not/exist"]
json.dump(c, open(p, "w"), indent=2)
PY
out=$(timeout 60 "$VISOR" --root "$T/state" run --bundle "$T/b" masked-$$ 2>&1) || fail "run: $out"
want=$(printf '0\n0\nwrite-refused\ncreate-refused\n/open/f')
echo "$out" | grep -v 'can.t create\|Read-only\|No such' | tr -d ' ' >"$T/got"
[ "$(cat "$T/got")" = "$(echo "$want" | tr -d ' ')" ] || fail "masked paths: $out"
[ "$(cat "$T/b/rootfs/secret.txt")" = hidden ] || fail "the masked file was changed"
exit 0
