#!/usr/bin/env bash
# Tests of scripts/lib/deps.sh against directory trees laid out like real machines: a fresh
# Debian image ships only libclang-cpp.so.14 (clang-sys cannot use it), libclang-dev adds
# libclang.so and libclang-14.so. Prints "deps: N passed, N failed"; exits non-zero on a failure.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib/deps.sh
source "$here/../lib/deps.sh"

passed=0; failed=0
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
layout() { # NAME FILE... : a root with these files (paths relative to the root)
    local root="$tmp/$1" f; shift
    mkdir -p "$root"
    for f in "$@"; do mkdir -p "$root/$(dirname "$f")"; : >"$root/$f"; done
    echo "$root"
}
expect() { # present|missing NAME ROOT
    local got=missing
    have_libclang "$3" && got=present
    if [ "$got" = "$1" ]; then passed=$((passed + 1)); echo "ok: $2 -> $got"
    else failed=$((failed + 1)); echo "FAIL: $2 -> $got, expected $1"; fi
}

expect missing "fresh image (only libclang-cpp.so.14)" \
    "$(layout fresh usr/lib/llvm-14/lib/libclang-cpp.so.14 usr/lib/x86_64-linux-gnu/libclang-cpp.so.14)"
expect missing "runtime library only (libclang1-14: libclang.so.1, libclang-14.so.14)" \
    "$(layout runtime usr/lib/llvm-14/lib/libclang.so.1 usr/lib/x86_64-linux-gnu/libclang-14.so.14)"
expect missing "libclang-cpp-dev only (libclang-cpp.so)" "$(layout cppdev usr/lib/llvm-14/lib/libclang-cpp.so)"
expect missing "empty tree" "$(layout empty usr/lib)"
expect present "libclang-dev (llvm-14/lib/libclang.so)" \
    "$(layout dev usr/lib/llvm-14/lib/libclang-cpp.so.14 usr/lib/llvm-14/lib/libclang.so)"
expect present "versioned name only (x86_64-linux-gnu/libclang-14.so)" "$(layout versioned usr/lib/x86_64-linux-gnu/libclang-14.so)"
expect present "hand-built LLVM (/usr/local/llvm17/lib/libclang.so)" "$(layout local usr/local/llvm17/lib/libclang.so)"

echo "deps: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
