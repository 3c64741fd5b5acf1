#!/usr/bin/env bash
# check-port.sh - the proof that the conformance suites catch what they should.
#
#   check-port.sh BUILD_DIR PORT_DIR --pass        the port passes every book test
#   check-port.sh BUILD_DIR PORT_DIR --broken      the port's one defect is caught
#
# A broken port (suites/ports/broken/<defect>/) differs from the faithful
# Python port in one program, named on the first line of its DEFECT file;
# the other eleven are symlinks to the Python port's files.  Every test of a
# program X runs the port's X against our reference programs or a scripted
# peer, never the port's other programs, so the tests of the eleven
# unchanged programs give exactly what they give on the Python port, where
# they pass (the --pass check).  What is left to show is that the tests of
# the defective program fail: that is what --broken runs and asserts, and
# it checks the symlinks so the argument holds.
set -u -o pipefail
build=$1 port=$2 mode=$3
here=$(cd "$(dirname "$0")/.." && pwd)

case $mode in
--pass)
	SOCKCHECK_BUILD=$build exec "$here/scripts/conform" "$port" --tier book --no-build --quiet \
		--out "$build/conform-check/$(basename "$port")"
	;;
--broken) ;;
*) echo "check-port.sh: unknown mode $mode" >&2; exit 2 ;;
esac

[ -f "$port/DEFECT" ] || { echo "no DEFECT file in $port" >&2; exit 2; }
id=$(sed -n 1p "$port/DEFECT")
echo "defect: $(sed -n 2p "$port/DEFECT")"
echo "program that must fail: $id"
# An optional third line "test: <suite>/<test>" names the test written to
# catch this defect: only it runs, and it must fail (the symlinks argument
# below covers the other programs either way).
filter="${id}_book/*"
if sed -n 3p "$port/DEFECT" | grep -qE '^test: [A-Za-z0-9_]+/[A-Za-z0-9_]+$'; then
	filter=$(sed -n 3p "$port/DEFECT" | cut -d' ' -f2)
	case $filter in "${id}_book/"*) ;; *) echo "DEFECT names $filter, not a book test of $id" >&2; exit 2 ;; esac
	echo "test that must catch it: $filter"
fi
for f in "$port"/*; do
	name=$(basename "$f")
	[ "$name" = DEFECT ] && continue
	if [ "$name" = "$id" ]; then
		[ -f "$f" ] && [ ! -L "$f" ] || { echo "$f should be the modified copy" >&2; exit 1; }
	else
		[ "$(readlink -f "$f")" = "$(readlink -f "$port/../../python/$name")" ] ||
			{ echo "$f is not the Python port's $name: the argument above does not hold" >&2; exit 1; }
	fi
done

evidence=$build/conform-check/broken-$(basename "$port")
rm -rf "$evidence"
mkdir -p "$evidence"
failed=0
for b in conf_fopnp conf_chun conf_bogo; do
	out=$(SOCKCHECK_PORT=$port SOCKCHECK_EVIDENCE=$evidence \
		timeout 600 "$build/suites/$b" --filter="$filter" --verbose --color=never -j2 2>&1)
	fails=$(grep -E "^\[FAIL\] ${id}_book::" <<<"$out")
	others=$(grep -E '^\[FAIL\] ' <<<"$out" | grep -vE "^\[FAIL\] ${id}_book::")
	[ -z "$others" ] || { echo "failures outside $id: $others" >&2; exit 1; }
	if [ -n "$fails" ]; then
		failed=$((failed + $(wc -l <<<"$fails")))
		sed 's/^/  caught by /' <<<"$fails"
		grep -E '^\[----\]   [^ ]' <<<"$out" | head -5
	fi
done
rm -rf "$evidence"
if [ "$failed" -eq 0 ]; then
	echo "NOT CAUGHT: no book test of $id ($filter) failed on $(basename "$port")"
	exit 1
fi
echo "caught: $failed book test(s) of $id failed, and only tests of $id"
