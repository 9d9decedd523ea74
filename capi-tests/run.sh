#!/usr/bin/env bash
# run.sh PREFIX: the C API test suite of libzmq-rs.
#
# PREFIX is an install prefix (include/zmq.h, lib/libzmq.so.5, lib/libzmq.a, lib/pkgconfig,
# lib/cmake/ZeroMQ); LIBDIR overrides PREFIX/lib. It runs:
#   - the C test programs test_*.c, compiled against PREFIX/include and linked to
#     LIBDIR/libzmq.so.5 (rpath), each test case printing PASS/FAIL/SKIP;
#   - header checks: C and C++ consumers compile with -Wall -Wextra -Werror; zmq_utils.h only
#     warns about its deprecation;
#   - ABI checks against Debian's libzmq 4.3.4 (/usr/include/zmq.h, installed with apt-get if
#     missing): same macro values, same function types, exported symbol set and SONAME;
#   - install layout checks: file names and links, pkg-config (shared and static), CMake package.
# It prints one line per check, `PASS name` or `FAIL name: reason` (SKIP and N/A lines are not
# counted), and ends with `N passed, M failed`; the exit status is non-zero when M > 0.
#
# Baseline mode (ZMQ_BASELINE=1, automatic when PREFIX/include/zmq.h is not libzmq-rs's) runs the
# same tests against the reference libzmq, to prove they encode its real behaviour:
#     bash capi-tests/run.sh /usr LIBDIR=/usr/lib/x86_64-linux-gnu   (or LIBDIR=... in the env)
# There, cases where libzmq crashes (and libzmq-rs returns an error) are skipped, and the checks
# that only make sense for libzmq-rs (symbol superset, install layout) are reported as N/A.
set -euo pipefail

usage() { echo "usage: [LIBDIR=dir] [ZMQ_BASELINE=0|1] $0 PREFIX" >&2; exit 2; }
[ $# -ge 1 ] || usage
PREFIX=$1
shift
for arg in "$@"; do   # also accept LIBDIR=... after the prefix
    case $arg in LIBDIR=*) LIBDIR=${arg#LIBDIR=} ;; *) usage ;; esac
done
PREFIX=$(cd "$PREFIX" && pwd)
LIBDIR=${LIBDIR:-$PREFIX/lib}
INCDIR=$PREFIX/include
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REF_HEADER=/usr/include/zmq.h
REF_LIB=/usr/lib/x86_64-linux-gnu/libzmq.so.5
TIMEOUT=${TIMEOUT:-60}

if [ -z "${ZMQ_BASELINE:-}" ]; then
    if grep -q 'libzmq-rs' "$INCDIR/zmq.h" 2>/dev/null; then ZMQ_BASELINE=0; else ZMQ_BASELINE=1; fi
fi
export ZMQ_BASELINE

WORK=$(mktemp -d "${TMPDIR:-/tmp}/capi-tests.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

passed=0
failed=0
# grep -q on a pipeline's output, safe under pipefail (an early-exiting grep -q would make the
# producer die of SIGPIPE and the whole pipeline count as failed).
contains() { local text; text=$(cat); grep -q -- "$1" <<<"$text"; }
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }
fail_line() { echo "FAIL $1"; failed=$((failed + 1)); }   # $1 already holds "name: reason"
na() { echo "N/A $1: $2"; }
# The first compiler errors, indented, after a FAIL line.
show_errors() {
    { grep -E 'error:|warning:|undefined reference' "$1" | grep -v 'warnings being treated as errors' || cat "$1"; } | awk -v n="${2:-5}" 'NR <= n' | sed 's/^/    /'
}

echo "# libzmq C API tests: include $INCDIR, library $LIBDIR/libzmq.so.5, baseline=$ZMQ_BASELINE"

# The reference header and library (CI starts on a fresh machine, as root).
if [ ! -f "$REF_HEADER" ] || [ ! -e "$REF_LIB" ]; then
    echo "# installing libzmq3-dev for the reference header and library"
    if command -v apt-get >/dev/null 2>&1; then
        export DEBIAN_FRONTEND=noninteractive
        { apt-get update -qq && apt-get install -y -qq libzmq3-dev; } >"$WORK/apt.log" 2>&1 ||
            { echo "# apt-get failed:"; tail -n 5 "$WORK/apt.log" | sed 's/^/#   /'; }
    fi
fi

LIB=$LIBDIR/libzmq.so.5
DRAFT=()
if [ -e "$LIB" ] && nm -D --defined-only "$LIB" 2>/dev/null | contains ' zmq_msg_init_buffer$'; then
    DRAFT=(-DZMQ_BUILD_DRAFT_API)
    echo "# the library exports the draft API: tests compiled with -DZMQ_BUILD_DRAFT_API"
fi

# ---------------------------------------------------------------- C test programs
run_test_program() {
    local src=$1 name bin
    name=$(basename "$src" .c)
    bin=$WORK/$name
    if [ ! -e "$LIB" ]; then
        fail "$name" "no library at $LIB"
        return
    fi
    if ! gcc -std=c99 -Wall -Wextra -g "${DRAFT[@]}" -I"$INCDIR" -I"$HERE" "$src" \
        "$LIB" -Wl,-rpath,"$LIBDIR" -lpthread -o "$bin" >"$WORK/$name.cc.log" 2>&1; then
        fail "$name" "does not compile or link; first errors:"
        show_errors "$WORK/$name.cc.log"
        return
    fi
    local rc=0
    timeout "$TIMEOUT" "$bin" >"$WORK/$name.out" 2>"$WORK/$name.err" || rc=$?
    local line case_fail=0
    while IFS= read -r line; do
        case $line in
            "PASS "*) pass "$name/${line#PASS }" ;;
            "FAIL "*) fail_line "$name/${line#FAIL }"; case_fail=1 ;;
            "SKIP "*) echo "SKIP $name/${line#SKIP }" ;;
            *) echo "$line" ;;
        esac
    done <"$WORK/$name.out"
    if [ "$rc" -ne 0 ] && [ "$case_fail" -eq 0 ]; then
        if [ "$rc" -eq 124 ]; then fail "$name" "timed out after ${TIMEOUT}s"
        else fail "$name" "exit status $rc"; fi
        show_errors "$WORK/$name.err"
    fi
}

for src in "$HERE"/test_*.c; do
    run_test_program "$src"
done

# ---------------------------------------------------------------- header checks
# (1) zmq.h compiles cleanly in C and C++, stable and draft, and has libzmq's type sizes.
header_compile() {
    local name=$1 compiler=$2 src=$3
    shift 3
    if "$compiler" "$@" -Wall -Wextra -Werror -I"$INCDIR" -c "$src" -o "$WORK/h.o" \
        >"$WORK/h.log" 2>&1; then
        pass "header/$name"
    else
        fail "header/$name" "$compiler $* -Wall -Wextra -Werror fails; first errors:"
        show_errors "$WORK/h.log"
    fi
}
header_compile c99 gcc "$HERE/header/consumer.c" -std=c99
header_compile c99-draft gcc "$HERE/header/consumer.c" -std=c99 -DZMQ_BUILD_DRAFT_API
header_compile c-default gcc "$HERE/header/consumer.c"
header_compile c-default-draft gcc "$HERE/header/consumer.c" -DZMQ_BUILD_DRAFT_API
header_compile c99-pedantic gcc "$HERE/header/consumer.c" -std=c99 -pedantic
header_compile cxx11 g++ "$HERE/header/consumer.cpp" -std=c++11
header_compile cxx11-draft g++ "$HERE/header/consumer.cpp" -std=c++11 -DZMQ_BUILD_DRAFT_API
header_compile cxx-default g++ "$HERE/header/consumer.cpp"
header_compile cxx-default-draft g++ "$HERE/header/consumer.cpp" -DZMQ_BUILD_DRAFT_API

# zmq_utils.h: compiles; its deprecation message is the only diagnostic.
if gcc -std=c99 -Wall -Wextra -I"$INCDIR" -c "$HERE/header/utils_consumer.c" -o "$WORK/u.o" \
    >"$WORK/u.log" 2>&1; then
    if grep -E 'warning:|error:' "$WORK/u.log" | grep -v 'deprecated' | contains .; then
        fail "header/zmq_utils.h" "diagnostics other than the deprecation warning:"
        grep -E 'warning:|error:' "$WORK/u.log" | grep -v deprecated | awk 'NR <= 5' | sed 's/^/    /'
    elif ! grep -q 'deprecated' "$WORK/u.log"; then
        fail "header/zmq_utils.h" "no deprecation warning"
    else
        pass "header/zmq_utils.h"
    fi
else
    fail "header/zmq_utils.h" "does not compile; first errors:"
    show_errors "$WORK/u.log"
fi

# ---------------------------------------------------------------- ABI against libzmq 4.3.4
# (2) Every ZMQ_* and errno macro of the reference header, with the same value in ours.
# Allowed differences (libzmq 4.3.5 vs 4.3.4):
ALLOWED_MACRO_DIFFS=(
    ZMQ_VERSION_PATCH                     # 5 instead of 4
    ZMQ_VERSION                           # 40305 instead of 40304
    ZMQ_RECONNECT_STOP_AFTER_DISCONNECT   # draft; 4.3.5 changed it from 0x3 to 0x4
)
macro_check() {
    local label=$1
    shift
    # Macros named ZMQ_* or E*, by kind: "num" (a number or an expression, aliases included),
    # "str" (a string), "flag" (defined empty, e.g. ZMQ_HAVE_POLLER). ZMQ_EXPORT is skipped;
    # the function-like ZMQ_MAKE_VERSION is checked by one sample call.
    perl -ne '
        next unless /^\s*#\s*define\s+((?:ZMQ_|E)[A-Z0-9_]+)(\(?)(.*)/;
        my ($name, $paren, $value) = ($1, $2, $3);
        next if $name eq "ZMQ_EXPORT" || $paren;
        $value =~ s/\/\*.*//; $value =~ s/^\s+|\s+$//g;
        my $kind = $value eq "" ? "flag" : $value =~ /^"/ ? "str" : "num";
        $kind = "num" if $value eq "\\";    # continued on the next line
        print "$kind $name\n";
    ' "$REF_HEADER" | sort -u -k2,2 >"$WORK/macros.txt"
    {
        echo '#include <stdio.h>'
        echo '#include <zmq.h>'
        echo 'int main (void) {'
        echo '#ifdef ZMQ_MAKE_VERSION'
        echo '  printf ("ZMQ_MAKE_VERSION(1,2,3)=%lld\n", (long long) ZMQ_MAKE_VERSION (1, 2, 3));'
        echo '#endif'
        local kind m
        while read -r kind m; do
            echo "#ifdef $m"
            case $kind in
                num) echo "  printf (\"$m=%lld\\n\", (long long) ($m));" ;;
                str) echo "  printf (\"$m=\\\"%s\\\"\\n\", $m);" ;;
                flag) echo "  printf (\"$m=defined\\n\");" ;;
            esac
            echo "#else"
            echo "  printf (\"$m=undefined\\n\");"
            echo "#endif"
        done <"$WORK/macros.txt"
        echo '  return 0; }'
    } >"$WORK/macros.c"
    local hdr
    for hdr in ref ours; do
        local inc=$INCDIR
        [ "$hdr" = ref ] && inc=$WORK/refinc
        if ! gcc -std=c99 "$@" -I"$inc" "$WORK/macros.c" -o "$WORK/macros_$hdr" >"$WORK/m.log" 2>&1 ||
            ! "$WORK/macros_$hdr" >"$WORK/macros_$hdr.txt"; then
            fail "abi/macros-$label" "macro printer does not build against the $hdr header:"
            show_errors "$WORK/m.log"
            return
        fi
    done
    local diffs
    diffs=$(diff "$WORK/macros_ref.txt" "$WORK/macros_ours.txt" | grep '^[<>]' |
        grep -v -E "^[<>] ($(IFS='|'; echo "${ALLOWED_MACRO_DIFFS[*]}"))=" || true)
    if [ -z "$diffs" ]; then
        pass "abi/macros-$label ($(wc -l <"$WORK/macros.txt") names)"
    else
        fail "abi/macros-$label" "values differ from libzmq 4.3.4 (< libzmq, > ours):"
        echo "$diffs" | awk 'NR <= 20' | sed 's/^/    /'
    fi
}

# (3) Every function of the reference header is declared by ours with the same type: a
# pointer typed from the reference prototype is initialised with our declaration, -Werror.
prototype_check() {
    local label=$1 want_draft=$2
    shift 2
    perl -e '
        my $want_draft = shift;
        local $/; my $text = <STDIN>;
        my (@out, $depth, $draft_depth);
        $depth = 0; $draft_depth = -1;
        my $pending = "";
        for my $line (split /\n/, $text) {
            if ($line =~ /^\s*#\s*if/) { $depth++; $draft_depth = $depth if $line =~ /ZMQ_BUILD_DRAFT_API/; next; }
            if ($line =~ /^\s*#\s*endif/) { $draft_depth = -1 if $depth == $draft_depth; $depth--; next; }
            next if $line =~ /^\s*#/;
            my $in_draft = $draft_depth > 0 ? 1 : 0;
            $pending .= " $line" if $pending ne "" || $line =~ /\bZMQ_EXPORT\b/;
            if ($pending ne "" && $pending =~ /;/) {
                my $decl = $pending; $pending = "";
                $decl =~ s/\/\*.*?\*\///g; $decl =~ s/\s+/ /g;
                if ($decl =~ /ZMQ_EXPORT\s+(.*?)\b(zmq_\w+)\s*\((.*)\)\s*;/) {
                    my ($ret, $name, $args) = ($1, $2, $3);
                    next if $in_draft != $want_draft;
                    push @out, "$ret(*check_$name) ($args) = $name;";
                }
            }
        }
        print "#include <zmq.h>\n", join("\n", @out), "\n";
    ' "$want_draft" <"$REF_HEADER" >"$WORK/protos_$label.c"
    local n
    n=$(grep -c '= zmq_' "$WORK/protos_$label.c" || true)
    if [ "$n" -eq 0 ]; then
        fail "abi/prototypes-$label" "no prototypes found in $REF_HEADER"
        return
    fi
    local hdr ok=1
    for hdr in ref ours; do
        local inc=$INCDIR
        [ "$hdr" = ref ] && inc=$WORK/refinc
        if ! gcc -std=c99 -Wall -Wextra -Werror "$@" -I"$inc" -c "$WORK/protos_$label.c" \
            -o "$WORK/p.o" >"$WORK/p_$hdr.log" 2>&1; then
            ok=0
            fail "abi/prototypes-$label" "declarations differ from libzmq 4.3.4 ($hdr header); first errors:"
            show_errors "$WORK/p_$hdr.log" 10
            break
        fi
    done
    if [ "$ok" -eq 1 ]; then pass "abi/prototypes-$label ($n functions)"; fi
}

if [ -f "$REF_HEADER" ]; then
    # The reference header alone in a directory, so no other zmq.h can shadow it.
    mkdir -p "$WORK/refinc"
    cp "$REF_HEADER" "$WORK/refinc/zmq.h"
    macro_check stable
    macro_check draft -DZMQ_BUILD_DRAFT_API
    prototype_check stable 0
    prototype_check draft 1 -DZMQ_BUILD_DRAFT_API
else
    fail "abi/macros" "reference header $REF_HEADER missing (apt-get install libzmq3-dev)"
    fail "abi/prototypes" "reference header $REF_HEADER missing"
fi

# (4) Exported symbols and SONAME.
exported() { nm -D --defined-only "$1" | awk '$2 ~ /^[TDBRVWiu]$/ {print $3}' | sort -u; }
if [ ! -e "$LIB" ]; then
    fail "abi/symbols" "no library at $LIB"
else
    if [ "$ZMQ_BASELINE" = 1 ]; then
        na "abi/symbols-superset" "libzmq-rs only (compares ours with Debian's libzmq)"
    elif [ ! -e "$REF_LIB" ]; then
        fail "abi/symbols-superset" "reference library $REF_LIB missing"
    else
        missing=$(comm -23 <(exported "$REF_LIB" | grep '^zmq_') <(exported "$LIB"))
        if [ -z "$missing" ]; then
            pass "abi/symbols-superset ($(exported "$REF_LIB" | grep -c '^zmq_') libzmq 4.3.4 symbols)"
        else
            fail "abi/symbols-superset" "$(echo "$missing" | wc -l) libzmq symbols not exported:"
            echo "$missing" | tr '\n' ' ' | fold -s -w 96 | sed 's/^/    /'
            echo
        fi
    fi
    foreign=$(exported "$LIB" | grep -v '^zmq_' || true)
    if [ -z "$foreign" ]; then
        pass "abi/symbols-only-zmq"
    else
        fail "abi/symbols-only-zmq" "$(echo "$foreign" | wc -l) exported symbols outside zmq_*:"
        echo "$foreign" | awk 'NR <= 10' | sed 's/^/    /'
    fi
    soname=$(readelf -d "$LIB" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
    if [ "$soname" = libzmq.so.5 ]; then
        pass "abi/soname"
    else
        fail "abi/soname" "SONAME is '${soname}', not libzmq.so.5"
    fi
fi

# ---------------------------------------------------------------- (5) install layout
install_checks() {
    local real=$LIBDIR/libzmq.so.5.2.5
    if [ -f "$real" ] && [ ! -L "$real" ]; then
        pass "install/libzmq.so.5.2.5"
    else
        fail "install/libzmq.so.5.2.5" "$real is missing or not a regular file"
    fi
    local link
    for link in libzmq.so.5 libzmq.so; do
        if [ -L "$LIBDIR/$link" ] && [ "$(readlink -f "$LIBDIR/$link")" = "$(readlink -f "$real")" ]; then
            pass "install/$link"
        else
            fail "install/$link" "not a symbolic link leading to libzmq.so.5.2.5"
        fi
    done
    if [ -f "$LIBDIR/libzmq.a" ] && nm "$LIBDIR/libzmq.a" 2>/dev/null | contains ' T zmq_msg_init$'; then
        pass "install/libzmq.a"
    else
        fail "install/libzmq.a" "missing, or does not define zmq_msg_init"
    fi
    if [ -f "$INCDIR/zmq.h" ] && [ -f "$INCDIR/zmq_utils.h" ]; then
        pass "install/headers"
    else
        fail "install/headers" "zmq.h or zmq_utils.h missing from $INCDIR"
    fi

    # pkg-config: shared link, and static link against libzmq.a.
    local pc_dir=$LIBDIR/pkgconfig cflags libs slibs out
    if [ ! -f "$pc_dir/libzmq.pc" ]; then
        fail "install/pkg-config" "no $pc_dir/libzmq.pc"
        fail "install/pkg-config-static" "no $pc_dir/libzmq.pc"
    elif ! cflags=$(PKG_CONFIG_PATH=$pc_dir pkg-config --cflags libzmq 2>"$WORK/pc.log") ||
        ! libs=$(PKG_CONFIG_PATH=$pc_dir pkg-config --libs libzmq 2>>"$WORK/pc.log") ||
        ! slibs=$(PKG_CONFIG_PATH=$pc_dir pkg-config --static --libs libzmq 2>>"$WORK/pc.log"); then
        fail "install/pkg-config" "pkg-config rejects libzmq.pc:"
        show_errors "$WORK/pc.log"
    else
        # shellcheck disable=SC2086 # flags are word lists
        if gcc $cflags "$HERE/header/link_check.c" -o "$WORK/pc_shared" $libs \
            -Wl,-rpath,"$LIBDIR" >"$WORK/pcs.log" 2>&1 && out=$("$WORK/pc_shared" 2>>"$WORK/pcs.log") &&
            ldd "$WORK/pc_shared" | contains "$LIBDIR/libzmq.so.5"; then
            pass "install/pkg-config ($out)"
        else
            fail "install/pkg-config" "gcc \$(pkg-config --cflags --libs libzmq) fails, or the program does not run with $LIBDIR/libzmq.so.5:"
            show_errors "$WORK/pcs.log"
        fi
        # Static: the -lzmq of `pkg-config --static --libs` must resolve to libzmq.a.
        # shellcheck disable=SC2086
        if gcc $cflags "$HERE/header/link_check.c" -o "$WORK/pc_static" \
            $(echo " $slibs " | sed 's/ -lzmq / -l:libzmq.a /') >"$WORK/pcst.log" 2>&1 &&
            out=$("$WORK/pc_static" 2>>"$WORK/pcst.log") && ! ldd "$WORK/pc_static" | contains libzmq; then
            pass "install/pkg-config-static ($out)"
        else
            fail "install/pkg-config-static" "static link with \$(pkg-config --static --libs libzmq) fails or does not run:"
            show_errors "$WORK/pcst.log"
        fi
    fi

    # CMake: find_package (ZeroMQ) with the libzmq and libzmq-static targets.
    local proj=$WORK/cmake-project
    mkdir -p "$proj"
    cp "$HERE/header/link_check.c" "$proj/"
    cat >"$proj/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required (VERSION 3.10)
project (zmq_consumer C)
find_package (ZeroMQ REQUIRED)
add_executable (shared_consumer link_check.c)
target_link_libraries (shared_consumer libzmq)
add_executable (static_consumer link_check.c)
target_link_libraries (static_consumer libzmq-static)
CMAKE
    if ! cmake -S "$proj" -B "$proj/build" -DCMAKE_PREFIX_PATH="$PREFIX" \
        -DZeroMQ_DIR="$LIBDIR/cmake/ZeroMQ" >"$WORK/cmake.log" 2>&1; then
        fail "install/cmake" "find_package (ZeroMQ) fails:"
        grep -A3 -i 'error' "$WORK/cmake.log" | awk 'NR <= 8' | sed 's/^/    /'
        return
    fi
    if cmake --build "$proj/build" >"$WORK/cmake-build.log" 2>&1; then
        if out=$("$proj/build/shared_consumer" 2>&1) && ldd "$proj/build/shared_consumer" | contains "$LIBDIR/libzmq.so.5"; then
            pass "install/cmake-libzmq ($out)"
        else
            fail "install/cmake-libzmq" "target libzmq: program does not run with $LIBDIR/libzmq.so.5"
        fi
        if out=$("$proj/build/static_consumer" 2>&1) && ! ldd "$proj/build/static_consumer" | contains libzmq; then
            pass "install/cmake-libzmq-static ($out)"
        else
            fail "install/cmake-libzmq-static" "target libzmq-static: program does not run or is not static"
        fi
    else
        fail "install/cmake" "the project does not build:"
        show_errors "$WORK/cmake-build.log" 8
    fi
}

if [ "$ZMQ_BASELINE" = 1 ]; then
    na "install" "libzmq-rs only (install layout of this project's staged prefix)"
else
    install_checks
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
