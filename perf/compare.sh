# perf/compare.sh: sourced by the side-by-side scripts (fanout.sh, curve.sh, rss.sh) after they
# set `prefix`: builds the perf programs and gives them
#   run_on zmq|rs SECONDS PROGRAM ARGS...   the program on Debian's libzmq or on ours (PREFIX/lib)
#   compare_row LABEL FIELD PROGRAM ARGS... ROUNDS interleaved runs on each library, the medians
#                                           of the number after FIELD in the output, a table row
#                                           "| LABEL | libzmq | libzmq-rs | ratio |"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
bin=${BENCH_DIR:-$root/build/perf}/bin
ourlib=$(cd "$prefix/lib" && pwd)
ROUNDS=${ROUNDS:-3}
bash "$here/build.sh" "$bin"

run_on() {
    local lib=$1 seconds=$2 program=$3 libenv
    shift 3
    if [[ $lib == rs ]]; then libenv=(env LD_LIBRARY_PATH="$ourlib"); else libenv=(env -u LD_LIBRARY_PATH); fi
    timeout -k 5 "$seconds" "${libenv[@]}" "$bin/$program" "$@"
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print 0 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b != "FAIL") printf "%.2f", b / a; else print "-" }'; }

compare_row() {
    local label=$1 field=$2 a=() b=() round
    shift 2
    for ((round = 0; round < ROUNDS; round++)); do
        a+=("$(run_on zmq 300 "$@" | sed -n "s/.* $field \([0-9.]*\).*/\1/p")")
        b+=("$(run_on rs 300 "$@" | sed -n "s/.* $field \([0-9.]*\).*/\1/p")")
    done
    local ma mb
    ma=$(printf '%s\n' "${a[@]}" | median)
    mb=$(printf '%s\n' "${b[@]}" | median)
    echo "| $label | $ma | $mb | $(ratio "$ma" "$mb") |"
}
