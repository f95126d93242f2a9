#!/usr/bin/env bash
# The container's own interface on Docker's networks (--network=sandbox).
#
# docker_run_eth0_matches_docker_inspect: inside a visor container, eth0's
#   IPv4 address, MAC, MTU and default route are those `docker inspect`
#   reports, `ip -4 addr show eth0` prints the same line as under runc, and
#   /proc/net/dev and /proc/net/route list eth0; the host side of the
#   container's namespace no longer holds the address (the netstack answers
#   for it, not the host kernel).
# visor_create_failing_in_network_setup_leaves_nothing: a namespace holding
#   a link the netstack cannot serve (a tun device) makes `visor create`
#   fail with a clear error, and no visor process, no state and no changed
#   address are left behind; a bogus network namespace path likewise; and
#   a failure injected after the host's addresses were removed
#   (VISOR_TEST_NET_FAIL=after-strip) puts them and their route back.
# With a netstack that speaks Ethernet (ARP): the traffic checks —
#   docker_run_publish_port_answers_curl (-p of busybox httpd),
#   container_reaches_http_server_on_the_bridge (python3 -m http.server on
#   docker0's address, started and stopped here), two containers on a user
#   network talk by IP (visor-visor and visor-runc).
# docker_run_resolves_a_container_by_name_on_a_user_network: nslookup of a
#   container's name answers its address (Docker's DNS at 127.0.0.11), and
#   so does glibc's getent hosts in a Debian container, also beside a UDP
#   server of the container's own on 0.0.0.0:53 (dnsmasq's port).
# a_full_receive_ring_shows_in_rx_dropped: datagrams sent while docker
#   pause froze the Sentry overflow the AF_PACKET receive ring; eth0's
#   rx_dropped in /proc/net/dev counts what the host kernel dropped.
# Addresses used: Docker's own bridges and a namespace this test creates.
set -u
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root"
command -v ip >/dev/null || skip "no ip(8)"

ROOT=$(mktemp -d /tmp/visor-net-root.XXXXXX)
NS=visor-nettest-$$
cids=()
nets=()
srv=""
cleanup() {
	[ -n "$srv" ] && kill "$srv" 2>/dev/null
	local c
	for c in "${cids[@]}"; do docker rm -f "$c" >/dev/null 2>&1; done
	for c in "${nets[@]}"; do docker network rm "$c" >/dev/null 2>&1; done
	ip netns del "$NS" 2>/dev/null
	rm -rf "$ROOT"
}
trap cleanup EXIT

visor_procs() {
	local p n=0
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/exe" 2>/dev/null)" = "$VISOR_BIN" ] && n=$((n + 1))
	done
	echo "$n"
}

# ---- visor_create_failing_in_network_setup_leaves_nothing (no Docker) ----
ip netns add "$NS" || skip "cannot create a network namespace"
ip -n "$NS" link add vt0 type veth peer name vt1 || fail "veth in $NS"
ip -n "$NS" addr add 10.231.0.2/24 dev vt0
ip -n "$NS" link set vt0 up
ip -n "$NS" link set vt1 up
ip -n "$NS" tuntap add dev tun7 mode tun 2>/dev/null || skip "no tun devices here"
B=$ROOT/bundle
make_bundle "$B" /bin/true
python3 - "$B/config.json" "/run/netns/$NS" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["linux"]["namespaces"] = [n if n["type"] != "network" else {"type": "network", "path": sys.argv[2]}
                            for n in c["linux"]["namespaces"]]
json.dump(c, open(p, "w"))
PY
before=$(visor_procs)
out=$("$VISOR" --root="$ROOT/state" create --bundle "$B" netfail 2>&1) &&
	fail "create succeeded with a tun device in the namespace"
echo "$out" | grep -q "tun7 is not an Ethernet link" || fail "unclear error: $out"
[ -z "$(ls -A "$ROOT/state" 2>/dev/null)" ] || fail "state left behind: $(ls -A "$ROOT/state")"
sleep 0.5
[ "$(visor_procs)" = "$before" ] || fail "visor processes left behind"
ip -n "$NS" -4 addr show vt0 | grep -q "inet 10.231.0.2/24" || fail "address changed on failure"
# A bogus namespace path.
sed -i "s|/run/netns/$NS|/run/netns/visor-no-such-ns|" "$B/config.json"
out=$("$VISOR" --root="$ROOT/state" create --bundle "$B" netfail2 2>&1) &&
	fail "create succeeded with a bogus netns path"
echo "$out" | grep -q "network" || fail "unclear error: $out"
[ -z "$(ls -A "$ROOT/state" 2>/dev/null)" ] || fail "state left behind (bogus path)"
[ "$(visor_procs)" = "$before" ] || fail "visor processes left behind (bogus path)"
# A failure after the links went to the Sentry and the host's addresses
# were removed (injected): the addresses and the route come back.
ip -n "$NS" link del tun7
sed -i "s|/run/netns/visor-no-such-ns|/run/netns/$NS|" "$B/config.json"
routes_before=$(ip -n "$NS" -4 route)
out=$(VISOR_TEST_NET_FAIL=after-strip "$VISOR" --root="$ROOT/state" create --bundle "$B" netfail3 2>&1) &&
	fail "create succeeded with an injected network failure"
echo "$out" | grep -q "injected failure" || fail "unclear error: $out"
[ -z "$(ls -A "$ROOT/state" 2>/dev/null)" ] || fail "state left behind (late failure)"
sleep 0.5
[ "$(visor_procs)" = "$before" ] || fail "visor processes left behind (late failure)"
ip -n "$NS" -4 addr show vt0 | grep -q "inet 10.231.0.2/24" || fail "address not restored after a late failure"
[ "$(ip -n "$NS" -4 route)" = "$routes_before" ] || fail "routes not restored: $(ip -n "$NS" -4 route)"
echo "ok: failed creates leave nothing"

# ---- docker_run_eth0_matches_docker_inspect ----
docker_setup
c=$(timeout 60 docker run -d --runtime="$DOCKER_RUNTIME" "$DOCKER_IMAGE" sleep 120) ||
	fail "docker run -d: $c"
cids+=("$c")
ip_=$(docker inspect -f '{{.NetworkSettings.IPAddress}}/{{.NetworkSettings.IPPrefixLen}}' "$c")
mac=$(docker inspect -f '{{.NetworkSettings.MacAddress}}' "$c")
gw=$(docker inspect -f '{{.NetworkSettings.Gateway}}' "$c")
got=$(timeout 30 docker exec "$c" ip -4 addr show eth0) || fail "ip addr: $got"
echo "$got"
echo "$got" | grep -q "inet $ip_ " || fail "eth0 address is not $ip_"
echo "$got" | grep -q "mtu 1500" || fail "eth0 MTU"
gotmac=$(timeout 30 docker exec "$c" cat /sys/class/net/eth0/address 2>/dev/null ||
	timeout 30 docker exec "$c" ip link show eth0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
[ "$gotmac" = "$mac" ] || fail "eth0 MAC $gotmac, docker says $mac"
route=$(timeout 30 docker exec "$c" ip route) || fail "ip route: $route"
echo "$route" | grep -q "^default via $gw dev eth0" || fail "default route: $route"
timeout 30 docker exec "$c" grep -q "^ *eth0:" /proc/net/dev || fail "/proc/net/dev has no eth0"
timeout 30 docker exec "$c" grep -q "^eth0" /proc/net/route || fail "/proc/net/route has no eth0"
# The same line runc prints for its own container's eth0.
rc=$(timeout 60 docker run -d --runtime=runc "$DOCKER_IMAGE" sleep 120) || fail "runc run: $rc"
cids+=("$rc")
rip=$(docker inspect -f '{{.NetworkSettings.IPAddress}}' "$rc")
want=$(docker exec "$rc" ip -4 addr show eth0 | grep inet | sed "s|$rip|ADDR|")
have=$(echo "$got" | grep inet | sed "s|${ip_%/*}|ADDR|")
[ "$want" = "$have" ] || fail "ip -4 addr differs from runc: [$have] vs [$want]"
# The host kernel gave the address up.
key=$(docker inspect -f '{{.NetworkSettings.SandboxKey}}' "$c")
if [ -e "$key" ]; then
	host=$(nsenter --net="$key" ip -4 addr show eth0 2>&1)
	echo "$host" | grep -q "inet " && fail "host side still holds the address: $host"
fi
echo "ok: eth0 matches docker inspect"

# ---- docker_run_resolves_a_container_by_name_on_a_user_network ----
# Docker's embedded DNS at 127.0.0.11, relayed by the Sentry through a
# socket the runtime opened in the container's namespace.
dnet=visor-nettest-dns-$$
docker network create "$dnet" >/dev/null || fail "network create $dnet"
nets+=("$dnet")
named=visor-nettest-srv-$$
c=$(timeout 60 docker run -d --name "$named" --network "$dnet" --runtime=runc "$DOCKER_IMAGE" \
	sleep 120) || fail "runc peer: $c"
cids+=("$c")
pip=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$dnet\").IPAddress}}" "$c")
got=$(timeout 60 docker run --rm --runtime="$DOCKER_RUNTIME" --network "$dnet" "$DOCKER_IMAGE" \
	nslookup "$named" 2>&1) || fail "nslookup $named: $got"
echo "$got" | grep -q "Address: $pip" || fail "nslookup $named did not answer $pip: $got"
echo "ok: a container resolves another by name through 127.0.0.11"
# glibc's resolver (getent, and every program linked to it) sets
# IP_RECVERR on its query socket and gives up when that fails.
docker_import_debian
got=$(timeout 60 docker run --rm --runtime="$DOCKER_RUNTIME" --network "$dnet" "$DEBIAN_IMAGE" \
	getent hosts "$named" 2>&1) || fail "getent hosts $named (glibc): $got"
[ "$got" = "$pip      $named" ] || [ "$(echo "$got" | awk '{print $1, $2}')" = "$pip $named" ] ||
	fail "getent hosts $named answered [$got], not $pip"
echo "ok: glibc's getent hosts resolves a container by name"
# Docker's DNS sits on another port behind a DNAT rule, so a DNS server in
# the container (dnsmasq) binds 0.0.0.0:53 under runc; the Sentry's relay
# of 127.0.0.11:53 must leave that port free and still answer names.
got=$(timeout 60 docker run --rm --runtime="$DOCKER_RUNTIME" --network "$dnet" "$DEBIAN_IMAGE" \
	bash -c 'perl -MIO::Socket::INET -e "
		my \$s = IO::Socket::INET->new(LocalAddr => q(0.0.0.0), LocalPort => 53, Proto => q(udp))
			or die qq(bind 0.0.0.0:53: \$!\n);
		my \$c = IO::Socket::INET->new(PeerAddr => q(127.0.0.1), PeerPort => 53, Proto => q(udp));
		\$c->send(q(ping)); my \$b; \$s->recv(\$b, 16); print qq(port 53 got \$b\n);"
	getent hosts "$1"' _ "$named" 2>&1) || fail "a UDP server on 0.0.0.0:53: $got"
[ "$(echo "$got" | head -1)" = "port 53 got ping" ] &&
	[ "$(echo "$got" | sed -n 2p | awk '{print $1}')" = "$pip" ] ||
	fail "a UDP server on 0.0.0.0:53 beside Docker's DNS: [$got]"
echo "ok: a DNS server binds 0.0.0.0:53 and names still resolve"

# ---- traffic: needs the netstack's Ethernet and ARP ----
if ! grep -aq "ARP_IN" "$VISOR_BIN"; then
	echo "SKIP traffic checks: this build's netstack has no Ethernet/ARP yet"
	exit 0
fi

# docker_run_publish_port_answers_curl
p=$(timeout 60 docker run -d --runtime="$DOCKER_RUNTIME" -p 127.0.0.1:18080:80 "$DOCKER_IMAGE" \
	sh -c 'mkdir -p /www && echo visor-httpd-ok >/www/index.html && httpd -f -p 80 -h /www') ||
	fail "httpd: $p"
cids+=("$p")
ok=""
for i in $(seq 40); do
	r=$(curl -s -m 3 http://127.0.0.1:18080/ 2>/dev/null) && [ "$r" = visor-httpd-ok ] && { ok=1; break; }
	sleep 0.5
done
[ -n "$ok" ] || fail "curl to -p 18080 got no answer"
echo "ok: -p 18080:80 answers curl"

# container_reaches_http_server_on_the_bridge
bridge=$(ip -4 -o addr show docker0 | sed -n 's/.* inet \([0-9.]*\)\/.*/\1/p' | head -1)
[ -n "$bridge" ] || fail "docker0 has no address"
www=$ROOT/www
mkdir -p "$www"
head -c 1000000 /dev/urandom >"$www/blob"
sum=$(md5sum <"$www/blob" | cut -d' ' -f1)
(cd "$www" && exec python3 -m http.server --bind "$bridge" 18081 >/dev/null 2>&1) &
srv=$!
# python3 takes more than a second to listen on a loaded machine: wait for it.
for _ in $(seq 100); do
	ss -ltn "sport = :18081" | grep -q LISTEN && break
	sleep 0.1
done
got=$(timeout 60 docker run --rm --runtime="$DOCKER_RUNTIME" "$DOCKER_IMAGE" \
	sh -c "wget -q -O - http://$bridge:18081/blob | md5sum" 2>&1) || fail "wget from the bridge: $got"
[ "${got%% *}" = "$sum" ] || fail "download corrupted: $got vs $sum"
kill "$srv"
srv=""
echo "ok: container downloads from the host's bridge address"

# two containers on a user network, by IP: visor-visor and visor-runc
net=visor-nettest-$$
docker network create "$net" >/dev/null || fail "network create"
nets+=("$net")
s=$(timeout 60 docker run -d --runtime="$DOCKER_RUNTIME" --network "$net" "$DOCKER_IMAGE" \
	sh -c 'mkdir -p /www && echo peer-ok >/www/index.html && httpd -f -p 80 -h /www') || fail "server: $s"
cids+=("$s")
sip=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$net\").IPAddress}}" "$s")
for rt in "$DOCKER_RUNTIME" runc; do
	got=""
	for i in $(seq 10); do
		# nc, not wget: the static busybox's wget crashes on user
		# networks under runc as well.
		got=$(timeout 30 docker run --rm --runtime="$rt" --network "$net" "$DOCKER_IMAGE" \
			sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 5 $sip 80 | tail -1" 2>&1) &&
			[ "$got" = peer-ok ] && break
		sleep 0.5
	done
	[ "$got" = peer-ok ] || fail "$rt client to visor server $sip: $got"
done
echo "ok: containers on a user network talk by IP"

# ---- a_full_receive_ring_shows_in_rx_dropped ----
# docker pause freezes the Sentry with the rest of the sandbox; datagrams
# sent to the container meanwhile fill the AF_PACKET receive ring and the
# host kernel drops the rest.  After resume, the interface's rx_dropped
# (/proc/net/dev, as Linux's) counts those drops: an operator sees them.
c=$(timeout 60 docker run -d --runtime="$DOCKER_RUNTIME" "$DOCKER_IMAGE" sleep 120) ||
	fail "docker run -d: $c"
cids+=("$c")
cip=$(docker inspect -f '{{.NetworkSettings.IPAddress}}' "$c")
rx_dropped() { # the drop column of eth0's receive side
	timeout 30 docker exec "$c" cat /proc/net/dev | awk '$1 == "eth0:" { print $5 }'
}
udp_to_ctr() { # $1 datagrams of 512 bytes to the container's discard port
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[2])):
    s.sendto(b"x" * 512, (sys.argv[1], 9))' "$cip" "$1"
}
udp_to_ctr 1 || fail "udp to $cip"
sleep 1 # the host learns the container's MAC before the Sentry freezes
d0=$(rx_dropped)
[ -n "$d0" ] || fail "no eth0 line in /proc/net/dev"
timeout 30 docker pause "$c" >/dev/null || fail "docker pause"
udp_to_ctr 3000 || fail "udp flood"
timeout 30 docker unpause "$c" >/dev/null || fail "docker unpause"
# The kernel flags its losses on the next frame it fills after them.
sleep 0.5
udp_to_ctr 3
sleep 0.5
d1=$(rx_dropped)
echo "eth0 rx_dropped: $d0 -> $d1"
[ "$d1" -gt "$d0" ] || fail "a full receive ring's drops are not counted ($d0 -> $d1)"
echo "ok: receive ring drops show in rx_dropped"
exit 0
