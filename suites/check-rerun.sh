#!/usr/bin/env bash
# check-rerun.sh BUILD_DIR - scripts/conform's rerun of a failed timing test
# (see "reruns of timing tests" there) lets a late wake-up pass but never a
# wrong schedule.  Two scratch copies of the faithful Python port, each
# with a udp_remote client whose waits differ from the ones it prints:
#
# 1. slow (a tenth longer, every time): the first try is late, so it is
#    rerun alone, fails again, and the port is NOT CONFORMANT, the report
#    saying so; the first try's evidence is kept beside the test's.
# 2. fast (a tenth shorter): early, which no machine makes a program be:
#    not rerun at all, NOT CONFORMANT.
set -u -o pipefail
build=$1
here=$(cd "$(dirname "$0")/.." && pwd)
out=$build/check-rerun
fail() { echo "check-rerun: $*" >&2; exit 1; }
test=udp_remote_book/client_backs_off_and_gives_up

rm -rf "$out"
mkdir -p "$out" || exit 2
trap 'rm -rf "$out"' EXIT
for kind in slow:1.1:late fast:0.9:early; do
	IFS=: read -r name factor word <<<"$kind"
	port=$out/port-$name
	# Real files: the jail refuses links that leave the port.
	cp -rL "$here/suites/ports/python" "$port" || exit 2
	sed -i "s/^        sock.settimeout(delay)\$/        sock.settimeout(delay * $factor)/" "$port/udp_remote"
	grep -qF "settimeout(delay * $factor)" "$port/udp_remote" || fail "could not make the $name port"
	SOCKCHECK_BUILD=$build "$here/scripts/conform" "$port" --tier book --no-build --out "$out/$name" \
		>"$out/$name.log" 2>&1
	rc=$?
	[ $rc -eq 1 ] || { cat "$out/$name.log"; fail "$name: exit status $rc, expected 1 (NOT CONFORMANT)"; }
	report=$out/$name/report.txt
	case $name in
	slow)
		grep -qxF "conform: rerunning $test alone (a timing test; its first try failed)" "$out/$name.log" ||
			{ cat "$out/$name.log"; fail "slow: $test was not rerun"; }
		grep -q "^  FAIL $test: (failed again when rerun alone) .*<-- off: late" "$report" ||
			{ cat "$report"; fail "slow: the report does not show $test failing again, late"; }
		ls "$out/$name/evidence/$test.first-try/"*.timeline.txt >/dev/null 2>&1 ||
			fail "slow: no evidence (with its timeline) of the first try"
		;;
	fast)
		grep -q "^  FAIL $test: .*<-- off: early" "$report" ||
			{ cat "$report"; fail "fast: $test did not fail on an early interval"; }
		! grep -qF "conform: rerunning $test" "$out/$name.log" || fail "fast: an early interval was rerun"
		;;
	esac
	echo "check-rerun: $name port: $(grep -c '^conform: rerunning' "$out/$name.log") rerun(s), $(grep '^conform: ' "$report" | tail -1)"
done
echo "check-rerun: a late schedule fails its rerun too; an early one is not rerun"
