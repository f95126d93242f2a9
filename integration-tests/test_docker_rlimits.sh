#!/usr/bin/env bash
# docker_run_rlimits_match_runc: the limits a container starts with are the
# ones runc gives it (inherited from the shim), and --ulimit overrides them.
set -u
. "$(dirname "$0")/lib.sh"
docker_setup
lim='ulimit -n; ulimit -s; ulimit -u'
want=$(timeout 60 docker run --rm --runtime=runc "$DOCKER_IMAGE" sh -c "$lim") || fail "runc"
got=$(dr "$DOCKER_IMAGE" sh -c "$lim") || fail "visor"
[ "$want" = "$got" ] || fail "limits differ: runc [$want] visor [$got]"
got=$(dr --ulimit nofile=123:456 "$DOCKER_IMAGE" sh -c 'ulimit -n; ulimit -Hn') || fail "--ulimit"
[ "$got" = "$(printf '123\n456')" ] || fail "--ulimit nofile=123:456 gave: $got"
exit 0
