# Shared by pyzmq-source.sh and pyzmq-wheel.sh (sourced): downloads the pyzmq sdist, sets up the
# test requirements in a virtualenv and runs pyzmq's own test suite (the sdist's tests/).

PYZMQ_VERSION=${PYZMQ_VERSION:-27.3.0}
PYZMQ_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# pyzmq's test requirements (test-requirements.txt) that the suite uses at run time; gevent is
# listed there only for Python < 3.11, we install it everywhere so zmq.green (ZMQ_FD) is tested.
# pytest-rerunfailures honours pyzmq's own @mark.flaky(reruns=3) (test_retry_poll races against
# Debian's libzmq too: 2 failures in 15 lone runs). Linters, coverage and mypy (test_mypy
# type-checks pyzmq's stubs, nothing of libzmq) are left out.
PYZMQ_TEST_REQS=(pytest pytest-timeout pytest-asyncio pytest-rerunfailures tornado gevent cython setuptools)
# check_libzmq.py also reruns test_curve_keygen_secret (fails when its random key text starts
# with "-") and test_shadow_socket_close (races against its own messages' arrival; the wheel's
# libzmq loses that race too): see there.
# Deselected tests, with the reason:
#  - test_blank_root_topic races in the test itself (a PUB log handler and a SUB that may not
#    have finished subscribing); it fails against Debian's libzmq too, now and then.
PYZMQ_DESELECT=(tests/test_log.py::TestPubLog::test_blank_root_topic)

# make_venv DIR: a fresh-enough virtualenv with pip up to date.
make_venv() {
    [[ -x $1/bin/python ]] || python3 -m venv "$1"
    "$1/bin/pip" install -q --upgrade pip >/dev/null
}

# fetch_sdist VENV: downloads and unpacks the sdist into $WORK/dl (once), copies its tests/ and
# pytest.ini into $WORK/pyzmq-suite (run from there: the unpacked source tree would shadow the
# installed zmq package).
fetch_sdist() {
    local dl=$WORK/dl
    mkdir -p "$dl"
    if [[ ! -f $dl/pyzmq-$PYZMQ_VERSION.tar.gz ]]; then
        # --no-build-isolation: metadata comes from the build tools already in the venv.
        (cd "$dl" && "$1/bin/pip" download -q --no-deps --no-binary :all: --no-build-isolation \
            "pyzmq==$PYZMQ_VERSION" -d .)
    fi
    [[ -d $dl/pyzmq-$PYZMQ_VERSION ]] || tar -xzf "$dl/pyzmq-$PYZMQ_VERSION.tar.gz" -C "$dl"
    rm -rf "$WORK/pyzmq-suite"
    mkdir -p "$WORK/pyzmq-suite"
    cp -r "$dl/pyzmq-$PYZMQ_VERSION/tests" "$dl/pyzmq-$PYZMQ_VERSION/pytest.ini" "$WORK/pyzmq-suite/"
}

# run_suite VENV LOG [VAR=value...]: runs the suite with the environment additions given, prints
# failures and the `N passed, M failed (S skipped)` line; the exit status says whether all passed.
run_suite() {
    local venv=$1 log=$2
    shift 2
    local deselect=()
    for t in "${PYZMQ_DESELECT[@]}"; do deselect+=(--deselect "$t"); done
    (cd "$WORK/pyzmq-suite" &&
        env PYTHONPATH="$PYZMQ_DIR" "$@" timeout 1500 "$venv/bin/python" -m pytest \
            -p check_libzmq -p no:cacheprovider --timeout=90 -q -rfEs "${deselect[@]}" tests) \
        >"$log" 2>&1
    local status=$?
    grep -E '^(FAILED|ERROR) ' "$log" || true
    grep -E '^(libzmq:|ERROR: wrong libzmq)' "$log" || true
    local last p f e s
    last=$(grep -E '^=*.*[0-9]+ (passed|failed|error)' "$log" | tail -n 1)
    p=$(grep -oE '[0-9]+ passed' <<<"$last" | grep -oE '[0-9]+' || echo 0)
    f=$(grep -oE '[0-9]+ failed' <<<"$last" | grep -oE '[0-9]+' || echo 0)
    e=$(grep -oE '[0-9]+ errors?' <<<"$last" | grep -oE '[0-9]+' || echo 0)
    s=$(grep -oE '[0-9]+ skipped' <<<"$last" | grep -oE '[0-9]+' || echo 0)
    f=$((f + e))
    # No summary at all (crash, hang killed by timeout, wrong libzmq): one failure.
    if [[ -z $last ]] || { [[ $status -ne 0 ]] && [[ $f -eq 0 ]]; }; then
        tail -n 20 "$log"
        f=$((f + 1))
    fi
    echo "pyzmq suite log: $log"
    echo "$p passed, $f failed ($s skipped)"
    [[ $f -eq 0 ]]
}

# check_binding VENV LIB [VAR=value...]: asks the dynamic linker itself (LD_DEBUG=bindings) where
# the extension's zmq_* calls go when pyzmq creates and terminates a context and a socket in that
# environment. Every binding must name LIB. (zmq_version alone cannot tell: the wheel's bundled
# copy is libzmq 4.3.5 too.)
check_binding() {
    local venv=$1 lib=$2 out
    shift 2
    out=$(mktemp -d)
    (cd / && env "$@" LD_DEBUG=bindings LD_DEBUG_OUTPUT="$out/ld" "$venv/bin/python" -c \
        'import zmq; c = zmq.Context(); s = c.socket(zmq.PUSH); s.close(); c.term()')
    local targets
    targets=$(cat "$out"/ld.* | grep -F '_zmq.cpython' | grep -E "normal symbol \`zmq_" |
        sed -E 's/.* to ([^ ]+) \[[0-9]+\]: normal symbol.*/\1/' | sort | uniq -c)
    rm -rf "$out"
    echo "dynamic linker: the extension's zmq_* symbols bind to:"
    sed -e 's/^/  /' <<<"$targets"
    [[ -n $targets ]] || return 1
    while read -r _ file; do
        [[ $(realpath "$file") == $(realpath "$lib") ]] || return 1
    done <<<"$targets"
}
