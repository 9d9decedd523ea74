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
# run_program LABEL BIN VERSION [VAR=value...]: runs a check program (it prints PASS/FAIL lines
# and takes the zmq version it must see) in that environment; each of its checks counts, and a
# non-zero exit without a FAIL line counts as one failure.
run_program() {
    local label=$1 bin=$2 version=$3 out
    shift 3
    out=$(env "$@" timeout 120 "$bin" "$version" 2>&1)
    local status=$?
    sed -e "s/^/[$label] /" <<<"$out" | grep -v '^\[.*\] PASS' || true
    passed=$((passed + $(grep -c '^PASS' <<<"$out")))
    failed=$((failed + $(grep -c '^FAIL' <<<"$out")))
    if [[ $status -ne 0 ]] && ! grep -q '^FAIL' <<<"$out"; then
        echo "FAIL [$label] exit status $status"
        failed=$((failed + 1))
    fi
}
# check_linked_to_ours BIN PREFIX: the dynamic linker resolves BIN's libzmq.so.5 to PREFIX's.
check_linked_to_ours() {
    check "linked with our libzmq.so.5" \
        bash -c '[[ $(realpath "$(ldd "$1" | awk '"'"'$1 == "libzmq.so.5" { print $3 }'"'"')") == $(realpath "$2") ]]' \
        _ "$1" "$2/lib/libzmq.so.5"
}
# summary: the last line every script prints; the exit status says whether all passed.
summary() {
    echo "$passed passed, $failed failed"
    [[ $failed -eq 0 ]]
}
