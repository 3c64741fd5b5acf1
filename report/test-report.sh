#!/usr/bin/env bash
# test-report.sh SC_REPORT - sc-report's own test (ctest report/outputs):
# records holding what a hostile port can print (\xff\xfe, NUL, ESC
# sequences, a quote, markup, a tab) must give well-formed junit.xml and
# results.json with the text escaped, not dropped; report.txt and the TAP
# file must hold no control byte; a test with no record is a harness error,
# as is a skip whose reason starts with "harness error:", and either makes
# the verdict HARNESS ERROR with exit status 2.
set -u
sc_report=$1
dir=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$dir"' EXIT; [ -n "${KEEP:-}" ] && echo "$dir"
fail() { echo "FAIL: $*" >&2; exit 1; }

# Fields as suites/sct_record.c escapes them.
printf '%s\n' \
	$'udp_local_book\tpasses\tpass\t0.125\t' \
	$'echo_client_book\tprints_repr\tfail\t0.500\tgot: \xff\xfe\\x00\\x1b[2J\\x1b]0;owned\\x07 <b>&"quote\'\\ttab\\nsecond line' \
	$'time_client_book\tskipped\tskip\t0.010\tport has no time_client' \
	$'smoke\tudp_local\tpass\t0.200\t' >"$dir/a.rec"
printf '%s\n' udp_local_book::passes echo_client_book::prints_repr time_client_book::skipped \
	smoke::udp_local udp_remote_robust::never_reported >"$dir/expected.txt"
run() {
	"$sc_report" --out "$dir" --port "/p/ort"$'\x1b' --name port --mode-label "namespaces (root)" \
		--mode-reason "running as root" --seed 7 --tier all --wall 1.5 --expected "$dir/expected.txt" \
		--tap "$dir/tap.txt" "$@"
}
run "$dir/a.rec"
rc=$?
[ $rc -eq 2 ] || fail "a test without a record must make exit status 2, got $rc"
python3 - "$dir" <<'PY' || exit 1
import json, sys, xml.dom.minidom
d = sys.argv[1]
r = json.load(open(d + "/results.json"))
assert r["verdict"] == "HARNESS ERROR", r["verdict"]
assert r["seed"] == 7 and r["mode"] == "root" and r["tier"] == "all" and r["limits"] is None
t = {x["suite"] + "/" + x["test"]: x for x in r["tests"]}
assert len(r["tests"]) == 5, len(r["tests"])
m = t["echo_client_book/prints_repr"]["message"]
assert m.startswith("got: \\xff\\xfe\\x00\\x1b[2J\\x1b]0;owned\\x07 <b>&\"quote'\\x09tab\nsecond line"), repr(m)
assert t["udp_remote_robust/never_reported"]["status"] == "harness_error"
assert t["echo_client_book/prints_repr"]["program"] == "echo_client"
assert t["smoke/udp_local"]["tier"] == "pairs" and t["smoke/udp_local"]["program"] == "udp_local"
assert r["programs"]["echo_client"]["book"] == {"pass": 0, "fail": 1, "skip": 0}
assert r["programs"]["pairs"] == {"pass": 1, "fail": 0, "skip": 0}
assert t["udp_local_book/passes"]["duration_s"] == 0.125
x = xml.dom.minidom.parse(d + "/junit.xml")
cases = x.getElementsByTagName("testcase")
assert len(cases) == 5, len(cases)
f = [c for c in cases if c.getAttribute("name") == "prints_repr"][0]
fl = f.getElementsByTagName("failure")[0]
assert fl.getAttribute("message") == m, fl.getAttribute("message")
assert f.getAttribute("classname") == "echo_client_book"
s = [c for c in cases if c.getAttribute("name") == "skipped"][0]
assert s.getElementsByTagName("skipped")[0].getAttribute("message") == "port has no time_client"
PY
for f in report.txt tap.txt results.txt; do
	if LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$dir/$f" || LC_ALL=C grep -qaP '\x00' "$dir/$f"; then
		fail "$f holds a control byte"
	fi
done
grep -q '^not ok 1 - echo_client_book/prints_repr$' "$dir/tap.txt" || fail "TAP: no 'not ok' line for the failure"
grep -q '^ok [0-9]* - time_client_book/skipped # SKIP port has no time_client$' "$dir/tap.txt" || fail "TAP: no SKIP line"
head -2 "$dir/tap.txt" | tr '\n' ' ' | grep -q '^TAP version 13 1\.\.5 $' || fail "TAP: header or plan"
grep -q '^conform: HARNESS ERROR' "$dir/report.txt" || fail "report.txt: no HARNESS ERROR verdict"

# Every test reported, one skip marked as a harness error by its reason.
printf '%s\n' $'udp_remote_robust\tnever_reported\tskip\t0.001\tharness error: the jail could not be built' >"$dir/b.rec"
run "$dir/a.rec" "$dir/b.rec"
[ $? -eq 2 ] || fail "a 'harness error:' skip must make exit status 2"
grep -q 'ERROR udp_remote_robust/never_reported: harness error: the jail' "$dir/report.txt" || fail "report.txt: harness error line"

# Without it: NOT CONFORMANT (exit 1), and the limits file copied in.
printf '%s\n' $'udp_remote_robust\tnever_reported\tpass\t0.001\t' >"$dir/b.rec"
echo '{"cpu_s": 10}' >"$dir/limits.json"
SOCKCHECK_LIMITS_JSON=$dir/limits.json run "$dir/a.rec" "$dir/b.rec"
[ $? -eq 1 ] || fail "a failed book test must make exit status 1"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["verdict"]=="NOT CONFORMANT" and r["limits"]=={"cpu_s":10}, r' "$dir/results.json" || fail "limits or verdict"
# A timing test rerun alone (scripts/conform): the rerun's record decides, the
# first try's failure is shown in every output.
printf '%s\n' $'udp_remote_book\tclient_backs_off\tfail\t3.2\tinterval 0.2122 s, expected 0.200 +- 0.0100 s  <-- off: late' \
	$'udp_remote_book\tclient_retries\tfail\t1.0\tinterval 0.1119 s  <-- off: late' >"$dir/t.rec"
mkdir -p "$dir/rerun"
printf '%s\n' $'udp_remote_book\tclient_backs_off\tpass\t3.1\t' >"$dir/rerun/1.rec"
printf '%s\n' $'udp_remote_book\tclient_retries\tfail\t1.0\tinterval 0.1201 s  <-- off: late' >"$dir/rerun/2.rec"
printf '%s\n' udp_remote_book::client_backs_off udp_remote_book::client_retries >"$dir/expected.txt"
run "$dir/t.rec" "$dir/rerun/1.rec" "$dir/rerun/2.rec"
[ $? -eq 1 ] || fail "a timing test that failed its rerun too must make exit status 1"
grep -q '^  RERUN udp_remote_book/client_backs_off: first try: interval 0.2122 s' "$dir/report.txt" ||
	fail "report.txt: no RERUN line with the first try"
grep -q '^  FAIL udp_remote_book/client_retries: (failed again when rerun alone) interval 0.1201' "$dir/report.txt" ||
	fail "report.txt: the twice-failed test must show its rerun's failure"
python3 - "$dir" <<'PY' || exit 1
import json, sys, xml.dom.minidom
d = sys.argv[1]
t = {x["test"]: x for x in json.load(open(d + "/results.json"))["tests"]}
assert t["client_backs_off"]["status"] == "pass" and "0.2122" in t["client_backs_off"]["first_try"], t
assert t["client_retries"]["status"] == "fail" and "0.1201" in t["client_retries"]["message"], t
assert "0.1119" in t["client_retries"]["first_try"], t
c = [c for c in xml.dom.minidom.parse(d + "/junit.xml").getElementsByTagName("testcase")
     if c.getAttribute("name") == "client_backs_off"][0]
assert not c.getElementsByTagName("failure"), "a pass on rerun is no failure"
assert "0.2122" in c.getElementsByTagName("system-out")[0].firstChild.data
PY
grep -A2 '^ok [0-9]* - udp_remote_book/client_backs_off$' "$dir/tap.txt" | grep -q 'first_try: .*0.2122' ||
	fail "TAP: the first try's failure under the rerun's ok"
# The rerun passing makes the run conformant.
printf '%s\n' $'udp_remote_book\tclient_retries\tpass\t1.0\t' >"$dir/rerun/2.rec"
run "$dir/t.rec" "$dir/rerun/1.rec" "$dir/rerun/2.rec"
[ $? -eq 0 ] || fail "timing tests that passed when rerun alone must make exit status 0"
echo "sc-report: all checks passed"
