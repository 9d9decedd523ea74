#!/usr/bin/env bash
# Unmodified C programs: bindings/c/prog.c compiled against Debian's zmq.h and linked with
# Debian's -lzmq (libzmq3-dev, no rpath), then the same binary run three ways: on Debian's
# library (proves the program), with LD_LIBRARY_PATH=PREFIX/lib and with
# LD_PRELOAD=PREFIX/lib/libzmq.so.5. The program checks zmq_version itself (4.3.4 vs ours).
#   bash bindings/c.sh PREFIX
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
prefix=$(cd "${1:?usage: c.sh PREFIX}" && pwd) || exit 1
apt_install libzmq3-dev libzmq5 gcc

bin=$WORK/c-prog
if ! gcc -Wall -O1 -o "$bin" "$here/c/prog.c" -lzmq; then
    echo "0 passed, 1 failed"
    exit 1
fi
debian_version=$(pkg-config --modversion libzmq)

run_program debian "$bin" "$debian_version"
run_program LD_LIBRARY_PATH "$bin" "$OUR_VERSION" LD_LIBRARY_PATH="$prefix/lib"
run_program LD_PRELOAD "$bin" "$OUR_VERSION" LD_PRELOAD="$prefix/lib/libzmq.so.5"
summary
