#!/usr/bin/env bash
# perf/rss.sh PREFIX: `make bench-rss`. Resident memory per tcp connection (conn_rss: a
# ROUTER and CONNS DEALERs in one process, both ends of each connection counted) on the
# system libzmq and on libzmq-rs (PREFIX/lib), for idle connections and for connections
# that each carried one message. Memory is deterministic enough that one run each suffices.
#
# Environment: CONNS (default 1000), BENCH_DIR (default build/perf).
set -euo pipefail

prefix=${1:?usage: perf/rss.sh PREFIX}
CONNS=${CONNS:-1000}
source "$(dirname "$0")/compare.sh"
# Two fds per connection end plus one per socket: raise the soft limit if we may.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

rss_of() { # lib messages
    run_on "$1" 120 conn_rss "$CONNS" "$2" \
        | sed -n 's/^rss per connection: \([0-9.]*\) \[kB\]$/\1/p' || echo FAIL
}

echo "RSS per tcp connection (kB; $CONNS connections, both ends in one process)."
echo
echo "| connections | libzmq | libzmq-rs | ratio |"
echo "|---|---:|---:|---:|"
for messages in 0 1; do
    a=$(rss_of zmq "$messages")
    b=$(rss_of rs "$messages")
    r=$(ratio "$a" "$b")
    label=$([[ $messages == 0 ]] && echo "idle" || echo "one message each")
    echo "| $label | $a | $b | $r |"
done

# The 10,000-connection scenario: one ROUTER, raw ZMTP peers in another process (perf/
# connections.c), so only the library under test is measured: its memory per connection and
# how fast it accepts and completes handshakes.
BIG=${BIG_CONNS:-10000}
echo
echo "One ROUTER, $BIG connections from raw ZMTP peers (server side only)."
echo
echo "| library | bytes per connection | accepts + handshakes per second |"
echo "|---|---:|---:|"
for lib in zmq rs; do
    name=$([[ $lib == rs ]] && echo libzmq-rs || echo libzmq)
    line=$(run_on "$lib" 180 connections "$BIG" || echo FAIL)
    per=$(sed -n 's/.*bytes_per_connection \([0-9]*\).*/\1/p' <<<"$line")
    rate=$(sed -n 's/.*accepts_per_second \([0-9]*\).*/\1/p' <<<"$line")
    echo "| $name | ${per:-FAIL} | ${rate:-FAIL} |"
done
