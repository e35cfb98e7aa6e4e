#!/usr/bin/env bash
# Self-test for scripts/sarif-validate.sh: the valid sample must pass and each
# invalid sample must fail with the expected validator rule, so a broken
# validator setup can't silently pass everything.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
validate="$here/sarif-validate.sh"
data="$here/testdata"
out="$(mktemp "${TMPDIR:-/tmp}/sarif-selftest.XXXXXX")"
trap 'rm -f "$out"' EXIT

fail=0
# expect FILE EXIT_CODE [PATTERN]
expect() {
    local file="$1" want="$2" pattern="${3:-}" rc=0
    bash "$validate" "$data/$file" > "$out" 2>&1 || rc=$?
    if [ "$rc" -ne "$want" ]; then
        cat "$out"
        echo "selftest: $file: exit $rc, expected $want" >&2
        fail=1
    elif [ -n "$pattern" ] && ! grep -q -- "$pattern" "$out"; then
        cat "$out"
        echo "selftest: $file: output lacks '$pattern'" >&2
        fail=1
    else
        echo "selftest: $file: exit $rc as expected"
    fi
}

expect valid.sarif 0
expect invalid.sarif 1 "error JSON1002"
expect invalid-gh.sarif 1 "error GH2012"

if [ "$fail" -ne 0 ]; then
    echo "selftest: FAILED" >&2
    exit 1
fi
echo "selftest: sarif-validate.sh OK"
