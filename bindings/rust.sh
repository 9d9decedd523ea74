#!/usr/bin/env bash
# The Rust `zmq` crate from crates.io (zmq 0.9 / zmq-sys 0.11, whose build script finds libzmq
# with pkg-config; zmq 0.10's zmq-sys 0.12 always builds its own vendored libzmq, so it cannot
# use an installed library at all). bindings/rust is its own Cargo workspace, built with
# PKG_CONFIG_PATH=PREFIX/lib/pkgconfig so zmq-sys links our libzmq.pc, and an rpath to
# PREFIX/lib; the program then checks it talks to itself over tcp, ipc and inproc.
#   bash bindings/rust.sh PREFIX
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
prefix=$(cd "${1:?usage: rust.sh PREFIX}" && pwd) || exit 1
apt_install pkg-config

target=$WORK/rust-target
if ! (cd "$here/rust" && PKG_CONFIG_PATH=$prefix/lib/pkgconfig \
    RUSTFLAGS="-C link-arg=-Wl,-rpath,$prefix/lib" CARGO_TARGET_DIR=$target \
    cargo build --locked --quiet); then
    echo "0 passed, 1 failed"
    exit 1
fi
bin=$target/debug/zmq-binding-check
check "zmq-sys found our libzmq.pc" grep -qsx "cargo:rustc-link-search=native=$prefix/lib" \
    $(ls -t "$target"/debug/build/zmq-sys-*/output | head -n 1)
check_linked_to_ours "$bin" "$prefix"
run_program ours "$bin" "$OUR_VERSION"
summary
