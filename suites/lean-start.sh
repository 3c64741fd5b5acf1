#!/usr/bin/env bash
# lean-start.sh CMD [ARG...]: runs a Criterion suite binary (CMD) without
# the system's CA bundle in sight, where that can be done (as root).
#
# Why: Criterion's start-up (criterion_initialize) calls git_libgit2_init,
# and Debian's libgit2 then parses every certificate of
# /etc/ssl/certs/ca-certificates.crt through mbedtls: 8 ms of CPU in every
# process Criterion starts, and it starts one per test (BoxFort re-executes
# the binary), about 0.9 s of a conform run.  No suite speaks TLS.  So the
# binary runs in a mount namespace of its own in which the bundle is
# /dev/null (libgit2 loads only a regular file); the machine's view is
# untouched, and the namespace ends with the run.  Not root, or unshare
# refused (a container): CMD runs as it is.  `lean-start.sh --inside CMD`
# masks the bundle in the caller's own mount namespace instead (scripts/
# conform does so once per run, so its runners find nothing left to do).
set -u
bundle=/etc/ssl/certs/ca-certificates.crt
lean=0
[ "$(id -u)" = 0 ] && [ -f "$bundle" ] && [ "${SOCKCHECK_LEAN_START:-1}" = 1 ] && lean=1
# --inside: in a mount namespace the caller owns (scripts/conform's), mask here.
if [ "${1:-}" = --inside ]; then
	shift
	[ "$lean" = 1 ] && mount --bind /dev/null "$bundle" 2>/dev/null
	exec "$@"
fi
# Masked already (the bundle is /dev/null here), or not to be: nothing to do.
if [ "$lean" = 1 ] && unshare --mount --propagation private -- true 2>/dev/null; then
	exec unshare --mount --propagation private -- "$0" --inside "$@"
fi
exec "$@"
