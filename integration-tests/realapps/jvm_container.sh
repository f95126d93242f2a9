# OpenJDK's container support: the JVM finds the container's cgroups through
# /proc/cgroups, /proc/self/cgroup and /proc/self/mountinfo and prints the
# metrics it reads there (provider, CPU quota and shares, cpusets, limits).
set -eu
java -XshowSettings:system -version 2>&1 | sed -n '/^Operating System Metrics/,/^$/p'
