//! Build script: generates `zmq.h` with cbindgen from the crate's own declarations and gives the
//! shared library libzmq's SONAME. The committed `include/zmq.h` must equal the generated one; a
//! unit test (`header_is_current`) fails when it is stale, and `make header` refreshes it.

use std::env;
use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));

    // The draft API is always built; cbindgen maps this cfg to `#ifdef ZMQ_BUILD_DRAFT_API`.
    println!("cargo::rustc-check-cfg=cfg(zmq_draft)");
    println!("cargo::rustc-cfg=zmq_draft");
    // zmq_ppoll's prototype needs sigset_t, which strict ISO C modes do not declare; the header
    // shows it only where <signal.h> provides the type (see header/prologue.h).
    println!("cargo::rustc-check-cfg=cfg(zmq_sigset)");
    println!("cargo::rustc-cfg=zmq_sigset");

    // Programs linked against Debian's libzmq ask the loader for libzmq.so.5.
    println!("cargo::rustc-cdylib-link-arg=-Wl,-soname,libzmq.so.5");

    println!("cargo::rerun-if-changed=src");
    println!("cargo::rerun-if-changed=header");

    let mut config = cbindgen::Config::from_file(crate_dir.join("header/cbindgen.toml"))
        .expect("header/cbindgen.toml is readable");
    let read = |name: &str| {
        std::fs::read_to_string(crate_dir.join("header").join(name))
            .unwrap_or_else(|e| panic!("header/{name}: {e}"))
    };
    config.after_includes = Some(read("prologue.h"));
    config.trailer = Some(read("epilogue.h"));

    cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates zmq.h")
        .write_to_file(out_dir.join("zmq.h"));
}
