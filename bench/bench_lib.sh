# bench_lib.sh — what the benchmark scripts share (sourced by run.sh and
# net_bench.sh): ratios, pinning, and the Docker set-up that registers
# visor on both platforms and Debian's runsc next to runc.
#
#   bench_ratio A B        A/B with two decimals, "-" when either is missing
#   bench_docker_setup     Docker started and set up (integration-tests/lib.sh),
#                          visor registered as $DOCKER_RUNTIME (ptrace) and
#                          $DOCKER_RUNTIME-systrap, runsc (installed if
#                          missing) with --platform=ptrace --network=none;
#                          fills RT[runner] = docker runtime name and sets
#                          have_docker=1, or leaves have_docker=0.

bench_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else printf "-" }'; }

declare -A RT=([runc]=runc [runsc]=runsc)
have_docker=0

bench_docker_setup() {
	[ "${BENCH_DOCKER:-1}" = 1 ] && [ -f integration-tests/lib.sh ] || return 0
	# shellcheck source=/dev/null
	. integration-tests/lib.sh
	(docker_setup) >/dev/null 2>&1 || return 0
	docker_setup >/dev/null 2>&1
	have_docker=1
	RT[ptrace]=$DOCKER_RUNTIME
	RT[systrap]=$DOCKER_RUNTIME-systrap
	VISOR_TEST_PLATFORM=ptrace visor_register_runtime_as >/dev/null 2>&1
	DOCKER_RUNTIME=${RT[systrap]} VISOR_TEST_PLATFORM=systrap visor_register_runtime_as \
		>/dev/null 2>&1
	if ! command -v runsc >/dev/null; then
		apt-get install -y -qq runsc >/dev/null 2>&1
	fi
	python3 - <<'PY'
import json, os, shutil
p = "/etc/docker/daemon.json"
d = json.load(open(p)) if os.path.exists(p) and os.path.getsize(p) else {}
rs = d.setdefault("runtimes", {})
want = {"path": shutil.which("runsc") or "/usr/bin/runsc",
        "runtimeArgs": ["--platform=ptrace", "--network=none"]}
if rs.get("runsc") != want:
    rs["runsc"] = want
    json.dump(d, open(p, "w"), indent=4)
PY
	kill -HUP "$(cat /var/run/docker.pid)" 2>/dev/null
	sleep 1
}

# The bridge benchmarks (net_bridge.sh, net_nginx.sh, net_redis.sh) share:
#
#   bench_net_setup        a user-defined bridge network $BENCH_NET
#                          (docker network create; Docker's default bridge
#                          behaves the same, but a shared machine's docker0
#                          may come and go): sets have_net=1
#   bench_ctr_ip CID       the container's address on it
#   bench_apps_image       $APPS_IMAGE: Debian with nginx-light, redis-server
#                          and iperf3 (built once; apt-get through the host's
#                          network so the build does not need the bridge)
#   bench_wait_tcp IP PORT [TRIES]   until something listens there
BENCH_NET=${BENCH_NET:-visor-bench}
APPS_IMAGE=${APPS_IMAGE:-visor-bench-apps}
have_net=0

bench_net_setup() {
	docker network inspect "$BENCH_NET" >/dev/null 2>&1 ||
		docker network create "$BENCH_NET" >/dev/null 2>&1
	docker network inspect "$BENCH_NET" >/dev/null 2>&1 && have_net=1
}

bench_ctr_ip() {
	docker inspect -f "{{(index .NetworkSettings.Networks \"$BENCH_NET\").IPAddress}}" "$1" 2>/dev/null
}

bench_apps_image() {
	docker image inspect "$APPS_IMAGE" >/dev/null 2>&1 && return 0
	docker_import_debian >/dev/null 2>&1
	local tmp
	tmp=$(mktemp -d)
	printf 'FROM %s\nRUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light redis-server iperf3 >/dev/null && rm -rf /var/lib/apt/lists/*\n' \
		"$DEBIAN_IMAGE" >"$tmp/Dockerfile"
	timeout 900 docker build --network=host -q -t "$APPS_IMAGE" "$tmp" >/dev/null 2>&1
	local r=$?
	rm -rf "$tmp"
	return $r
}

bench_wait_tcp() {
	local i
	for i in $(seq "${3:-100}"); do
		timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}

# bench_register_base: when BENCH_VISOR_BASE names an executable (an older
# visor build), registers it on both platforms as $DOCKER_RUNTIME-base and
# $DOCKER_RUNTIME-base-systrap, sets RT[ptrace-base] and RT[systrap-base]
# and returns 0; otherwise returns 1.
bench_register_base() {
	local base=${BENCH_VISOR_BASE:-}
	[ -n "$base" ] && [ -x "$base" ] || return 1
	RT[ptrace-base]=$DOCKER_RUNTIME-base
	RT[systrap-base]=$DOCKER_RUNTIME-base-systrap
	VISOR_BIN=$base DOCKER_RUNTIME=${RT[ptrace-base]} VISOR_TEST_PLATFORM=ptrace \
		visor_register_runtime_as >/dev/null 2>&1
	VISOR_BIN=$base DOCKER_RUNTIME=${RT[systrap-base]} VISOR_TEST_PLATFORM=systrap \
		visor_register_runtime_as >/dev/null 2>&1
	kill -HUP "$(cat /var/run/docker.pid)" 2>/dev/null
	sleep 1
	return 0
}
