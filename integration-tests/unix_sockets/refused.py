# Connect to the unix socket at argv[1]; print the outcome.
import socket, sys
c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    c.connect(sys.argv[1])
    print("connected")
except OSError as e:
    print("error:", e.strerror)
