#!/usr/bin/env bash
# docker_run_100mib_over_a_lossy_veth: a container under visor on a user
# network receives 100 MiB over TCP from the host, then sends 100 MiB back,
# with `tc qdisc ... netem delay 1ms loss 2% reorder 5% duplicate 1%` on the
# host end of its veth (found through the container's eth0@ifN).  The data
# the host sends is lost, reordered and duplicated on its way in; on the way
# out, the host's ACKs are.  sha256 intact both ways, each within
# NETEM_SECONDS (default 120).
# A kernel without sch_netem (and without tc classifiers) gets the nearest
# iptables can do instead, for the container's address only: 2% of what it
# sends dropped on the host's INPUT (real losses the netstack must
# retransmit), 2% of what the host sends to it dropped on OUTPUT, and 1%
# duplicated towards it (TEE); no reordering then.
# Addresses used: a Docker network this test creates.
set -u
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root"
command -v tc >/dev/null || skip "no tc"
command -v python3 >/dev/null || skip "no python3"
docker_setup

LIMIT=${NETEM_SECONDS:-120}
MIB=${NETEM_MIB:-100}
ROOT=$(mktemp -d /tmp/visor-netem.XXXXXX)
cids=()
net=visor-netem-$$
veth=""
ipt=()
cleanup() {
	[ -n "$veth" ] && tc qdisc del dev "$veth" root 2>/dev/null
	local r
	for r in "${ipt[@]}"; do eval "iptables -t mangle -D $r" 2>/dev/null; done
	local c
	for c in "${cids[@]}"; do docker rm -f "$c" >/dev/null 2>&1; done
	docker network rm "$net" >/dev/null 2>&1
	rm -rf "$ROOT"
}
trap cleanup EXIT

docker network create "$net" >/dev/null || fail "network create $net"
head -c $((MIB * 1048576)) /dev/urandom >"$ROOT/blob"
want=$(sha256sum <"$ROOT/blob" | cut -d' ' -f1)

c=$(timeout 60 docker run -d --runtime="$DOCKER_RUNTIME" --network "$net" -v "$ROOT:/d" \
	"$DOCKER_IMAGE" sleep 600) || fail "docker run: $c"
cids+=("$c")
cip=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$net\").IPAddress}}" "$c")
key=$(docker inspect -f '{{.NetworkSettings.SandboxKey}}' "$c")
peer=$(nsenter --net="$key" ip -o link show eth0 | sed -n 's/^[0-9]*: eth0@if\([0-9]*\):.*/\1/p')
[ -n "$peer" ] || fail "cannot find eth0's peer index"
veth=$(ip -o link show | sed -n "s/^$peer: \([^@:]*\)[@:].*/\1/p")
[ -n "$veth" ] || fail "no host link with index $peer"
if tc qdisc add dev "$veth" root netem delay 1ms loss 2% reorder 5% duplicate 1% 2>/dev/null; then
	echo "netem on $veth (the host end of $cip)"
else
	veth=""
	for r in "INPUT -s $cip/32 -m statistic --mode random --probability 0.02 -j DROP" \
		"OUTPUT -d $cip/32 -m statistic --mode random --probability 0.02 -j DROP" \
		"POSTROUTING -d $cip/32 -m statistic --mode random --probability 0.01 -j TEE --gateway $cip"; do
		eval "iptables -t mangle -A $r" || skip "neither netem nor iptables statistic/TEE here"
		ipt+=("$r")
	done
	echo "no netem in this kernel: iptables loss 2% both ways, duplicate 1% towards $cip"
fi

# host -> container: the container listens and hashes what it gets.
docker exec -d "$c" sh -c 'nc -l -p 5001 | sha256sum >/d/in.sum'
sleep 1
t0=$(date +%s)
timeout "$LIMIT" python3 - "$cip" 5001 "$ROOT/blob" <<'PY' || fail "host -> container did not finish in ${LIMIT}s"
import socket, sys, time
for i in range(50):
    try:
        s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5); break
    except OSError:
        time.sleep(0.2)
s.settimeout(None)
with open(sys.argv[3], "rb") as f:
    while True:
        b = f.read(1 << 20)
        if not b: break
        s.sendall(b)
s.shutdown(socket.SHUT_WR)
s.recv(1)
PY
for i in $(seq 100); do [ -s "$ROOT/in.sum" ] && break; sleep 0.2; done
t1=$(date +%s)
got=$(cut -d' ' -f1 <"$ROOT/in.sum" 2>/dev/null)
[ "$got" = "$want" ] || fail "host -> container: sha256 $got, sent $want"
echo "ok: ${MIB} MiB host -> container through netem in $((t1 - t0)) s, sha256 intact"

# container -> host: the container serves the file, the host connects and
# hashes what it reads.
docker exec -d "$c" sh -c 'nc -l -p 5002 </d/blob'
sleep 1
t0=$(date +%s)
timeout "$LIMIT" python3 - "$cip" 5002 "$ROOT/out.sum" <<'PY' || fail "container -> host did not finish in ${LIMIT}s"
import hashlib, socket, sys, time
for i in range(50):
    try:
        s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5); break
    except OSError:
        time.sleep(0.2)
s.settimeout(None)
h = hashlib.sha256()
while True:
    b = s.recv(1 << 20)
    if not b: break
    h.update(b)
open(sys.argv[3], "w").write(h.hexdigest() + "\n")
PY
t1=$(date +%s)
got=$(cut -d' ' -f1 <"$ROOT/out.sum" 2>/dev/null)
[ "$got" = "$want" ] || fail "container -> host: sha256 $got, sent $want"
echo "ok: ${MIB} MiB container -> host through netem in $((t1 - t0)) s, sha256 intact"
exit 0
