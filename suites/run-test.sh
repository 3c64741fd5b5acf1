#!/usr/bin/env bash
# Runs one Criterion test for ctest and turns its verdict into an exit status:
# 0 passed, 77 skipped (ctest's SKIP_RETURN_CODE), 1 failed.  Criterion itself
# exits 0 when a filter matches nothing or a test skips; this wrapper does not.
set -u
bin=$1 suite=$2 test=$3
# A timing test (serial.txt) has its programs run at real-time priority where
# it can, as scripts/conform runs them: they must wake on time
# (harness/timing_prio.c).  The test process itself stays at normal priority
# (see scripts/conform on the fair server), except for the harness's own
# timing test, where what is timed is the lab's switch and our peers.
rt=()
if grep -qxF "$suite/$test" "$(dirname "$0")/serial.txt" &&
	chrt --fifo 10 prlimit --rttime=1000000:2000000 -- true 2>/dev/null; then
	rt=(env SOCKCHECK_PROG_RTPRIO=20)
	[ "$suite" = harness ] && rt+=(chrt --fifo 10 prlimit --rttime=1000000:2000000 --)
fi
# lean-start.sh: Criterion's start-up without the CA bundle (8 ms a process).
out=$("$(dirname "$0")/lean-start.sh" "${rt[@]}" "$bin" --filter="$suite/$test" --verbose --color=never 2>&1)
rc=$?
printf '%s\n' "$out"
if grep -qF "[SKIP] $suite::$test: " <<<"$out" && ! grep -qF "[SKIP] $suite::$test: Test is disabled" <<<"$out"; then
	exit 77
fi
if ! grep -qF "[RUN ] $suite::$test" <<<"$out"; then
	echo "run-test: $suite/$test ran zero tests" >&2
	exit 1
fi
if [ "$rc" -ne 0 ] || ! grep -qE 'Synthesis: Tested: 1 \| Passing: 1 \| Failing: 0 \| Crashing: 0' <<<"$out"; then
	exit 1
fi
exit 0
