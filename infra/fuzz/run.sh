#!/usr/bin/env bash
# make fuzz: every fuzz target of the project for FUZZTIME each (default 30s),
# then a table of inputs tried and failures per decoder. A failure leaves its
# input under the package's testdata/fuzz/ for `go test` to replay.
set -uo pipefail
cd "$(dirname "$0")/../.."
FUZZTIME=${FUZZTIME:-30s}
targets=$(grep -rl --include='*_test.go' '^func Fuzz' . | while read -r f; do
  pkg=$(dirname "$f")
  grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed "s#^func #${pkg} #"
done | sort -u)
printf '%-22s %-28s %14s %9s\n' package target inputs failures
failed=0
while read -r pkg target; do
  [ -n "$pkg" ] || continue
  out=$(go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$pkg" 2>&1)
  status=$?
  execs=$(printf '%s\n' "$out" | grep -o 'execs: [0-9]*' | tail -1 | awk '{print $2}')
  fails=0
  if [ $status -ne 0 ]; then fails=1; failed=1; printf '%s\n' "$out" | tail -20 >&2; fi
  printf '%-22s %-28s %14s %9s\n' "${pkg#./}" "$target" "${execs:-0}" "$fails"
done <<< "$targets"
exit $failed
