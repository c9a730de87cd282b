#!/usr/bin/env bash
# A reference in docs/ that a program generates must equal what the program
# prints now. Usage: check_generated_doc.sh DOC COMMAND [ARGS...]
set -euo pipefail
doc=$1
shift
if ! diff -u "$doc" <("$@"); then
  echo "FAIL: $doc is out of date; regenerate it with: $* > $doc" >&2
  exit 1
fi
