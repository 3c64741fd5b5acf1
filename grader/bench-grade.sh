#!/usr/bin/env bash
# bench-grade.sh - the class grader's throughput; `scripts/bench grade` runs it.
#
#   scripts/bench grade [--ports N] [--tier book|robust|all] [--jobs N|auto]
#                       [--skip-ports] [--skip-c] [--keep]
#
# Grades two classes from scratch, in a scratch folder of the build tree:
#   1. N ports (default 30): the faithful Python port and the broken ports
#      of suites/ports (links resolved, so each is a plain folder), in turn;
#   2. N copies of our C programs (build/programs).
# For each it prints the wall time, the CPU time of everything the grading
# ran (user + sys of the whole tree: the guards reap every descendant), the
# cores, and wall / (CPU / cores): 1.0 would be cores busy all the time.  The
# targets are a ratio of at most 1.5 for the ports and at most 180 s of wall
# time for the C copies.  Figures, not pass/fail: the first line says the
# load the machine was under, and it counts.  --keep keeps the classes and
# their grading (the folder is printed) to look at the reports.
set -u -o pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${SOCKCHECK_BUILD:-$here/build}
n=30 tier=all jobs=auto do_ports=1 do_c=1 keep=0
while [ $# -gt 0 ]; do
	case $1 in
	--ports) n=${2:?}; shift ;;
	--tier) tier=${2:?}; shift ;;
	--jobs) jobs=${2:?}; shift ;;
	--skip-ports) do_ports=0 ;;
	--skip-c) do_c=0 ;;
	--keep) keep=1 ;;
	*) echo "bench grade: unknown argument '$1' (see the top of $0)" >&2; exit 2 ;;
	esac
	shift
done
[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "bench grade: --ports takes a number" >&2; exit 2; }
[ -x "$build/grader/sc-grade" ] || { echo "bench grade: build $build first (scripts/setup)" >&2; exit 2; }
scratch=$(mktemp -d "$build/bench-grade.XXXXXX")
if [ "$keep" = 1 ]; then echo "bench grade: keeping $scratch"; else trap 'rm -rf "$scratch"' EXIT; fi
cores=$(nproc)
echo "bench grade: $cores cores, load average $(cut -d' ' -f1-3 /proc/loadavg), tier $tier, jobs $jobs"

# busy and total jiffies of all CPUs (every user's work, not only ours)
cpu_now() { awk '/^cpu /{ t = 0; for (i = 2; i <= 9; i++) t += $i; print t - $5 - $6, t }' /proc/stat; }

run_class() { # label class
	local label=$1 class=$2 t b0 b1
	TIMEFORMAT='%R %U %S'
	b0=$(cpu_now)
	t=$({ time SOCKCHECK_BUILD=$build "$here/scripts/grade" --no-build "$class" -o "$scratch/out-$label" \
		--tier "$tier" --jobs "$jobs" --seed 1 >"$scratch/$label.log" 2>&1; } 2>&1)
	b1=$(cpu_now)
	python3 - "$label" "$cores" "$scratch/out-$label/class.json" $t $b0 $b1 <<'EOF'
import collections, json, sys
label, cores, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
wall, user, sys_ = map(float, sys.argv[4:7])
busy0, tot0, busy1, tot1 = map(int, sys.argv[7:11])
cpu = user + sys_
c = json.load(open(path))
verdicts = collections.Counter(s["verdict"] for s in c["students"])
flaky = sum(s["flaky"] for s in c["students"])
print("%-10s %3d students: wall %6.1f s, CPU %6.1f s (user %.1f + sys %.1f), wall / (CPU / %d cores) = %.2f"
      % (label, len(c["students"]), wall, cpu, user, sys_, cores, wall / (cpu / cores) if cpu else 0))
print("%-10s verdicts: %s; %d FLAKY reruns passed" % ("", ", ".join("%d %s" % (v, k) for k, v in sorted(verdicts.items())), flaky))
# what the cores did meanwhile, everyone's work included: near 100 % means the
# slots could not have had more of them
print("%-10s the machine's cores were %.0f %% busy meanwhile (all users); ours were %.0f %% of the cores' time"
      % ("", 100.0 * (busy1 - busy0) / max(1, tot1 - tot0), 100.0 * cpu / (wall * cores)))
EOF
	grep -E '^grade: the cores are' "$scratch/$label.log" | tail -1 | sed 's/^/           /'
}

if [ "$do_ports" = 1 ]; then
	sources=("$here/suites/ports/python")
	for d in "$here"/suites/ports/broken/*/; do sources+=("${d%/}"); done
	mkdir -p "$scratch/ports"
	for i in $(seq "$n"); do
		src=${sources[$(((i - 1) % ${#sources[@]}))]}
		dst=$scratch/ports/$(printf '%02d' "$i")-$(basename "$src")
		mkdir "$dst" && cp -L "$src"/* "$dst"/ && rm -f "$dst/DEFECT"
	done
	run_class ports "$scratch/ports"
	echo "           target: wall / (CPU / cores) <= 1.5"
fi
if [ "$do_c" = 1 ]; then
	mkdir -p "$scratch/c"
	for i in $(seq "$n"); do
		mkdir "$scratch/c/c$(printf '%02d' "$i")"
		for id in udp_local udp_remote big_sender udp_broadcast tsTserv tsTclnt tsUserv tsUclnt \
			time_server time_client echo_server echo_client; do
			cp "$build/programs/$id" "$scratch/c/c$(printf '%02d' "$i")/"
		done
	done
	run_class c-programs "$scratch/c"
	echo "           target: wall <= 180 s"
fi
