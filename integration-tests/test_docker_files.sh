#!/usr/bin/env bash
# docker_run_setfattr_getfattr_user_xattrs: in a Debian container, attr's
# setfattr and getfattr set, read, list and remove user.* extended attributes
# on a bind mount and on the container's root (the Gofer keeps them on the
# host), and trusted.* is refused to the container's root (no
# CAP_SYS_ADMIN): the same output as under runc.
. "$(dirname "$0")/lib.sh"
set -u
docker_setup
IMAGE=visor-files-apps
docker_build_apps "$IMAGE" attr
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/xattr.sh" <<'SH'
set -eu
mkdir -p "$1" && cd "$1" && rm -rf f d && echo data >f && mkdir d
setfattr -n user.x -v 1 f
getfattr -d f
setfattr -n user.y -v two f
getfattr -n user.y --only-values f; echo
setfattr -n user.dir -v here d && getfattr -d d
setfattr -x user.x f
getfattr -d f
getfattr -n user.x f 2>&1 || echo "user.x gone"
setfattr -n trusted.t -v 1 f 2>&1 || echo "trusted.* refused"
getfattr -d -m '^user\.' f
SH

for dir in /w/bind /srv/root; do
	got=$(same_as_runc "$IMAGE" "$work" xattr.sh "$dir") || exit 1
	echo "$got" | grep -q '^user.y="two"$' || fail "user.y not listed in $dir: $got"
	echo "ok: setfattr/getfattr in $dir"
done
[ "$(getfattr --only-values -n user.y "$work/bind/f" 2>/dev/null || python3 -c "import os,sys; sys.stdout.write(os.getxattr(sys.argv[1], 'user.y').decode())" "$work/bind/f")" = two ] ||
	fail "user.y did not reach the host file"
echo "ok: the host file has user.y"
exit 0
