#!/usr/bin/env bash
# package_install_registers_runtime_with_docker: apt-get install of the .deb
# registers runtimes.visor with the running dockerd (docker info lists it and
# a busybox container runs under it); a second runtime with other runtimeArgs
# (--strace --debug-log=...%ID%) visibly takes effect; apt-get purge removes
# runtimes.visor and keeps every other key of daemon.json.
#
# It installs and purges a system package, so it runs where that is
# expected: in CI (CI=true) or with VISOR_TEST_SYSTEM_INSTALL=1.
set -u
cd "$(dirname "$0")/.."
. integration-tests/lib.sh
if [ "${CI:-}" != true ] && [ "${VISOR_TEST_SYSTEM_INSTALL:-0}" != 1 ]; then
	skip "installs a system package: runs in CI or with VISOR_TEST_SYSTEM_INSTALL=1"
fi
command -v dpkg-buildpackage >/dev/null || skip "needs dpkg-dev/debhelper (apt-get install debhelper)"
if dpkg -s visor >/dev/null 2>&1; then
	fail "a visor package is already installed; refusing to replace it"
fi
docker_setup

cfg=/etc/docker/daemon.json
orig=$(mktemp)
cp -a "$cfg" "$orig"
logdir=$(mktemp -d)
restore() {
	apt-get purge -y -qq visor >/dev/null 2>&1
	cp -a "$orig" "$cfg"
	rm -f "$orig" "$cfg.bak"
	rm -rf "$logdir"
	kill -HUP "$(cat /var/run/docker.pid)" 2>/dev/null
}
trap restore EXIT

# A key of the user's that must survive install and purge.
python3 - "$cfg" <<'PY'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
d["labels"] = ["visor.test=keep"]
json.dump(d, open(p, "w"), indent=2)
PY
kill -HUP "$(cat /var/run/docker.pid)"

make -s deb >/tmp/visor-make-deb.log 2>&1 || fail "make deb (see /tmp/visor-make-deb.log)"
deb=$(ls build/visor_*_amd64.deb | head -1)
apt-get install -y -qq "./$deb" >/tmp/visor-apt-install.log 2>&1 || fail "apt-get install ./$deb"
[ -x /usr/bin/visor ] || fail "/usr/bin/visor not installed"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); r=d["runtimes"]["visor"]; assert r["path"]=="/usr/bin/visor", r; assert d["labels"]==["visor.test=keep"]' "$cfg" ||
	fail "postinst did not register runtimes.visor: $(cat $cfg)"
sleep 1
docker info 2>/dev/null | grep -q ' visor' || fail "docker info does not list the visor runtime"
out=$(timeout 60 docker run --rm --runtime=visor "$DOCKER_IMAGE" echo installed-and-running) ||
	fail "docker run --runtime=visor: $out"
[ "$out" = installed-and-running ] || fail "docker run printed: $out"

# A second runtime whose runtimeArgs turn on --strace into a per-container
# debug log: the log appearing, with syscalls in it, proves they took effect.
/usr/bin/visor install --runtime=visor-strace --reload -- --strace "--debug-log=$logdir/%ID%.log" ||
	fail "visor install --runtime=visor-strace"
sleep 1
docker info 2>/dev/null | grep -q 'visor-strace' || fail "docker info does not list visor-strace"
id=$(timeout 60 docker run -d --runtime=visor-strace "$DOCKER_IMAGE" echo traced) || fail "run visor-strace"
timeout 60 docker wait "$id" >/dev/null
docker rm "$id" >/dev/null
log="$logdir/$id.log"
[ -s "$log" ] || fail "no debug log $log: $(ls "$logdir")"
grep -q 'platform systrap' "$log" || fail "the debug log does not name the platform"
grep -qE 'write\(1, 0x[0-9a-f]+, 7\) = 7' "$log" || fail "no strace line for echo's write in $log"
# The first runtime still runs without them.
[ "$(ls "$logdir" | wc -l)" = 1 ] || fail "unexpected logs: $(ls "$logdir")"

apt-get purge -y -qq visor >/tmp/visor-apt-purge.log 2>&1 || fail "apt-get purge visor"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert "visor" not in d.get("runtimes",{}), d; assert d["labels"]==["visor.test=keep"], d; assert "visor-strace" in d["runtimes"], d; assert "'"$DOCKER_RUNTIME"'" in d["runtimes"], d' "$cfg" ||
	fail "purge did not keep the other keys: $(cat $cfg)"
exit 0
