#!/usr/bin/env bash
# tsan.sh: the thread-safe-socket stress test (test_thread_stress.c: 8 threads on one CLIENT,
# 8 on one SERVER, 1,000,000 messages, over inproc and tcp) against a ThreadSanitizer build of
# the library. `make tsan`; also run by `make test`.
#
# Why it is built this way: ThreadSanitizer only understands synchronisation it has seen, so the
# library and Rust's standard library are both instrumented (nightly rustc, -Zsanitizer=thread,
# -Zbuild-std; the machine's rustup has a nightly toolchain, rust-src is added here if missing).
# The C test is instrumented by gcc and linked with the runtime that matches rustc's
# instrumentation (rustc's own librustc-nightly_rt.tsan.a): gcc's libtsan is older and lacks
# entry points newer LLVM emits. A data race makes the case exit non-zero, so it fails.
#
# Ends with `N passed, M failed`.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
target=${TSAN_TARGET_DIR:-$root/build/tsan-target}
work=$(mktemp -d "${TMPDIR:-/tmp}/tsan.XXXXXX")
trap 'rm -rf "$work"' EXIT
triple=x86_64-unknown-linux-gnu

give_up() { echo "FAIL tsan: $1"; echo "0 passed, 1 failed"; exit 1; }

rustup toolchain list 2>/dev/null | grep -q '^nightly' || give_up "no nightly Rust toolchain (rustup)"
if ! rustup component list --toolchain nightly --installed 2>/dev/null | grep -q '^rust-src'; then
    for attempt in 1 2 3; do   # a download from static.rust-lang.org; retried, it is the network
        rustup component add rust-src --toolchain nightly >"$work/rustup.log" 2>&1 && break
        [[ $attempt -eq 3 ]] && give_up "cannot add rust-src to the nightly toolchain: $(tail -n 1 "$work/rustup.log")"
        sleep 10
    done
fi
sysroot=$(rustc +nightly --print sysroot)
runtime=$sysroot/lib/rustlib/$triple/lib/librustc-nightly_rt.tsan.a
[[ -f $runtime ]] || give_up "no ThreadSanitizer runtime at $runtime"

echo "# building the library with -Zsanitizer=thread (debug, std rebuilt)"
if ! (cd "$root" && RUSTFLAGS="-Zsanitizer=thread" CARGO_TARGET_DIR=$target \
    cargo +nightly build --quiet -Zbuild-std --target $triple --lib) >"$work/build.log" 2>&1; then
    tail -n 20 "$work/build.log"
    give_up "the instrumented build failed"
fi
mkdir -p "$work/lib"
cp "$target/$triple/debug/libzmq.so" "$work/lib/libzmq.so.5"

header_dir=$work/include
mkdir -p "$header_dir"
cp "$root/include/zmq.h" "$header_dir/"
gcc -std=c99 -g -O1 -fsanitize=thread -DZMQ_BUILD_DRAFT_API -I"$header_dir" -I"$here" \
    -c "$here/test_thread_stress.c" -o "$work/stress.o" >"$work/cc.log" 2>&1 ||
    { cat "$work/cc.log"; give_up "test_thread_stress.c does not compile"; }
gcc -g "$work/stress.o" "$work/lib/libzmq.so.5" -Wl,-rpath,"$work/lib" \
    -Wl,--whole-archive "$runtime" -Wl,--no-whole-archive -lpthread -ldl -lm -lrt \
    -o "$work/stress" >"$work/ld.log" 2>&1 ||
    { cat "$work/ld.log"; give_up "the instrumented test does not link"; }

echo "# running test_thread_stress under ThreadSanitizer"
STRESS_SECONDS=${STRESS_SECONDS:-600} TSAN_OPTIONS="halt_on_error=1 ${TSAN_OPTIONS:-}" \
    timeout 1500 "$work/stress" >"$work/run.log" 2>&1
status=$?
grep -E '^(PASS|FAIL|    )' "$work/run.log" | sed 's/^PASS /PASS tsan: /; s/^FAIL /FAIL tsan: /'
if grep -q 'ThreadSanitizer' "$work/run.log"; then
    echo "# ThreadSanitizer reports:"
    grep -A 30 'WARNING: ThreadSanitizer' "$work/run.log" | head -n 80 | sed 's/^/    /'
fi
passed=$(grep -c '^PASS' "$work/run.log")
failed=$(grep -c '^FAIL' "$work/run.log")
if [[ $status -ne 0 && $failed -eq 0 ]]; then
    echo "FAIL tsan: the test exited with status $status"
    failed=1
fi
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
