#!/usr/bin/env bash
# perf/curve.sh PREFIX: `make bench-curve`. CURVE throughput at 64 B and 64 KiB and complete
# handshakes per second (perf/curve.c), on the system libzmq (libsodium) and on libzmq-rs
# (PREFIX/lib), ROUNDS interleaved rounds (default 3), medians.
set -euo pipefail
prefix=${1:?usage: perf/curve.sh PREFIX}
ROUNDS=${ROUNDS:-3}
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
bin=${BENCH_DIR:-$root/build/perf}/bin
ourlib=$(cd "$prefix/lib" && pwd)
bash "$here/build.sh" "$bin"

measure() { # lib field args...
    local lib=$1 field=$2 libenv
    shift 2
    if [[ $lib == rs ]]; then libenv=(env LD_LIBRARY_PATH="$ourlib"); else libenv=(env -u LD_LIBRARY_PATH); fi
    timeout -k 5 300 "${libenv[@]}" "$bin/curve" "$@" | sed -n "s/.* $field \([0-9.]*\).*/\1/p"
}
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print 0 }'; }

echo "CURVE over tcp, one process (median of $ROUNDS)."
echo
echo "| scenario | libzmq | libzmq-rs | ratio |"
echo "|---|---:|---:|---:|"
row() { # label field args...
    local label=$1 field=$2 a=() b=()
    shift 2
    for ((round = 0; round < ROUNDS; round++)); do
        a+=("$(measure zmq "$field" "$@")")
        b+=("$(measure rs "$field" "$@")")
    done
    local ma mb
    ma=$(printf '%s\n' "${a[@]}" | median)
    mb=$(printf '%s\n' "${b[@]}" | median)
    echo "| $label | $ma | $mb | $(awk -v a="$ma" -v b="$mb" 'BEGIN { if (a > 0) printf "%.2f", b / a; else print "-" }') |"
}
row "64 B msg/s" msgs_per_second thr 64 200000
row "64 KiB msg/s" msgs_per_second thr 65536 5000
row "handshakes/s" per_second handshakes 500
