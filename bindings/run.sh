#!/usr/bin/env bash
# `make test-bindings`: real ZeroMQ bindings, unchanged, on the staged install in PREFIX.
#   c.sh            a C program linked with Debian's -lzmq, run with LD_LIBRARY_PATH and LD_PRELOAD
#   cppzmq.sh       Debian's cppzmq headers compiled against our zmq.h
#   rust.sh         the Rust zmq crate (zmq-sys through pkg-config and our libzmq.pc)
#   ruby.sh         Debian's ruby-ffi-rzmq with LD_LIBRARY_PATH
#   pyzmq-source.sh pyzmq built from the sdist against PREFIX, pyzmq's own test suite
#   pyzmq-wheel.sh  pyzmq's binary wheel with LD_PRELOAD, pyzmq's own test suite
# Each piece installs what it needs (apt-get as root, pip in virtualenvs under build/bindings)
# and ends with `N passed, M failed`; this prints each piece's line and time, then the combined
# `N passed, M failed`; the exit status is non-zero when M > 0. ONLY="c ruby" runs a subset.
#   bash bindings/run.sh PREFIX
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
prefix=$(cd "${1:?usage: run.sh PREFIX}" && pwd) || exit 1
source "$here/lib.sh"
logs=$WORK/logs
mkdir -p "$logs"
total_p=0
total_f=0
for piece in ${ONLY:-c cppzmq rust ruby pyzmq-source pyzmq-wheel}; do
    echo "== $piece"
    start=$(date +%s)
    bash "$here/$piece.sh" "$prefix" >"$logs/$piece.log" 2>&1
    took=$(($(date +%s) - start))
    grep -vE '^PASS ' "$logs/$piece.log" | tail -n 40
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$logs/$piece.log" | tail -n 1)
    if [[ -z $line ]]; then
        echo "  (no summary line: counted as one failure)"
        line="0 passed, 1 failed"
    fi
    p=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$line")
    f=$(sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$line")
    total_p=$((total_p + p))
    total_f=$((total_f + f))
    echo "-- $piece: $line in ${took}s (log: $logs/$piece.log)"
done
echo "$total_p passed, $total_f failed"
[[ $total_f -eq 0 ]]
