#!/usr/bin/env bash
# perf/bench.sh PREFIX: `make bench`. Compares libzmq-rs (PREFIX/lib) with the system's
# libzmq (Debian's libzmq5) using the SAME perf binaries, the library swapped with
# LD_LIBRARY_PATH.
#
#   - throughput (local_thr/remote_thr, inproc_thr) and latency (local_lat/remote_lat,
#     inproc_lat) over tcp://127.0.0.1, ipc:// and inproc://, at 1, 64, 1024 and 65536 bytes;
#   - proxy_thr (n/a when the library's zmq_proxy answers ENOTSUP);
#   - raw_ref: the same byte stream over plain tcp and unix sockets (the kernel's limit).
#
# Each round runs every scenario on both libraries back to back (the order alternates
# between rounds); the table shows medians over the rounds. Latency runs pin each side
# to its own CPU (taskset -c 0 / -c 1); inproc_lat and inproc_thr pin their two threads the
# same way (PERF_PIN_THREADS=1: unpinned, the threads' placement made them bimodal); tcp/ipc
# throughput runs and proxy_thr are not pinned.
# Every process runs under `timeout`; a run that fails, crashes or hangs counts as FAIL.
#
# BENCH_SET=sizes (`make bench-sizes`) runs only tcp and ipc throughput, at 8, 16, 32, 128,
# 256 KiB and 1 MiB, with the raw reference, into results-sizes.tsv and table-sizes.md: the
# large-message end of the table, where the raw column says how far the kernel goes.
#
# Environment: ROUNDS (default 5), QUICK=1 (counts / 5), RUN_TIMEOUT seconds per process
# (default 30), BENCH_DIR (default build/perf: binaries, logs, results.tsv, table.md),
# TABLE_ONLY=1 (only re-render the table from the results), BENCH_SET (main or sizes).
set -euo pipefail

prefix=${1:?usage: perf/bench.sh PREFIX}
ROUNDS=${ROUNDS:-5}
QUICK=${QUICK:-0}
RUN_TIMEOUT=${RUN_TIMEOUT:-30}

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
out=${BENCH_DIR:-$root/build/perf}
bin=$out/bin
BENCH_SET=${BENCH_SET:-main}
case $BENCH_SET in
    main)
        sizes=(1 64 1024 65536)
        transports=(tcp ipc inproc)
        kinds=(thr lat)
        suffix=""
        ;;
    sizes)
        sizes=(8192 16384 32768 131072 262144 1048576)
        transports=(tcp ipc)
        kinds=(thr)
        suffix=-sizes
        ;;
    *) echo "BENCH_SET must be main or sizes" >&2; exit 2 ;;
esac
logs=$out/logs$suffix
results=$out/results$suffix.tsv
failures=$out/failures$suffix.txt
ourlib=$(cd "$prefix/lib" && pwd)

if [[ ! -e $ourlib/libzmq.so.5 ]]; then
    echo "no libzmq.so.5 in $ourlib (run make stage first)" >&2
    exit 1
fi

# TABLE_ONLY=1 re-renders the table from an existing results.tsv without running anything.
TABLE_ONLY=${TABLE_ONLY:-0}
if [[ $TABLE_ONLY != 1 ]]; then
# --- build: against the system zmq.h and libzmq.so, dynamic, no rpath -----------------
bash "$here/build.sh" "$bin"
rm -rf "$logs"
mkdir -p "$logs"
: >"$results"
: >"$failures"
fi

# Message or round-trip count for a scenario, chosen so one run takes roughly 0.5-1 s on
# libzmq on the reference machine; QUICK=1 divides by 5.
count_for() { # kind transport size
    local kind=$1 transport=$2 size=$3 n
    if [[ $BENCH_SET == sizes ]]; then
        # ~800 MB per run: 0.3-1 s on libzmq here, whatever the size.
        n=$((800000000 / size))
    else
        case "$kind/$transport/$size" in
            thr/inproc/1 | thr/inproc/64) n=3000000 ;;
            thr/inproc/1024) n=1000000 ;;
            thr/inproc/65536) n=100000 ;;
            thr/*/1 | thr/*/64) n=2000000 ;;
            thr/*/1024) n=400000 ;;
            thr/*/65536) n=15000 ;;
            lat/inproc/65536) n=30000 ;;
            lat/inproc/*) n=50000 ;;
            lat/*/65536) n=5000 ;;
            lat/*) n=10000 ;;
            proxy/*) n=1000000 ;;
            rawthr/*/1 | rawthr/*/64) n=20000000 ;;
            rawthr/*/1024) n=3000000 ;;
            rawthr/*/65536) n=50000 ;;
            rawlat/*) n=20000 ;;
            *) echo "no count for $kind/$transport/$size" >&2; exit 1 ;;
        esac
    fi
    if [[ $QUICK == 1 ]]; then
        n=$((n / 5))
    fi
    echo "$n"
}

port=15500
seq_no=0
# A fresh endpoint per run, so no run trips over the previous one's leftovers.
endpoint_for() { # transport
    seq_no=$((seq_no + 1))
    case "$1" in
        tcp) port=$((port + 1)); echo "tcp://127.0.0.1:$port" ;;
        ipc) echo "ipc:///tmp/libzmq-rs-bench-$$-$seq_no.ipc" ;;
    esac
}

# Waits (up to 2 s) until the server has bound endpoint; a connect before that would
# start a reconnect timer and skew the first round trip of a latency run.
wait_bound() { # endpoint
    local ep=$1 i
    for ((i = 0; i < 200; i++)); do
        case "$ep" in
            tcp://*) ss -Hltn "sport = :${ep##*:}" 2>/dev/null | grep -q . && return 0 ;;
            ipc://*) [[ -S ${ep#ipc://} ]] && return 0 ;;
        esac
        sleep 0.01
    done
}

# Human-readable reason for an exit status.
describe_rc() { # rc
    case "$1" in
        0) echo "ok" ;;
        124 | 137) echo "timeout after ${RUN_TIMEOUT}s (hung)" ;;
        3) echo "n/a (ENOTSUP)" ;;
        *) if (($1 > 128)); then echo "killed by signal $(($1 - 128))"; else echo "exit $1"; fi ;;
    esac
}

# Sum of the "cpu time per message" lines of the given logs (empty if one lacks it).
cpu_of() {
    local f total=0 v
    for f in "$@"; do
        v=$(sed -n 's/^cpu time per message: \([0-9.]*\) \[us\]$/\1/p' "$f" | tail -n 1)
        [[ -n $v ]] || { echo ""; return; }
        total=$(awk -v a="$total" -v b="$v" 'BEGIN { printf "%.4f", a + b }')
    done
    echo "$total"
}

# Runs one scenario once and appends "scenario lib round value cpu" to results.tsv.
# lib: zmq (system libzmq), rs (ours) or raw (raw_ref, no ZeroMQ).
run_one() { # kind transport size lib round
    local kind=$1 transport=$2 size=$3 lib=$4 round=$5
    local count tag slog clog value="" cpu="" src=0 crc=0 spid
    local libenv pin_s=() pin_c=() server client metric_log
    count=$(count_for "$kind" "$transport" "$size")
    tag="$kind-$transport-$size-$lib-r$round"
    slog=$logs/$tag.server.log
    clog=$logs/$tag.client.log
    if [[ $lib == rs ]]; then
        libenv=(env LD_LIBRARY_PATH="$ourlib" PERF_CLOSE_DELAY_MS=300)
    else
        libenv=(env -u LD_LIBRARY_PATH PERF_CLOSE_DELAY_MS=300)
    fi

    if [[ $transport == inproc ]]; then
        # One process: inproc_lat and inproc_thr pin their two threads to CPUs 0 and 1;
        # proxy_thr (more threads) ignores PERF_PIN_THREADS.
        case "$kind" in
            thr) server=inproc_thr ;;
            lat) server=inproc_lat ;;
            proxy) server=proxy_thr ;;
        esac
        timeout -k 2 "$RUN_TIMEOUT" "${libenv[@]}" PERF_PIN_THREADS=1 "$bin/$server" "$size" "$count" \
            >"$slog" 2>&1 || src=$?
        : >"$clog"
        metric_log=$slog
    else
        local ep
        ep=$(endpoint_for "$transport")
        case "$kind" in
            thr) server=("$bin/local_thr") client=("$bin/remote_thr") ;;
            lat) server=("$bin/local_lat") client=("$bin/remote_lat") ;;
            rawthr) server=("$bin/raw_ref" thr-recv) client=("$bin/raw_ref" thr-send) ;;
            rawlat) server=("$bin/raw_ref" lat-server) client=("$bin/raw_ref" lat-client) ;;
        esac
        if [[ $kind == lat || $kind == rawlat ]]; then
            pin_s=(taskset -c 0)
            pin_c=(taskset -c 1)
        fi
        timeout -k 2 "$RUN_TIMEOUT" "${pin_s[@]}" "${libenv[@]}" "${server[@]}" \
            "$ep" "$size" "$count" >"$slog" 2>&1 &
        spid=$!
        wait_bound "$ep"
        timeout -k 2 "$RUN_TIMEOUT" "${pin_c[@]}" "${libenv[@]}" "${client[@]}" \
            "$ep" "$size" "$count" >"$clog" 2>&1 || crc=$?
        if ((crc != 0)); then
            kill "$spid" 2>/dev/null || true
        fi
        wait "$spid" || src=$?
        case "$kind" in
            thr | rawthr) metric_log=$slog ;;
            *) metric_log=$clog ;;
        esac
        rm -f "/tmp/libzmq-rs-bench-$$-$seq_no.ipc"
    fi

    if ((src == 0 && crc == 0)); then
        case "$kind" in
            lat | rawlat) value=$(sed -n 's/^average latency: \([0-9.]*\) \[us\]$/\1/p' "$metric_log") ;;
            *) value=$(sed -n 's/^mean throughput: \([0-9]*\) \[msg\/s\]$/\1/p' "$metric_log") ;;
        esac
        if [[ $transport == inproc ]]; then
            cpu=$(cpu_of "$slog")
        else
            cpu=$(cpu_of "$slog" "$clog")
        fi
    fi
    if [[ -z $value ]]; then
        if ((src == 3)); then
            value=NA
        else
            value=FAIL
            {
                echo "$kind $transport ${size}B on $lib, round $round: server $(describe_rc "$src"), client $(describe_rc "$crc")"
                tail -n 3 "$slog" "$clog" 2>/dev/null | sed 's/^/    /'
            } >>"$failures"
        fi
        cpu=""
    fi
    printf '%s/%s/%s\t%s\t%s\t%s\t%s\n' "$kind" "$transport" "$size" "$lib" "$round" \
        "$value" "${cpu:--}" >>"$results"
    printf '  %-28s %-4s %s\n' "$kind/$transport/$size" "$lib" "$value"
}

# --- the rounds ---------------------------------------------------------------------
if [[ $TABLE_ONLY != 1 ]]; then
echo "libzmq:    $(dpkg-query -W -f '${Package} ${Version}' libzmq5 2>/dev/null || echo system)"
echo "libzmq-rs: $ourlib"
echo "rounds: $ROUNDS, quick: $QUICK, logs: $logs"
for ((round = 1; round <= ROUNDS; round++)); do
    echo "== round $round/$ROUNDS"
    if ((round % 2 == 1)); then order=(zmq rs); else order=(rs zmq); fi
    for kind in "${kinds[@]}"; do
        for transport in "${transports[@]}"; do
            for size in "${sizes[@]}"; do
                for lib in "${order[@]}"; do
                    run_one "$kind" "$transport" "$size" "$lib" "$round"
                done
                if [[ $transport != inproc ]]; then
                    run_one "raw$kind" "$transport" "$size" raw "$round"
                fi
            done
        done
    done
    if [[ $BENCH_SET == main ]]; then
        for lib in "${order[@]}"; do
            run_one proxy inproc 64 "$lib" "$round"
        done
    fi
done
fi

# --- the table ------------------------------------------------------------------------
# median KEY LIB COLUMN: median of the numeric values in results.tsv (column 4 = value,
# 5 = cpu); FAIL if no round produced one, NA if the library said ENOTSUP; a suffix
# "(k/n FAIL)" when only some rounds failed.
median() {
    awk -F'\t' -v key="$1" -v lib="$2" -v col="$3" '
        $1 == key && $2 == lib {
            n++
            if ($4 == "NA") na++
            else if ($4 == "FAIL") fail++
            else if ($col != "-") v[++m] = $col + 0
        }
        END {
            if (n == 0) { print "-"; exit }
            if (na == n) { print "n/a"; exit }
            if (m == 0) { print "FAIL"; exit }
            for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
            med = (m % 2) ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
            s = (med >= 1000) ? sprintf("%d", med + 0.5) : (med < 10) ? sprintf("%.3f", med) : sprintf("%.2f", med)
            if (fail > 0) s = s sprintf(" (%d/%d FAIL)", fail, n)
            print s
        }' "$results"
}

ratio() { # ours theirs
    awk -v a="${1%% *}" -v b="${2%% *}" 'BEGIN {
        if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/ || b + 0 == 0) print "-"
        else printf "%.2f\n", a / b }'
}

table=$out/table$suffix.md
{
    echo "Medians of $ROUNDS round(s)$([[ $QUICK == 1 ]] && echo ', QUICK counts'). ratio = libzmq-rs / libzmq"
    echo "(throughput: higher is better; latency: lower is better). raw = plain sockets, no ZeroMQ;"
    echo "raw / libzmq is the ratio a library would reach by matching the raw sockets."
    echo
    echo "| transport | size (B) | metric | raw socket | libzmq | libzmq-rs | ratio | raw / libzmq |"
    echo "|---|---:|---|---:|---:|---:|---:|---:|"
    for kind in "${kinds[@]}"; do
        for transport in "${transports[@]}"; do
            for size in "${sizes[@]}"; do
                key=$kind/$transport/$size
                a=$(median "$key" zmq 4)
                b=$(median "$key" rs 4)
                raw=-
                [[ $transport != inproc ]] && raw=$(median "raw$key" raw 4)
                case $kind in thr) metric="throughput [msg/s]" ;; lat) metric="latency [µs]" ;; esac
                label=$transport
                [[ $transport == tcp ]] && label="tcp 127.0.0.1"
                echo "| $label | $size | $metric | $raw | $a | $b | $(ratio "$b" "$a") | $(ratio "$raw" "$a") |"
            done
        done
    done
    if [[ $BENCH_SET == main ]]; then
        a=$(median proxy/inproc/64 zmq 4)
        b=$(median proxy/inproc/64 rs 4)
        echo "| proxy (inproc, 2 workers) | 64 | throughput [msg/s] | - | $a | $b | $(ratio "$b" "$a") | - |"
    fi
    echo
    echo "CPU time (user+sys, all processes and threads of the run) per message, or per round trip"
    echo "for latency, in µs; ratio = libzmq-rs / libzmq (lower is better)."
    echo
    echo "| transport | size (B) | test | raw socket | libzmq | libzmq-rs | ratio |"
    echo "|---|---:|---|---:|---:|---:|---:|"
    for kind in "${kinds[@]}"; do
        for transport in "${transports[@]}"; do
            for size in "${sizes[@]}"; do
                key=$kind/$transport/$size
                a=$(median "$key" zmq 5)
                b=$(median "$key" rs 5)
                raw=-
                [[ $transport != inproc ]] && raw=$(median "raw$key" raw 5)
                label=$transport
                [[ $transport == tcp ]] && label="tcp 127.0.0.1"
                echo "| $label | $size | $kind | $raw | $a | $b | $(ratio "$b" "$a") |"
            done
        done
    done
    if [[ $BENCH_SET == main ]]; then
        a=$(median proxy/inproc/64 zmq 5)
        b=$(median proxy/inproc/64 rs 5)
        echo "| proxy (inproc, 2 workers) | 64 | thr | - | $a | $b | $(ratio "$b" "$a") |"
    fi
    if [[ -s $failures ]]; then
        echo
        echo "Failed runs:"
        echo
        echo '```'
        cat "$failures"
        echo '```'
    fi
} >"$table"
echo
cat "$table"
