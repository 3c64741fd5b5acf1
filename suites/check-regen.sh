#!/usr/bin/env bash
# check-regen.sh BUILD - the last steps of scripts/regen-captures
# (scripts/lib/regen-install.sh) on a scratch repository, without
# recording anything: the installed captures/ must be readable by everyone
# (it once became 0700, copied from a mktemp -d directory, and a non-root
# user then failed every wire check), and a run that changed nothing must
# succeed (it once exited 1: a grep that selected nothing, under pipefail).
set -u -o pipefail
build=$1
here=$(cd "$(dirname "$0")/.." && pwd)
fail() { echo "FAIL: $*"; exit 1; }
scratch=$(mktemp -d "$build/check-regen.XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT
# shellcheck source=../scripts/lib/regen-install.sh
. "$here/scripts/lib/regen-install.sh"
set -o pipefail

repo=$scratch/repo
mkdir -p "$repo/captures/fopnp" && cd "$repo" || exit 1
git init -q . && git config user.email t@t && git config user.name t
echo "readme" >captures/README.md
echo "10.0.1.1:C1 > 10.0.1.2:1060 UDP" >captures/fopnp/x.txt
git add -A && git commit -qm init

new=$(mktemp -d "$scratch/captures-new.XXXXXX") # mode 0700, as regen-captures makes it
mkdir -p "$new/fopnp" && cp captures/fopnp/x.txt "$new/fopnp/" && echo pcap >"$new/fopnp/x.pcap"
chmod 0600 "$new/fopnp/x.txt"
regen_install "$new" "$repo" || fail "regen_install failed"
mode=$(stat -c %a captures)
[ "$mode" = 755 ] || fail "captures/ has mode $mode after installing, expected 755"
bad=$(find captures ! -perm -o=r | head -3)
[ -z "$bad" ] || fail "not readable by others after installing: $bad"
[ -f captures/README.md ] || fail "captures/README.md was removed"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	chmod o+x "$scratch"
	setpriv --reuid=65534 --regid=65534 --clear-groups -- cat captures/fopnp/x.txt >/dev/null ||
		fail "uid 65534 cannot read the installed reference"
fi

out=$(regen_report "$repo") || fail "regen_report failed after a run that changed nothing: $out"
grep -q "no reference text changed" <<<"$out" || fail "unchanged run reported as: $out"
echo "other" >"$new/fopnp/x.txt"
regen_install "$new" "$repo" || fail "regen_install failed (second time)"
out=$(regen_report "$repo") || fail "regen_report failed after a change"
grep -q "fopnp/x.txt" <<<"$out" || fail "the changed reference is not reported: $out"
# The script itself must end with the report's status, not a pipeline's.
tail -3 "$here/scripts/regen-captures" | grep -qx 'exit 0' || fail "scripts/regen-captures does not end with exit 0"
grep -q 'regen_install "$new" "$here"' "$here/scripts/regen-captures" ||
	fail "scripts/regen-captures does not install through regen_install"
echo "regen-captures' install and report steps: captures/ 755, readable, unchanged run exits 0"
