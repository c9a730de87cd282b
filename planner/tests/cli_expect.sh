#!/bin/sh
# cli_expect.sh RC REGEX CMD [ARGS...]: run CMD, require exit status RC and
# output (stdout and stderr together) matching the extended REGEX.
want_rc=$1 regex=$2
shift 2
out=$("$@" 2>&1)
rc=$?
printf '%s\n' "$out"
if [ "$rc" -ne "$want_rc" ]; then
  echo "cli_expect: exit status $rc, want $want_rc" >&2
  exit 1
fi
if ! printf '%s\n' "$out" | grep -Eq -- "$regex"; then
  echo "cli_expect: output does not match: $regex" >&2
  exit 1
fi
