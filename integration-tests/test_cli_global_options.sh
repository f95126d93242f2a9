#!/usr/bin/env bash
# The CLI: version, unknown commands and malformed global options fail with
# a message naming the problem.
set -u
fail() { echo "FAIL: $*"; exit 1; }
out=$("$VISOR" version) || fail "version exited non-zero"
echo "$out" | grep -q '^visor version ' || fail "version output: $out"
echo "$out" | grep -qx 'platforms: ptrace,systrap' || fail "version: platforms built in: $out"
"$VISOR" --root /tmp/x --log-format=json --debug version >/dev/null || fail "global flags before command"
err=$("$VISOR" nosuchcommand 2>&1) && fail "unknown command succeeded"
echo "$err" | grep -q 'unknown command nosuchcommand' || fail "message: $err"
err=$("$VISOR" --platform=bogus version 2>&1) && fail "bad platform accepted"
echo "$err" | grep -q -- '--platform must be' || fail "message: $err"
err=$("$VISOR" --log-format=xml version 2>&1) && fail "bad log format accepted"
echo "$err" | grep -q -- '--log-format must be' || fail "message: $err"
exit 0
