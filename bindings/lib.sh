# Shared helpers of the bindings/ scripts (sourced, not run).
# Every script takes PREFIX (a staged install of libzmq-rs: PREFIX/lib/libzmq.so.5,
# PREFIX/include/zmq.h, PREFIX/lib/pkgconfig/libzmq.pc), installs what it needs itself, and ends
# with one line `N passed, M failed`; it exits non-zero when M > 0 or when it cannot run at all.

# Version our library reports through zmq_version (Debian's libzmq5 reports 4.3.4).
OUR_VERSION=${OUR_VERSION:-4.3.5}
# Where the scripts keep virtualenvs, downloads and build products (git-ignored).
WORK=${BINDINGS_WORK:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build/bindings}
mkdir -p "$WORK"

# apt_install PKG...: installs the Debian packages that are missing (needs root, as in CI).
apt_install() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    echo "apt-get install ${missing[*]}"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >"$WORK/apt.log" 2>&1; then
        apt-get update -q >>"$WORK/apt.log" 2>&1 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >>"$WORK/apt.log" 2>&1
    fi
}

# Counters for scripts that check things one by one.
passed=0
failed=0
# check NAME CMD...: runs CMD, prints PASS/FAIL NAME and counts it.
check() {
    local name=$1
    shift
    if "$@"; then
        echo "PASS $name"
        passed=$((passed + 1))
    else
        echo "FAIL $name"
        failed=$((failed + 1))
    fi
}
# summary: the last line every script prints; the exit status says whether all passed.
summary() {
    echo "$passed passed, $failed failed"
    [[ $failed -eq 0 ]]
}
