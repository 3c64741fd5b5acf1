#!/usr/bin/env bash
# check-hostile.sh - the proof that the jail holds against one hostile port.
#
#   check-hostile.sh BUILD_DIR HOSTILE_DIR [--rootless]
#
# With --rootless (as root) conform runs as uid 65534, so the jail is built
# inside a user namespace with the weaker limits its report states; the
# HOSTILE file's `expect-rootless:` then replaces `expect:` where a limit's
# verdict cannot be named there.
# HOSTILE_DIR (suites/ports/hostile/<behaviour>/) holds one hostile program
# and a HOSTILE file: `program:` its id, `what:` the behaviour, `expect:` a
# regex one of that program's failed checks must match (or `conformant`:
# the probe finds nothing and the program then behaves, so the port must
# pass), and optionally `args:` for conform.  The port judged is the
# faithful Python port with that one program replaced (the faithful one is
# kept beside it as .faithful_<id>, which probes run after probing), so
# every other program must get exactly the faithful port's results.
#
# The hostile program runs only through scripts/conform, that is only in
# the jail.  This script asserts, from outside: the run ended within its
# deadline; the verdict names what happened; the other programs all pass;
# no canary exists anywhere outside; the port, the build and the scripts
# are unchanged; a sentinel process of the runner survived; nothing reached
# a listener on the machine's loopback; the runner's secret is in no output;
# the report and JUnit file hold no raw control bytes and parse; evidence
# is bounded; and nothing is left behind (jailed processes, cgroup leaves,
# mounts, files of jail uids in /tmp and /dev/shm).
set -u -o pipefail
build=$(cd "$1" && pwd) hostile=$(cd "$2" && pwd) rootless=0
[ "${3:-}" = --rootless ] && rootless=1
here=$(cd "$(dirname "$0")/.." && pwd)
python_port=$here/suites/ports/python
name=$(basename "$hostile")
deadline=420

fail() { echo "FAIL ($name): $*" >&2; failed=1; }
field() { sed -n "s/^$1: //p" "$hostile/HOSTILE"; }
id=$(field program) what=$(field what) expect=$(field expect) args=$(field args)
if [ $rootless = 1 ] && [ -n "$(field expect-rootless)" ]; then expect=$(field expect-rootless); fi
as_user=()
if [ $rootless = 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "--rootless is run as root (it drops to uid 65534 for conform)" >&2; exit 2; }
	as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
	"${as_user[@]}" test -x "$build/suites/smoke" ||
		{ echo "SKIP: uid 65534 cannot reach $build (a parent directory is private)"; exit 77; }
fi
[ -n "$id" ] && [ -n "$expect" ] || { echo "$hostile/HOSTILE names no program or expectation" >&2; exit 2; }
echo "hostile port $name: $id $what"

work=$build/hostile-check/$name$([ $rootless = 1 ] && echo -rootless)
rm -rf "$work"
mkdir -p "$work"
port=$work/port out=$work/out
token=sockcheck-canary-$name-$$
secret=$token-secret

# ---- the port: the faithful one, with the hostile program in place ----------
mkdir -p "$port"
cp "$python_port"/* "$port"/
cp "$python_port/$id" "$port/.faithful_$id"
rm -f "$port/$id"
cp -P "$hostile/$id" "$port/$id"
if [ -f "$port/$id" ] && [ ! -L "$port/$id" ]; then
	sed -i -e "s|@PORT@|$port|g" -e "s|@BUILD@|$build|g" -e "s|@HOME@|${HOME:-/root}|g" \
		-e "s|@REPO@|$here|g" -e "s|@OUT@|$out|g" -e "s|@CANARY@|$token|g" "$port/$id"
fi
if [ $rootless = 1 ]; then
	mkdir -p "$out"
	chown 65534:65534 "$work" "$out"
fi
port_sum=$(cd "$port" && find . -type f -exec sha256sum {} + | sort | sha256sum)
judge_sum=$(sha256sum "$build"/suites/* "$here/scripts/conform" 2>/dev/null | sha256sum)

# ---- what is there before -----------------------------------------------------
# This run's jails get uids of their own, so what is left is told from other runs'.
uid_base=$((4000000 + ($$ % 4000) * 256))
export SOCKCHECK_JAIL_UID_BASE=$uid_base
jail_procs() { ps -eo uid= | awk -v b=$uid_base '$1 >= b && $1 < b + 256' | wc -l; }
# Leaves whose supervisor is gone: what a run left behind (a live one is another run's).
leaves() {
	find /sys/fs/cgroup -maxdepth 6 -type d -name "sockcheck-u$uid_base-*" 2>/dev/null |
		while read -r d; do kill -0 "${d##*sockcheck-}" 2>/dev/null || echo "$d"; done | wc -l
}
mounts() { wc -l </proc/self/mountinfo; }
jail_files() { find /tmp /dev/shm -xdev \( -uid +$((uid_base - 1)) -a -uid -$((uid_base + 256)) \) 2>/dev/null | wc -l; }
procs_before=$(jail_procs) leaves_before=$(leaves) mounts_before=$(mounts) files_before=$(jail_files)

# A process of the runner's that kill(-1) must not reach, and a listener on the
# machine's loopback that nothing from a lab may reach.  Both bounded.
sleep $((deadline + 60)) &
sentinel=$!
heard=$work/heard
python3 - "$heard" <<'EOF' &
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', 39999))
s.settimeout(1.0)
end = time.time() + 600
n = 0
while time.time() < end:
    try:
        s.recvfrom(65536)
        n += 1
        open(sys.argv[1], 'w').write('%d\n' % n)
    except socket.timeout:
        pass
EOF
listener=$!
trap 'kill $sentinel $listener 2>/dev/null' EXIT

# Criterion's runner leaves /tmp/criterion_<pid>.sock when it is killed; a
# later runner of another uid that happens to get the same pid cannot bind
# it.  Those of runners that are gone are removed first.
for sock in /tmp/criterion_*.sock; do
	[ -S "$sock" ] || continue
	pid=${sock#/tmp/criterion_}
	pid=${pid%.sock}
	[[ $pid =~ ^[0-9]+$ ]] && ! kill -0 "$pid" 2>/dev/null && rm -f "$sock"
done

# ---- the run ------------------------------------------------------------------
failed=0
start=$(date +%s)
# shellcheck disable=SC2086 # args is a list of words on purpose
SOCKCHECK_TEST_SECRET=$secret SOCKCHECK_BUILD=$build timeout $deadline "${as_user[@]}" \
	"$here/scripts/conform" "$port" --tier book --no-build --quiet --evidence always \
	--out "$out" $args >"$work/conform.out" 2>&1
rc=$?
elapsed=$(($(date +%s) - start))
echo "conform exited $rc after ${elapsed} s"
[ $rc -ne 124 ] || fail "the run did not end within ${deadline} s"
report=$out/report.txt
[ -f "$report" ] || { fail "no report"; cat "$work/conform.out" >&2; exit 1; }

# ---- the verdict -----------------------------------------------------------------
row() { awk -v id="$1" '$1 == id { print $2, $3, $4, $5, $6 }' "$report" | head -1; }
if [ "$expect" = conformant ]; then
	# Every failed test, its own included, must pass alone (below): then it was the load.
	[ $rc -eq 0 ] || [ $rc -eq 1 ] || fail "expected the port to stay conformant (the probe found nothing), conform exited $rc"
else
	[ $rc -eq 1 ] || fail "expected NOT CONFORMANT (exit 1), conform exited $rc"
	grep -E "^  FAIL ${id}_book/" "$report" | grep -E -- "$expect" >/dev/null ||
		fail "no failed check of $id says /$expect/; its failures: $(grep -E "^  FAIL ${id}_book/" "$report" | head -3)"
	grep -E "^  FAIL ${id}_book/" "$report" | grep -E -- "$expect" | head -1 | cut -c1-300
fi
# Every other program is the faithful port's and must pass.  A test of one
# that failed is run again alone, up to twice (as the class grader does for
# a timing test): passing then, it was this machine's load, not the jail.
limit_spec=$(sed -n 's/.*--limit \([^ ]*\).*/\1/p' <<<"$args")
rerun_passes() { # suite::test
	local t=$1 b try log
	mkdir -p "$work/rerun"
	[ $rootless = 1 ] && chown 65534:65534 "$work/rerun"
	for b in conf_fopnp conf_chun conf_bogo smoke; do
		for try in 1 2; do
			log=$(SOCKCHECK_PORT=$port SOCKCHECK_EVIDENCE=$work/rerun SOCKCHECK_LIMITS=$limit_spec \
				timeout 120 "${as_user[@]}" "$build/suites/$b" --filter="${t/::/\/}" \
				--verbose --color=never 2>&1)
			grep -qF "[RUN ] $t" <<<"$log" || continue 2 # not a test of this binary
			grep -qF "[PASS] $t" <<<"$log" && return 0
		done
		return 1
	done
	return 1
}
for other in udp_local udp_remote big_sender udp_broadcast tsTserv tsTclnt tsUserv tsUclnt \
	time_server time_client echo_server echo_client; do
	[ "$other" = "$id" ] && [ "$expect" != conformant ] && continue
	while read -r t; do
		[ -n "$t" ] || continue
		if rerun_passes "$t"; then
			echo "note: $t failed in the run and passed alone (the machine's load)"
		else
			fail "$t of $other failed, also alone: $(grep -F "FAIL ${t/::/\/}:" "$report" | cut -c1-300)"
		fi
	done < <(sed -n "s/^FAIL \(${other}_book::[^ ]*\)$/\1/p; s/^FAIL \(smoke::${other}[^ ]*\)$/\1/p" \
		"$out/results.txt" | { [ "$expect" = conformant ] && cat || grep -v "smoke::.*$id"; })
done

# ---- nothing got out ----------------------------------------------------------------
# Everywhere a program could write if it got out (the payloads aim at these).
found=$({
	find / /etc /root /home /run /var/tmp "${HOME:-/root}" -maxdepth 2 -name "*$token*" 2>/dev/null
	find /tmp /dev/shm -maxdepth 3 -name "*$token*" 2>/dev/null
	find "$here" -maxdepth 4 -name "*$token*" -not -path "$work/*" 2>/dev/null
} | grep -v "^$work/" | sort -u | head -5)
[ -z "$found" ] || fail "canaries outside the jail: $found"
[ "$(cd "$port" && find . -type f -exec sha256sum {} + | sort | sha256sum)" = "$port_sum" ] ||
	fail "the port directory changed"
[ "$(sha256sum "$build"/suites/* "$here/scripts/conform" 2>/dev/null | sha256sum)" = "$judge_sum" ] ||
	fail "the judge (build/suites, scripts/conform) changed"
kill -0 $sentinel 2>/dev/null || fail "the runner's sentinel process was killed"
[ ! -s "$heard" ] || fail "a datagram reached the machine's loopback from a lab: $(cat "$heard")"
if grep -rqF -- "$secret" "$out" 2>/dev/null; then
	fail "the runner's secret reached the port's output: $(grep -rlF -- "$secret" "$out" | head -3)"
fi
grep -rqE 'LEAKED|JOINED|RAW \[|OPENED \[' "$out/evidence" 2>/dev/null &&
	fail "a probe reported success: $(grep -rhE 'LEAKED|JOINED|RAW \[|OPENED \[' "$out/evidence" | head -3)"

# ---- what a person and a tool read ---------------------------------------------------
if LC_ALL=C grep -qP '[\x00-\x08\x0b-\x1f\x7f]' "$report"; then
	fail "the report holds raw control bytes"
fi
if [ -f "$out/junit.xml" ] && command -v xmllint >/dev/null; then
	xmllint --noout "$out/junit.xml" 2>"$work/xmllint.err" || fail "junit.xml is not well-formed: $(head -2 "$work/xmllint.err")"
fi
size=$(du -sb "$out" | awk '{print $1}')
[ "$size" -lt $((256 << 20)) ] || fail "evidence is $size bytes: not bounded"

# ---- nothing left behind --------------------------------------------------------------
sleep 0.5
[ "$(jail_procs)" -le "$procs_before" ] || fail "jailed processes are left: $(ps -eo pid,uid,cmd | awk -v b=$uid_base '$2 >= b && $2 < b + 256' | head -3)"
[ "$(leaves)" -le "$leaves_before" ] || fail "cgroup leaves of ended supervisors are left"
[ "$(mounts)" -le "$mounts_before" ] || fail "mounts are left in the machine's namespace"
[ "$(jail_files)" -le "$files_before" ] || fail "files of jail uids are left in /tmp or /dev/shm"

if [ $failed -ne 0 ]; then
	echo "--- conform's output (tail):" >&2
	tail -30 "$work/conform.out" >&2
	exit 1
fi
rm -rf "$work"
echo "contained: $name ($what), judged in ${elapsed} s"
