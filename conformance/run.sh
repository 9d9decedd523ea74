#!/usr/bin/env bash
# conformance/run.sh — run libzmq's own upstream test suite against a libzmq
# install (ours, or any other libzmq.so.5 for comparison).
#
# Usage:  bash conformance/run.sh PREFIX
#   PREFIX            install prefix holding include/zmq.h and lib/libzmq.so.5
#   LIBDIR=DIR        library directory (default: PREFIX/lib), e.g.
#                     PREFIX=/usr LIBDIR=/usr/lib/x86_64-linux-gnu for Debian's
#   CONFORMANCE_ONLY="test_a test_b"   run only these tests
#   CONFORMANCE_TIMEOUT=SECONDS        per-test time limit (default 60)
#   CONFORMANCE_JOBS=N                 parallel builds/runs (default 2)
#
# What it does:
#   1. Installs the tools it needs (g++, dpkg-dev, binutils) when missing.
#   2. Fetches Debian's source package zeromq3 (libzmq 4.3.4, the test suite
#      closest to 4.3.5 Debian ships) with `apt-get source` into
#      build/cache/, enabling deb-src first if needed; later runs reuse it.
#   3. Asks the library under test what it supports (zmq_has, via probe.c),
#      including whether its draft API works (zmq_has("draft")).
#   4. Stages a build tree shaped like libzmq's source tree: our zmq.h, a
#      platform.hpp generated from platform.hpp.in plus the zmq_has answers,
#      and from the source package the tests, Unity and src/stdint.hpp.
#   5. Builds every tests/test_*.cpp with g++ against that tree, linking
#      -lzmq from LIBDIR (rpath LIBDIR), and checks with ldd that it is that
#      library which gets loaded.
#   6. Runs each test from a scratch directory under a timeout, prints a
#      PASS/FAIL/BUILD-FAIL/n/a table and "N passed, M failed".
#   7. Exits non-zero exactly when a test listed in expected-pass.txt did not
#      pass. Logs: build/conformance/logs/<test>.{build,run}.log
set -euo pipefail

export LC_ALL=C   # plain ASCII quotes in compiler messages, which are parsed below

die() { echo "conformance: error: $*" >&2; exit 2; }
say() { echo "conformance: $*"; }

[ $# -eq 1 ] || die "usage: $0 PREFIX   (see the header of this script)"
PREFIX=$(cd "$1" 2>/dev/null && pwd) || die "prefix '$1' does not exist"
LIBDIR=${LIBDIR:-$PREFIX/lib}
LIBDIR=$(cd "$LIBDIR" 2>/dev/null && pwd) || die "library directory '$LIBDIR' does not exist"
TIMEOUT=${CONFORMANCE_TIMEOUT:-60}
JOBS=${CONFORMANCE_JOBS:-2}
ONLY=${CONFORMANCE_ONLY:-}

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
CACHE=$ROOT/build/cache/zeromq3          # apt-get source lands here
OUT=$ROOT/build/conformance
LOGS=$OUT/logs
# One staging/object tree per library under test, so switching between our
# library and a baseline does not throw the other's objects away.
KEY=$(printf '%s:%s' "$PREFIX" "$LIBDIR" | cksum | cut -d' ' -f1)
WORK=$OUT/work/$KEY
STAGE=$WORK/stage                          # looks like libzmq's source tree
OBJ=$WORK/obj
BIN=$WORK/bin
STATUS=$WORK/status                        # one result file per test
SCRATCH=$WORK/run                          # tests' working directories

HEADER=$PREFIX/include/zmq.h
LIBRARY=$LIBDIR/libzmq.so.5
[ -f "$HEADER" ] || die "no header at $HEADER"
[ -e "$LIBRARY" ] || die "no library at $LIBRARY"

# Tests that libzmq only builds with the draft API (Makefile.am, ENABLE_DRAFTS).
DRAFT_TESTS="test_poller test_client_server test_thread_safe test_timers
test_radio_dish test_scatter_gather test_dgram test_app_meta
test_xpub_manual_last_value test_router_notify test_peer test_reconnect_options
test_msg_init test_hello_msg test_disconnect_msg test_channel"

# ---------------------------------------------------------------- 1. tools
need_pkgs=()
command -v g++ >/dev/null || need_pkgs+=(g++)
command -v gcc >/dev/null || need_pkgs+=(gcc)
command -v nm >/dev/null || need_pkgs+=(binutils)
command -v dpkg-source >/dev/null || need_pkgs+=(dpkg-dev)
command -v timeout >/dev/null || need_pkgs+=(coreutils)
apt_updated=no
apt_update() {
    [ "$apt_updated" = yes ] && return 0
    say "apt-get update"
    apt-get update -qq >/dev/null || die "apt-get update failed"
    apt_updated=yes
}
if [ ${#need_pkgs[@]} -gt 0 ]; then
    [ "$(id -u)" -eq 0 ] || die "missing tools (${need_pkgs[*]}); install them or run as root"
    apt_update
    say "installing ${need_pkgs[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null \
        || die "could not install ${need_pkgs[*]}"
fi

# ---------------------------------------------------------------- 2. source
enable_deb_src() {
    local f changed=no
    f=/etc/apt/sources.list.d/debian.sources
    if [ -f "$f" ] && grep -q '^Types: deb$' "$f"; then
        sed -i 's/^Types: deb$/Types: deb deb-src/' "$f"
        changed=yes
    fi
    f=/etc/apt/sources.list
    if [ -f "$f" ] && grep -q '^deb ' "$f" && ! grep -q '^deb-src ' "$f"; then
        sed -n 's/^deb /deb-src /p' "$f" >> "$f"
        changed=yes
    fi
    if [ "$changed" = yes ]; then
        say "enabled deb-src entries in the apt sources"
        apt_updated=no
    fi
}

find_source() {
    local d
    for d in "$CACHE"/zeromq3-*/; do
        [ -f "$d/tests/testutil.hpp" ] && { echo "${d%/}"; return; }
    done
    return 0
}
SRC=$(find_source)
if [ -z "$SRC" ]; then
    [ "$(id -u)" -eq 0 ] || die "source package not cached in $CACHE; run once as root to fetch it"
    enable_deb_src
    apt_update
    rm -rf "$CACHE"; mkdir -p "$CACHE"
    say "fetching Debian source package zeromq3 into $CACHE"
    (cd "$CACHE" && apt-get source -qq zeromq3 >"$CACHE/apt-get-source.log" 2>&1) \
        || { cat "$CACHE/apt-get-source.log" >&2; die "apt-get source zeromq3 failed"; }
    SRC=$(find_source)
    [ -n "$SRC" ] || die "apt-get source did not produce the test suite"
fi
say "test suite from $SRC"

# Copy a file only when its content changed, so timestamps drive rebuilds.
sync_file() { mkdir -p "$(dirname "$2")"; cmp -s "$1" "$2" || cp "$1" "$2"; }

# ---------------------------------------------------------------- 3. probe
mkdir -p "$WORK" "$OBJ" "$BIN"
rm -rf "$LOGS" "$STATUS" "$SCRATCH"
mkdir -p "$LOGS" "$STATUS" "$SCRATCH"

# DT_RPATH (not RUNPATH), so that LD_LIBRARY_PATH cannot swap the library.
# shellcheck disable=SC2054
RPATH_FLAGS=(-L"$LIBDIR" "-Wl,-rpath,$LIBDIR" -Wl,--disable-new-dtags)
gcc -std=c99 -I"$PREFIX/include" "$HERE/probe.c" -o "$WORK/probe" "${RPATH_FLAGS[@]}" -lzmq \
    >"$LOGS/probe.build.log" 2>&1 \
    || { cat "$LOGS/probe.build.log" >&2; die "could not build the zmq_has probe against $LIBDIR (zmq_has and zmq_version are required)"; }

# The library the dynamic loader picks must be the one under test.
check_loaded_library() {
    local binary=$1 loaded
    loaded=$(ldd "$binary" | awk '$1 ~ /^libzmq\.so/ {print $3}')
    [ -n "$loaded" ] || die "ldd $binary shows no libzmq"
    [ "$(readlink -f "$loaded")" = "$(readlink -f "$LIBRARY")" ] \
        || die "ldd $binary loads $loaded, not $LIBRARY (LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}?)"
}
check_loaded_library "$WORK/probe"

"$WORK/probe" >"$WORK/capabilities.txt" || die "the zmq_has probe failed to run"
has() { grep -qx "$1 1" "$WORK/capabilities.txt"; }
VERSION=$(sed -n 's/^version //p' "$WORK/capabilities.txt")

# The draft tests are built when the library says its draft API works. libzmq-rs exports every
# draft symbol from the start (unfinished ones fail with ENOTSUP), so the exported symbols alone
# cannot tell; zmq_has("draft") is what libzmq's own build ties ZMQ_BUILD_DRAFT_API to.
if has draft; then
    DRAFT=yes
else
    DRAFT=no
fi
if [ "$DRAFT" = yes ] && ! nm -D --defined-only "$LIBRARY" | awk '{print $NF}' | grep -qx zmq_poller_new; then
    say "warning: zmq_has(\"draft\") says yes but the library does not export zmq_poller_new"
fi
HAVE_WS=no; { has ws || has WS; } && HAVE_WS=yes
HAVE_WSS=no; { has wss || has WSS; } && HAVE_WSS=yes

caps=""
for c in ipc pgm tipc norm curve gssapi vmci draft; do has "$c" && caps+="$c "; done
[ "$HAVE_WS" = yes ] && caps+="ws "
[ "$HAVE_WSS" = yes ] && caps+="wss "
say "library $LIBRARY (version $VERSION); zmq_has: ${caps:-nothing}; draft API: $DRAFT"

# ---------------------------------------------------------------- 4. stage
platform_lines() {
    echo "/* zmq_has() answers of $LIBRARY */"
    has ipc && echo "#define ZMQ_HAVE_IPC 1"
    has pgm && echo "#define ZMQ_HAVE_OPENPGM 1"
    has tipc && echo "#define ZMQ_HAVE_TIPC 1"
    has norm && echo "#define ZMQ_HAVE_NORM 1"
    has curve && echo "#define ZMQ_HAVE_CURVE 1"
    # test_security_curve's own CurveZMQ client tools use libzmq's bundled tweetnacl.
    has curve && echo "#define ZMQ_USE_TWEETNACL 1"
    has gssapi && echo "#define HAVE_LIBGSSAPI_KRB5 1"
    has vmci && echo "#define ZMQ_HAVE_VMCI 1"
    [ "$HAVE_WS" = yes ] && echo "#define ZMQ_HAVE_WS 1"
    [ "$HAVE_WSS" = yes ] && echo "#define ZMQ_HAVE_WSS 1"
    # The draft API is switched on by -DZMQ_BUILD_DRAFT_API on the compiler
    # command line, exactly when zmq_has("draft") says it works.
    echo "/* draft API: $DRAFT */"
}
mkdir -p "$STAGE/include" "$STAGE/src" "$STAGE/tests" "$STAGE/external/unity"
sync_file "$HEADER" "$STAGE/include/zmq.h"
[ -f "$PREFIX/include/zmq_utils.h" ] && sync_file "$PREFIX/include/zmq_utils.h" "$STAGE/include/zmq_utils.h"
platform_lines > "$WORK/capabilities.h"
awk -v caps="$WORK/capabilities.h" \
    '/^@CAPABILITIES@$/ { while ((getline l < caps) > 0) print l; next } { print }' \
    "$HERE/platform.hpp.in" > "$WORK/platform.hpp.new"
sync_file "$WORK/platform.hpp.new" "$STAGE/src/platform.hpp"
for f in src/stdint.hpp src/windows.hpp external/unity/unity.c external/unity/unity.h \
         external/unity/unity_internals.h; do
    sync_file "$SRC/$f" "$STAGE/$f"
done
for f in "$SRC"/tests/*.cpp "$SRC"/tests/*.hpp; do
    sync_file "$f" "$STAGE/tests/$(basename "$f")"
done
# The libzmq internals test_security_curve compiles in (upstream's Makefile.am list), and the
# headers they include; our platform.hpp stays.
CURVE_INTERNALS="src/tweetnacl.c src/random.cpp src/clock.cpp src/err.cpp"
if has curve; then
    for f in "$SRC"/src/*.hpp "$SRC"/src/*.h $CURVE_INTERNALS; do
        [ "$(basename "$f")" = platform.hpp ] && continue
        sync_file "${f/#src\//$SRC/src/}" "$STAGE/src/$(basename "$f")"
    done
fi

CPPFLAGS="-I$STAGE/external/unity -DUNITY_USE_COMMAND_LINE_ARGS -DUNITY_EXCLUDE_FLOAT"
[ "$DRAFT" = yes ] && CPPFLAGS+=" -DZMQ_BUILD_DRAFT_API=1"
# Per-function sections + --gc-sections: a test links as soon as the library
# has the functions that test can actually reach (testutil.cpp references
# much of the API, and most tests use only part of it).
CXXFLAGS="-O1 -g -pthread -ffunction-sections -fdata-sections -Wno-deprecated-declarations"
LDFLAGS="-pthread -Wl,--gc-sections ${RPATH_FLAGS[*]}"
# Anything that changes how objects or binaries come out forces a rebuild.
echo "$CPPFLAGS | $CXXFLAGS | $LDFLAGS" > "$WORK/flags.new"
sync_file "$WORK/flags.new" "$WORK/flags"

# ---------------------------------------------------------------- 5. select
all_tests=$(cd "$STAGE/tests" && ls test_*.cpp | sed 's/\.cpp$//' | sort)
if [ -n "$ONLY" ]; then
    selected=""
    for t in $ONLY; do
        grep -qx "$t" <<<"$all_tests" || die "CONFORMANCE_ONLY: no upstream test named $t"
        selected+="$t"$'\n'
    done
    all_tests=$(sort -u <<<"$selected" | sed '/^$/d')
fi

# Why a test does not apply here (empty: it applies). Mirrors the conditions
# under which libzmq's Makefile.am builds each test.
not_applicable() {
    local t=$1
    case "$t" in
        *_fuzzer)
            echo "fuzzer target (for a fuzzing engine; needs the libzmq-fuzz-corpora, not shipped)"; return ;;
        *_tipc)
            has tipc || { echo "tipc transport not in library"; return; } ;;
        *_vmci)
            has vmci || { echo "vmci transport not in library"; return; } ;;
        test_rebind_ipc)
            # Its helpers exist only when ZMQ_HAVE_IPC is defined; libzmq builds it only
            # where ipc is available. The other ipc tests compile either way and run.
            has ipc || { echo "ipc transport not in library"; return; } ;;
        test_ws_transport)
            [ "$HAVE_WS" = yes ] || { echo "ws transport not in library"; return; } ;;
        test_wss_transport)
            [ "$HAVE_WSS" = yes ] || { echo "wss transport not in library"; return; } ;;
        test_security_gssapi)
            has gssapi || { echo "gssapi mechanism not in library"; return; } ;;
        test_security_curve)
            # Debian's package disables it; upstream builds it with a few libzmq internals
            # (tweetnacl, random, clock, err) compiled into the test, as this runner does.
            has curve || { echo "curve mechanism not in library"; return; } ;;
        test_pair_tcp_cap_net_admin)
            # Upstream runs it under capsh with CAP_NET_ADMIN (ENABLE_CAPSH); root has it.
            [ "$(id -u)" = 0 ] || { echo "needs CAP_NET_ADMIN (run as root)"; return; } ;;
    esac
    if [ "$DRAFT" = no ] && grep -qw -- "$t" <<<"$DRAFT_TESTS"; then
        echo "draft API not in library"
    fi
}

to_build=()
for t in $all_tests; do
    reason=$(not_applicable "$t")
    if [ -n "$reason" ]; then
        printf 'n/a\t%s\t%s\n' "$t" "$reason" > "$STATUS/$t"
    else
        to_build+=("$t")
    fi
done

# ---------------------------------------------------------------- 6. build
export STAGE OBJ BIN LOGS STATUS WORK CPPFLAGS CXXFLAGS LDFLAGS

# Unity and the test utilities, as the static libraries libzmq's build uses.
build_support() {
    local o=$OBJ/unity.o
    if [ ! -f "$o" ] || [ "$STAGE/external/unity/unity.c" -nt "$o" ] || [ "$WORK/flags" -nt "$o" ]; then
        gcc $CPPFLAGS -O1 -g -ffunction-sections -fdata-sections -c "$STAGE/external/unity/unity.c" \
            -o "$o" >"$LOGS/support.build.log" 2>&1 || return 1
    fi
    local objs=() u
    for u in testutil testutil_monitoring testutil_security testutil_unity; do
        o=$OBJ/$u.o
        objs+=("$o")
        if [ ! -f "$o" ] || [ "$STAGE/tests/$u.cpp" -nt "$o" ] || [ "$STAGE/include/zmq.h" -nt "$o" ] \
           || [ "$STAGE/src/platform.hpp" -nt "$o" ] || [ "$WORK/flags" -nt "$o" ]; then
            g++ $CPPFLAGS $CXXFLAGS -c "$STAGE/tests/$u.cpp" -o "$o" >>"$LOGS/support.build.log" 2>&1 \
                || return 1
        fi
    done
    rm -f "$OBJ/libunity.a" "$OBJ/libtestutil.a" "$OBJ/libcurve_internals.a"
    ar rcs "$OBJ/libunity.a" "$OBJ/unity.o"
    ar rcs "$OBJ/libtestutil.a" "${objs[@]}"
    if [ -n "$CURVE_INTERNALS" ] && [ -f "$STAGE/src/tweetnacl.c" ]; then
        local internals=() src
        for src in $CURVE_INTERNALS; do
            o=$OBJ/internal_$(basename "${src%.*}").o
            internals+=("$o")
            if [ ! -f "$o" ] || [ "$STAGE/src/$(basename "$src")" -nt "$o" ] \
               || [ "$STAGE/src/platform.hpp" -nt "$o" ] || [ "$WORK/flags" -nt "$o" ]; then
                case $src in
                    *.c) gcc $CPPFLAGS -O1 -g -c "$STAGE/src/$(basename "$src")" -o "$o" ;;
                    *) g++ $CPPFLAGS $CXXFLAGS -c "$STAGE/src/$(basename "$src")" -o "$o" ;;
                esac >>"$LOGS/support.build.log" 2>&1 || return 1
            fi
        done
        ar rcs "$OBJ/libcurve_internals.a" "${internals[@]}"
    fi
}

# zmq_*/ZMQ_* names the compiler found undeclared (the header lacks them).
undeclared_names() {
    grep -oE "'(zmq|ZMQ)_[A-Za-z0-9_]+' (was not declared|has not been declared)|(unknown type name|use of undeclared identifier) '(zmq|ZMQ)_[A-Za-z0-9_]+'" "$1" \
        | grep -oE "(zmq|ZMQ)_[A-Za-z0-9_]+" | sort -u || true
}

build_one() {
    local t=$1 o=$OBJ/$1.o b=$BIN/$1 log=$LOGS/$1.build.log
    rm -f "$b"
    if [ ! -f "$o" ] || [ "$STAGE/tests/$t.cpp" -nt "$o" ] || [ "$STAGE/include/zmq.h" -nt "$o" ] \
       || [ "$STAGE/src/platform.hpp" -nt "$o" ] || [ "$WORK/flags" -nt "$o" ]; then
        rm -f "$o"
        if ! g++ $CPPFLAGS $CXXFLAGS -c "$STAGE/tests/$t.cpp" -o "$o" >"$log.tmp" 2>&1; then
            local undeclared
            undeclared=$(undeclared_names "$log.tmp")
            {
                if [ -n "$undeclared" ]; then
                    echo "COMPILE FAILED: $t: $(wc -l <<<"$undeclared") name(s) not declared by zmq.h:"
                    sed 's/^/  undeclared: /' <<<"$undeclared"
                else
                    echo "COMPILE FAILED: $t"
                fi
                echo; echo "---- compiler output ----"; cat "$log.tmp"
            } > "$log"
            rm -f "$log.tmp"
            printf 'BUILD-FAIL\t%s\t%s\n' "$t" \
                "$( [ -n "$undeclared" ] && echo "compile: $(wc -l <<<"$undeclared") name(s) missing from zmq.h" || echo "compile error")" \
                > "$STATUS/$t"
            return 0
        fi
    fi
    local extra=()
    [ "$t" = test_security_curve ] && [ -f "$OBJ/libcurve_internals.a" ] && extra=("$OBJ/libcurve_internals.a")
    if ! g++ -o "$b" "$o" "${extra[@]}" "$OBJ/libtestutil.a" "$OBJ/libunity.a" $LDFLAGS -lzmq >"$log.tmp" 2>&1; then
        local missing
        missing=$(grep -o "undefined reference to \`[^']*'" "$log.tmp" | sed "s/.*\`//; s/'$//" | sort -u)
        {
            if [ -n "$missing" ]; then
                echo "LINK FAILED: $t: $(wc -l <<<"$missing") symbol(s) missing from libzmq:"
                sed 's/^/  missing symbol: /' <<<"$missing"
            else
                echo "LINK FAILED: $t"
            fi
            echo; echo "---- linker output ----"; cat "$log.tmp"
        } > "$log"
        rm -f "$log.tmp" "$b"
        printf 'BUILD-FAIL\t%s\t%s\n' "$t" \
            "$( [ -n "$missing" ] && echo "link: $(wc -l <<<"$missing") missing symbol(s)" || echo "link error")" \
            > "$STATUS/$t"
        return 0
    fi
    mv "$log.tmp" "$log"
}
export -f build_one undeclared_names

if [ ${#to_build[@]} -gt 0 ]; then
    say "building ${#to_build[@]} tests (${JOBS} at a time; draft API: $DRAFT)"
    if build_support; then
        printf '%s\n' "${to_build[@]}" | xargs -P "$JOBS" -I{} bash -c 'build_one "$1"' _ {}
    else
        # Every test includes testutil; without it nothing can be built.
        undeclared=$(undeclared_names "$LOGS/support.build.log")
        say "Unity/testutil do not compile against $HEADER; every test is a BUILD-FAIL (see $LOGS/support.build.log)"
        { echo "COMPILE FAILED: Unity/testutil: $(wc -l <<<"$undeclared") name(s) not declared by zmq.h:"
          sed 's/^/  undeclared: /' <<<"$undeclared"
          echo; echo "---- compiler output ----"; cat "$LOGS/support.build.log"; } > "$LOGS/support.build.log.tmp"
        mv "$LOGS/support.build.log.tmp" "$LOGS/support.build.log"
        for t in "${to_build[@]}"; do
            printf 'BUILD-FAIL\t%s\t%s\n' "$t" "testutil does not compile: zmq.h lacks $(wc -l <<<"$undeclared") name(s)" > "$STATUS/$t"
            cp "$LOGS/support.build.log" "$LOGS/$t.build.log"
        done
    fi
fi

# The tests must load the library under test; check one that linked.
for t in "${to_build[@]}"; do
    if [ -x "$BIN/$t" ]; then check_loaded_library "$BIN/$t"; break; fi
done

# ---------------------------------------------------------------- 7. run
test_timeout() {
    case "$1" in
        test_heartbeats) echo $(( TIMEOUT > 100 ? TIMEOUT : 100 )) ;;  # arms its own 90 s alarm
        *) echo "$TIMEOUT" ;;
    esac
}
run_one() {
    local t=$1 limit=$2 dir=$SCRATCH/$1 rc=0 start end secs
    mkdir -p "$dir"
    start=$(date +%s.%N)
    (cd "$dir" && timeout -k 5 "$limit" "$BIN/$t") >"$LOGS/$t.run.log" 2>&1 </dev/null || rc=$?
    end=$(date +%s.%N)
    secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
    echo "exit status: $rc" >> "$LOGS/$t.run.log"
    # Unity's summary line: "N Tests F Failures I Ignored".  A test whose
    # every case was ignored (e.g. the kernel lacks the transport) did not
    # show anything, so it is n/a rather than a pass.
    local summary cases ignored
    summary=$(grep -E '^[0-9]+ Tests [0-9]+ Failures [0-9]+ Ignored' "$LOGS/$t.run.log" | tail -n 1 || true)
    cases=$(awk '{print $1}' <<<"$summary"); ignored=$(awk '{print $5}' <<<"$summary")
    if [ "$rc" -eq 0 ] && [ -n "$cases" ] && [ "$cases" -gt 0 ] && [ "$cases" = "$ignored" ]; then
        rc=ignored
    fi
    case $rc in
        0)       printf 'PASS\t%s\t%s\n' "$t" "$secs" ;;
        ignored) printf 'n/a\t%s\tall %s test cases ignored by the test itself\t%s\n' "$t" "$cases" "$secs" ;;
        77)      printf 'n/a\t%s\tskipped by the test itself (exit 77)\t%s\n' "$t" "$secs" ;;
        124|137) printf 'FAIL\t%s\ttimeout after %ss\t%s\n' "$t" "$limit" "$secs" ;;
        *)       if [ "$rc" -gt 128 ]; then
                     printf 'FAIL\t%s\tkilled by SIG%s\t%s\n' "$t" "$(kill -l $((rc - 128)) 2>/dev/null || echo $((rc - 128)))" "$secs"
                 else
                     printf 'FAIL\t%s\texit status %s\t%s\n' "$t" "$rc" "$secs"
                 fi ;;
    esac > "$STATUS/$t"
    rm -rf "$dir"
}
export -f run_one
export SCRATCH

runnable=()
for t in "${to_build[@]}"; do [ -x "$BIN/$t" ] && runnable+=("$t"); done
if [ ${#runnable[@]} -gt 0 ]; then
    say "running ${#runnable[@]} tests (${JOBS} at a time, ${TIMEOUT}s limit each)"
    for t in "${runnable[@]}"; do echo "$t $(test_timeout "$t")"; done \
        | xargs -P "$JOBS" -L 1 bash -c 'run_one "$1" "$2"' _
fi

# ---------------------------------------------------------------- 8. report
echo
printf '%-10s  %-36s  %s\n' RESULT TEST DETAIL
passed=0 failed=0 na=0
passed_list=""
for t in $all_tests; do
    IFS=$'\t' read -r result _name detail secs < "$STATUS/$t"
    case "$result" in
        PASS) passed=$((passed + 1)); passed_list+="$t"$'\n'
              printf '%-10s  %-36s  (%ss)\n' PASS "$t" "$detail" ;;
        FAIL) failed=$((failed + 1))
              printf '%-10s  %-36s  (%ss) %s\n' FAIL "$t" "$secs" "$detail" ;;
        BUILD-FAIL) failed=$((failed + 1))
              printf '%-10s  %-36s  %s\n' BUILD-FAIL "$t" "$detail" ;;
        n/a)  na=$((na + 1))
              printf '%-10s  %-36s  %s\n' n/a "$t" "$detail" ;;
    esac
done

# What keeps the most tests from building, most wanted first.
most_wanted() {   # $1: log line prefix, $2: title
    local logs
    logs=$(ls "$LOGS"/test_*.build.log 2>/dev/null || true)
    [ -n "$logs" ] || return 0
    # shellcheck disable=SC2086
    if grep -qh "^  $1: " $logs; then
        echo
        echo "$2 (number of tests that need each):"
        grep -h "^  $1: " $logs | sed "s/^  $1: //" | sort | uniq -c | sort -k1,1nr -k2 \
            | awk '{ if (NR <= 40) printf "  %4d  %s\n", $1, $2; else more++ }
                   END { if (more) printf "  ... and %d more (see the *.build.log files)\n", more }'
    fi
}
most_wanted "undeclared" "Names missing from zmq.h"
most_wanted "missing symbol" "Symbols missing from libzmq.so"


# The expected-pass list only grows: every test in it must pass.
EXPECTED=$HERE/expected-pass.txt
expected=$(sed 's/#.*//; s/[[:space:]]//g; /^$/d' "$EXPECTED" | sort -u)
regressions="" newly=""
for t in $expected; do
    grep -qx "$t" <<<"$all_tests" || continue      # not selected by CONFORMANCE_ONLY
    grep -qx "$t" <<<"$passed_list" || regressions+="$t "
done
for t in $passed_list; do
    grep -qx "$t" <<<"$expected" || newly+="$t "
done

echo
[ -n "$newly" ] && echo "Passing but not yet in conformance/expected-pass.txt (add them): $newly"
[ -n "$regressions" ] && echo "FAILED: in expected-pass.txt but did not pass: $regressions(logs in $LOGS)"
echo "$na not applicable"
echo "$passed passed, $failed failed"     # keep this the last line
[ -z "$regressions" ]
