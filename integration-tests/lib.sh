# integration-tests/lib.sh — shared set-up for the OCI and Docker tests.
# Source it: `. "$(dirname "$0")/lib.sh"`.
#
#   fail MSG                      print and exit 1
#   skip MSG                      print and exit 77
#   make_busybox_rootfs DIR       a rootfs with /bin/busybox (static) + applet links
#   make_bundle DIR [ARGS...]     DIR/rootfs + DIR/config.json running ARGS
#   docker_setup                  dockerd answering, visor registered, visor-busybox imported
#                                 (skips with 77 if docker cannot run here)
#   dr ARGS...                    docker run --rm --runtime=$DOCKER_RUNTIME ARGS (bounded time)
#
# VISOR_TEST_PLATFORM=NAME runs every sandbox on that platform (platform.sh):
# $VISOR passes --platform, the Docker runtime gets it in its runtimeArgs.
set -u
VISOR=${VISOR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build/visor}
[ -n "${VISOR_BIN:-}" ] || VISOR=$(readlink -f "$VISOR")
# shellcheck source=integration-tests/platform.sh
. "$(dirname "${BASH_SOURCE[0]}")/platform.sh"
VISOR_TEST_CACHE=${VISOR_TEST_CACHE:-/var/tmp/visor-test-cache}
DOCKER_IMAGE=visor-busybox
# The runtime name the tests register this build under.  Not "visor": that
# one belongs to an installed package (/usr/bin/visor), which the tests must
# not repoint at a build tree.  Named after the tree (visor-test-main for
# /work/main), so that two trees testing at once on one dockerd do not
# repoint each other's runtime at their own binary.
DOCKER_RUNTIME=${VISOR_DOCKER_RUNTIME:-visor-test-$(basename "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)" | tr -c 'A-Za-z0-9_\n-' '_')}

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }

busybox_bin() {
	local b
	for b in /bin/busybox /usr/bin/busybox; do
		if [ -x "$b" ] && file -L "$b" 2>/dev/null | grep -q 'statically linked'; then
			echo "$b"; return 0
		fi
	done
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y busybox-static >/dev/null 2>&1 || true
		[ -x /bin/busybox ] && { echo /bin/busybox; return 0; }
	fi
	return 1
}

# A minimal root file system: busybox and a link per applet, plus the
# directories and files Docker/runc expect to mount over.
make_busybox_rootfs() {
	local dir=$1 bb
	bb=$(busybox_bin) || skip "no static busybox (apt-get install busybox-static)"
	mkdir -p "$dir"/bin "$dir"/sbin "$dir"/usr/bin "$dir"/usr/sbin "$dir"/etc \
		"$dir"/proc "$dir"/sys "$dir"/dev "$dir"/tmp "$dir"/root "$dir"/home \
		"$dir"/var "$dir"/run
	chmod 1777 "$dir"/tmp
	cp "$bb" "$dir"/bin/busybox
	local a
	for a in $("$bb" --list); do
		[ "$a" = busybox ] && continue
		[ -e "$dir/bin/$a" ] || ln -s busybox "$dir/bin/$a"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
		>"$dir"/etc/passwd
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$dir"/etc/group
	: >"$dir"/etc/hosts
	: >"$dir"/etc/resolv.conf
	: >"$dir"/etc/hostname
}

# JSON array of the arguments.
json_args() {
	local out="" a
	for a in "$@"; do
		a=${a//\\/\\\\}
		a=${a//\"/\\\"}
		out="$out${out:+,}\"$a\""
	done
	echo "[$out]"
}

# make_bundle DIR ARGS... : rootfs (cached copy) and a runc-style config.json.
# TERMINAL=true, HOSTNAME_=h, READONLY=true, EXTRA_MOUNTS='{...},' tune it.
make_bundle() {
	local dir=$1
	shift
	mkdir -p "$dir"
	[ -d "$dir/rootfs/bin" ] || make_busybox_rootfs "$dir/rootfs"
	cat >"$dir/config.json" <<EOF
{
  "ociVersion": "1.0.2",
  "process": {
    "terminal": ${TERMINAL:-false},
    "user": {"uid": ${UID_:-0}, "gid": ${GID_:-0}},
    "args": $(json_args "$@"),
    "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", "VISOR_TEST=1"],
    "cwd": "${CWD_:-/}",
    "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
    "noNewPrivileges": true
  },
  "root": {"path": "rootfs", "readonly": ${READONLY:-false}},
  "hostname": "${HOSTNAME_:-visortest}",
  "mounts": [
    ${EXTRA_MOUNTS:-}
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
    {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
    {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "mode=1777"]}
  ],
  "linux": {
    "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}],
    "maskedPaths": ["/proc/kcore", "/sys/firmware"],
    "readonlyPaths": ["/proc/sys"]
  }
}
EOF
}

# ---- Docker ----------------------------------------------------------------

docker_answers() { timeout 10 docker version >/dev/null 2>&1; }

docker_setup() {
	[ "$(id -u)" = 0 ] || skip "docker tests need root"
	if ! command -v dockerd >/dev/null 2>&1; then
		command -v apt-get >/dev/null || skip "no dockerd and no apt-get"
		DEBIAN_FRONTEND=noninteractive apt-get install -y docker.io >/tmp/visor-apt-docker.log 2>&1 ||
			skip "cannot install docker.io (see /tmp/visor-apt-docker.log)"
	fi
	command -v dockerd >/dev/null 2>&1 || skip "docker.io installed no dockerd"
	visor_register_runtime
	if ! docker_answers; then
		local log=/var/log/visor-test-dockerd.log
		(setsid dockerd >"$log" 2>&1 &)
		local i
		for i in $(seq 60); do
			docker_answers && break
			sleep 1
		done
		docker_answers || skip "dockerd does not start here (see $log)"
	else
		# Pick up the runtimes entry (dockerd reloads daemon.json on SIGHUP).
		local pid
		pid=$(pidof dockerd 2>/dev/null | awk '{print $1}')
		[ -n "$pid" ] && kill -HUP "$pid" && sleep 1
	fi
	docker info 2>/dev/null | grep -q "$DOCKER_RUNTIME" || {
		sleep 2
		docker info 2>/dev/null | grep -q "$DOCKER_RUNTIME" ||
			fail "dockerd did not pick up the $DOCKER_RUNTIME runtime"
	}
	docker_import_busybox
}

# daemon.json: runtimes.$DOCKER_RUNTIME.path = this build's visor (visor
# install if it knows --path, else edit the JSON with python3).
# When no "visor" runtime is registered at all (a fresh CI machine), the
# build is registered as "visor" too, for tests that name it so.
visor_register_runtime() {
	mkdir -p /etc/docker
	if ! python3 -c 'import json,sys; sys.exit(0 if "visor" in json.load(open("/etc/docker/daemon.json")).get("runtimes", {}) else 1)' 2>/dev/null; then
		DOCKER_RUNTIME=visor visor_register_runtime_as
	fi
	visor_register_runtime_as
}

visor_register_runtime_as() {
	local args=()
	# The platform goes to this build's own runtime name, never to "visor".
	[ -n "$VISOR_TEST_PLATFORM" ] && [ "$DOCKER_RUNTIME" != visor ] &&
		args=(-- --platform="$VISOR_TEST_PLATFORM")
	if "$VISOR_BIN" install --help 2>&1 | grep -q -- '--path'; then
		"$VISOR_BIN" install --runtime="$DOCKER_RUNTIME" --path="$VISOR_BIN" "${args[@]}" \
			>/dev/null 2>&1 && return 0
	fi
	python3 - "$VISOR_BIN" "$DOCKER_RUNTIME" "${args[@]:1}" <<'PY'
import json, os, sys
p = "/etc/docker/daemon.json"
d = {}
if os.path.exists(p) and os.path.getsize(p) > 0:
    with open(p) as f:
        d = json.load(f)
entry = {"path": sys.argv[1]}
if sys.argv[3:]:
    entry["runtimeArgs"] = sys.argv[3:]
d.setdefault("runtimes", {})[sys.argv[2]] = entry
tmp = p + ".tmp"
with open(tmp, "w") as f:
    json.dump(d, f, indent=2)
    f.write("\n")
os.rename(tmp, p)
PY
}

docker_import_busybox() {
	docker image inspect "$DOCKER_IMAGE" >/dev/null 2>&1 && return 0
	local tmp
	tmp=$(mktemp -d)
	make_busybox_rootfs "$tmp/rootfs"
	tar -C "$tmp/rootfs" -c . | docker import -c 'CMD ["/bin/sh"]' -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$DOCKER_IMAGE" >/dev/null ||
		fail "docker import of $DOCKER_IMAGE failed"
	rm -rf "$tmp"
}

# docker run on visor with a time bound, so a hang fails the test instead of the suite.
dr() { timeout "${DR_TIMEOUT:-60}" docker run --rm --runtime="$DOCKER_RUNTIME" "$@"; }

# ---- Debian image ------------------------------------------------------------

DEBIAN_IMAGE=visor-debian
DEBIAN_CACHE=${DEBIAN_CACHE:-/var/cache/visor-test/debian-bookworm.tar}

# A Debian 12 root made with debootstrap (minbase), cached as a tarball so
# only the first run pays for it, imported as $DEBIAN_IMAGE.
docker_import_debian() {
	docker image inspect "$DEBIAN_IMAGE" >/dev/null 2>&1 && return 0
	if [ ! -s "$DEBIAN_CACHE" ]; then
		command -v debootstrap >/dev/null 2>&1 ||
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null 2>&1 ||
			skip "cannot install debootstrap"
		local root
		root=$(mktemp -d)
		timeout 900 debootstrap --variant=minbase bookworm "$root" \
			"${DEBIAN_MIRROR:-http://deb.debian.org/debian}" >/tmp/visor-debootstrap.log 2>&1 || {
			rm -rf "$root"
			skip "debootstrap failed (see /tmp/visor-debootstrap.log)"
		}
		mkdir -p "$(dirname "$DEBIAN_CACHE")"
		tar -C "$root" -cf "$DEBIAN_CACHE.tmp" . && mv "$DEBIAN_CACHE.tmp" "$DEBIAN_CACHE"
		rm -rf "$root"
	fi
	docker import -c 'CMD ["/bin/bash"]' \
		-c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
		"$DEBIAN_CACHE" "$DEBIAN_IMAGE" >/dev/null || fail "docker import of $DEBIAN_IMAGE failed"
}

# docker_build_apps IMAGE PACKAGE...: IMAGE FROM $DEBIAN_IMAGE with Debian's
# PACKAGEs installed (docker build: a second run costs nothing).  Skips when
# the packages cannot be installed (no mirror reachable).
docker_build_apps() {
	local image=$1 ctx
	shift
	docker_import_debian
	ctx=$(mktemp -d)
	printf 'FROM %s\nRUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends %s && rm -rf /var/lib/apt/lists/*\n' \
		"$DEBIAN_IMAGE" "$*" >"$ctx/Dockerfile"
	timeout 900 docker build -q -t "$image" "$ctx" >"/tmp/visor-build-$image.log" 2>&1 || {
		rm -rf "$ctx"
		skip "cannot build $image (see /tmp/visor-build-$image.log)"
	}
	rm -rf "$ctx"
}

# same_as_runc IMAGE DIR SCRIPT ARG...: `bash /w/SCRIPT ARG...` in IMAGE with
# the host directory DIR at /w, under runc and then under visor; fails unless
# both succeed with the same output, which it prints.
same_as_runc() {
	local image=$1 dir=$2 script=$3 want got
	shift 3
	want=$(timeout 300 docker run --rm --runtime=runc -v "$dir:/w" "$image" bash "/w/$script" "$@" 2>&1) ||
		fail "$script $* fails under runc: $want"
	got=$(timeout 300 docker run --rm --runtime="$DOCKER_RUNTIME" -v "$dir:/w" "$image" bash "/w/$script" "$@" 2>&1) ||
		fail "$script $* fails under visor: $got"
	[ "$want" = "$got" ] || fail "$script $*: outputs differ: runc [$want] visor [$got]"
	echo "$got"
}

# apps_setup: set -u, Docker with visor, IMAGE (Debian with git and sqlite3) built,
# and a scratch directory $work removed at exit.
apps_setup() {
	set -u
	docker_setup
	IMAGE=visor-goferid-apps
	docker_build_apps "$IMAGE" git sqlite3
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
}
