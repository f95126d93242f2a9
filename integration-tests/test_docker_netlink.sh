#!/usr/bin/env bash
# docker_run_ip_addr_shows_lo: in a Debian image with iproute2 and python3,
# `ip -4 addr`, `ip link` (also -d and -s), `ip -4 route` (every table),
# `ip route get`, `ip rule`, `ss -ltn` (NETLINK_SOCK_DIAG),
# /proc/net/route and /proc/net/dev, Python's socket.if_nameindex() (glibc's
# netlink dump), if_nametoindex and if_indextoname (SIOCGIF* ioctls) and
# getaddrinfo(AI_ADDRCONFIG) print the same under visor as under runc with
# --network=none (only lo); changing an address is refused as under runc
# without CAP_NET_ADMIN.  IPv6: Docker turns it off in the container's
# network namespace (disable_ipv6), and visor's lo follows (no ::1): `ip -6
# addr` is compared with runc too.  With the default network visor's lo is
# the same.
set -u
. "$(dirname "$0")/lib.sh"
docker_setup
IMAGE=visor-netlink-apps
docker_build_apps "$IMAGE" iproute2 python3

script='
ip -4 addr; ip link; ip -d link; ip -s link; ip route; ip -4 route show table all
python3 -c "import socket,subprocess; l=socket.socket(); l.bind((\"127.0.0.1\", 9077)); l.listen(5); subprocess.run([\"ss\", \"-ltn\"]); subprocess.run([\"ss\", \"-atu\"])" 2>&1
ip route get 127.0.0.1; ip route get 127.255.255.255; ip route get 127.0.0.1 from 127.0.0.1
ip route get 192.0.2.1 2>&1; ip neigh; ip rule
cat /proc/net/route /proc/net/igmp; head -2 /proc/net/dev; grep -c "^ *lo:" /proc/net/dev
ip addr add 10.9.9.9/24 dev lo 2>&1; ip route add 10.0.0.0/8 dev lo 2>&1; ip link set lo mtu 1500 2>&1
python3 -c "
import socket
print(socket.if_nameindex(), socket.if_nametoindex(\"lo\"), socket.if_indextoname(1))
for fam in (socket.AF_UNSPEC, socket.AF_INET):
    try:
        r = socket.getaddrinfo(\"localhost\", 80, fam, socket.SOCK_STREAM, 0, socket.AI_ADDRCONFIG)
        print(fam, sorted(a[4][0] for a in r))
    except socket.gaierror as e:
        print(fam, \"error\", e.errno)
"
'
run() {
	timeout 120 docker run --rm --runtime="$1" "${@:2}" "$IMAGE" bash -c "$script" 2>&1
}
want=$(run runc --network=none) || fail "runc: $want"
got=$(run "$DOCKER_RUNTIME" --network=none) || fail "visor: $got"
echo "$got"
[ "$want" = "$got" ] || fail "outputs differ: $(diff <(echo "$want") <(echo "$got"))"
echo "$got" | grep -q 'inet 127.0.0.1/8 scope host lo' || fail "ip addr does not show lo"
echo "$got" | grep -q "Operation not permitted" || fail "changes are not refused"
want6=$(timeout 120 docker run --rm --runtime=runc --network=none "$IMAGE" ip -6 addr 2>&1)
v6=$(timeout 120 docker run --rm --runtime="$DOCKER_RUNTIME" --network=none "$IMAGE" ip -6 addr 2>&1)
[ "$v6" = "$want6" ] || fail "ip -6 addr: runc [$want6] visor [$v6]"

# The default network: lo as with --network=none.
lo=$(timeout 120 docker run --rm --runtime="$DOCKER_RUNTIME" "$IMAGE" ip -4 addr show lo 2>&1) ||
	fail "ip addr show lo: $lo"
want_lo=$(timeout 120 docker run --rm --runtime=runc --network=none "$IMAGE" ip -4 addr show lo 2>&1)
[ "$lo" = "$want_lo" ] || fail "lo differs with the default network: [$lo] vs [$want_lo]"
exit 0
