#!/usr/bin/env bash
# docker_volumes_and_tmpfs: -v DIR:DEST (read-write and :ro), a file bind
# mount, --tmpfs and --read-only behave as under runc; mount points missing
# from the image are created, through the image's symlinks as runc does
# (Debian's /var/run -> /run); --init's docker-init (a symlink on the host)
# is served; -v /dev/null:FILE binds the sandbox's own /dev/null; a source
# that cannot be served fails create with the reason.
set -u
. "$(dirname "$0")/lib.sh"
docker_setup
V=$(mktemp -d /tmp/visor-vol-XXXXXX)
trap 'rm -rf "$V"' EXIT
echo vol-content >"$V/f"
out=$(dr -v "$V:/data" visor-busybox sh -c 'cat /data/f; echo written > /data/g' 2>&1) ||
	fail "docker run -v: $out"
[ "$out" = vol-content ] || fail "volume content: $out"
[ "$(cat "$V/g" 2>/dev/null)" = written ] || fail "write through the volume did not reach the host"
dr -v "$V:/data:ro" visor-busybox sh -c 'echo x > /data/h' >/dev/null 2>&1 && fail "write to a :ro volume succeeded"
[ -e "$V/h" ] && fail "a :ro volume was written on the host"
out=$(dr -v "$V/f:/etc/f1" visor-busybox cat /etc/f1 2>&1) || fail "file bind mount: $out"
[ "$out" = vol-content ] || fail "file bind mount content: $out"
out=$(dr --tmpfs /scratch visor-busybox sh -c 'echo t > /scratch/y && cat /scratch/y' 2>&1) ||
	fail "--tmpfs: $out"
[ "$out" = t ] || fail "--tmpfs content: $out"
dr --read-only visor-busybox sh -c 'echo x > /x' >/dev/null 2>&1 && fail "--read-only root was writable"
docker_import_debian
out=$(dr -v "$V:/var/run/app" -v "$V/f:/var/run/f1:ro" "$DEBIAN_IMAGE" \
	sh -c 'cat /run/app/f /var/run/app/f /run/f1' 2>&1) || fail "mount below /var/run: $out"
[ "$out" = "$(printf 'vol-content\nvol-content\nvol-content')" ] || fail "mount below /var/run: $out"
if [ -e /usr/bin/docker-init ]; then
	out=$(dr --init visor-busybox cat /proc/1/comm 2>&1) || fail "--init: $out"
	[ "$out" = docker-init ] || fail "--init: pid 1 is $out"
fi
out=$(dr -v /dev/null:/etc/masked visor-busybox sh -c 'echo x > /etc/masked; wc -c < /etc/masked' 2>&1) ||
	fail "-v /dev/null: $out"
[ "$(echo $out)" = 0 ] || fail "-v /dev/null: the file holds $out bytes"
mkfifo "$V/fifo"
out=$(dr -v "$V/fifo:/fifo" visor-busybox true 2>&1) && fail "a fifo was served as a volume"
echo "$out" | grep -q "only directories and regular files" || fail "create's error does not say why: $out"
echo "ok: -v below a symlinked directory, --init, -v /dev/null, an unservable source's reason"
exit 0
