#!/usr/bin/env bash
# security.sh: security interop cases between libzmq-rs and Debian's libzmq, both directions.
#
#   bash interop/security.sh PREFIX      libzmq-rs installed in PREFIX against Debian's libzmq
#   bash interop/security.sh --baseline  Debian's libzmq on both sides: proves the cases
#
# Cases (each with our library as server and Debian's as client, then the other way round):
#   plain/accept  PLAIN with the right password: the REQ/REP echo goes through.
#   plain/reject  wrong password: the server's ZAP handler answers 400, no message passes, and the
#                 client's monitor reports ZMQ_EVENT_HANDSHAKE_FAILED_AUTH 400.
# The server peer runs its own ZAP handler (security_peer.c). Prints `PASS name` / `FAIL name:
# reason` lines and a last line `N passed, M failed`; exit status non-zero when M > 0. Needs
# Debian's libzmq3-dev and a C compiler (run.sh installs them when run as root).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ "${1:-}" = --baseline ]; then
    OURS_LIB= ; OURS_VERSION=4.3.4   # "ours" is then Debian's library too
else
    [ $# -eq 1 ] && [ -e "$1/lib/libzmq.so.5" ] || { echo "usage: $0 PREFIX | --baseline" >&2; exit 2; }
    OURS_LIB=$(cd "$1/lib" && pwd); OURS_VERSION=4.3.5
fi
TIMEOUT=${PEER_TIMEOUT:-60}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/interop-security.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
PEER=$WORK/security_peer
cc -std=c99 -O2 -Wall -Wextra -I/usr/include -o "$PEER" "$HERE/security_peer.c" -lzmq

run_side() {   # run_side ours|debian OUTBASE ARGS...: background peer, pid in LAST_PID
    local side=$1 base=$2
    shift 2
    if [ "$side" = ours ] && [ -n "$OURS_LIB" ]; then
        env LD_LIBRARY_PATH="$OURS_LIB" timeout -k 5 "$TIMEOUT" "$PEER" "$@" >"$base.out" 2>"$base.err" &
    else
        env -u LD_LIBRARY_PATH timeout -k 5 "$TIMEOUT" "$PEER" "$@" >"$base.out" 2>"$base.err" &
    fi
    LAST_PID=$!
}
version_of() { if [ "$1" = ours ]; then echo "$OURS_VERSION"; else echo 4.3.4; fi; }

passed=0
failed=0
n=0
run_case() {   # run_case NAME SERVER_SIDE CLIENT_SIDE CLIENT_PASSWORD accept|reject
    local name=$1 sside=$2 cside=$3 password=$4 outcome=$5 dir spid cpid src=0 crc=0 ep reasons=
    n=$((n + 1)); dir=$WORK/case$n; mkdir -p "$dir"
    run_side "$sside" "$dir/server" server plain "tcp://127.0.0.1:*" admin secret "$outcome"
    spid=$LAST_PID
    for _ in $(seq 150); do grep -q '^endpoint ' "$dir/server.out" 2>/dev/null && break; sleep 0.1; done
    ep=$(sed -n 's/^endpoint //p' "$dir/server.out")
    if [ -z "$ep" ]; then
        kill "$spid" 2>/dev/null || true
        reasons="server printed no endpoint"
    else
        run_side "$cside" "$dir/client" client plain "$ep" admin "$password" "$outcome"
        cpid=$LAST_PID
        wait "$cpid" || crc=$?
        wait "$spid" || src=$?
        [ "$(sed -n 's/^version //p' "$dir/server.out")" = "$(version_of "$sside")" ] || reasons="server loaded the wrong libzmq"
        [ "$(sed -n 's/^version //p' "$dir/client.out")" = "$(version_of "$cside")" ] || reasons="${reasons:+$reasons; }client loaded the wrong libzmq"
        [ "$src" = 0 ] || reasons="${reasons:+$reasons; }server exit $src: $(grep -m1 FAIL "$dir/server.err" || true)"
        [ "$crc" = 0 ] || reasons="${reasons:+$reasons; }client exit $crc: $(grep -m1 FAIL "$dir/client.err" || true)"
    fi
    if [ -z "$reasons" ]; then
        echo "PASS $name"; passed=$((passed + 1))
    else
        echo "FAIL $name: $reasons"; failed=$((failed + 1))
    fi
}

for sside in ours debian; do
    if [ "$sside" = ours ]; then cside=debian; else cside=ours; fi
    run_case "tcp/plain/accept/$sside-serves" "$sside" "$cside" secret accept
    run_case "tcp/plain/reject/$sside-serves" "$sside" "$cside" wrong reject
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
