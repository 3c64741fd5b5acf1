#!/usr/bin/env bash
# check-clauses.sh BUILD_DIR - the clause-to-test map is complete, and its
# check can fail.
#
# 1. scripts/clauses --check on the real contract: every numbered sentence
#    of programs/CONTRACT.md has a test (or is marked unobservable with a
#    reason), every tag names a real sentence, and programs/CLAUSES.md and
#    clauses.tsv are up to date.
# 2. The same contract with one more sentence that no test names must fail
#    the check, naming that sentence; marked unobservable, it must pass.
set -u -o pipefail
build=$1
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d /tmp/sockcheck-check-clauses.XXXXXX) || exit 2
trap 'rm -rf "$tmp"' EXIT
fail() { echo "check-clauses: $*" >&2; exit 1; }

"$here/scripts/clauses" --build "$build" --check || fail "the clause map of the project is not complete (above)"

extra() { # contract with one more sentence appended to the udp_local section
	awk -v line="$1" '{ print } /^- \*\*C-udp_local-8\*\*/ { print line }' \
		"$here/programs/CONTRACT.md" >"$tmp/CONTRACT.md"
	grep -qF "C-udp_local-99" "$tmp/CONTRACT.md" || fail "could not make the test contract"
}
extra "- **C-udp_local-99** a sentence no test checks."
"$here/scripts/clauses" --build "$build" --contract "$tmp/CONTRACT.md" --out "$tmp" --write >/dev/null ||
	fail "scripts/clauses --write failed on the test contract"
if "$here/scripts/clauses" --build "$build" --contract "$tmp/CONTRACT.md" --out "$tmp" --check \
	2>"$tmp/err" >/dev/null; then
	fail "a sentence without a test passed the check"
fi
grep -q '^clauses: C-udp_local-99: no book test' "$tmp/err" ||
	fail "the check failed, but not naming C-udp_local-99: $(cat "$tmp/err")"
extra "- **C-udp_local-99** *unobservable: only the test of this check has it.* a sentence."
"$here/scripts/clauses" --build "$build" --contract "$tmp/CONTRACT.md" --out "$tmp" --write >/dev/null &&
	"$here/scripts/clauses" --build "$build" --contract "$tmp/CONTRACT.md" --out "$tmp" --check \
		>/dev/null 2>"$tmp/err" || fail "an unobservable sentence with its reason failed the check: $(cat "$tmp/err")"
echo "check-clauses: the map is complete, and a sentence without a test fails it"
