#!/usr/bin/env bash
# pyzmq built from source against our library, then pyzmq's own test suite.
#
#   bash bindings/pyzmq-source.sh PREFIX      build the pyzmq sdist against PREFIX (libzmq-rs)
#   bash bindings/pyzmq-source.sh --baseline  the same against Debian's libzmq (libzmq3-dev, /usr)
#
# pyzmq's CMake build reads ZMQ_PREFIX and (with PYZMQ_NO_BUNDLE) refuses to fall back to its own
# bundled libzmq; it puts PREFIX/lib into the extension's RUNPATH. We check with ldd that the
# extension resolves libzmq.so.5 to PREFIX's, and the check_libzmq plugin checks zmq_version and
# /proc/self/maps inside the test process. The draft API is compiled in when the library exports
# it (ours does, and answers zmq_has("draft") = 1, so pyzmq's draft tests run).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
source "$here/pyzmq/suite.sh"

if [[ ${1:-} == --baseline ]]; then
    apt_install libzmq3-dev libzmq5
    # pyzmq looks in ZMQ_PREFIX/lib only; Debian's library is in the multiarch directory, which
    # "auto" (pkg-config) finds.
    prefix=auto
    lib=$(dpkg -L libzmq5 | grep -E '/libzmq\.so\.5$' | head -n 1)
    version=$(pkg-config --modversion libzmq 2>/dev/null || echo 4.3.4)
    name=debian
else
    prefix=$(cd "${1:?usage: pyzmq-source.sh PREFIX | --baseline}" && pwd) || exit 1
    lib=$prefix/lib/libzmq.so.5
    version=$OUR_VERSION
    name=ours
fi
apt_install python3-venv python3-dev gcc g++
venv=$WORK/venv-pyzmq-src-$name

make_venv "$venv"
# The build requirements of pyzmq's pyproject.toml (no build isolation: ZMQ_PREFIX must reach
# the real build), plus cmake and ninja for scikit-build-core.
"$venv/bin/pip" install -q cython packaging 'scikit-build-core>=0.10' cmake ninja "${PYZMQ_TEST_REQS[@]}" ||
    { echo "0 passed, 1 failed"; exit 1; }
fetch_sdist "$venv" || { echo "0 passed, 1 failed"; exit 1; }

draft=0
nm -D "$lib" 2>/dev/null | grep -q ' T zmq_join$' && draft=1
echo "building pyzmq $PYZMQ_VERSION with ZMQ_PREFIX=$prefix (ZMQ_DRAFT_API=$draft)"
"$venv/bin/pip" uninstall -q -y pyzmq >/dev/null 2>&1
if ! ZMQ_PREFIX=$prefix PYZMQ_NO_BUNDLE=1 ZMQ_DRAFT_API=$draft \
    "$venv/bin/pip" install -v --no-binary pyzmq --no-build-isolation --no-cache-dir \
    "$WORK/dl/pyzmq-$PYZMQ_VERSION.tar.gz" >"$WORK/pyzmq-build-$name.log" 2>&1; then
    tail -n 30 "$WORK/pyzmq-build-$name.log"
    echo "0 passed, 1 failed"
    exit 1
fi

ext=$(cd / && "$venv/bin/python" -c 'import zmq.backend.cython._zmq as m; print(m.__file__)')
resolved=$(ldd "$ext" | awk '$1 == "libzmq.so.5" { print $3 }')
echo "ldd: $ext: libzmq.so.5 => $resolved"
if [[ $(realpath "$resolved") != $(realpath "$lib") ]]; then
    echo "FAIL the extension does not load $lib"
    echo "0 passed, 1 failed"
    exit 1
fi

check_binding "$venv" "$lib" || { echo "FAIL the extension's zmq_* calls do not all go to $lib"; echo "0 passed, 1 failed"; exit 1; }

run_suite "$venv" "$WORK/pyzmq-source-$name.log" PYZMQ_EXPECT_VERSION="$version" PYZMQ_EXPECT_LIB="$lib"
