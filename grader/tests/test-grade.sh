#!/usr/bin/env bash
# test-grade.sh - end-to-end tests of the class grader (ctest label "grade").
#
#   test-grade.sh BUILD_DIR class       a class of every kind of entry, graded:
#                                       every verdict and every file checked,
#                                       the HTML read back through Chromium,
#                                       the feedback's command reproducing a
#                                       failure, --baseline after a fix
#   test-grade.sh BUILD_DIR interrupt   SIGINT, then SIGKILL, of the runner:
#                                       nothing left running, --resume finishes
#   test-grade.sh BUILD_DIR shards      --shard K/N slices and --merge joins them
#
# The class is made at test time in a scratch folder under the build tree,
# from the faithful Python port, our C programs and broken ports, each cut
# down to a few programs (a missing program is a quick skip) so the run
# stays short.  Archives with "../" paths and outward links are made with
# Python's tarfile/zipfile, which write what they are told.
set -u -o pipefail
build=$(cd "$1" && pwd) mode=$2
here=$(cd "$(dirname "$0")/../.." && pwd)
ports=$here/suites/ports
scratch=$build/grade-test/$mode
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
grade() { SOCKCHECK_BUILD=$build "$here/scripts/grade" --no-build "$@"; }

rm -rf "$scratch"
mkdir -p "$scratch/class"
class=$scratch/class out=$scratch/out

# A port of some programs of a source folder (files copied, never linked).
subset() { # name source ids...
	local d=$class/$1 src=$2
	shift 2
	mkdir -p "$d"
	for id in "$@"; do cp -L "$src/$id" "$d/$id"; done
}

# Checks what the grader wrote for one student.
check_files() { # student
	local d=$out/$1
	for f in report.txt junit.xml results.json feedback.txt grade.json; do
		[ -s "$d/$f" ] || fail "$1: $f is missing or empty"
	done
	python3 - "$d" <<'EOF' || fail "$1: a file is malformed"
import json, sys, xml.etree.ElementTree as ET
d = sys.argv[1]
g = json.load(open(d + "/grade.json"))
gs = json.load(open(d + "/results.json"))
assert "score" in gs and gs["visibility"] == "visible", "gradescope: no score/visibility"
for t in gs["tests"]:
    for k in ("name", "score", "max_score", "status", "output"):
        assert k in t, "gradescope test without " + k
    assert t["status"] in ("passed", "failed")
    assert t["score"] <= t["max_score"]
assert abs(gs["score"] - sum(t["score"] for t in gs["tests"])) < 1e-9, "gradescope total is not the sum"
root = ET.parse(d + "/junit.xml").getroot()
cases = root.findall(".//testcase")
if g["tests"]:
    assert len(cases) == len(g["tests"]), "junit: %d testcases for %d tests" % (len(cases), len(g["tests"]))
    fails = [t for t in g["tests"] if t["status"] == "fail"]
    assert len(root.findall(".//failure")) == len(fails), "junit: failures do not match"
    for t in fails:
        if t.get("evidence"):
            import os
            assert os.path.isdir(d + "/" + t["evidence"]), "evidence folder missing: " + t["evidence"]
else:
    assert len(cases) == 1
EOF
}

verdict_of() { # student
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["verdict"])' "$out/$1/grade.json" 2>/dev/null
}

expect_verdict() { # student verdict
	local v
	v=$(verdict_of "$1")
	if [ "$v" = "$2" ]; then ok "$1: $2"; else fail "$1: verdict '$v', expected '$2'"; fi
	check_files "$1"
}

make_archives() {
	python3 - "$class" "$ports/python" <<'EOF'
import io, os, sys, tarfile, zipfile
cls, py = sys.argv[1], sys.argv[2]
def add(t, name, data=b"#!/bin/sh\n", mode=0o755, **kw):
    i = tarfile.TarInfo(name); i.size = len(data); i.mode = mode
    for k, v in kw.items(): setattr(i, k, v)
    t.addfile(i, io.BytesIO(data) if i.isreg() else None)
# a good port in a top-level folder
with tarfile.open(cls + "/packed.tar.gz", "w:gz") as t:
    for p in ("udp_local", "tsTclnt"):
        add(t, "packed/" + p, open(os.path.join(py, p), "rb").read())
with tarfile.open(cls + "/dotdot.tar.gz", "w:gz") as t:
    add(t, "udp_local", open(os.path.join(py, "udp_local"), "rb").read())
    add(t, "../../outside")
with zipfile.ZipFile(cls + "/outlink.zip", "w") as z:
    z.writestr("udp_local", open(os.path.join(py, "udp_local")).read())
    zi = zipfile.ZipInfo("tsUserv"); zi.external_attr = 0o120777 << 16
    z.writestr(zi, "../../../etc/passwd")
with tarfile.open(cls + "/fifo.tar.gz", "w:gz") as t:
    add(t, "udp_local", type=tarfile.FIFOTYPE, size=0)
with tarfile.open(cls + "/abslink.tar.gz", "w:gz") as t:
    add(t, "udp_local", type=tarfile.SYMTYPE, linkname="/usr/bin/python3", size=0)
EOF
}

# ---------------------------------------------------------------------------
if [ "$mode" = class ]; then
	subset python "$ports/python" udp_local tsTclnt echo_client
	subset cprogs "$build/programs" udp_local time_client echo_client
	subset nocolon "$ports/broken/no-colon" udp_broadcast
	subset timing "$ports/python" udp_remote
	subset decodes "$ports/broken/echo-client-decodes" echo_client
	subset bytesreply "$ports/broken/bytes-in-reply" tsTserv
	mkdir "$class/empty"
	subset noexec "$ports/python" udp_local echo_client
	chmod -x "$class/noexec/echo_client"
	make_archives
	echo "stray file" >"$class/README.txt"
	# hostile ports (suites/ports/hostile): the one hostile program alone
	hostile=(fork-bomb memory-hog kill-everyone)
	for h in "${hostile[@]}"; do
		[ -f "$ports/hostile/$h/HOSTILE" ] || continue
		id=$(sed -n 's/^program: //p' "$ports/hostile/$h/HOSTILE")
		subset "hostile-$h" "$ports/hostile/$h" "$id"
		# what a hostile program runs once it has probed (as check-hostile.sh lays it out)
		cp "$ports/python/$id" "$class/hostile-$h/.faithful_$id"
	done

	# two faults injected by the grader's test hook: a timing test counted
	# failed in the class run (the rerun alone is real and passes: FLAKY), and
	# a harness error on decodes' first run (judged again, not charged)
	# A third: a timing test conform itself reported as passed only when rerun
	# alone (results.json first_try): FLAKY, with the first try's message.
	late=udp_remote_book/client_backs_off_and_gives_up
	late2=udp_remote_book/client_accepts_a_late_reply
	grade "$class" -o "$out" --tier book --seed 4242 --test-inject "fail-once:$late" \
		--test-inject "first-try:$late2" \
		--test-inject harness-error-once:decodes >"$scratch/grade.log" 2>&1
	rc=$?
	cat "$scratch/grade.log"
	[ $rc -eq 0 ] || fail "scripts/grade exited $rc"
	expect_verdict python CONFORMANT
	expect_verdict cprogs CONFORMANT
	expect_verdict packed CONFORMANT
	expect_verdict noexec CONFORMANT
	expect_verdict nocolon "NOT CONFORMANT"
	# timing's verdict follows its tests once rerun: CONFORMANT unless a book test still fails
	# (another timing test may have failed in the class run and passed alone: FLAKY too)
	python3 - "$out/timing/grade.json" "$late" "$late2" <<'EOF2' || fail "timing: the verdict does not follow the reruns"
import json, sys
g = json.load(open(sys.argv[1]))
st = {t["suite"] + "/" + t["test"]: t["status"] for t in g["tests"]}
assert st[sys.argv[2]] == "flaky", st[sys.argv[2]]
still = [k for k, v in st.items() if v == "fail" and "_robust/" not in k]
assert g["verdict"] == ("NOT CONFORMANT" if still else "CONFORMANT"), (g["verdict"], still)
for t in g["tests"]:
    if t["status"] == "flaky":
        assert t["reruns"][-1] == "pass", t
t2 = [t for t in g["tests"] if t["suite"] + "/" + t["test"] == sys.argv[3]][0]
assert t2["status"] == "flaky" and t2["message"] == "first try failed by --test-inject", t2
EOF2
	check_files timing
	grep -q "^FLAKY:   $late failed, then passed when rerun alone" "$out/timing/report.txt" ||
		fail "timing: the report does not show $late as FLAKY"
	grep -q "^FLAKY:   $late2 failed, then passed when rerun alone" "$out/timing/report.txt" ||
		fail "timing: the report does not show $late2 (rerun by conform) as FLAKY"
	grep -q "rerun 1 of $late" "$scratch/grade.log" || fail "timing: no rerun of $late was run"
	! grep -q "rerun 1 of $late2" "$scratch/grade.log" || fail "timing: $late2 passed in conform, yet the grader reran it"
	grep -q "FLAKY" "$out/timing/junit.xml" || fail "timing: junit.xml does not say FLAKY"
	grep -q "judging again" "$scratch/grade.log" || fail "decodes: the harness error was not retried"
	grep -q "harness error on run 1" "$out/decodes/report.txt" || fail "decodes: the retry is not noted"
	expect_verdict decodes "NOT CONFORMANT"
	expect_verdict bytesreply "NOT CONFORMANT"
	expect_verdict empty "NO PROGRAMS"
	for s in dotdot outlink fifo abslink; do expect_verdict "$s" REFUSED; done
	for h in "${hostile[@]}"; do
		[ -d "$class/hostile-$h" ] || continue
		expect=$(sed -n 's/^expect: //p' "$ports/hostile/$h/HOSTILE")
		if [ "$expect" = conformant ]; then
			expect_verdict "hostile-$h" CONFORMANT
			continue
		fi
		expect_verdict "hostile-$h" "NOT CONFORMANT"
		python3 - "$out/hostile-$h/grade.json" "$expect" <<'EOF2' || fail "hostile-$h: no failed check says /$expect/"
import json, re, sys
g = json.load(open(sys.argv[1]))
assert any(re.search(sys.argv[2], t["message"]) for t in g["tests"] if t["status"] == "fail")
EOF2
	done
	grep -q "process limit" "$out/hostile-fork-bomb/report.txt" 2>/dev/null ||
		[ ! -d "$class/hostile-fork-bomb" ] || fail "hostile-fork-bomb: no 'process limit' note"
	grep -q "memory limit" "$out/hostile-memory-hog/report.txt" 2>/dev/null ||
		[ ! -d "$class/hostile-memory-hog" ] || fail "hostile-memory-hog: no 'memory limit' note"
	grep -q "goes up with '..'" "$out/dotdot/report.txt" || fail "dotdot: the refusal does not say '..'"
	grep -q "could point outside" "$out/outlink/report.txt" || fail "outlink: the refusal does not name the link"
	grep -q "FIFO" "$out/fifo/report.txt" || fail "fifo: the refusal does not say FIFO"
	grep -q "points outside the port (absolute)" "$out/abslink/report.txt" || fail "abslink: not refused as absolute"
	[ ! -e "$scratch/outside" ] && [ ! -e "$class/outside" ] || fail "an archive wrote outside its folder"
	grep -q "not executable (chmod +x?): echo_client" "$out/noexec/report.txt" || fail "noexec: no note"
	grep -q "ignored README.txt" "$scratch/grade.log" || fail "the stray file was not noted"
	# seeds: from the class seed and the name, printed
	grep -qE "^nocolon +NOT CONFORMANT .* seed [0-9]+ " "$scratch/grade.log" || fail "no line for nocolon with its seed"
	grep -q "class seed 4242" "$scratch/grade.log" || fail "the class seed is not printed"

	# the feedback cites the contract and reproduces a failure with the seed
	fb=$out/nocolon/feedback.txt
	grep -q "C-udp_broadcast-2" "$fb" || fail "feedback does not cite C-udp_broadcast-2 (the colon)"
	grep -q "programs/CONTRACT.md" "$fb" || fail "feedback does not cite the contract"
	seed=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["seed"])' "$out/nocolon/grade.json")
	cmd=$(grep -A1 '^  SOCKCHECK_PORT=' "$fb" | tr -d '\\\n')
	case $cmd in *"SOCKCHECK_SEED=$seed "*) ;; *) fail "the reproduce command does not carry the seed $seed: $cmd" ;; esac
	repro=$(cd "$scratch" && SOCKCHECK_EVIDENCE=$scratch/repro-evidence eval "$cmd" 2>&1)
	if grep -q '^\[FAIL\]' <<<"$repro"; then ok "the feedback's command reproduces the failure"; else
		fail "the feedback's command did not fail: $repro"; fi
	rm -rf "$scratch/repro-evidence"

	# class files
	nstudents=$(ls "$class" | grep -vc README.txt)
	python3 - "$out" "$nstudents" <<'EOF' || fail "class files are wrong"
import csv, json, sys
out = sys.argv[1]
rows = list(csv.DictReader(open(out + "/class.csv")))
names = sorted(r["student"] for r in rows)
n = int(sys.argv[2])
assert len(rows) == n, "class.csv has %d rows, not %d" % (len(rows), n)
byname = {r["student"]: r for r in rows}
assert byname["nocolon"]["udp_broadcast_fail"] != "0" and byname["nocolon"]["conformant"] == "no"
assert byname["python"]["udp_local_pass"] != "0" and byname["python"]["udp_local_fail"] == "0"
assert "not executable" in byname["noexec"]["notes"]
assert int(byname["timing"]["flaky"]) >= 1 and byname["python"]["flaky"] == "0", byname["timing"]["flaky"]
cj = json.load(open(out + "/class.json"))
assert cj["meta"]["class_seed"] == 4242 and len(cj["students"]) == n
r = cj["programs"]["udp_broadcast"]
assert r["students_judged"] == n, r
assert r["students_passing"] == (1 if "hostile-kill-everyone" in byname else 0), r
assert cj["programs"]["udp_remote"]["students_passing"] == 1
assert cj["programs"]["udp_local"]["students_passing"] == 4, cj["programs"]["udp_local"]
if "hostile-memory-hog" in byname:
    assert "memory limit" in byname["hostile-memory-hog"]["notes"], byname["hostile-memory-hog"]["notes"]
EOF
	# the page, as Chromium shows it, sorted by failures (the page's own JS)
	dom=$scratch/dom.html
	timeout 120 chromium --headless --no-sandbox --disable-gpu --virtual-time-budget=3000 \
		--dump-dom "file://$out/index.html#sort=fail-desc" >"$dom" 2>/dev/null
	python3 - "$dom" "$nstudents" <<'EOF' || fail "index.html does not show the class right"
import re, sys
html = open(sys.argv[1]).read()
assert "<script src" not in html and "http" not in html.split("<script>")[0].split("<body>")[1], "external reference"
rows = re.findall(r'<tr data-i="\d+" data-student="([^"]+)">(.*?)</tr>', html, re.S)
nrows = int(sys.argv[2])
assert len(rows) == nrows, "%d rows, not %d" % (len(rows), nrows)
verdict = {n: re.search(r'class="verdict [a-z]+">([^<]+)<', r).group(1) for n, r in rows}
assert verdict["nocolon"] == "NOT CONFORMANT" and verdict["python"] == "CONFORMANT" and verdict["dotdot"] == "REFUSED"
# sorted by book failures, most first: a port that fails more than another comes first
fails = [int(re.findall(r'<td(?: class="bad")?>(\d+)</td>', r)[1]) for _, r in rows]
assert fails == sorted(fails, reverse=True) and fails[0] > 0, fails
assert 'aria-sort="descending"' in html, "the sort did not run"
for n, r in rows:
    assert 'href="%s/report.txt"' % n in r, n + ": no link to the report"
assert re.search(r'data-program="udp_local">4/%d<' % nrows, html), "udp_local pass rate"
assert re.search(r'<td class="flaky">[1-9]</td>', rows[[n for n, _ in rows].index("timing")][1]), "FLAKY not shown"
# the hardest is one nobody passed, among those someone handed in
assert re.search(r'id="hardest">(tsTserv|udp_broadcast)<', html), re.search(r'id="hardest">[^<]*', html)
print("index.html: %d rows, sorted by failures, links and pass rates present" % nrows)
EOF

	# a resubmission: nocolon fixes its server, python breaks its client
	cp "$ports/python/udp_broadcast" "$class/nocolon/udp_broadcast"
	cp "$ports/broken/echo-client-decodes/echo_client" "$class/python/echo_client"
	grade "$class" -o "$scratch/out2" --tier book --seed 4242 --baseline "$out" --only nocolon python \
		>"$scratch/grade2.log" 2>&1 || fail "the regrade exited $?"
	out=$scratch/out2 expect_verdict nocolon CONFORMANT
	out=$scratch/out2 expect_verdict python "NOT CONFORMANT"
	grep -q "newly passes udp_broadcast_book/" "$scratch/out2/nocolon/report.txt" || fail "no newly-passing test in nocolon's report"
	grep -q "newly FAILS  echo_client_book/" "$scratch/out2/python/report.txt" || fail "no newly-failing test in python's report"
	python3 - "$scratch/out2" <<'EOF' || fail "the baseline is not in the CSV/HTML"
import csv, sys
rows = {r["student"]: r for r in csv.DictReader(open(sys.argv[1] + "/class.csv"))}
assert int(rows["python"]["newly_fail"]) > 0 and int(rows["nocolon"]["newly_pass"]) > 0, rows
html = open(sys.argv[1] + "/index.html").read()
assert "newly fail" in html and "newly pass" in html and 'id="baseline"' in html
assert '<details id="newly_fail">' in html and '<details id="newly_pass">' in html
import json
b = json.load(open(sys.argv[1] + "/class.json"))["baseline"]
assert any(w == ["python"] for t, w in b["newly_fail"].items() if t.startswith("echo_client_book/")), b
assert any(w == ["nocolon"] for t, w in b["newly_pass"].items() if t.startswith("udp_broadcast_book/")), b
EOF
	# --resume with nothing changed judges nothing again
	grade "$class" -o "$scratch/out2" --tier book --resume --only nocolon python >"$scratch/grade3.log" 2>&1
	grep -q "2 unchanged" "$scratch/grade3.log" || fail "--resume judged unchanged ports again: $(cat "$scratch/grade3.log")"
fi

# ---------------------------------------------------------------------------
if [ "$mode" = shards ]; then
	# entries that need no conform run, so the slices are quick to grade
	mkdir "$class/empty1" "$class/empty2" "$class/empty3"
	subset noexec1 "$ports/python" udp_local
	chmod -x "$class/noexec1/udp_local"
	make_archives
	rm "$class/packed.tar.gz"
	all=$(ls "$class" | wc -l)
	for k in 1 2 3; do
		grade "$class" -o "$scratch/shard$k" --shard "$k/3" --seed 9 >"$scratch/shard$k.log" 2>&1 ||
			fail "shard $k/3 exited $?"
	done
	grade --merge -o "$scratch/merged" "$scratch"/shard1 "$scratch"/shard2 "$scratch"/shard3 >"$scratch/merge.log" 2>&1 ||
		fail "merge exited $?"
	python3 - "$scratch" "$all" <<'EOF' || fail "the shards do not add up to the class"
import csv, sys
s, n = sys.argv[1], int(sys.argv[2])
seen = []
for k in (1, 2, 3):
    seen += [r["student"] for r in csv.DictReader(open("%s/shard%d/class.csv" % (s, k)))]
assert len(seen) == len(set(seen)) == n, "slices overlap or miss: %r" % seen
merged = [r["student"] for r in csv.DictReader(open(s + "/merged/class.csv"))]
assert sorted(merged) == sorted(seen), merged
EOF
	# a student's seed does not depend on the slicing
	grade "$class" -o "$scratch/whole" --seed 9 >/dev/null 2>&1 || fail "the unsliced grading exited $?"
	cmp -s <(cut -d, -f1,4 "$scratch/whole/class.csv" | sort) <(cut -d, -f1,4 "$scratch/merged/class.csv" | sort) ||
		fail "the merged shards' seeds differ from the unsliced grading's"
	grade "$class" -o "$scratch/noseed" --shard 1/2 >/dev/null 2>&1 && fail "--shard without --seed was taken"
	# the same slice every time
	grade "$class" -o "$scratch/again" --shard 2/3 --seed 9 >/dev/null 2>&1
	cmp -s <(cut -d, -f1 "$scratch/shard2/class.csv") <(cut -d, -f1 "$scratch/again/class.csv") ||
		fail "--shard 2/3 picked other students the second time"
	grep -q "shard 2/3" "$scratch/shard2/index.html" || fail "the shard page does not say which shard"
	ok "3 shards of $all students merged"
fi

# ---------------------------------------------------------------------------
# Every process of a run is in a cgroup made for it (the controller-less
# cgroup2, which the jail's own leaves sit below): empty means nothing left.
cg_count() { # dir: processes in it and below
	find "$1" -name cgroup.procs -exec cat {} + 2>/dev/null | wc -l
}
cg_drop() {
	find "$1" -depth -type d -exec rmdir {} \; 2>/dev/null
}

interrupt_once() { # signal
	local sig=$1 cg=/sys/fs/cgroup/unified/sockcheck-gradetest-$$-$1 pid n
	mkdir "$cg" || { fail "cannot make $cg"; return; }
	# the grader runs in the cgroup; the shell that starts it is not
	(echo "$BASHPID" >"$cg/cgroup.procs" && exec env SOCKCHECK_BUILD="$build" \
		"$here/scripts/grade" --no-build "$class" -o "$out" --tier book --seed 5 --jobs 2 \
		>"$scratch/$sig.log" 2>&1) &
	pid=$!
	# wait until two checks are running and one student is done
	for _ in $(seq 600); do
		[ "$(ls "$out"/*/grade.json 2>/dev/null | wc -l)" -ge 1 ] &&
			[ "$(ls -d "$out"/*/conform 2>/dev/null | wc -l)" -ge 3 ] && break
		sleep 0.1
	done
	n=$(cg_count "$cg")
	[ "$n" -ge 4 ] || fail "SIG$sig: only $n processes in the run when signalled: nothing was cut"
	# Every process of the run when it is cut: none may leave a file (a killed
	# Criterion runner leaves /tmp/criterion_<pid>.sock unless the guard removes it).
	pids=$(find "$cg" -name cgroup.procs -exec cat {} +)
	kill -"$sig" "$pid"
	wait "$pid"
	echo "after SIG$sig: grader exited $? ($n processes were running)"
	for _ in $(seq 100); do
		[ "$(cg_count "$cg")" -eq 0 ] && break
		sleep 0.1
	done
	if [ "$(cg_count "$cg")" -eq 0 ]; then
		ok "SIG$sig: nothing left running"
	else
		fail "SIG$sig: left running: $(find "$cg" -name cgroup.procs -exec cat {} + | xargs -r ps -o pid,args -p)"
		find "$cg" -name cgroup.kill -exec sh -c 'echo 1 > "$1"' _ {} \; 2>/dev/null
	fi
	for p in $pids; do
		[ ! -S "/tmp/criterion_$p.sock" ] || fail "SIG$sig: /tmp/criterion_$p.sock left behind"
	done
	left=$(find "$cg" -mindepth 1 -type d | wc -l)
	[ "$left" -eq 0 ] || echo "note: SIG$sig: $left empty cgroup leaves of killed jail supervisors (the harness sweeps them later; removed here)"
	cg_drop "$cg"
	if [ "$sig" = INT ]; then
		grep -q "finish with: scripts/grade .* --resume" "$scratch/INT.log" || fail "SIGINT: no word on --resume"
	fi
	# --resume finishes the class and keeps what was done
	grade "$class" -o "$out" --tier book --resume >"$scratch/$sig.resume.log" 2>&1 || fail "SIG$sig: --resume exited $?"
	grep -qE "[1-9][0-9]* unchanged" "$scratch/$sig.resume.log" || fail "SIG$sig: --resume kept nothing"
	for s in p1 p2 p3 p4; do expect_verdict $s CONFORMANT; done
}

if [ "$mode" = interrupt ]; then
	if [ ! -w /sys/fs/cgroup/unified ]; then
		echo "SKIP: no writable cgroup2 at /sys/fs/cgroup/unified to count the run's processes"
		exit 77
	fi
	for p in p1 p2 p3 p4; do subset $p "$ports/python" udp_local; done
	interrupt_once INT
	rm -rf "$out" # the second run starts from nothing, so there is work to cut
	interrupt_once KILL
fi

if [ "$fails" -gt 0 ]; then
	echo "test-grade $mode: $fails failure(s); the class and its grading are in $scratch"
	exit 1
fi
rm -rf "$scratch"
echo "test-grade $mode: passed"
