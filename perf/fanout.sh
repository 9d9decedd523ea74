#!/usr/bin/env bash
# perf/fanout.sh PREFIX: `make bench-fanout`. One publisher to 1, 10 and 100 subscribers over
# tcp and inproc at 64 B (perf/fanout.c), on the system libzmq and on libzmq-rs (PREFIX/lib),
# ROUNDS interleaved rounds (default 3), medians of messages per second at each subscriber.
set -euo pipefail
prefix=${1:?usage: perf/fanout.sh PREFIX}
source "$(dirname "$0")/compare.sh"

echo "Pub-sub fan-out, 64 B, messages per second at each subscriber (median of $ROUNDS)."
echo
echo "| transport | subscribers | libzmq | libzmq-rs | ratio |"
echo "|---|---:|---:|---:|---:|"
for transport in inproc tcp; do
    for subs in 1 10 100; do
        # Bounded memory with unlimited HWM: at most 2M deliveries in flight.
        count=$((2000000 / subs)); ((count > 200000)) && count=200000
        compare_row "$transport | $subs" msgs_per_second_per_subscriber fanout "$transport" "$subs" 64 "$count"
    done
done
