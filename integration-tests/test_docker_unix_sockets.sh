#!/usr/bin/env bash
# docker_run_unix_socket_apps: on a Debian image with socat, python3 and
# nodejs, unix sockets behave as under runc: a pipe passed with
# socket.send_fds over sockets bound on the container's root and in a bind
# mount, an asyncio echo server and client, Node.js child processes and a
# net server, two socats relaying between unix sockets, and ss -x / netstat
# -x listing a listening socket.  Then what only visor does: a host unix
# socket inside a bind mount is not reachable (ECONNREFUSED), while a
# socket the container bound there shows on the host as a socket file.
set -u
. "$(dirname "$0")/lib.sh"
docker_setup
docker_import_debian

IMAGE=visor-unix-apps
if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
	printf 'FROM %s\nRUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends socat python3 nodejs iproute2 net-tools >/dev/null && rm -rf /var/lib/apt/lists/*\n' \
		"$DEBIAN_IMAGE" | timeout 900 docker build -q -t "$IMAGE" - >/tmp/visor-unix-apps-build.log 2>&1 ||
		skip "cannot build $IMAGE (see /tmp/visor-unix-apps-build.log)"
fi

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
hostpid=
trap '[ -n "$hostpid" ] && kill "$hostpid" 2>/dev/null; rm -rf "$work"' EXIT
cp "$here"/unix_sockets/* "$work"/
chmod 777 "$work"

run() {
	rm -f "$work"/*.sock
	timeout 300 docker run --rm --runtime="$1" -v "$work:/w" "$IMAGE" /bin/bash /w/apps.sh 2>&1
}
want=$(run runc) || fail "the apps fail under runc: $want"
got=$(run "$DOCKER_RUNTIME") || fail "the apps fail under visor: $got"
echo "$got"
[ "$want" = "$got" ] || fail "outputs differ: runc [$want] visor [$got]"
echo "$got" | grep -q '^/tmp/ss.sock$' || fail "ss -x did not list the socket"
[ -S "$work/bound-in-bind-mount.sock" ] || fail "the socket bound in the bind mount is not a socket file on the host"

# A host socket in a bind mount: runc reaches it, visor refuses.
python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(); time.sleep(300)' \
	"$work/host.sock" &
hostpid=$!
for i in $(seq 50); do [ -S "$work/host.sock" ] && break; sleep 0.1; done
r=$(timeout 120 docker run --rm --runtime=runc -v "$work:/w" "$IMAGE" python3 /w/refused.py /w/host.sock 2>&1)
[ "$r" = "connected" ] || fail "runc does not reach the host socket: $r"
r=$(timeout 120 docker run --rm --runtime="$DOCKER_RUNTIME" -v "$work:/w" "$IMAGE" python3 /w/refused.py /w/host.sock 2>&1)
[ "$r" = "error: Connection refused" ] || fail "visor reached a host socket: $r"
exit 0
