#!/usr/bin/env bash
# `make demo`: compiles demo/demo.c against the staged install (include/zmq.h, lib/libzmq.so.5)
# exactly as a user's program would be, shows that our library is the one loaded, and runs it.
set -euo pipefail
prefix=${1:?usage: demo.sh PREFIX}
out=build/demo
mkdir -p "$out"
cc -Wall -Wextra -Werror -I"$prefix/include" demo/demo.c -L"$prefix/lib" -lzmq \
   -Wl,-rpath,"$prefix/lib" -o "$out/demo"
echo "loaded: $(ldd "$out/demo" | grep libzmq)"
"$out/demo"
