#!/usr/bin/env bash
# The layering rules of the tree (README "Layout"), checked by grep so that
# a change that breaks one fails here:
#  - nothing under sentry/vfs/ includes a sentry/fs/ header (the VFS names
#    no file system; they register with it);
#  - no file in sentry/syscalls/ or sentry/fs/procfs.c takes tasks_lock or a
#    siglock (the kernel offers references and snapshots instead);
#  - nothing outside sentry/kernel/ includes task_internal.h;
#  - netstack/ includes no Sentry header (it is a library);
#  - no source file (tests aside) is over 1,500 lines.
set -u
cd "$(dirname "$0")/.."
fail=0
bad() { echo "FAIL: $*"; fail=1; }

hits=$(grep -rln '#include "sentry/fs/' sentry/vfs --include='*.[ch]' | grep -v /tests/)
[ -z "$hits" ] || bad "sentry/vfs includes sentry/fs headers: $hits"

hits=$(grep -rlnE 'tasks_lock|siglock' sentry/syscalls/*.[ch] sentry/fs/procfs.c 2>/dev/null)
[ -z "$hits" ] || bad "tasks_lock/siglock taken outside the kernel: $hits"

hits=$(grep -rln 'task_internal.h' --include='*.[ch]' . | grep -v '^./sentry/kernel/')
[ -z "$hits" ] || bad "task_internal.h included outside sentry/kernel: $hits"

hits=$(grep -rlnE '#include "(sentry|runtime|gofer|platform)/' netstack --include='*.[ch]')
[ -z "$hits" ] || bad "netstack includes non-library headers: $hits"

while read -r n f; do
	[ "$f" = total ] && continue
	[ "$n" -le 1500 ] || bad "$f has $n lines (over 1,500)"
done < <(git ls-files '*.c' '*.h' | grep -v '/tests/' | xargs wc -l)

[ $fail -eq 0 ] && echo "layout rules hold"
exit $fail
