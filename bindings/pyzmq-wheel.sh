#!/usr/bin/env bash
# pyzmq's binary wheel from PyPI, unchanged, with LD_PRELOAD=PREFIX/lib/libzmq.so.5, then
# pyzmq's own test suite.
#
#   bash bindings/pyzmq-wheel.sh PREFIX      preload our library
#   bash bindings/pyzmq-wheel.sh --baseline  the wheel as shipped (its bundled libzmq)
#
# How the wheel finds its libzmq: auditwheel renamed the bundled copy to
# pyzmq.libs/libzmq-<hash>.so.5.2.5; the extension's DT_NEEDED names that file and its RPATH is
# $ORIGIN/../../../pyzmq.libs, and it imports every zmq_* function as an undefined dynamic
# symbol. A preloaded libzmq.so.5 has another name, so the bundled copy is still mapped, but the
# dynamic linker binds each undefined symbol to the first definition in the global scope, where
# preloaded objects come right after the executable: every zmq_* call goes to our library. The
# script checks those facts on the installed wheel and asks the dynamic linker (LD_DEBUG=bindings)
# where the calls really bind; the check_libzmq plugin checks inside the test process that
# zmq.zmq_version() is 4.3.5 and our file is mapped (the bundled copy is 4.3.5 too, hence the
# LD_DEBUG check).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
source "$here/pyzmq/suite.sh"

apt_install python3-venv python3-dev gcc g++ binutils
venv=$WORK/venv-pyzmq-wheel
make_venv "$venv"
"$venv/bin/pip" install -q --only-binary pyzmq "pyzmq==$PYZMQ_VERSION" cython packaging \
    'scikit-build-core>=0.10' "${PYZMQ_TEST_REQS[@]}" || { echo "0 passed, 1 failed"; exit 1; }
fetch_sdist "$venv" || { echo "0 passed, 1 failed"; exit 1; }

ext=$(cd / && "$venv/bin/python" -c 'import zmq.backend.cython._zmq as m; print(m.__file__)')
bundled=$(readelf -d "$ext" | sed -nE 's/.*NEEDED.*\[(libzmq[^]]*)\].*/\1/p')
echo "wheel extension $ext needs $bundled; zmq_socket is $(nm -D "$ext" | awk '$2 == "zmq_socket" { print $1 == "U" ? "imported" : "defined inside" }' | head -n 1)"
if nm -D --defined-only "$ext" | grep -q ' zmq_socket$'; then
    echo "FAIL the extension defines libzmq itself: LD_PRELOAD cannot take over"
    echo "0 passed, 1 failed"
    exit 1
fi

if [[ ${1:-} == --baseline ]]; then
    lib=$(dirname "$ext")/../../../pyzmq.libs/$bundled
    run_suite "$venv" "$WORK/pyzmq-wheel-bundled.log" PYZMQ_EXPECT_VERSION="$("$venv/bin/python" -c 'import zmq; print(zmq.zmq_version())')" \
        PYZMQ_EXPECT_LIB="$lib"
else
    prefix=$(cd "${1:?usage: pyzmq-wheel.sh PREFIX | --baseline}" && pwd) || exit 1
    lib=$prefix/lib/libzmq.so.5
    got=$(cd / && LD_PRELOAD=$lib "$venv/bin/python" -c 'import zmq; print(zmq.zmq_version())')
    echo "with LD_PRELOAD=$lib: zmq.zmq_version() = $got"
    if ! check_binding "$venv" "$lib" LD_PRELOAD="$lib"; then
        echo "FAIL the preloaded library does not receive every zmq_* call"
        echo "0 passed, 1 failed"
        exit 1
    fi
    run_suite "$venv" "$WORK/pyzmq-wheel-preload.log" LD_PRELOAD="$lib" \
        PYZMQ_EXPECT_VERSION="$OUR_VERSION" PYZMQ_EXPECT_LIB="$lib"
fi
