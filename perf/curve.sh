#!/usr/bin/env bash
# perf/curve.sh PREFIX: `make bench-curve`. CURVE throughput at 64 B and 64 KiB and complete
# handshakes per second (perf/curve.c), on the system libzmq (libsodium) and on libzmq-rs
# (PREFIX/lib), ROUNDS interleaved rounds (default 3), medians.
set -euo pipefail
prefix=${1:?usage: perf/curve.sh PREFIX}
source "$(dirname "$0")/compare.sh"

echo "CURVE over tcp, one process (median of $ROUNDS)."
echo
echo "| scenario | libzmq | libzmq-rs | ratio |"
echo "|---|---:|---:|---:|"
compare_row "64 B msg/s" msgs_per_second curve thr 64 200000
compare_row "64 KiB msg/s" msgs_per_second curve thr 65536 5000
compare_row "handshakes/s" per_second curve handshakes 500
