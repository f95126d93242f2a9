#!/usr/bin/env bash
# make demo: set up a fresh Debian 12 machine and show visor working.
# Installs build dependencies, builds and installs visor, then runs what the
# current slice supports (see README "Status").
set -eu
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
if [ "$(id -u)" -ne 0 ]; then echo "make demo needs root" >&2; exit 1; fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends build-essential pkg-config \
	libyajl-dev libseccomp-dev libmnl-dev libnl-3-dev libnl-route-3-dev libcmocka-dev \
	busybox-static >/dev/null
make -j2
make install
visor version
