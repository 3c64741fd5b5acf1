# scripts/lib/regen-install.sh - the last steps of scripts/regen-captures,
# apart so that suites/check-regen.sh can run them on a scratch copy
# without recording anything.  Sourced; defines functions only.

# regen_install NEW ROOT: NEW's folders replace ROOT/captures' folders
# (captures/README.md stays).  Only the contents are copied, never NEW
# itself: it is a mktemp -d directory (mode 0700), and copying "NEW/."
# onto captures/ would make captures/ 0700 too, unreadable to the
# non-root users who run the wire checks.  Everything ends up readable by
# all, whatever the umask of the run that recorded it.
regen_install() { # new root
	local new=$1 captures=$2/captures
	mkdir -p "$captures" || return 1
	find "$captures" -mindepth 1 -maxdepth 1 -type d -exec rm -rf {} + || return 1
	find "$new" -mindepth 1 -maxdepth 1 -exec cp -R --preserve=timestamps {} "$captures/" \; ||
		return 1
	chmod 0755 "$captures" && chmod -R u+rwX,go+rX,go-w "$captures"
}

# regen_report ROOT: which reference texts changed (git's view), if any.
# Success whether or not anything changed: an unchanged set is the normal
# outcome of a rerun (a grep that selects nothing must not fail the run).
regen_report() { # root
	local changed
	changed=$(cd "$1" && git status --short captures 2>/dev/null | grep -v '\.pcap$' || true)
	if [ -n "$changed" ]; then
		echo "regen-captures: changed reference texts:"
		head -20 <<<"$changed"
	else
		echo "regen-captures: no reference text changed"
	fi
	return 0
}
