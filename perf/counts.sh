#!/usr/bin/env bash
# perf/counts.sh PREFIX [TRANSPORT] [SIZE] [COUNT]: what one throughput message costs in counts
# rather than wall-clock time (a shared or busy machine makes msg/s too noisy to decide on):
# system calls by kind, context switches, migrations and CPU time per message, for
# local_thr + remote_thr on the system libzmq and on libzmq-rs (PREFIX/lib), same binaries.
#
# Needs `perf` with access to the syscalls tracepoints (root, or perf_event_paranoid <= -1).
# Reads of 8 bytes are eventfd reads (mailboxes: libzmq's signaler and ours), larger ones are the
# stream's; "data" writes are writes of other than 8 bytes, writev, sendto. Bytes per data
# read/write = COUNT * (SIZE + 2) / (data calls that moved bytes): the 2-byte ZMTP frame header
# of a message below 256 bytes; the handshake is negligible at the default COUNT.
#
# TRANSPORT: ipc (default) or tcp; SIZE default 1; COUNT default 2000000; PERF_BIN (default
# build/perf/bin) where perf/build.sh puts the programs (built when missing).
set -euo pipefail

prefix=${1:?usage: perf/counts.sh PREFIX [ipc|tcp] [SIZE] [COUNT]}
transport=${2:-ipc}
size=${3:-1}
count=${4:-2000000}
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
bin=${PERF_BIN:-$root/build/perf/bin}
ourlib=$(cd "$prefix/lib" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

[[ -x $bin/local_thr ]] || bash "$here/build.sh" "$bin"

# name|event|filter (filter empty: none)
events=(
    "task-clock [ms]|task-clock|"
    "context switches|context-switches|"
    "cpu migrations|cpu-migrations|"
    "data reads (called)|syscalls:sys_enter_read|count > 8"
    "data reads (got bytes)|syscalls:sys_exit_read|ret > 8"
    "eventfd reads|syscalls:sys_enter_read|count == 8"
    "recvfrom|syscalls:sys_enter_recvfrom|"
    "data writes|syscalls:sys_enter_write|count != 8"
    "eventfd writes|syscalls:sys_enter_write|count == 8"
    "writev|syscalls:sys_enter_writev|"
    "sendto|syscalls:sys_enter_sendto|"
    "epoll_wait|syscalls:sys_enter_epoll_wait|"
    "epoll_pwait|syscalls:sys_enter_epoll_pwait|"
    "poll|syscalls:sys_enter_poll|"
    "ppoll|syscalls:sys_enter_ppoll|"
    "futex|syscalls:sys_enter_futex|"
    "sched_yield|syscalls:sys_enter_sched_yield|"
)
perf_args=()
for entry in "${events[@]}"; do
    IFS='|' read -r _ event filter <<<"$entry"
    perf_args+=(-e "$event")
    [[ -n $filter ]] && perf_args+=(--filter "$filter")
done

run() { # lib tag
    local lib=$1 tag=$2 endpoint libenv pid
    if [[ $transport == ipc ]]; then
        endpoint="ipc://$work/thr-$tag"
    else
        endpoint="tcp://127.0.0.1:$((17000 + RANDOM % 1000))"
    fi
    # As bench.sh: the sender waits before closing (libzmq can lose the tail of an ipc stream
    # at close otherwise).
    if [[ $lib == rs ]]; then libenv=(env LD_LIBRARY_PATH="$ourlib"); else libenv=(env -u LD_LIBRARY_PATH); fi
    libenv+=(PERF_CLOSE_DELAY_MS=300)
    timeout -k 5 "${COUNTS_TIMEOUT:-120}" "${libenv[@]}" perf stat -x, -o "$work/$tag-local.csv" "${perf_args[@]}" \
        "$bin/local_thr" "$endpoint" "$size" "$count" >"$work/$tag-local.out" &
    pid=$!
    sleep 1
    timeout -k 5 "${COUNTS_TIMEOUT:-120}" "${libenv[@]}" perf stat -x, -o "$work/$tag-remote.csv" "${perf_args[@]}" \
        "$bin/remote_thr" "$endpoint" "$size" "$count" >"$work/$tag-remote.out"
    wait "$pid"
}

# Per-message value of event number i (0-based) in one process's file (side: local, remote).
per_msg() { # tag side index
    grep -v '^#' "$work/$1-$2.csv" | grep -v '^$' |
        awk -F, -v want="$3" -v n="$count" -v scale="$(scale_of "$3")" '
            NR - 1 == want { v = ($1 ~ /^[0-9.]+$/ ? $1 : 0) } END { printf "%.6f", v * scale / n }'
}

# task-clock is in ms: shown in µs per message.
scale_of() { [[ $1 == 0 ]] && echo 1000 || echo 1; }

echo "$transport, $size B, $count messages: per message (task-clock: µs per message)"
for lib in zmq rs; do run "$lib" "$lib"; done
printf '%-24s %12s %12s %12s %12s\n' "" "zmq local" "zmq remote" "rs local" "rs remote"
for i in "${!events[@]}"; do
    IFS='|' read -r name _ _ <<<"${events[$i]}"
    printf '%-24s %12s %12s %12s %12s\n' "$name" "$(per_msg zmq local "$i")" "$(per_msg zmq remote "$i")" \
        "$(per_msg rs local "$i")" "$(per_msg rs remote "$i")"
done
for lib in zmq rs; do
    # The receiver's reads (read or recvfrom) and the sender's writes (write, writev or sendto).
    awk -v r="$(per_msg "$lib" local 4)" -v v="$(per_msg "$lib" local 6)" -v a="$(per_msg "$lib" remote 7)" \
        -v b="$(per_msg "$lib" remote 9)" -v c="$(per_msg "$lib" remote 10)" -v lib="$lib" -v f="$((size + 2))" 'BEGIN {
        printf "%-4s bytes per data read %.0f, per data write %.0f\n", lib, f / (r + v), f / (a + b + c) }'
    grep -h "msg/s\|cpu time" "$work/$lib-local.out" "$work/$lib-remote.out" | sed "s/^/$lib  /" || true
done
