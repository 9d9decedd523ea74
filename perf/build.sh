#!/usr/bin/env bash
# perf/build.sh OUTDIR: compiles the perf programs into OUTDIR against the system's
# /usr/include/zmq.h and libzmq.so: dynamically linked, no rpath, so the same binary runs
# on Debian's libzmq (default) or on libzmq-rs (LD_LIBRARY_PATH=PREFIX/lib).
set -euo pipefail
outdir=${1:?usage: perf/build.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
cc=${CC:-cc}
cflags=(-std=c99 -O2 -g -Wall -Wextra -D_POSIX_C_SOURCE=200809L)

if [[ ! -e /usr/include/zmq.h ]]; then
    echo "/usr/include/zmq.h missing: apt-get install libzmq3-dev" >&2
    exit 1
fi
mkdir -p "$outdir"
for prog in local_thr remote_thr local_lat remote_lat inproc_thr inproc_lat proxy_thr conn_rss \
    connections fanout curve; do
    "$cc" "${cflags[@]}" -I/usr/include -o "$outdir/$prog" "$here/$prog.c" -lzmq -lpthread
done
"$cc" "${cflags[@]}" -o "$outdir/raw_ref" "$here/raw_ref.c"
