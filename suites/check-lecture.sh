#!/usr/bin/env bash
# check-lecture.sh BUILD CHECK - the lecture evidence checked with the
# tools lecturers use.  "run" makes it (every scenario, our programs, into
# BUILD/lecture-check: the ctest fixture); each other CHECK reads it:
#   comments   tshark reads back every comment our own reader sees
#   drops      drop comments in capture.pcapng == drops in the .pcap.fates
#   names      tshark -N n shows the lab's host names
#   capinfos   capinfos shows the interface names and the seed
#   libpcap    libpcap reads every frame tshark and our reader see
#   svg        every SVG is well-formed XML and rsvg-convert renders it
#   marks      the backoff figure's marks sit where the capture's times put them
#   gallery    headless Chromium opens index.html and shows every scenario
#   lua        the Lua plugin gives sockcheck.fate / sockcheck.rule
# Exit 0 pass, 1 fail, 77 skip (with the reason on stdout).
set -u -o pipefail
build=$1 check=$2
here=$(cd "$(dirname "$0")/.." && pwd)
dir=$build/lecture-check
fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
need() { command -v "$1" >/dev/null || skip "$1 is not installed (apt-get install ${2:-$1})"; }
ts() { tshark -n "$@" 2>/dev/null; }
captures() { ls "$dir"/*/capture.pcapng 2>/dev/null; }

if [ "$check" = run ]; then
	rm -rf "$dir" "$dir.skipped"
	out=$("$build/harness/sc-lecture" run -o "$dir" $("$build/harness/sc-lecture" list | awk '{print $1}') 2>&1)
	rc=$?
	echo "$out"
	if grep -q SKIP <<<"$out"; then
		echo "the lecture scenarios need network namespaces here" >"$dir.skipped"
		skip "$(cat "$dir.skipped")"
	fi
	[ $rc -eq 0 ] || fail "sc-lecture run exited $rc"
	exit 0
fi
[ -f "$dir.skipped" ] && skip "$(cat "$dir.skipped") (lecture/run skipped)"
[ -f "$dir/index.html" ] || fail "no lecture output in $dir (the run fixture failed or skipped)"
n=$(captures | wc -l)
[ "$n" -ge 6 ] || fail "expected 6 scenario captures in $dir, found $n"

case $check in
comments)
	need tshark
	for f in $(captures); do
		ours=$("$build/harness/sc-decode" "$f" | grep -c '  <-- ')
		theirs=$(ts -r "$f" -Y frame.comment -T fields -e frame.number | wc -l)
		[ "$ours" = "$theirs" ] || fail "$f: our reader sees $ours commented frames, tshark $theirs"
		# Every comment text, in order, the same on both sides.
		diff <("$build/harness/sc-decode" "$f" | sed -n 's/.*  <-- //p') \
			<(ts -r "$f" -Y frame.comment -T fields -e frame.comment) >/dev/null ||
			fail "$f: the comments differ between our reader and tshark"
		echo "$f: $theirs comments read back by tshark"
	done
	;;
drops)
	need tshark
	total=0
	for f in $(captures); do
		d=$(dirname "$f")
		want=$(cat "$d"/*.pcap.fates 2>/dev/null | grep -c 'dropped' || true)
		got=$(ts -r "$f" -Y 'frame.comment contains "[fate=drop"' | wc -l)
		[ "$want" = "$got" ] || fail "$f: $got drop comments, the .fates say $want drops"
		total=$((total + got))
	done
	[ "$total" -ge 3 ] || fail "only $total drops over all scenarios; udp_remote-drops alone has 3"
	echo "drop comments match the .fates ($total drops)"
	;;
names)
	need tshark
	# Every address that sends is named after its host, from the capture's own names.
	f=$dir/broadcast-router/capture.pcapng
	got=$(tshark -r "$f" -N n -T fields -e ip.src_host 2>/dev/null | sort -u | tr '\n' ' ')
	[ "$got" = "sender " ] || fail "tshark -N n names the broadcast's sender '$got', expected 'sender'"
	f=$dir/tcp-exchange/capture.pcapng
	got=$(tshark -r "$f" -N n -T fields -e ip.src_host -e ip.dst_host 2>/dev/null | tr '\t' '\n' | sort -u | tr '\n' ' ')
	[ "$got" = "alpha beta " ] || fail "tshark -N n names the TCP exchange's hosts '$got', expected 'alpha beta'"
	line=$(tshark -r "$f" -N n 2>/dev/null | head -1)
	grep -q 'alpha → beta' <<<"$line" || fail "tshark -N n shows '$line', expected alpha → beta"
	echo "tshark -N n: $line"
	;;
capinfos)
	need capinfos wireshark-common
	f=$dir/broadcast-router/capture.pcapng
	info=$(capinfos "$f" 2>&1)
	for want in "Name = left/sender" "Name = left/h2" "Name = left/router" "Name = right/router" \
		"Name = right/h4" "Capture comment:     seed: ${SOCKCHECK_SEED:-1}" \
		"Capture comment:     scenario: broadcast-router" "Time precision = nanoseconds (9)" \
		"Description = segment left 10.0.1.0/24, port to sender 10.0.1.1"; do
		grep -qF "$want" <<<"$info" || fail "capinfos $f has no '$want':
$info"
	done
	grep -q "Capture comment:     program client on sender: .*udp_broadcast client 10.0.1.255" <<<"$info" ||
		fail "capinfos: the section header does not name the client program"
	echo "capinfos: interfaces, seed, scenario and programs present"
	;;
libpcap)
	need tshark
	for f in $(captures); do
		lp=$("$build/suites/pcap_count" "$f") || fail "libpcap could not read $f to the end"
		tsn=$(ts -r "$f" | wc -l)
		ours=$("$build/harness/sc-decode" "$f" | grep -c '^ *[0-9]\+ ')
		[ "$lp" = "$tsn" ] && [ "$lp" = "$ours" ] ||
			fail "$f: libpcap reads $lp frames, tshark $tsn, our reader $ours"
		[ "$lp" -gt 0 ] || fail "$f is empty"
	done
	echo "libpcap, tshark and our reader agree on every capture's frame count"
	;;
svg)
	need rsvg-convert librsvg2-bin
	need xmllint libxml2-utils
	n=0
	for svg in "$dir"/*/*.svg; do
		xmllint --noout "$svg" || fail "$svg is not well-formed XML"
		rsvg-convert -o "${svg%.svg}.png" "$svg" || fail "rsvg-convert cannot render $svg"
		[ "$(stat -c %s "${svg%.svg}.png")" -gt 5000 ] || fail "$svg renders to an almost empty picture"
		n=$((n + 1))
	done
	[ "$n" -ge 5 ] || fail "only $n figures (backoff x2, reach, sequence x3 expected)"
	echo "$n SVG figures well-formed and rendered"
	;;
marks)
	need tshark
	for s in udp_remote-drops udp_remote-gives-up; do
		f=$dir/$s/capture.pcapng
		times=$(ts -r "$f" -Y 'frame.interface_name == "lan/alpha" && ip.src == 10.0.1.1 && udp.dstport == 1060' \
			-T fields -e frame.time_epoch -e frame.number | tr '\n' ' ')
		reply=$(ts -r "$f" -Y 'frame.interface_name == "lan/alpha" && ip.dst == 10.0.1.1 && udp.srcport == 1060' \
			-T fields -e frame.time_epoch -e frame.number | head -1)
		python3 - "$dir/$s/backoff.svg" "$times" "$s" "$reply" <<'PY' || exit 1
import re, sys, xml.etree.ElementTree as ET
svg, times, name, reply = sys.argv[1], sys.argv[2].split(), sys.argv[3], sys.argv[4].split()
ns = {"s": "http://www.w3.org/2000/svg"}
root = ET.parse(svg).getroot()
tl = root.find(".//s:g[@id='timeline']", ns)
x0, pps = float(tl.get("data-x0")), float(tl.get("data-px-per-s"))
epochs = [float(t) for t in times[0::2]]
frames = [int(t) for t in times[1::2]]
marks = [g for g in tl.findall("s:g", ns) if "send" in g.get("class", "").split()]
if len(marks) != len(epochs):
    sys.exit("FAIL: %s: %d send marks, the capture has %d sends" % (name, len(marks), len(epochs)))
for g, e, fr in zip(marks, epochs, frames):
    t = float(g.get("data-t")); want = e - epochs[0]
    if abs(t - want) > 2e-6 or int(g.get("data-frame")) != fr:
        sys.exit("FAIL: %s: mark for frame %s at t=%.6f, tshark says frame %d at %.6f" % (name, g.get("data-frame"), t, fr, want))
    shape = list(g)[0]
    x = float(shape.get("cx")) if shape.tag.endswith("circle") else float(re.match(r"M([-0-9.]+)", shape.get("d")).group(1)) + 6
    if abs(x - (x0 + want * pps)) > 0.5:
        sys.exit("FAIL: %s: frame %d drawn at x=%.2f, its time puts it at %.2f" % (name, fr, x, x0 + want * pps))
drops = [g for g in marks if "drop" in g.get("class").split()]
want_drops = 3 if name == "udp_remote-drops" else 0
if len(drops) != want_drops:
    sys.exit("FAIL: %s: %d red crosses, expected %d" % (name, len(drops), want_drops))
r = tl.find("s:g[@class='reply']", ns)
if bool(reply) != (r is not None):
    sys.exit("FAIL: %s: the capture %s a reply, the figure %s" % (name, "has" if reply else "has no", "shows one" if r is not None else "does not"))
if reply:
    want = float(reply[0]) - epochs[0]
    tip = float(re.match(r"M([-0-9.]+)", list(r)[0].get("d")).group(1))
    if int(r.get("data-frame")) != int(reply[1]) or abs(float(r.get("data-t")) - want) > 2e-6 or abs(tip - (x0 + want * pps)) > 0.5:
        sys.exit("FAIL: %s: the reply mark (frame %s, x=%.2f) is not where frame %s at %.6f s puts it" % (name, r.get("data-frame"), tip, reply[1], want))
print("%s: %d marks where the capture puts them (%d dropped%s)" % (name, len(marks), len(drops), ", and the reply" if reply else ""))
PY
	done
	;;
gallery)
	need chromium
	prof=$dir/chromium-profile
	rm -rf "$prof"
	dom=$(TMPDIR=$dir timeout 90 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$prof" \
		--dump-dom "file://$dir/index.html" 2>/dev/null)
	TMPDIR=$dir timeout 90 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$prof" \
		--window-size=1100,3000 --screenshot="$dir/gallery.png" "file://$dir/index.html" >/dev/null 2>&1
	rm -rf "$prof"
	sections=$(grep -o '<section id="[^"]*" class="scenario">' <<<"$dom" | wc -l)
	svgs=$(grep -o '<svg ' <<<"$dom" | wc -l)
	[ "$sections" -eq 6 ] || fail "Chromium's DOM has $sections scenario sections, expected 6"
	[ "$svgs" -ge 5 ] || fail "Chromium's DOM has $svgs figures, expected at least 5"
	for want in 'data-figure="backoff"' 'data-figure="reach"' 'data-figure="sequence"' 'Rerun'; do
		grep -qF "$want" <<<"$dom" || fail "the gallery lacks $want"
	done
	[ -s "$dir/gallery.png" ] && [ "$(stat -c %s "$dir/gallery.png")" -gt 20000 ] ||
		fail "Chromium's screenshot of the gallery is missing or blank"
	echo "Chromium: $sections sections, $svgs figures, screenshot $dir/gallery.png"
	;;
lua)
	need tshark
	f=$dir/udp_remote-drops/capture.pcapng
	got=$(ts -X lua_script:"$here/tools/wireshark/sockcheck.lua" -r "$f" \
		-Y 'sockcheck.fate == "drop" && sockcheck.rule == 1' -T fields -e frame.number | wc -l)
	[ "$got" = 3 ] || fail "sockcheck.fate == \"drop\" && sockcheck.rule == 1 selects $got frames, expected 3"
	none=$(ts -X lua_script:"$here/tools/wireshark/sockcheck.lua" -r "$f" -Y 'sockcheck.rule == 2' | wc -l)
	[ "$none" = 0 ] || fail "sockcheck.rule == 2 selects $none frames; there is no rule 2"
	echo "Lua plugin: 3 frames dropped by rule 1 found by field"
	;;
*)
	fail "unknown check '$check'"
	;;
esac
