#!/usr/bin/env bash
# Ruby: Debian's ruby-ffi-rzmq, unchanged (it dlopens "libzmq.so.5" by name), with
# LD_LIBRARY_PATH=PREFIX/lib, running our spec bindings/ruby/spec.rb, which itself checks that
# zmq_version is ours and that PREFIX's libzmq.so.5 is the file mapped into the process.
#   bash bindings/ruby.sh PREFIX
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
prefix=$(cd "${1:?usage: ruby.sh PREFIX}" && pwd) || exit 1
apt_install ruby ruby-ffi-rzmq

out=$(LD_LIBRARY_PATH=$prefix/lib EXPECT_VERSION=$OUR_VERSION EXPECT_LIB=$prefix/lib/libzmq.so.5 \
    timeout 300 ruby "$here/ruby/spec.rb" 2>&1)
status=$?
grep -v '^PASS' <<<"$out" | grep -vE '^[0-9]+ passed, [0-9]+ failed$' || true
passed=$(grep -c '^PASS' <<<"$out")
failed=$(grep -c '^FAIL' <<<"$out")
if [[ $status -ne 0 ]] && [[ $failed -eq 0 ]]; then
    echo "FAIL spec exit status $status"
    failed=1
fi
summary
