#!/usr/bin/env bash
# cppzmq: Debian's cppzmq-dev headers (zmq.hpp, zmq_addon.hpp, unchanged) compiled against OUR
# zmq.h (PREFIX/include, checked with the compiler's dependency list) and linked with our
# library (RUNPATH PREFIX/lib, checked with ldd); bindings/cppzmq/main.cpp then runs its checks.
#   bash bindings/cppzmq.sh PREFIX
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
prefix=$(cd "${1:?usage: cppzmq.sh PREFIX}" && pwd) || exit 1
apt_install cppzmq-dev g++

bin=$WORK/cppzmq-prog
flags=(-std=c++17 -Wall -O1 -I"$prefix/include")
headers=$(g++ "${flags[@]}" -M "$here/cppzmq/main.cpp")
check "zmq.hpp compiles against our zmq.h" \
    bash -c 'grep -qE "$1/include/zmq\.h( |$)" <<<"$2" && ! grep -qE "/usr/include/zmq\.h( |$)" <<<"$2" && grep -q "/usr/include/zmq.hpp" <<<"$2"' \
    _ "$prefix" "$headers"
if ! g++ "${flags[@]}" -o "$bin" "$here/cppzmq/main.cpp" -L"$prefix/lib" -Wl,-rpath,"$prefix/lib" -lzmq; then
    failed=$((failed + 1))
    summary
    exit 1
fi
check_linked_to_ours "$bin" "$prefix"
run_program ours "$bin" "$OUR_VERSION"
summary
