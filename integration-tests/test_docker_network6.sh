#!/usr/bin/env bash
# IPv6 on a Docker network created with --ipv6 (a ULA subnet of its own),
# served by the Sentry's netstack (--network=sandbox).
#
# docker_run_ipv6_addresses_match_docker_inspect: eth0 holds the address
#   `docker inspect` gives (scope global) and a link-local fe80:: one (scope
#   link), the default IPv6 route goes via the network's gateway, as under
#   runc (`ip -6 addr` lines compared with runc's, addresses masked and DAD's
#   transient flags, which runc's fresh link shows, dropped).
# two_containers_talk_over_ipv6_by_address_and_name: busybox httpd in a visor
#   container answers a visor and a runc client at its IPv6 address, and at
#   the AAAA address Docker's DNS gives for its name.
# container_reaches_a_host_server_on_the_ipv6_gateway: python3's
#   http.server bound to the bridge's IPv6 address serves a 1 MB file to a
#   visor container (checksum intact).
# Addresses used: a Docker network this test creates (fd00:dead:beef:N::/64).
set -u
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root"
command -v python3 >/dev/null || skip "no python3"
docker_setup

ROOT=$(mktemp -d /tmp/visor-net6.XXXXXX)
cids=()
net=visor-net6-$$
srv=""
cleanup() {
	[ -n "$srv" ] && kill "$srv" 2>/dev/null
	local c
	for c in "${cids[@]}"; do docker rm -f "$c" >/dev/null 2>&1; done
	docker network rm "$net" >/dev/null 2>&1
	rm -rf "$ROOT"
}
trap cleanup EXIT

sub=$(printf 'fd00:dead:beef:%x::' $(($$ % 65536)))
docker network create --ipv6 --subnet "${sub}/64" "$net" >/dev/null ||
	skip "docker network create --ipv6 failed (IPv6 off here?)"

ipv6_of() {
	docker inspect -f "{{(index .NetworkSettings.Networks \"$net\").GlobalIPv6Address}}" "$1"
}

# ---- docker_run_ipv6_addresses_match_docker_inspect ----
show() {
	# ip -6 addr/route of eth0, the container's own addresses masked.
	timeout 60 docker run --rm --runtime="$1" --network "$net" "$DOCKER_IMAGE" sh -c \
		'ip -6 addr show dev eth0; ip -6 route' 2>&1 |
		sed -e "s|${sub}[0-9a-f]*/64|ULA/64|" -e 's|fe80::[0-9a-f:]*/64|LL/64|' \
			-e 's/ metric [0-9]*//' -e 's/ *$//' -e '/valid_lft/d' -e '/proto/s/proto [a-z]* //' \
			-e 's/ tentative//' -e 's/ flags [0-9a-f]*//' |
		grep -v '^ *$' | sort
}
mine=$(show "$DOCKER_RUNTIME")
theirs=$(show runc)
echo "$mine"
echo "$mine" | grep -q "inet6 ULA/64 scope global" || fail "no global IPv6 address: $mine"
echo "$mine" | grep -q "inet6 LL/64 scope link" || fail "no link-local address: $mine"
echo "$mine" | grep -q "^default via ${sub}1 dev eth0" || fail "no IPv6 default route: $mine"
[ "$(echo "$mine" | grep inet6)" = "$(echo "$theirs" | grep inet6)" ] ||
	fail "ip -6 addr differs from runc: [$mine] vs [$theirs]"
echo "ok: IPv6 addresses and routes as docker inspect and runc"

# ---- two_containers_talk_over_ipv6_by_address_and_name ----
name=visor-net6-srv-$$
s=$(timeout 60 docker run -d --name "$name" --runtime="$DOCKER_RUNTIME" --network "$net" \
	"$DOCKER_IMAGE" sh -c 'mkdir -p /www && echo v6-ok >/www/index.html && httpd -f -p [::]:80 -h /www') ||
	fail "server: $s"
cids+=("$s")
sip=$(ipv6_of "$s")
[ -n "$sip" ] || fail "the server has no IPv6 address"
for rt in "$DOCKER_RUNTIME" runc; do
	got=""
	for i in $(seq 10); do
		got=$(timeout 30 docker run --rm --runtime="$rt" --network "$net" "$DOCKER_IMAGE" \
			sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 5 $sip 80 | tail -1" 2>&1) &&
			[ "$got" = v6-ok ] && break
		sleep 0.5
	done
	[ "$got" = v6-ok ] || fail "$rt client to [$sip]:80: $got"
done
echo "ok: visor and runc clients reach a visor server at [$sip]:80"
got=$(timeout 60 docker run --rm --runtime="$DOCKER_RUNTIME" --network "$net" "$DOCKER_IMAGE" sh -c \
	"a=\$(nslookup -type=AAAA $name 2>/dev/null | sed -n 's/^Address: *\($sub[0-9a-f:]*\)\$/\1/p' | head -1);
	 echo \"aaaa=\$a\"; printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 5 \$a 80 | tail -1" 2>&1) ||
	fail "by name: $got"
echo "$got"
echo "$got" | grep -q "^aaaa=$sip\$" || fail "AAAA of $name is not $sip: $got"
[ "$(echo "$got" | tail -1)" = v6-ok ] || fail "no answer at the name's AAAA: $got"
echo "ok: a container resolves another's AAAA by name and talks to it"

# ---- container_reaches_a_host_server_on_the_ipv6_gateway ----
gw=${sub}1
br=br-$(docker network inspect -f '{{.Id}}' "$net" | cut -c1-12)
ip -6 addr show dev "$br" | grep -q "inet6 $gw/" || fail "bridge $br does not hold $gw"
www=$ROOT/www
mkdir -p "$www"
head -c 1000000 /dev/urandom >"$www/blob"
sum=$(md5sum <"$www/blob" | cut -d' ' -f1)
(cd "$www" && exec python3 -m http.server --bind "$gw" 18086 >/dev/null 2>&1) &
srv=$!
sleep 1
got=$(timeout 60 docker run --rm --runtime="$DOCKER_RUNTIME" --network "$net" "$DOCKER_IMAGE" \
	sh -c "wget -q -O - http://[$gw]:18086/blob | md5sum" 2>&1) || fail "wget from [$gw]: $got"
[ "${got%% *}" = "$sum" ] || fail "download corrupted: $got vs $sum"
kill "$srv"
srv=""
echo "ok: a container downloads from the host at the network's IPv6 gateway"
exit 0
