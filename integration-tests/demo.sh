#!/usr/bin/env bash
# make demo: on a fresh Debian 12 machine (as root), set everything up and run
# a container under visor:
#   1. install the build dependencies and Docker (docker.io) from Debian;
#   2. build and install visor (/usr/bin/visor) and register it in
#      /etc/docker/daemon.json (visor install), keeping every other key;
#   3. start dockerd if none answers, and reload it;
#   4. import a busybox image made from busybox-static;
#   5. docker run --runtime=visor ... and show that it ran in the Sentry.
set -eu
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
	echo "make demo needs root" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "==> installing build dependencies and docker.io"
apt-get update -qq
apt-get install -y -qq --no-install-recommends build-essential pkg-config \
	libyajl-dev libseccomp-dev libmnl-dev libnl-3-dev libnl-route-3-dev libcmocka-dev \
	busybox-static docker.io python3 >/dev/null
echo "==> building and installing visor"
make -j"$(nproc)" >/dev/null
make install >/dev/null
export VISOR=/usr/bin/visor
# shellcheck source=integration-tests/lib.sh
. integration-tests/lib.sh
echo "==> registering visor with Docker, starting dockerd if needed"
docker_setup
echo "==> docker run --runtime=visor $DOCKER_IMAGE ..."
set -x
docker run --rm --runtime=visor "$DOCKER_IMAGE" echo "hello from visor"
docker run --rm --runtime=visor "$DOCKER_IMAGE" uname -a
docker run --rm --runtime=visor "$DOCKER_IMAGE" ps
