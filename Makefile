# libzmq-rs: build, install, test. `make demo` and `make test` are the two commands of the README.
PREFIX  ?= /usr/local
DESTDIR ?=
LIBDIR  ?= $(PREFIX)/lib
INCDIR  ?= $(PREFIX)/include
CARGO   ?= cargo
# Version of the shared object file, as libzmq 4.3.5 names it (libzmq.so.5.2.5).
SOVERSION := 5.2.5
TARGET  := target/release
# Tests run against a private install, so they exercise exactly what `make install` ships.
STAGE   := $(CURDIR)/build/prefix

.PHONY: all build header install uninstall stage test test-rust test-capi tsan conformance demo clean

all: build

build:
	$(CARGO) build --release --lib

# Refresh the committed header from the one build.rs generated.
header: build
	cp "$$(ls -t target/release/build/libzmq-rs-*/out/zmq.h | head -n 1)" include/zmq.h

install: build
	install -d "$(DESTDIR)$(LIBDIR)/pkgconfig" "$(DESTDIR)$(LIBDIR)/cmake/ZeroMQ" "$(DESTDIR)$(INCDIR)"
	install -m 0755 $(TARGET)/libzmq.so "$(DESTDIR)$(LIBDIR)/libzmq.so.$(SOVERSION)"
	ln -sf libzmq.so.$(SOVERSION) "$(DESTDIR)$(LIBDIR)/libzmq.so.5"
	ln -sf libzmq.so.5 "$(DESTDIR)$(LIBDIR)/libzmq.so"
	# Rust leaves LLVM bitcode sections in the archive; C toolchains (nm, ld's LTO plugin) choke
	# on bitcode from a newer LLVM, and linking needs only the machine code.
	objcopy --remove-section=.llvmbc --remove-section=.llvmcmd $(TARGET)/libzmq.a "$(DESTDIR)$(LIBDIR)/libzmq.a"
	chmod 0644 "$(DESTDIR)$(LIBDIR)/libzmq.a"
	install -m 0644 include/zmq.h include/zmq_utils.h "$(DESTDIR)$(INCDIR)/"
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@INCDIR@|$(INCDIR)|g' \
	    cmake/libzmq.pc.in > "$(DESTDIR)$(LIBDIR)/pkgconfig/libzmq.pc"
	install -m 0644 cmake/ZeroMQConfig.cmake cmake/ZeroMQConfigVersion.cmake "$(DESTDIR)$(LIBDIR)/cmake/ZeroMQ/"

uninstall:
	rm -f "$(DESTDIR)$(LIBDIR)/libzmq.so.$(SOVERSION)" "$(DESTDIR)$(LIBDIR)/libzmq.so.5" \
	      "$(DESTDIR)$(LIBDIR)/libzmq.so" "$(DESTDIR)$(LIBDIR)/libzmq.a" \
	      "$(DESTDIR)$(INCDIR)/zmq.h" "$(DESTDIR)$(INCDIR)/zmq_utils.h" \
	      "$(DESTDIR)$(LIBDIR)/pkgconfig/libzmq.pc" \
	      "$(DESTDIR)$(LIBDIR)/cmake/ZeroMQ/ZeroMQConfig.cmake" \
	      "$(DESTDIR)$(LIBDIR)/cmake/ZeroMQ/ZeroMQConfigVersion.cmake"
	-rmdir "$(DESTDIR)$(LIBDIR)/cmake/ZeroMQ" 2>/dev/null

stage:
	$(MAKE) install PREFIX=$(STAGE) DESTDIR=

test: stage
	@bash scripts/test-all.sh "$(STAGE)"

test-rust:
	$(CARGO) test

test-capi: stage
	bash capi-tests/run.sh "$(STAGE)"

# The thread-safe-socket stress test under ThreadSanitizer (nightly rustc, std rebuilt).
tsan:
	bash capi-tests/tsan.sh

conformance: stage
	bash conformance/run.sh "$(STAGE)"

demo: stage
	bash scripts/demo.sh "$(STAGE)"

# Real bindings unchanged on the staged install (bindings/run.sh): pyzmq from source and as the
# binary wheel with LD_PRELOAD (pyzmq's own suite), ffi-rzmq, cppzmq, the Rust zmq crate, and a C
# program linked with Debian's libzmq. Installs what it needs (apt-get, pip in build/bindings).
.PHONY: test-bindings
test-bindings: stage
	bash bindings/run.sh "$(STAGE)"

clean:
	$(CARGO) clean
	rm -rf build

# Benchmarks (perf/, BENCHMARKS.md): the same perf binaries on Debian's libzmq and on the
# staged libzmq-rs, interleaved rounds, medians. ROUNDS=n (default 5); bench-quick is one
# short round; bench-sizes is tcp/ipc throughput at 8 KiB-1 MiB; bench-instr counts
# instructions per message under callgrind.
.PHONY: bench bench-quick bench-sizes bench-instr bench-rss bench-fanout bench-curve bench-crypto
bench: stage
	ROUNDS="$(or $(ROUNDS),5)" bash perf/bench.sh "$(STAGE)"

bench-sizes: stage
	BENCH_SET=sizes ROUNDS="$(or $(ROUNDS),5)" bash perf/bench.sh "$(STAGE)"

bench-quick: stage
	ROUNDS=1 QUICK=1 bash perf/bench.sh "$(STAGE)"

bench-instr: stage
	bash perf/instr.sh "$(STAGE)"

# RSS per tcp connection (1,000 connections to one ROUTER), idle and after one message.
bench-rss: stage
	bash perf/rss.sh "$(STAGE)"

bench-fanout: stage
	bash perf/fanout.sh "$(STAGE)"

bench-curve: stage
	bash perf/curve.sh "$(STAGE)"

# Our XSalsa20/Poly1305 alone, ns per byte at 64 B..64 KiB (release build, no comparison).
bench-crypto:
	cargo test --release --lib -- --ignored --nocapture box_speed poly1305_speed
