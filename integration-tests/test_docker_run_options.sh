#!/usr/bin/env bash
# docker_run_options_reach_app: -e, -w, -u UID:GID and --hostname are what
# the app sees.
# docker_run_and_exec_set_home_as_runc: without HOME in the environment the
# process gets its uid's home from the container's /etc/passwd ("/" for a
# uid without an entry), in docker run and docker exec, as runc sets it.
set -u
. "$(dirname "$0")/lib.sh"
docker_setup
out=$(dr -e FOO=bar -w /tmp -u 1000:1000 --hostname visorhost visor-busybox \
	sh -c 'echo $FOO; pwd; id -u; id -g; hostname' 2>&1) || fail "docker run: $out"
[ "$out" = "$(printf 'bar\n/tmp\n1000\n1000\nvisorhost')" ] || fail "options not applied: $out"
out=$(dr -u 1000:1000 visor-busybox id 2>&1) || fail "id: $out"
echo "$out" | grep -q '^uid=1000' || fail "id printed: $out"

homes() { # RUNTIME: $HOME for root, nobody, a uid without a passwd entry, -e HOME
	local rt=$1 u n=home-$$-$RANDOM
	for u in "" "-u 65534" "-u 4242" "-e HOME=/x"; do
		# shellcheck disable=SC2086
		timeout 60 docker run --rm --runtime="$rt" $u visor-busybox sh -c 'echo "run [$HOME]"'
	done
	timeout 60 docker run -d --name "$n" --runtime="$rt" visor-busybox sleep 60 >/dev/null
	timeout 60 docker exec "$n" sh -c 'echo "exec [$HOME]"'
	timeout 60 docker exec -u 65534 "$n" sh -c 'echo "exec [$HOME]"'
	docker rm -f "$n" >/dev/null 2>&1
}
want=$(homes runc 2>&1)
got=$(homes "$DOCKER_RUNTIME" 2>&1)
[ "$got" = "$want" ] || fail "HOME: runc [$want] visor [$got]"
echo "$got"
exit 0
