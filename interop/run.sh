#!/usr/bin/env bash
# run.sh: interoperability suite between libzmq-rs and Debian's libzmq (libzmq5 4.3.4).
#
#   bash interop/run.sh PREFIX          libzmq-rs installed in PREFIX (PREFIX/lib/libzmq.so.5)
#                                       against Debian's libzmq
#   bash interop/run.sh --baseline      Debian's libzmq on both sides: proves the suite itself
#
# It compiles peer.c once against /usr/include/zmq.h, linked dynamically with -lzmq and no
# rpath, and runs two copies of that one binary per case: the "left" side with
# LD_LIBRARY_PATH=PREFIX/lib (ours), the "right" side without it (Debian's). Each peer prints the
# zmq_version it really loaded and the runner checks it (4.3.5 for ours, 4.3.4 for Debian).
# Environment overrides: LEFT_LIB / RIGHT_LIB (a directory for LD_LIBRARY_PATH; empty means the
# system library), LEFT_VERSION / RIGHT_VERSION (the version that side must report),
# MESSAGES (messages per case, default 40), ONLY (a regex: run only the cases whose name matches),
# PEER_TIMEOUT (seconds, default 60, the hard limit of each peer process).
#
# The matrix is every row of MATRIX below x every transport in TRANSPORTS x both directions
# (left binds and right connects, right binds and left connects), plus the peer restart cases:
# a DEALER keeps sending while the ROUTER echo server it connected to is killed and restarted on
# the same endpoint, and every reply must still arrive; the monitor cases (the event sequence of
# a monitored REQ/REP talking to a Debian peer must be the one Debian's libzmq itself produces);
# and one load case: a zmq_proxy with two workers on the left library (proxy_load.c) carries
# PROXY_MESSAGES (default 1,000,000) requests from two right-library clients, none lost; then
# the security cases of security.sh (PLAIN and CURVE accepted and rejected, a 1 MiB CURVE echo,
# each side serving; ONLY='tcp/(plain|curve)/' runs just those).
# Output: one line per case, `PASS name` or `FAIL name: reason` (followed by both peers' stderr,
# indented), and a last line `N passed, M failed`; the exit status is non-zero when M > 0.
# Run as root on a fresh Debian machine, it installs libzmq3-dev (and a C compiler) itself.
set -euo pipefail

# ---- the matrix: one socket pair per row ------------------------------------------------------
# name               bind-type  connect-type  bind-role  connect-role   (roles: see peer.c)
MATRIX=(
    "pair-pair         PAIR       PAIR          echo       client"
    "pair-duplex       PAIR       PAIR          pair       pair"
    "req-rep           REP        REQ           echo       client"
    "dealer-router     ROUTER     DEALER        echo       client"
    "dealer-rep        REP        DEALER        echo       client"
    "req-router        ROUTER     REQ           echo       client"
    "push-pull         PULL       PUSH          sink       source"
    "push-pull-rev     PUSH       PULL          source     sink"
    "pub-sub           PUB        SUB           publisher  subscriber"
    "sub-pub           SUB        PUB           subscriber publisher"
    "xpub-xsub         XPUB       XSUB          publisher  subscriber"
    "xsub-xpub         XSUB       XPUB          subscriber publisher"
    "xpub-sub          XPUB       SUB           publisher  subscriber"
    "pub-xsub          PUB        XSUB          publisher  subscriber"
)
TRANSPORTS=(tcp ipc)

# ---- arguments and sides ----------------------------------------------------------------------
usage() { echo "usage: $0 PREFIX | $0 --baseline   (env: LEFT_LIB RIGHT_LIB LEFT_VERSION RIGHT_VERSION MESSAGES ONLY)" >&2; exit 2; }
BASELINE=0
PREFIX=
for arg in "$@"; do
    case $arg in
        --baseline) BASELINE=1 ;;
        -*) usage ;;
        *) [ -z "$PREFIX" ] || usage; PREFIX=$arg ;;
    esac
done
if [ "$BASELINE" = 1 ]; then
    LEFT_NAME=left
    LEFT_LIB=${LEFT_LIB-}
    LEFT_VERSION=${LEFT_VERSION:-4.3.4}
else
    [ -n "$PREFIX" ] || [ -n "${LEFT_LIB+set}" ] || usage
    LEFT_NAME=ours
    if [ -z "${LEFT_LIB+set}" ]; then
        [ -e "$PREFIX/lib/libzmq.so.5" ] || { echo "$0: no $PREFIX/lib/libzmq.so.5" >&2; exit 2; }
        LEFT_LIB=$(cd "$PREFIX/lib" && pwd)
    fi
    LEFT_VERSION=${LEFT_VERSION:-4.3.5}
fi
RIGHT_NAME=debian
RIGHT_LIB=${RIGHT_LIB-}
RIGHT_VERSION=${RIGHT_VERSION:-4.3.4}
[ "$BASELINE" = 1 ] && RIGHT_NAME=right
MESSAGES=${MESSAGES:-40}
ONLY=${ONLY:-}
PEER_TIMEOUT=${PEER_TIMEOUT:-60}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# ---- prerequisites: Debian's libzmq (header and library) and a C compiler ---------------------
if [ ! -f /usr/include/zmq.h ] || ! ldconfig -p | grep 'libzmq\.so\.5 ' >/dev/null || ! command -v cc >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        echo "# installing libzmq3-dev and gcc with apt-get"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >/dev/null
        apt-get install -y -qq libzmq3-dev gcc >/dev/null
    else
        echo "$0: needs Debian's libzmq3-dev and a C compiler (apt-get install libzmq3-dev gcc)" >&2
        exit 2
    fi
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/interop.XXXXXX")
STARTED=()   # pids of the `timeout` wrappers we started, stopped on exit if still running
cleanup() {
    local p
    for p in "${STARTED[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

PEER=$WORK/peer
cc -std=c99 -O2 -Wall -Wextra -I/usr/include -o "$PEER" "$HERE/peer.c" -lzmq
LOAD=$WORK/proxy_load
cc -std=c99 -O2 -Wall -Wextra -I/usr/include -o "$LOAD" "$HERE/proxy_load.c" -lzmq
if readelf -d "$PEER" "$LOAD" | grep -qE 'RPATH|RUNPATH'; then
    echo "$0: peer or proxy_load was linked with an rpath" >&2; exit 2
fi

echo "# interop: left=$LEFT_NAME (${LEFT_LIB:-system libzmq}, expects $LEFT_VERSION)," \
     "right=$RIGHT_NAME (${RIGHT_LIB:-system libzmq}, expects $RIGHT_VERSION), $MESSAGES messages per case"

passed=0
failed=0
CASE_NO=0

# ---- helpers ------------------------------------------------------------------------------------
side_name()    { if [ "$1" = left ]; then echo "$LEFT_NAME"; else echo "$RIGHT_NAME"; fi; }
side_lib()     { if [ "$1" = left ]; then echo "$LEFT_LIB"; else echo "$RIGHT_LIB"; fi; }
side_version() { if [ "$1" = left ]; then echo "$LEFT_VERSION"; else echo "$RIGHT_VERSION"; fi; }
other_side()   { if [ "$1" = left ]; then echo right; else echo left; fi; }

# start_prog SIDE FILEBASE PROGRAM ARGS...: run PROGRAM in the background on SIDE's library,
# stdout in FILEBASE.out, stderr in FILEBASE.err; its (timeout wrapper's) pid is left in LAST_PID.
start_prog() {
    local side=$1 base=$2 prog=$3 lib
    shift 3
    lib=$(side_lib "$side")
    if [ -n "$lib" ]; then
        env LD_LIBRARY_PATH="$lib" timeout -k 5 "$PEER_TIMEOUT" "$prog" "$@" >"$base.out" 2>"$base.err" &
    else
        env -u LD_LIBRARY_PATH timeout -k 5 "$PEER_TIMEOUT" "$prog" "$@" >"$base.out" 2>"$base.err" &
    fi
    LAST_PID=$!
    STARTED+=("$LAST_PID")
}
start_peer() { local side=$1 base=$2; shift 2; start_prog "$side" "$base" "$PEER" "$@"; }

# wait_line FILE REGEX PID SECONDS: wait until FILE has a line matching REGEX; fails early when
# PID has exited without printing it.
wait_line() {
    local file=$1 regex=$2 pid=$3 tenths=$(($4 * 10))
    while [ "$tenths" -gt 0 ]; do
        grep -qE "$regex" "$file" 2>/dev/null && return 0
        if ! kill -0 "$pid" 2>/dev/null; then
            grep -qE "$regex" "$file" 2>/dev/null && return 0
            return 1
        fi
        sleep 0.1
        tenths=$((tenths - 1))
    done
    return 1
}

field() { sed -n "s/^$2 //p" "$1" | head -n 1; }   # field FILE KEY: value of the line "KEY value"

# wait_rc PID VAR: store the exit status of background job PID in VAR, without tripping set -e
# (not in a $(...) subshell: only this shell can wait for its jobs).
wait_rc() { local rc=0; { wait "$1"; } 2>/dev/null || rc=$?; printf -v "$2" '%s' "$rc"; }

# check_peer SIDE FILEBASE RC WHAT: empty output when the peer used the right library and exited
# 0, else a one-line reason.
check_peer() {
    local side=$1 base=$2 rc=$3 what=$4 version want msg
    version=$(field "$base.out" version)
    want=$(side_version "$side")
    if [ "$version" != "$want" ]; then
        echo "$what loaded libzmq '${version:-?}', expected $want"
        return
    fi
    [ "$rc" = 0 ] && return
    msg=$(grep -m 1 'FAIL' "$base.err" || tail -n 1 "$base.err" || true)
    case $rc in
        124|137) echo "$what killed by the ${PEER_TIMEOUT}s timeout${msg:+: $msg}" ;;
        *) echo "$what exit $rc${msg:+: $msg}" ;;
    esac
}

# report NAME REASONS DIR: PASS when REASONS is empty, else FAIL with every peer's stderr.
report() {
    local name=$1 reasons=$2 dir=$3 f
    if [ -z "$reasons" ]; then
        echo "PASS $name"
        passed=$((passed + 1))
        return
    fi
    echo "FAIL $name: $reasons"
    failed=$((failed + 1))
    for f in "$dir"/*.err; do
        [ -s "$f" ] || continue
        echo "    --- $(basename "$f" .err) stderr:"
        head -n 5 "$f" | sed 's/^/    /'
    done
}

join_reasons() { local r out=; for r in "$@"; do [ -n "$r" ] && out=${out:+$out; }$r; done; echo "$out"; }

new_case_dir() { CASE_NO=$((CASE_NO + 1)); CASE_DIR=$WORK/case$CASE_NO; mkdir -p "$CASE_DIR"; }

# endpoint_for TRANSPORT: what the binding side binds to.
endpoint_for() {
    case $1 in
        tcp) echo "tcp://127.0.0.1:*" ;;
        ipc) echo "ipc://$CASE_DIR/sock" ;;
    esac
}

# ---- one matrix case ----------------------------------------------------------------------------
# run_pair NAME TRANSPORT BINDER_SIDE BIND_TYPE CONNECT_TYPE BIND_ROLE CONNECT_ROLE
run_pair() {
    local name=$1 transport=$2 bside=$3 btype=$4 ctype=$5 brole=$6 crole=$7
    local cside bpid cpid brc crc ep reasons
    cside=$(other_side "$bside")
    new_case_dir
    local bwhat="bind side ($(side_name "$bside") $btype $brole)"
    local cwhat="connect side ($(side_name "$cside") $ctype $crole)"

    start_peer "$bside" "$CASE_DIR/bind" "$btype" bind "$(endpoint_for "$transport")" "$brole" "$MESSAGES"
    bpid=$LAST_PID
    if ! wait_line "$CASE_DIR/bind.out" '^endpoint ' "$bpid" 15; then
        kill "$bpid" 2>/dev/null || true
        wait_rc "$bpid" brc
        reasons=$(check_peer "$bside" "$CASE_DIR/bind" "$brc" "$bwhat")
        report "$name" "${reasons:-$bwhat printed no endpoint}" "$CASE_DIR"
        return
    fi
    ep=$(field "$CASE_DIR/bind.out" endpoint)
    start_peer "$cside" "$CASE_DIR/connect" "$ctype" connect "$ep" "$crole" "$MESSAGES"
    cpid=$LAST_PID
    wait_rc "$cpid" crc
    if [ "$crc" != 0 ] && kill -0 "$bpid" 2>/dev/null; then
        # The connect side failed: do not let the bind side wait for it until its own timeout;
        # its exit status is then only a consequence, so only its library version is checked.
        kill "$bpid" 2>/dev/null || true
        wait_rc "$bpid" brc
        brc=0
    else
        wait_rc "$bpid" brc
    fi
    reasons=$(join_reasons "$(check_peer "$bside" "$CASE_DIR/bind" "$brc" "$bwhat")" \
                           "$(check_peer "$cside" "$CASE_DIR/connect" "$crc" "$cwhat")")
    report "$name" "$reasons" "$CASE_DIR"
}

# ---- monitor events -----------------------------------------------------------------------------
# run_monitor NAME TRANSPORT SCENARIO: the same monitored exchange with the other side's library
# (always the right side) runs twice, the monitored socket on the left library and then on the
# right one; the two event sequences must be identical.
#   connect: monitored REQ connects to an echoing REP (which leaves after one reply)
#   bind:    monitored REP binds, a REQ client connects, sends one request and leaves
run_monitor() {
    local name=$1 transport=$2 scenario=$3 mside pid prc ep reasons= dir
    local mtype mmode mrole ptype pmode prole
    if [ "$scenario" = connect ]; then
        mtype=REQ mmode=connect mrole=monitored-client ptype=REP pmode=bind prole=echo
    else
        mtype=REP mmode=bind mrole=monitored-echo ptype=REQ pmode=connect prole=client
    fi
    new_case_dir
    for mside in left right; do
        dir=$CASE_DIR/$mside
        mkdir -p "$dir"
        local what="monitored $(side_name "$mside") $mtype"
        local pwhat="peer $(side_name right) $ptype"
        if [ "$scenario" = connect ]; then
            start_peer right "$dir/peer" "$ptype" bind "$(endpoint_for "$transport")" "$prole" 1
            pid=$LAST_PID
            if ! wait_line "$dir/peer.out" '^endpoint ' "$pid" 15; then
                reasons=$(join_reasons "$reasons" "$pwhat printed no endpoint"); kill "$pid" 2>/dev/null || true
                wait_rc "$pid" prc; continue
            fi
            ep=$(field "$dir/peer.out" endpoint)
            start_peer "$mside" "$dir/mon" "$mtype" connect "$ep" "$mrole" 1
            local mpid=$LAST_PID mrc
            wait_rc "$mpid" mrc
            wait_rc "$pid" prc
        else
            start_peer "$mside" "$dir/mon" "$mtype" bind "$(endpoint_for "$transport")" "$mrole" 1
            local mpid=$LAST_PID mrc
            if ! wait_line "$dir/mon.out" '^endpoint ' "$mpid" 15; then
                reasons=$(join_reasons "$reasons" "$what printed no endpoint"); kill "$mpid" 2>/dev/null || true
                wait_rc "$mpid" mrc; continue
            fi
            ep=$(field "$dir/mon.out" endpoint)
            start_peer right "$dir/peer" "$ptype" connect "$ep" "$prole" 1
            pid=$LAST_PID
            wait_rc "$pid" prc
            wait_rc "$mpid" mrc
        fi
        reasons=$(join_reasons "$reasons" "$(check_peer "$mside" "$dir/mon" "$mrc" "$what")" \
                               "$(check_peer right "$dir/peer" "$prc" "$pwhat")")
        grep '^event ' "$dir/mon.out" > "$CASE_DIR/$mside.events" || true
    done
    if [ -z "$reasons" ] && ! cmp -s "$CASE_DIR/left.events" "$CASE_DIR/right.events"; then
        reasons="event sequences differ: $(side_name left): $(sed 's/^event //' "$CASE_DIR/left.events" | paste -sd ' ');" \
        reasons+=" $(side_name right): $(sed 's/^event //' "$CASE_DIR/right.events" | paste -sd ' ')"
    fi
    if [ -z "$reasons" ] && [ ! -s "$CASE_DIR/left.events" ]; then
        reasons="no events recorded"
    fi
    report "$name" "$reasons" "$CASE_DIR"
}

# ---- proxy under load -----------------------------------------------------------------------------
# run_proxy_load NAME: a ROUTER/DEALER zmq_proxy and two echoing workers on the left library,
# two clients on the right library sending PROXY_MESSAGES requests between them (default
# 1,000,000), pipelined; every reply must come back exactly once.
PROXY_MESSAGES=${PROXY_MESSAGES:-1000000}
run_proxy_load() {
    local name=$1 ppid w1 w2 c1 c2 rc1 rc2 front back reasons= k half=$((PROXY_MESSAGES / 2))
    new_case_dir
    start_prog left "$CASE_DIR/proxy" "$LOAD" proxy
    ppid=$LAST_PID
    if ! wait_line "$CASE_DIR/proxy.out" '^back ' "$ppid" 15; then
        kill "$ppid" 2>/dev/null || true
        report "$name" "the proxy printed no endpoints" "$CASE_DIR"
        return
    fi
    front=$(field "$CASE_DIR/proxy.out" front)
    back=$(field "$CASE_DIR/proxy.out" back)
    start_prog left "$CASE_DIR/worker1" "$LOAD" worker "$back"; w1=$LAST_PID
    start_prog left "$CASE_DIR/worker2" "$LOAD" worker "$back"; w2=$LAST_PID
    start_prog right "$CASE_DIR/client1" "$LOAD" client "$front" c1 "$half"; c1=$LAST_PID
    start_prog right "$CASE_DIR/client2" "$LOAD" client "$front" c2 "$((PROXY_MESSAGES - half))"; c2=$LAST_PID
    wait_rc "$c1" rc1
    wait_rc "$c2" rc2
    for k in proxy worker1 worker2; do
        # Still running after all that traffic, or it crashed: only then is it a failure.
        if ! grep -q "^version $LEFT_VERSION" "$CASE_DIR/$k.out"; then
            reasons=$(join_reasons "$reasons" "$k loaded libzmq '$(field "$CASE_DIR/$k.out" version)', expected $LEFT_VERSION")
        fi
    done
    kill -0 "$ppid" 2>/dev/null || reasons=$(join_reasons "$reasons" "the proxy exited during the run")
    kill -0 "$w1" 2>/dev/null && kill -0 "$w2" 2>/dev/null || reasons=$(join_reasons "$reasons" "a worker exited during the run")
    kill "$ppid" "$w1" "$w2" 2>/dev/null || true
    wait_rc "$ppid" k; wait_rc "$w1" k; wait_rc "$w2" k
    reasons=$(join_reasons "$reasons" "$(check_peer right "$CASE_DIR/client1" "$rc1" "client 1 ($(side_name right))")" \
                           "$(check_peer right "$CASE_DIR/client2" "$rc2" "client 2 ($(side_name right))")")
    if [ -z "$reasons" ] && [ "$(($(field "$CASE_DIR/client1.out" ok) + $(field "$CASE_DIR/client2.out" ok)))" != "$PROXY_MESSAGES" ]; then
        reasons="the clients got $(field "$CASE_DIR/client1.out" ok) + $(field "$CASE_DIR/client2.out" ok) replies of $PROXY_MESSAGES"
    fi
    report "$name" "$reasons" "$CASE_DIR"
}

# ---- peer restart -------------------------------------------------------------------------------
# run_restart NAME TRANSPORT CLIENT_SIDE: CLIENT_SIDE's DEALER (client-restart) talks to the other
# side's ROUTER echo server, which is killed after the first batch and, once the client has
# queued a second batch, restarted on the same endpoint; all second-batch replies must arrive.
run_restart() {
    local name=$1 transport=$2 cside=$3 sside n=$((MESSAGES / 2))
    local s1 s2 cpid spid ep rc1 src crc reasons
    sside=$(other_side "$cside")
    new_case_dir
    local swhat="server ($(side_name "$sside") ROUTER echo)"
    local cwhat="client ($(side_name "$cside") DEALER client-restart)"

    start_peer "$sside" "$CASE_DIR/server1" ROUTER bind "$(endpoint_for "$transport")" echo 1000000
    s1=$LAST_PID
    if ! wait_line "$CASE_DIR/server1.out" '^endpoint ' "$s1" 15; then
        kill "$s1" 2>/dev/null || true
        wait_rc "$s1" rc1
        reasons=$(check_peer "$sside" "$CASE_DIR/server1" "$rc1" "first $swhat")
        report "$name" "${reasons:-first $swhat printed no endpoint}" "$CASE_DIR"
        return
    fi
    ep=$(field "$CASE_DIR/server1.out" endpoint)
    spid=$(field "$CASE_DIR/server1.out" pid)
    start_peer "$cside" "$CASE_DIR/client" DEALER connect "$ep" client-restart "$n" "$CASE_DIR/go"
    cpid=$LAST_PID
    if ! wait_line "$CASE_DIR/client.out" '^phase1 done' "$cpid" 30; then
        kill "$s1" "$cpid" 2>/dev/null || true
        wait_rc "$s1" rc1; wait_rc "$cpid" crc
        reasons=$(join_reasons "$(check_peer "$sside" "$CASE_DIR/server1" 0 "first $swhat")" \
                               "$(check_peer "$cside" "$CASE_DIR/client" "$crc" "$cwhat")")
        report "$name" "${reasons:-$cwhat did not finish the first batch}" "$CASE_DIR"
        return
    fi
    # Kill the server hard (no goodbye on the wire), give the client time to notice the lost
    # connection, then let it queue the second batch while nobody is listening.
    kill -KILL "$spid" 2>/dev/null || true
    wait_rc "$s1" rc1
    sleep 0.5
    touch "$CASE_DIR/go"
    if ! wait_line "$CASE_DIR/client.out" '^phase2 queued' "$cpid" 30; then
        kill "$cpid" 2>/dev/null || true
        wait_rc "$cpid" crc
        reasons=$(check_peer "$cside" "$CASE_DIR/client" "$crc" "$cwhat")
        report "$name" "${reasons:-$cwhat did not queue the second batch while the server was down}" "$CASE_DIR"
        return
    fi
    start_peer "$sside" "$CASE_DIR/server2" ROUTER bind "$ep" echo "$n"
    s2=$LAST_PID
    wait_rc "$cpid" crc
    wait_rc "$s2" src
    reasons=$(join_reasons "$(check_peer "$sside" "$CASE_DIR/server1" 0 "first $swhat")" \
                           "$(check_peer "$sside" "$CASE_DIR/server2" "$src" "restarted $swhat")" \
                           "$(check_peer "$cside" "$CASE_DIR/client" "$crc" "$cwhat")")
    report "$name" "$reasons" "$CASE_DIR"
}

selected() { [ -z "$ONLY" ] || [[ $1 =~ $ONLY ]]; }

# ---- the run ------------------------------------------------------------------------------------
for transport in "${TRANSPORTS[@]}"; do
    for row in "${MATRIX[@]}"; do
        read -r pname btype ctype brole crole <<<"$row"
        for bside in left right; do
            name="$transport/$pname/$(side_name "$bside")-binds"
            selected "$name" || continue
            run_pair "$name" "$transport" "$bside" "$btype" "$ctype" "$brole" "$crole"
        done
    done
    for scenario in connect bind; do
        name="$transport/monitor/$scenario-events-match-$(side_name right)"
        selected "$name" || continue
        run_monitor "$name" "$transport" "$scenario"
    done
    for cside in left right; do
        name="$transport/restart/$(side_name "$cside")-dealer-reconnects"
        selected "$name" || continue
        run_restart "$name" "$transport" "$cside"
    done
done

name="tcp/proxy/$(side_name left)-proxy-and-workers-$(side_name right)-clients-$PROXY_MESSAGES"
selected "$name" && run_proxy_load "$name"

# ---- security cases: PLAIN and CURVE, both ways (interop/security.sh) ---------------------------
if selected "tcp/plain/" || selected "tcp/curve/"; then
    if [ "$BASELINE" = 1 ]; then sec_args=(--baseline); else sec_args=("$(dirname "$LEFT_LIB")"); fi
    sec_out=$(bash "$HERE/security.sh" "${sec_args[@]}" 2>&1) || true
    printf '%s\n' "$sec_out" | grep -v ' passed, .* failed$' || true
    sec_summary=$(printf '%s\n' "$sec_out" | tail -n 1)
    if [[ $sec_summary =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
        passed=$((passed + BASH_REMATCH[1]))
        failed=$((failed + BASH_REMATCH[2]))
    else
        echo "FAIL security: interop/security.sh did not finish"
        failed=$((failed + 1))
    fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
