#!/usr/bin/env bash
# perf/instr.sh PREFIX: `make bench-instr`. Instructions executed per message (callgrind's
# Ir, every thread of every process of the run) for inproc_thr and for tcp
# local_thr + remote_thr at 64 bytes, on the system libzmq and on libzmq-rs (PREFIX/lib).
#
# Each scenario runs twice, with N and with N0 messages; Ir/msg = (Ir(N) - Ir(N0)) / (N - N0),
# which cancels the fixed cost of process start-up, context creation and teardown.
# Instruction counts are deterministic enough that one run each suffices.
#
# Environment: N (default 100000), N0 (default 10000), SIZE (default 64),
# INSTR_TIMEOUT seconds per process (default 600), BENCH_DIR (default build/perf).
set -euo pipefail

prefix=${1:?usage: perf/instr.sh PREFIX}
N=${N:-100000}
N0=${N0:-10000}
SIZE=${SIZE:-64}
INSTR_TIMEOUT=${INSTR_TIMEOUT:-600}

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
out=${BENCH_DIR:-$root/build/perf}
bin=$out/bin
logs=$out/instr
ourlib=$(cd "$prefix/lib" && pwd)

bash "$here/build.sh" "$bin"
rm -rf "$logs"
mkdir -p "$logs"

# Total Ir recorded in a callgrind output file.
ir_of() {
    sed -n 's/^\(summary\|totals\): *\([0-9]*\).*/\2/p' "$1" | head -n 1
}

# Runs one program under callgrind with the library chosen by lib; prints its Ir.
callgrind() { # lib tag program args...
    local lib=$1 tag=$2 libenv
    shift 2
    if [[ $lib == rs ]]; then
        libenv=(env LD_LIBRARY_PATH="$ourlib")
    else
        libenv=(env -u LD_LIBRARY_PATH)
    fi
    timeout -k 5 "$INSTR_TIMEOUT" "${libenv[@]}" valgrind --tool=callgrind \
        --callgrind-out-file="$logs/$tag.out" "$@" >"$logs/$tag.log" 2>&1
    ir_of "$logs/$tag.out"
}

# Ir of one whole run of a scenario with count messages.
run_ir() { # scenario lib count
    local scenario=$1 lib=$2 count=$3 tag port a b pid
    tag=$scenario-$lib-$count
    case "$scenario" in
        inproc_thr)
            callgrind "$lib" "$tag" "$bin/inproc_thr" "$SIZE" "$count"
            ;;
        tcp_thr)
            port=$((16000 + RANDOM % 1000))
            callgrind "$lib" "$tag-local" "$bin/local_thr" "tcp://127.0.0.1:$port" "$SIZE" "$count" \
                >"$logs/$tag-local.ir" &
            pid=$!
            # Valgrind starts slowly; remote_thr's reconnects cover the gap either way.
            sleep 1
            b=$(callgrind "$lib" "$tag-remote" "$bin/remote_thr" "tcp://127.0.0.1:$port" "$SIZE" "$count")
            wait "$pid"
            a=$(cat "$logs/$tag-local.ir")
            echo $((a + b))
            ;;
    esac
}

printf '%-12s %-10s %14s\n' scenario library "Ir/msg"
declare -A per_msg
for scenario in inproc_thr tcp_thr; do
    for lib in zmq rs; do
        if big=$(run_ir "$scenario" "$lib" "$N") && small=$(run_ir "$scenario" "$lib" "$N0") \
            && [[ -n $big && -n $small ]]; then
            per_msg[$scenario/$lib]=$(awk -v a="$big" -v b="$small" -v n="$N" -v m="$N0" \
                'BEGIN { printf "%.0f", (a - b) / (n - m) }')
        else
            per_msg[$scenario/$lib]=FAIL
        fi
        name=$([[ $lib == rs ]] && echo libzmq-rs || echo libzmq)
        printf '%-12s %-10s %14s\n' "$scenario" "$name" "${per_msg[$scenario/$lib]}"
    done
done

echo
echo "Instructions per ${SIZE}-byte message (callgrind Ir, all threads and processes; N=$N, N0=$N0)."
echo "ratio = libzmq-rs / libzmq (lower is better)."
echo
echo "| scenario | libzmq Ir/msg | libzmq-rs Ir/msg | ratio |"
echo "|---|---:|---:|---:|"
for scenario in inproc_thr tcp_thr; do
    a=${per_msg[$scenario/zmq]}
    b=${per_msg[$scenario/rs]}
    r=$(awk -v a="$a" -v b="$b" 'BEGIN { if (a ~ /^[0-9]+$/ && b ~ /^[0-9]+$/ && a > 0) printf "%.2f", b / a; else print "-" }')
    label=$([[ $scenario == tcp_thr ]] && echo "tcp thr (local_thr + remote_thr)" || echo "inproc_thr")
    echo "| $label | $a | $b | $r |"
done
