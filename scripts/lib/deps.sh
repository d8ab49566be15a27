# Sourced by scripts/install-deps and scripts/devnet: one place that decides whether what the
# build needs is present, and installs it when it is not. Each check looks for exactly what the
# consumer loads, not for something with a similar name.
#
#   have_libclang [ROOT]   libclang as clang-sys (bindgen, for rocksdb) finds it: a file named
#                          libclang.so or libclang-<version>.so in LIBCLANG_PATH, in
#                          `llvm-config --libdir`, or under /usr/lib* and /usr/local/lib*.
#                          libclang-cpp.so.14 (the C++ API, shipped alone on a fresh Debian
#                          image) does not count: clang-sys cannot link it. ROOT (tests only)
#                          is prepended to the standard directories and disables the two others.
#   have_cxx               a C++ compiler for RocksDB's sources (the cc crate runs `c++`).
#   ensure_build_deps      installs libclang-dev and build-essential from Debian's packages
#                          when either check fails (needs root), and says so.

# Names clang-sys accepts when it links libclang at build time (its build/dynamic.rs).
_is_libclang_name() {
    [[ "$1" == libclang.so || "$1" =~ ^libclang-[0-9][0-9.]*\.so$ ]]
}

_libclang_in() { # DIR...
    local d f
    for d in "$@"; do
        [ -d "$d" ] || continue
        for f in "$d"/libclang*.so; do
            [ -e "$f" ] && _is_libclang_name "${f##*/}" && return 0
        done
    done
    return 1
}

have_libclang() { # [ROOT]
    local root="${1:-}" d
    local -a dirs=()
    if [ -z "$root" ]; then
        [ -n "${LIBCLANG_PATH:-}" ] && dirs+=("$LIBCLANG_PATH")
        command -v llvm-config >/dev/null 2>&1 && dirs+=("$(llvm-config --libdir 2>/dev/null)")
    fi
    # clang-sys's Linux search directories: /usr/local/llvm*/lib*, /usr/local/lib*{,/*,/*/*},
    # /usr/lib*{,/*,/*/*}.
    shopt -s nullglob
    for d in "$root"/usr/local/llvm*/lib* "$root"/usr/local/lib* "$root"/usr/local/lib*/* \
             "$root"/usr/local/lib*/*/* "$root"/usr/lib* "$root"/usr/lib*/* "$root"/usr/lib*/*/*; do
        dirs+=("$d")
    done
    shopt -u nullglob
    _libclang_in "${dirs[@]}"
}

have_cxx() {
    command -v c++ >/dev/null 2>&1 || command -v g++ >/dev/null 2>&1 || command -v clang++ >/dev/null 2>&1
}

ensure_build_deps() {
    local missing=()
    have_libclang || missing+=("libclang (libclang-dev)")
    have_cxx || missing+=("a C++ compiler (build-essential)")
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "missing for the rocksdb build: ${missing[*]}; installing libclang-dev and build-essential from Debian's packages" >&2
    if [ "$(id -u)" -ne 0 ]; then
        echo "need root for apt-get: run 'sudo apt-get install libclang-dev build-essential' and try again" >&2
        return 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libclang-dev build-essential >/dev/null
    if ! have_libclang; then
        echo "libclang-dev was installed but no libclang.so is visible; set LIBCLANG_PATH to the directory holding libclang.so" >&2
        return 1
    fi
    echo "installed libclang-dev and build-essential" >&2
}
