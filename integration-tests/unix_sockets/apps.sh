# Runs in the container (runc and visor alike): python fd passing on the
# container's root and in a bind mount, asyncio, Node.js, socat, ss/netstat.
set -u
cd /tmp
python3 /w/fdpass.py /tmp/fdpass.sock
python3 /w/fdpass.py /w/bound-in-bind-mount.sock
python3 /w/echo_asyncio.py /tmp/echo.sock
node /w/child.js /tmp/node.sock
socat UNIX-LISTEN:/tmp/back.sock EXEC:'tr a-z A-Z' &
socat UNIX-LISTEN:/tmp/front.sock UNIX-CONNECT:/tmp/back.sock &
for i in $(seq 50); do [ -S /tmp/front.sock ] && [ -S /tmp/back.sock ] && break; sleep 0.2; done
echo "through two socats" | socat - UNIX-CONNECT:/tmp/front.sock
wait
python3 -c 'import socket,time; s=socket.socket(socket.AF_UNIX); s.bind("/tmp/ss.sock"); s.listen(); print("listening", flush=True); time.sleep(30)' &
for i in $(seq 50); do [ -S /tmp/ss.sock ] && break; sleep 0.2; done
sleep 1
ss -xl 2>/dev/null | grep -o '/tmp/ss.sock' | head -1
netstat -xl 2>/dev/null | grep -o '/tmp/ss.sock' | head -1
kill %1 2>/dev/null
exit 0
