#!/usr/bin/env bash
# security.sh: security interop cases between libzmq-rs and Debian's libzmq, both directions.
#
#   bash interop/security.sh PREFIX      libzmq-rs installed in PREFIX against Debian's libzmq
#   bash interop/security.sh --baseline  Debian's libzmq on both sides: proves the cases
#
# Cases (each with our library as server and Debian's as client, then the other way round):
#   plain/accept        PLAIN with the right password: the REQ/REP echo goes through.
#   plain/reject        wrong password: the server's ZAP handler answers 400, no message passes,
#                       and the client's monitor reports ZMQ_EVENT_HANDSHAKE_FAILED_AUTH 400.
#   curve/accept        CURVE with the right keys, a 5-byte and a 1 MiB echo (REQ/REP).
#   curve/pub-sub       CURVE PUB/SUB: the subscriber receives what the publisher sends.
#   curve/reject        a client key the ZAP handler does not know: 400, as for PLAIN.
#   curve/wrong-server-key  the client has another server key: no message passes either way.
# Key pairs come from Debian's zmq_curve_keypair.
# The server peer runs its own ZAP handler (security_peer.c). Prints `PASS name` / `FAIL name:
# reason` lines and a last line `N passed, M failed`; exit status non-zero when M > 0. Needs
# Debian's libzmq3-dev and a C compiler (run.sh installs them when run as root).
set -euo pipefail
set -f   # Z85 keys may hold * ? [ ], and the case arguments are split unquoted

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
# run_case NAME SERVER_SIDE CLIENT_SIDE SERVER_OUTCOME "SERVER ARGS" "CLIENT ARGS": the args are
# the peer's arguments after the endpoint (see security_peer.c); word-split on purpose.
run_case() {
    local name=$1 sside=$2 cside=$3 server_args=$4 client_args=$5 dir spid cpid src=0 crc=0 ep reasons=
    n=$((n + 1)); dir=$WORK/case$n; mkdir -p "$dir"
    # shellcheck disable=SC2086
    run_side "$sside" "$dir/server" server ${server_args%% *} "tcp://127.0.0.1:*" ${server_args#* }
    spid=$LAST_PID
    for _ in $(seq 150); do grep -q '^endpoint ' "$dir/server.out" 2>/dev/null && break; sleep 0.1; done
    ep=$(sed -n 's/^endpoint //p' "$dir/server.out")
    if [ -z "$ep" ]; then
        kill "$spid" 2>/dev/null || true
        reasons="server printed no endpoint"
    else
        # shellcheck disable=SC2086
        run_side "$cside" "$dir/client" client ${client_args%% *} "$ep" ${client_args#* }
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

# CURVE keys: the server's, an allowed client's, an unknown client's, and a stranger server key.
env -u LD_LIBRARY_PATH "$PEER" keypair >"$WORK/server.keys"
env -u LD_LIBRARY_PATH "$PEER" keypair >"$WORK/client.keys"
env -u LD_LIBRARY_PATH "$PEER" keypair >"$WORK/intruder.keys"
env -u LD_LIBRARY_PATH "$PEER" keypair >"$WORK/other.keys"
key() { sed -n "s/^$2 //p" "$WORK/$1.keys"; }
SP=$(key server public); SS=$(key server secret)
CP=$(key client public); CS=$(key client secret)
IP=$(key intruder public); IS=$(key intruder secret)
OP=$(key other public)

for sside in ours debian; do
    if [ "$sside" = ours ]; then cside=debian; else cside=ours; fi
    run_case "tcp/plain/accept/$sside-serves" "$sside" "$cside" "plain admin secret accept" "plain admin secret accept"
    run_case "tcp/plain/reject/$sside-serves" "$sside" "$cside" "plain admin secret reject" "plain admin wrong reject"
    run_case "tcp/curve/accept/$sside-serves" "$sside" "$cside" "curve $SS $CP accept" "curve $SP $CP $CS accept"
    run_case "tcp/curve/accept-1mib/$sside-serves" "$sside" "$cside" "curve $SS $CP accept" "curve $SP $CP $CS accept 1048576"
    run_case "tcp/curve/pub-sub/$sside-serves" "$sside" "$cside" "curve $SS $CP pubsub" "curve $SP $CP $CS pubsub"
    run_case "tcp/curve/reject/$sside-serves" "$sside" "$cside" "curve $SS $CP reject" "curve $SP $IP $IS reject"
    run_case "tcp/curve/wrong-server-key/$sside-serves" "$sside" "$cside" "curve $SS $CP noreply" "curve $OP $CP $CS noreply"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
