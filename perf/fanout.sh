#!/usr/bin/env bash
# perf/fanout.sh PREFIX: `make bench-fanout`. One publisher to 1, 10 and 100 subscribers over
# tcp and inproc at 64 B (perf/fanout.c), on the system libzmq and on libzmq-rs (PREFIX/lib),
# ROUNDS interleaved rounds (default 3), medians of messages per second at each subscriber.
set -euo pipefail
prefix=${1:?usage: perf/fanout.sh PREFIX}
ROUNDS=${ROUNDS:-3}
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
bin=${BENCH_DIR:-$root/build/perf}/bin
ourlib=$(cd "$prefix/lib" && pwd)
bash "$here/build.sh" "$bin"

rate() { # lib transport subscribers count
    local libenv
    if [[ $1 == rs ]]; then libenv=(env LD_LIBRARY_PATH="$ourlib"); else libenv=(env -u LD_LIBRARY_PATH); fi
    timeout -k 5 120 "${libenv[@]}" "$bin/fanout" "$2" "$3" 64 "$4" \
        | sed -n 's/.*msgs_per_second_per_subscriber \([0-9]*\).*/\1/p'
}
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print 0 }'; }

echo "Pub-sub fan-out, 64 B, messages per second at each subscriber (median of $ROUNDS)."
echo
echo "| transport | subscribers | libzmq | libzmq-rs | ratio |"
echo "|---|---:|---:|---:|---:|"
for transport in inproc tcp; do
    for subs in 1 10 100; do
        # Bounded memory with unlimited HWM: at most 2M deliveries in flight.
        count=$((2000000 / subs)); ((count > 200000)) && count=200000
        a=(); b=()
        for ((round = 0; round < ROUNDS; round++)); do
            a+=("$(rate zmq "$transport" "$subs" "$count")")
            b+=("$(rate rs "$transport" "$subs" "$count")")
        done
        ma=$(printf '%s\n' "${a[@]}" | median)
        mb=$(printf '%s\n' "${b[@]}" | median)
        r=$(awk -v a="$ma" -v b="$mb" 'BEGIN { if (a > 0) printf "%.2f", b / a; else print "-" }')
        echo "| $transport | $subs | $ma | $mb | $r |"
    done
done
