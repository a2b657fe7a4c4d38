#!/usr/bin/env bash
# Prints the folder holding libe_sqlite3.a for ARCH (amd64 or arm64), building it first if it is not cached.
#
# SQLite is compiled from Debian's source package (the current trixie / trixie-security upload, with Debian's
# patches applied), fetched through a private apt configuration so the host's own apt sources are never changed.
# The amalgamation (sqlite3.c) is generated once; it is then compiled with clang against the Debian 11 root of
# native/debian-root.sh, so the static library asks for nothing newer than that root's glibc. The NativeAOT link
# puts it inside the executable (native/NativeLink.targets).
#
# The compile options are those of the e_sqlite3 library that SQLitePCLRaw ships (the one the tests load through
# Microsoft.Data.Sqlite), so the store behaves the same in both: no double-quoted string literals (DQS=0), foreign
# keys on by default, column metadata, math functions, snapshots; full-text search, R-trees and sessions, which
# nothing here uses, are left out. The HAVE_* settings are what glibc 2.31 has; fortified libc calls and stack
# protection are what Debian's own build uses (hardening=+all).
#
# Cached in $OSQUERY_BPF_CACHE (default ~/.cache/osquery-bpf), keyed by this script's contents: delete
# the sqlite-* folders there to pick up a newer Debian upload.
set -euo pipefail

arch=${1:?usage: sqlite.sh amd64|arm64}
case $arch in
    amd64) triple=x86_64-linux-gnu ;;
    arm64) triple=aarch64-linux-gnu ;;
    *) echo "sqlite.sh: unknown architecture $arch" >&2; exit 2 ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
cache=${OSQUERY_BPF_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/osquery-bpf}
key=$(sha256sum "$0" | cut -c1-12)
source_dir=$cache/sqlite-source-$key
out=$cache/sqlite-$arch-$key
mkdir -p "$cache"

FLAGS=(
    -O2 -fPIC -fno-strict-aliasing -DNDEBUG -D_FORTIFY_SOURCE=2 -fstack-protector-strong
    -DSQLITE_THREADSAFE=1 -DSQLITE_DQS=0 -DSQLITE_DEFAULT_FOREIGN_KEYS=1 -DSQLITE_LIKE_DOESNT_MATCH_BLOBS
    -DSQLITE_ENABLE_COLUMN_METADATA -DSQLITE_ENABLE_MATH_FUNCTIONS -DSQLITE_ENABLE_SNAPSHOT
    -DHAVE_USLEEP=1 -DHAVE_FDATASYNC=1 -DHAVE_GMTIME_R=1 -DHAVE_LOCALTIME_R=1 -DHAVE_MALLOC_USABLE_SIZE=1
    -DHAVE_MALLOC_H=1 -DHAVE_STRCHRNUL=1 -DHAVE_ISNAN=1 -DHAVE_PREAD=1 -DHAVE_PWRITE=1 -DHAVE_UTIME=1
)

# 1. Debian's source and the amalgamation (architecture-independent), once.
exec 9>"$source_dir.lock"
flock 9
if [[ ! -f $source_dir/.complete ]]; then
    rm -rf "$source_dir"
    mkdir -p "$source_dir"/apt/{lists/partial,archives/partial,cache} "$source_dir/src" "$source_dir/build"
    echo "== fetching SQLite's Debian source package (once; cached in $source_dir)" >&2
    keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    cat >"$source_dir/apt/sources.list" <<LIST
deb-src [signed-by=$keyring] http://deb.debian.org/debian trixie main
deb-src [signed-by=$keyring] http://deb.debian.org/debian-security trixie-security main
LIST
    apt_options=(
        -o Dir::Etc::SourceList="$source_dir/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
        -o Dir::State::Lists="$source_dir/apt/lists" -o Dir::Cache="$source_dir/apt/cache"
        -o Dir::Cache::archives="$source_dir/apt/archives" -o APT::Sandbox::User=root -qq
    )
    apt-get "${apt_options[@]}" update >&2
    (cd "$source_dir/src" && apt-get "${apt_options[@]}" source sqlite3 >&2)
    tree=$(find "$source_dir/src" -mindepth 1 -maxdepth 1 -type d -name 'sqlite3-*')
    echo "== generating the amalgamation from $(basename "$(ls "$source_dir"/src/*.dsc)")" >&2
    (cd "$source_dir/build" && CC=clang "$tree/configure" --disable-tcl >/dev/null && make sqlite3.c >/dev/null)
    cp "$source_dir/build/sqlite3.c" "$source_dir/build/sqlite3.h" "$source_dir/"
    basename "$(ls "$source_dir"/src/*.dsc)" .dsc >"$source_dir/debian-version"
    rm -rf "$source_dir/build" "$source_dir/apt" "$source_dir/src"
    touch "$source_dir/.complete"
fi
flock -u 9

# 2. The static library for this architecture, compiled against the Debian 11 root.
exec 8>"$out.lock"
flock 8
if [[ ! -f $out/.complete ]]; then
    root=$("$here/debian-root.sh" "$arch")
    rm -rf "$out" && mkdir -p "$out"
    echo "== compiling SQLite for $arch against $root" >&2
    clang --target="$triple" --sysroot="$root" "${FLAGS[@]}" -c "$source_dir/sqlite3.c" -o "$out/sqlite3.o"
    llvm-ar rcs "$out/libe_sqlite3.a" "$out/sqlite3.o"
    rm "$out/sqlite3.o"
    cp "$source_dir/sqlite3.h" "$source_dir/debian-version" "$out/"
    touch "$out/.complete"
fi
echo "$out"
