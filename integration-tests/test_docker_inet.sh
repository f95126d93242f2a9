#!/usr/bin/env bash
# docker_run_tcp_udp_over_loopback: inside one container on a Debian 12
# image (python3, curl, netcat-openbsd, socat, iproute2, net-tools,
# iputils-ping from Debian's packages), over the Sentry's own netstack on
# lo: python3 -m http.server answers curl; nc -l / nc over TCP and over UDP;
# socat TCP; a Python asyncio echo server and client; an IPv6 and a
# dual-stack connection (IPv6 off on lo as Docker sets it, and on with
# --sysctl net.ipv6.conf.all.disable_ipv6=0, eth0 then with its fe80::
# link-local address); ping -c1 127.0.0.1 (an ICMP ping socket);
# `netstat -tln` and `ss -tln` list the listener.  Each gives the same
# output as under runc.  (`--network=host`: test_docker_network_host.)
set -u
. "$(dirname "$0")/lib.sh"

docker_setup
IMAGE=visor-inet-tools
docker_build_apps "$IMAGE" python3 curl netcat-openbsd socat iproute2 net-tools iputils-ping
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat >"$work/inet.sh" <<'SH'
# One check per argument; prints only what does not vary between runs.
set -u
wait_port() { # tcp port: until something listens on 127.0.0.1:port
	local row
	row=$(printf '0100007F:%04X 00000000:0000 0A' "$1")
	for _ in $(seq 100); do
		grep -q "$row" /proc/net/tcp && return 0
		sleep 0.1
	done
	echo "nothing listens on $1"
}
case $1 in
http)
	mkdir -p /tmp/www && echo "hello from http.server" >/tmp/www/hello.txt
	cd /tmp/www && python3 -m http.server 8080 --bind 127.0.0.1 >/dev/null 2>&1 &
	wait_port 8080
	curl -sS http://127.0.0.1:8080/hello.txt
	curl -sS -o /dev/null -w '%{http_code}\n' http://127.0.0.1:8080/missing
	kill %1
	;;
nc-tcp)
	nc -l 127.0.0.1 9000 >/tmp/got &
	wait_port 9000
	printf 'line one\nline two\n' | nc -N 127.0.0.1 9000
	wait
	cat /tmp/got
	;;
nc-udp)
	nc -u -l 127.0.0.1 9001 >/tmp/got &
	sleep 0.5
	echo "datagram" | nc -u -w1 127.0.0.1 9001
	sleep 0.5
	kill %1
	cat /tmp/got
	;;
socat)
	socat TCP-LISTEN:9002,bind=127.0.0.1,reuseaddr SYSTEM:'tr a-z A-Z' &
	wait_port 9002
	echo "shout this" | socat - TCP:127.0.0.1:9002
	wait
	;;
asyncio)
	python3 - <<'PY'
import asyncio

async def handle(reader, writer):
    while data := await reader.readline():
        writer.write(b"echo: " + data)
        await writer.drain()
    writer.close()
    await writer.wait_closed()

async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async def client(n):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        got = []
        for i in range(3):
            writer.write(f"client {n} message {i}\n".encode())
            await writer.drain()
            got.append((await reader.readline()).decode().strip())
        writer.close()
        await writer.wait_closed()
        return got
    results = await asyncio.gather(*(client(n) for n in range(4)))
    for r in results:
        print(*r, sep="; ")
    server.close()
    await server.wait_closed()

asyncio.run(main())
PY
	;;
ipv6)
	# The IPv6 addresses by device and prefix (lo's ::1, eth0's fe80::).
	awk '{print $6, substr($1, 1, 4)}' /proc/net/if_inet6 | sort
	python3 - <<'PY'
import socket
l = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
l.bind(("::", 0))
l.listen()
port = l.getsockname()[1]
for fam, host in ((socket.AF_INET6, "::1"), (socket.AF_INET, "127.0.0.1")):
    c = socket.socket(fam, socket.SOCK_STREAM)
    c.connect((host, port))
    a, peer = l.accept()
    c.sendall(b"over " + host.encode())
    print(peer[0], a.recv(100).decode())
    a.close()
    c.close()
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
u.bind(("::1", 0))
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.sendto(b"udp6", u.getsockname())
data, src = u.recvfrom(100)
print(src[0], data.decode())
PY
	;;
ping)
	# With its warnings: ping reports each socket option it is refused
	# (IP_RECVERR, IP_RECVTTL, IP_RETOPTS), and runc refuses none.
	ping -c1 -W2 127.0.0.1 2>&1 | grep -oE '1 packets transmitted, 1 received|WARNING.*'
	# ping -6 needs IPV6_RECVHOPLIMIT (no IPv6 address here: the same
	# connect error under runc).
	ping -6 -c1 -W2 ::1 2>&1 | grep -oE "1 packets transmitted, 1 received|hop limit.*|ping: connect.*"
	;;
listeners)
	python3 -c '
import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 9003))
s.listen(5)
time.sleep(30)' &
	wait_port 9003
	netstat -tln | awk '$4 == "127.0.0.1:9003" {print "netstat:", $1, $4, $5, $6}'
	# -p: the owner found through /proc/PID/fd's socket:[inode] links
	netstat -tlnp 2>/dev/null | awk '$4 == "127.0.0.1:9003" {sub(/^[0-9]+\//, "", $7); print "netstat -p:", $7}'
	# ss asks netlink (sock_diag) first and falls back to /proc/net/tcp;
	# its complaint about netlink goes to stderr.
	ss -tln 2>/dev/null | awk '$4 == "127.0.0.1:9003" {print "ss:", $1, $4, $5}'
	kill %1
	# [::] with IPV6_V6ONLY (as mariadbd --bind-address=::) and without:
	# ss tells them apart by sock_diag's INET_DIAG_SKV6ONLY ([::] vs *).
	python3 -c '
import socket, time
for port, only in ((9004, 1), (9005, 0)):
    s = socket.socket(socket.AF_INET6)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, only)
    s.bind(("::", port))
    s.listen(5)
    globals()["s%d" % port] = s
time.sleep(30)' &
	pid6=$!
	for _ in $(seq 100); do # both in /proc/net/tcp6
		[ "$(grep -c "00000000000000000000000000000000:$(printf %04X 9005) \|00000000000000000000000000000000:$(printf %04X 9004) " /proc/net/tcp6)" = 2 ] && break
		sleep 0.1
	done
	ss -tln 2>/dev/null | awk '$4 ~ /:900[45]$/ {print "ss:", $1, $4, $5}' | sort
	kill "$pid6"
	;;
esac
SH

for check in http nc-tcp nc-udp socat asyncio ping listeners; do
	got=$(same_as_runc "$IMAGE" "$work" inet.sh "$check") || exit 1
	echo "$check: $(echo "$got" | tr '\n' '|')"
	[ -n "$got" ] || fail "$check printed nothing"
done
# IPv6 on lo: Docker turns it off in a container whose network has none
# (runc's have no ::1: binding it fails with EADDRNOTAVAIL), and --sysctl
# net.ipv6.conf.all.disable_ipv6=0 turns it on; visor's lo follows both.
for sysctl in "" net.ipv6.conf.all.disable_ipv6=0; do
	args=(${sysctl:+--sysctl "$sysctl"} -v "$work:/w" "$IMAGE" bash /w/inet.sh ipv6)
	want=$(timeout 300 docker run --rm --runtime=runc "${args[@]}" 2>&1)
	got=$(timeout 300 docker run --rm --runtime="$DOCKER_RUNTIME" "${args[@]}" 2>&1)
	echo "ipv6 ${sysctl:-(Docker default)}: $(echo "$got" | tr '\n' '|')"
	[ "$got" = "$want" ] || fail "ipv6 ${sysctl:-(Docker default)}: runc [$want] visor [$got]"
done
echo "$got" | grep -qx '::1 over ::1' || fail "ipv6: no IPv6 connection with the sysctl: $got"
exit 0
