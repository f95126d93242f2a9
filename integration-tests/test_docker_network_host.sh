#!/usr/bin/env bash
# --network=host (runsc's name, in the runtime's runtimeArgs): the app's
# AF_INET/AF_INET6 sockets are host sockets the Sentry opens in the host's
# namespace (sentry/socket/hostinet.c).
#
# visor_do_host_sockets_match_native: a Python program (TCP listen, connect
#   blocking and not, SO_ERROR, 100 kB of data, TCP_NODELAY, EOF, UDP over
#   ::1, a refused connect) prints the same under `visor --network=host do`
#   as natively.
# docker_run_network_host_server_answers_the_host: busybox httpd in a
#   container run with --network=host listens on a 127.0.0.1 port that curl
#   on the host reaches, as under runc; `visor state` and `visor list` show
#   the mode "host".
# docker_run_network_host_reaches_a_host_server: a container downloads a
#   file from a server on the host's 127.0.0.1 (checksum intact), as runc.
# Addresses used: the host's loopback only.
set -u
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root"
command -v python3 >/dev/null || skip "no python3"
command -v curl >/dev/null || skip "no curl"

ROOT=$(mktemp -d /tmp/visor-nethost.XXXXXX)
cids=()
srv=""
HOST_RT="${DOCKER_RUNTIME}-hostnet"
cleanup() {
	[ -n "$srv" ] && kill "$srv" 2>/dev/null
	local c
	for c in "${cids[@]}"; do docker rm -f "$c" >/dev/null 2>&1; done
	rm -rf "$ROOT"
}
trap cleanup EXIT

# ---- visor_do_host_sockets_match_native (no Docker) ----
cat >"$ROOT/check.py" <<'EOF'
import socket, select, errno
out = []
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(8); port = s.getsockname()[1]
c = socket.socket(); c.setblocking(False)
r = c.connect_ex(("127.0.0.1", port))
out.append("connect_ex %s" % ("ok" if r == 0 else errno.errorcode.get(r, r)))
p = select.poll(); p.register(c, select.POLLOUT); p.poll(2000)
out.append("so_error %d" % c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR))
a, _ = s.accept(); c.setblocking(True)
c.sendall(b"x" * 100000); got = 0
while got < 100000: got += len(a.recv(65536))
out.append("tcp bytes %d" % got)
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
out.append("nodelay %d" % c.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
a.close(); out.append("eof %r" % c.recv(10)); c.close(); s.close()
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u.bind(("::1", 0))
v = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); v.sendto(b"ping6", u.getsockname())
d, src = u.recvfrom(100); out.append("udp6 %r from ::1 %s" % (d, src[0] == "::1"))
k = socket.socket()
try: k.connect(("127.0.0.1", 1))
except OSError as e: out.append("refused %s" % errno.errorcode[e.errno])
print("\n".join(out))
EOF
want=$(python3 "$ROOT/check.py" 2>&1) || fail "natively: $want"
have=$(timeout 60 "$VISOR" --network=host do python3 "$ROOT/check.py" 2>&1) ||
	fail "under visor --network=host: $have"
[ "$have" = "$want" ] || fail "visor --network=host differs from native:
--- native
$want
--- visor
$have"
echo "ok: visor --network=host do: sockets as native"

# ---- Docker ----
docker_setup
# A runtime of our own whose runtimeArgs hold --network=host.
args=(--network=host)
[ -n "${VISOR_TEST_PLATFORM:-}" ] && args+=(--platform="$VISOR_TEST_PLATFORM")
python3 - "$VISOR_BIN" "$HOST_RT" "${args[@]}" <<'PY'
import json, os, sys
p = "/etc/docker/daemon.json"
d = json.load(open(p)) if os.path.exists(p) and os.path.getsize(p) > 0 else {}
d.setdefault("runtimes", {})[sys.argv[2]] = {"path": sys.argv[1], "runtimeArgs": sys.argv[3:]}
tmp = p + ".tmp"
with open(tmp, "w") as f:
    json.dump(d, f, indent=2)
    f.write("\n")
os.rename(tmp, p)
PY
pid=$(pidof dockerd 2>/dev/null | awk '{print $1}')
[ -n "$pid" ] && kill -HUP "$pid"
for i in $(seq 20); do
	docker info 2>/dev/null | grep -q "$HOST_RT" && break
	sleep 0.5
done
docker info 2>/dev/null | grep -q "$HOST_RT" || fail "dockerd did not pick up $HOST_RT"

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# docker_run_network_host_server_answers_the_host
for rt in runc "$HOST_RT"; do
	port=$(free_port)
	c=$(timeout 60 docker run -d --runtime="$rt" --network=host "$DOCKER_IMAGE" \
		sh -c "mkdir -p /www && echo hostnet-ok-$rt >/www/index.html && httpd -f -p 127.0.0.1:$port -h /www") ||
		fail "$rt: httpd: $c"
	cids+=("$c")
	ok=""
	for i in $(seq 40); do
		r=$(curl -s -m 3 "http://127.0.0.1:$port/" 2>/dev/null) && [ "$r" = "hostnet-ok-$rt" ] &&
			{ ok=1; break; }
		sleep 0.5
	done
	[ -n "$ok" ] || fail "$rt: curl to 127.0.0.1:$port got no answer"
	# The listener is the host kernel's: ss on the host sees it.
	ss -ltn 2>/dev/null | grep -q "127.0.0.1:$port " || fail "$rt: no host listener on $port"
	if [ "$rt" = "$HOST_RT" ]; then
		id=$(docker inspect -f '{{.Id}}' "$c")
		st=""
		for r in /run/docker/runtime-runc/moby /var/run/docker/runtime-runc/moby \
			/run/containerd/runc/moby; do
			[ -d "$r/$id" ] && st=$("$VISOR" --root="$r" state "$id" 2>&1) &&
				ls_=$("$VISOR" --root="$r" list 2>&1) && break
		done
		[ -n "$st" ] || fail "no state for $id"
		echo "$st" | grep -q '"network": *"host"' || fail "visor state does not say host: $st"
		echo "$ls_" | grep "${id:0:12}" | grep -qw host || fail "visor list does not say host: $ls_"
	fi
	docker rm -f "$c" >/dev/null
done
echo "ok: --network=host: a container's server answers curl on the host's 127.0.0.1 (as runc)"

# docker_run_network_host_reaches_a_host_server
www=$ROOT/www
mkdir -p "$www"
head -c 2000000 /dev/urandom >"$www/blob"
sum=$(md5sum <"$www/blob" | cut -d' ' -f1)
port=$(free_port)
(cd "$www" && exec python3 -m http.server --bind 127.0.0.1 "$port" >/dev/null 2>&1) &
srv=$!
for i in $(seq 20); do curl -s -m 1 -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.3; done
for rt in runc "$HOST_RT"; do
	got=$(timeout 60 docker run --rm --runtime="$rt" --network=host "$DOCKER_IMAGE" \
		sh -c "wget -q -O - http://127.0.0.1:$port/blob | md5sum" 2>&1) ||
		fail "$rt: wget from the host: $got"
	[ "${got%% *}" = "$sum" ] || fail "$rt: download corrupted: $got vs $sum"
done
kill "$srv"
srv=""
echo "ok: --network=host: a container downloads from a host server on 127.0.0.1 (as runc)"
exit 0
