#!/usr/bin/env bash
# docker_run_real_applications: on one Debian 12 image built from Debian's
# packages, real programs do real work under visor and print what they
# print under runc: gcc + make -j2 building a C project with its libraries
# and tests, perl, python3 (pytest, threads, multiprocessing, subprocess),
# OpenJDK (javac, threads, a caught NullPointerException), Go (go build,
# goroutines, channels, timers), Node.js (timers, promises, child
# processes), dpkg (a .deb built, installed, queried, run and removed), git,
# sqlite3 in WAL mode and strace -f (the scripts test_docker_git,
# test_docker_sqlite and test_docker_strace run), procps and psmisc (vmstat,
# top, ps, killall, taskset), mariadb (InnoDB with native AIO), the shadow
# tools and PAM (useradd, chpasswd, a user's set-user-ID passwd and su), du,
# fallocate and cp --sparse on written files, /proc/self of another user;
# Node.js as a service (workers, fork IPC, fs.watch, keep-alive HTTP,
# http://localhost to a server on 127.0.0.1) and loopback6 (IPv6 off as
# Docker sets it: localhost is 127.0.0.1 first, ::1 is EADDRNOTAVAIL); the
# JVM's container metrics (-XshowSettings:system, from /proc/self/mountinfo
# and cgroup).
# The visor runs log with --debug-log=DIR/ (DIR/ID.sentry.log), and the test prints the
# union of the unsupported syscalls and socket options the Sentries counted.
# REALAPPS="perl go" runs only those cases.
. "$(dirname "$0")/lib.sh"
set -u
docker_setup
IMAGE=visor-realapps
docker_build_apps "$IMAGE" gcc make libc6-dev perl python3 python3-pytest \
	openjdk-17-jdk-headless golang-go nodejs strace git sqlite3 procps psmisc \
	mariadb-server mariadb-client

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$(dirname "$0")/realapps" "$work/"

# This build once more under its own runtime name, logging each container's
# Sentry to $logs/ID.sentry.log.
logs=/var/log/visor-test/$DOCKER_RUNTIME-realapps
rm -rf "$logs"
mkdir -p "$logs"
log_args=(--debug-log="$logs/")
[ -n "$VISOR_TEST_PLATFORM" ] && log_args+=(--platform="$VISOR_TEST_PLATFORM")
"$VISOR_BIN" install --runtime="$DOCKER_RUNTIME-realapps" --path="$VISOR_BIN" --reload -- \
	"${log_args[@]}" >/dev/null || fail "cannot register $DOCKER_RUNTIME-realapps"
DOCKER_RUNTIME=$DOCKER_RUNTIME-realapps
for i in $(seq 10); do
	docker info 2>/dev/null | grep -q "$DOCKER_RUNTIME" && break
	sleep 1
done

# run_in RUNTIME SCRIPT ARG...: the script in a container named for this
# run, killed (docker rm -f) if it outlives its time, so a hang fails the
# case instead of the suite.
run_in() {
	local rt=$1 name=realapps-$$-$RANDOM rc
	shift
	timeout -k 10 "${REALAPPS_TIMEOUT:-300}" docker run --rm --name "$name" --runtime="$rt" \
		-v "$work:/w" "$IMAGE" bash "/w/realapps/$@" 2>&1
	rc=$?
	if [ $rc = 124 ] || [ $rc = 137 ]; then
		docker rm -f "$name" >/dev/null 2>&1
		echo "(killed after ${REALAPPS_TIMEOUT:-300}s)"
	fi
	return $rc
}

failed=""
case_run() { # name, script, args...: the same output under runc and visor
	local name=$1 want got t0 t1 t2
	shift
	if [ -n "${REALAPPS:-}" ] && [[ " $REALAPPS " != *" $name "* ]]; then
		return 0
	fi
	t0=$(date +%s)
	want=$(run_in runc "$@")
	local want_rc=$?
	t1=$(date +%s)
	got=$(run_in "$DOCKER_RUNTIME" "$@")
	local got_rc=$?
	t2=$(date +%s)
	echo "$name: runc $((t1 - t0))s, visor $((t2 - t1))s"
	if [ $want_rc != 0 ]; then
		echo "FAIL: $name fails under runc"
		echo "$want" | sed 's/^/    /' | head -40
		failed="$failed $name"
	elif [ $got_rc != 0 ]; then
		echo "FAIL: $name fails under visor"
		diff <(echo "$want") <(echo "$got") | sed 's/^/    /' | head -60
		failed="$failed $name"
	elif [ "$want" != "$got" ]; then
		echo "FAIL: $name: outputs differ (runc < > visor)"
		diff <(echo "$want") <(echo "$got") | sed 's/^/    /' | head -60
		failed="$failed $name"
	else
		echo "ok: $name"
		echo "$got" | sed 's/^/    /'
	fi
}

case_run cbuild cbuild.sh
case_run perl perl.sh
case_run python python.sh
case_run java java.sh
case_run jvm_container jvm_container.sh
case_run go go.sh
case_run node node.sh
case_run node_services node_services.sh
case_run loopback6 loopback6.sh
case_run dpkg dpkg.sh
case_run git git.sh /tmp/git
case_run sqlite sqlite.sh /tmp/sqlite
case_run strace strace.sh
case_run procps procps.sh
case_run mariadb mariadb.sh
case_run users users.sh
case_run fsusage fsusage.sh

# Every container's log names it; the union of what the Sentries counted.
nlogs=$(find "$logs" -name "*.sentry.log" | wc -l)
echo "debug logs: $nlogs containers"
[ "$nlogs" -gt 0 ] || fail "no Sentry wrote a debug log under $logs"
for f in "$logs"/*.sentry.log; do
	head -1 "$f" | grep -q "^visor: container $(basename "$f" .sentry.log)$" ||
		fail "$f does not name its container: $(head -1 "$f")"
done
echo "unsupported syscalls and socket options (name: calls, summed over the suite):"
cat "$logs"/*.sentry.log | sed -nE \
	-e 's/.*unsupported syscall ([a-z0-9_]+) called ([0-9]+) times.*/syscall \1 \2/p' \
	-e 's/.*unsupported socket option (level [0-9]+ \([A-Z_?0-9]+\) option [0-9]+) used ([0-9]+) times.*/sockopt \1 \2/p' |
	awk '{n = $NF; sub(/ [0-9]+$/, ""); sum[$0] += n} END {for (k in sum) printf "    %s: %d\n", k, sum[k]}' | sort
[ -z "$failed" ] || fail "differs from runc or fails under visor:$failed"
exit 0
