#!/usr/bin/env bash
# docker_run_git_init_commit_branch_merge_gc_fsck: git stores every object as
# a temporary file linked to its final name (the name it was written by then
# unlinked) and maps its pack files; on a bind mount and on the container's
# root, init, add, commit, branch, merge, gc and fsck --strict are clean and
# print what they print under runc.
. "$(dirname "$0")/lib.sh"
apps_setup
cp "$(dirname "$0")/realapps/git.sh" "$work/git.sh"

for dir in /w/bind /srv/root; do
	got=$(same_as_runc "$IMAGE" "$work" git.sh "$dir") || exit 1
	echo "$got" | grep -q '^fsck clean$' || fail "git fsck in $dir: $got"
	echo "ok: git in $dir"
done
exit 0
