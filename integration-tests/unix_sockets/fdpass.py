# Passes a pipe over a unix socket bound at argv[1] (socket.send_fds), checks
# SO_PEERCRED, SOCK_SEQPACKET records and an abstract datagram name.
import os, socket, stat, struct, sys, threading
path = sys.argv[1]
try:
    os.unlink(path)
except FileNotFoundError:
    pass
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
print("node is a socket:", stat.S_ISSOCK(os.stat(path).st_mode))
out = []
def client():
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect(path)
    r, w = os.pipe()
    socket.send_fds(c, [b"here is a pipe"], [w])
    os.close(w)
    out.append(os.read(r, 100))
    c.close()
t = threading.Thread(target=client)
t.start()
conn, _ = srv.accept()
msg, fds, flags, addr = socket.recv_fds(conn, 100, 4)
print("message:", msg, "fds:", len(fds))
os.write(fds[0], b"written through the passed pipe")
os.close(fds[0])
t.join()
print("client read:", out[0])
pid, uid, gid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
print("peer is us:", pid == os.getpid(), uid == os.geteuid())
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
a.send(b"one"); a.send(b"two")
print("records:", b.recv(10), b.recv(10))
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0visor-abstract")
d = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
d.sendto(b"to an abstract name", "\0visor-abstract")
print("abstract:", s.recv(100))
