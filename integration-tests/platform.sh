# integration-tests/platform.sh — the platform the tests run their sandboxes
# on.  Sourced by lib.sh, and by the tests that call $VISOR without it.
#
# VISOR_TEST_PLATFORM=NAME (ptrace, systrap; unset: the runtime's default, systrap)
# makes $VISOR a wrapper, next to the binary, that passes --platform=NAME to
# every command (a global flag: accepted before any); VISOR_BIN stays the
# binary itself (what Docker runs, lib.sh then adds --platform=NAME to the
# runtime's runtimeArgs).  TEST_PLATFORM is the platform the sandboxes get.
VISOR=${VISOR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build/visor}
VISOR_BIN=${VISOR_BIN:-$(readlink -f "$VISOR")}
VISOR_TEST_PLATFORM=${VISOR_TEST_PLATFORM:-}
TEST_PLATFORM=${VISOR_TEST_PLATFORM:-systrap}
if [ -n "$VISOR_TEST_PLATFORM" ]; then
	case $VISOR_TEST_PLATFORM in
	*[!a-z0-9]*) echo "FAIL: VISOR_TEST_PLATFORM=$VISOR_TEST_PLATFORM is not a platform name" >&2; exit 1 ;;
	esac
	_wrap="$(dirname "$VISOR_BIN")/visor-on-$VISOR_TEST_PLATFORM"
	if [ ! -x "$_wrap" ] || ! grep -qF "exec '$VISOR_BIN' --platform=" "$_wrap" 2>/dev/null; then
		printf "#!/bin/sh\nexec '%s' --platform=%s \"\$@\"\n" "$VISOR_BIN" "$VISOR_TEST_PLATFORM" \
			>"$_wrap.$$" && chmod 755 "$_wrap.$$" && mv "$_wrap.$$" "$_wrap" ||
			{ echo "FAIL: cannot write $_wrap" >&2; exit 1; }
	fi
	VISOR=$_wrap
	unset _wrap
fi
