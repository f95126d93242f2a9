# procps, psmisc and util-linux tools that read /proc and the scheduler:
# vmstat, top and a CPU-busy share from /proc/stat, ps states, killall
# (pidfd_send_signal on a /proc/PID fd), taskset and nproc, du of a sparse
# file.  Printed so that the output is the same on any machine.
set -u
cd /tmp
vmstat 1 2 | tail -1 | awk '{print "vmstat fields:", NF}'
top -b -n 2 -d 0.2 | grep -c '^%Cpu' | sed 's/^/top cpu lines: /'
python3 - <<'PY'
import time
def cpu():
    return list(map(int, open("/proc/stat").readline().split()[1:]))
a = cpu()
t = time.time()
while time.time() - t < 1.0:
    pass
b = cpu()
d = [y - x for x, y in zip(a, b)]
share = (d[0] + d[2]) / max(1, sum(d))
print("a busy loop shows in /proc/stat:", share > 0.2)
PY
grep -q '^pgfault ' /proc/vmstat && echo "vmstat has pgfault"
ps -o stat= -p $$ | cut -c1
sleep 100 &
s=$!
for i in $(seq 50); do [ "$(ps -o stat= -p $s | cut -c1)" = S ] && break; sleep 0.1; done
ps -o stat= -p $s | cut -c1
killall sleep
wait $s
echo "sleep ended by killall: $?"
taskset -c 0 sh -c 'taskset -cp $$ | sed "s/.*: //"; nproc'
truncate -s 1G sparse && du -k sparse && rm sparse
