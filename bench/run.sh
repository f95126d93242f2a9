#!/usr/bin/env bash
# make bench: the same work natively, under visor (ptrace), runc and runsc,
# in one run, printed as ratios.  Absolute times on shared machines are
# noise; the ratios are the result.
#
#   micro: getppid, open+close, fork+exit+wait — per-op ns, best of $ROUNDS
#   start: `docker run --rm IMAGE true` — mean wall time over $STARTS runs
#
# runc and runsc need Docker (started and set up by integration-tests/lib.sh);
# runsc is Debian's, registered with --platform=ptrace --network=none.
set -u
cd "$(dirname "$0")/.."
VISOR=${VISOR:-$PWD/build/visor}
ROUNDS=${ROUNDS:-5}
STARTS=${STARTS:-10}
out=build/bench
mkdir -p "$out"
gcc -static -O2 -o "$out/microbench" bench/microbench.c || exit 1
bin=$PWD/$out/microbench

declare -A N=([getpid]=20000 [openclose]=5000 [fork]=300)

best() { sort -n | head -1; }

# run_micro RUNNER TEST: best per-op ns over ROUNDS.
run_micro() {
	local runner=$1 t=$2
	for r in $(seq "$ROUNDS"); do
		case $runner in
		native) "$bin" "$t" "${N[$t]}" ;;
		visor) "$VISOR" do "$bin" "$t" "${N[$t]}" ;;
		*) timeout 120 docker run --rm --runtime="$runner" visor-bench /microbench "$t" "${N[$t]}" ;;
		esac | awk '{print $2}'
	done | best
}

have_docker=0
if [ "${BENCH_DOCKER:-1}" = 1 ] && [ -f integration-tests/lib.sh ]; then
	# shellcheck source=/dev/null
	. integration-tests/lib.sh
	if (docker_setup) >/dev/null 2>&1; then
		docker_setup >/dev/null 2>&1
		have_docker=1
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
    os.system("kill -HUP $(cat /var/run/docker.pid) 2>/dev/null")
PY
		sleep 1
		tmp=$(mktemp -d)
		cp "$bin" "$tmp/microbench"
		printf 'FROM visor-busybox\nCOPY microbench /microbench\n' >"$tmp/Dockerfile"
		docker build -q -t visor-bench "$tmp" >/dev/null 2>&1 || have_docker=0
		rm -rf "$tmp"
	fi
fi

runners=(native visor)
[ $have_docker = 1 ] && runners+=(runc runsc)

printf '%-10s' "ns/op"
for r in "${runners[@]}"; do printf '%10s' "$r"; done
printf '%14s%14s%14s\n' "visor/native" "visor/runc" "visor/runsc"
for t in getpid openclose fork; do
	declare -A v=()
	printf '%-10s' "$t"
	for r in "${runners[@]}"; do
		v[$r]=$(run_micro "$r" "$t")
		printf '%10s' "${v[$r]:-?}"
	done
	ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else printf "-" }'; }
	printf '%14s%14s%14s\n' "$(ratio "${v[visor]}" "${v[native]}")" \
		"$(ratio "${v[visor]}" "${v[runc]:-0}")" "$(ratio "${v[visor]}" "${v[runsc]:-0}")"
done

if [ $have_docker = 1 ]; then
	echo
	echo "container start: docker run --rm visor-busybox true, mean of $STARTS"
	declare -A s=()
	for r in runc runsc "$DOCKER_RUNTIME"; do
		docker run --rm --runtime="$r" visor-busybox true >/dev/null 2>&1 # warm
		t0=$(date +%s%N)
		ok=1
		for i in $(seq "$STARTS"); do
			timeout 60 docker run --rm --runtime="$r" visor-busybox true >/dev/null 2>&1 || ok=0
		done
		t1=$(date +%s%N)
		if [ $ok = 1 ]; then s[$r]=$(((t1 - t0) / STARTS / 1000000)); else s[$r]=0; fi
		printf '  %-6s %6s ms\n' "$r" "${s[$r]}"
	done
	awk -v v="${s[$DOCKER_RUNTIME]}" -v r="${s[runc]}" -v g="${s[runsc]}" 'BEGIN {
		if (v > 0 && r > 0) printf "  visor/runc %.2f", v / r;
		if (g > 0 && r > 0) printf "   runsc/runc %.2f", g / r;
		if (v > 0 && g > 0) printf "   visor/runsc %.2f", v / g;
		printf "\n" }'
else
	echo "(docker not available: runc/runsc columns and container start skipped)"
fi
