# IPv6 off in the container (Docker sets disable_ipv6 when the network has
# no IPv6, so lo has no ::1): "localhost" resolves to 127.0.0.1 first, and
# a connect or bind to ::1 fails with EADDRNOTAVAIL, while IPv4 through an
# IPv6 socket (dual stack, v4-mapped) still works.
set -eu
python3 - <<'PY'
import errno, socket
def t(name, f):
    try:
        print(name, "ok", f())
    except OSError as e:
        print(name, errno.errorcode.get(e.errno, e.errno))
def udp():
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.connect(("::1", 9))
    return s.getsockname()[0]
def tcp():
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.settimeout(3)
    s.connect(("::1", 9))
def bind1():
    socket.socket(socket.AF_INET6, socket.SOCK_STREAM).bind(("::1", 0))
def dual():
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.bind(("::", 0))
    s.listen()
    c = socket.create_connection(("localhost", s.getsockname()[1]), 3)
    return s.accept()[1][0]
def mapped():
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.connect(("::ffff:127.0.0.1", 9))
    return s.getsockname()[0]
for n, f in [("udp6 connect ::1", udp), ("tcp6 connect ::1", tcp), ("bind ::1", bind1),
             ("dual stack via localhost", dual), ("v4-mapped", mapped)]:
    t(n, f)
print("localhost first", socket.getaddrinfo("localhost", 80, type=socket.SOCK_STREAM)[0][4][0])
PY
if [ -r /proc/net/if_inet6 ]; then echo "if_inet6 lines $(wc -l </proc/net/if_inet6)"; fi
