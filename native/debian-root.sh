#!/usr/bin/env bash
# Prints the path of a Debian 11 (bullseye) root for ARCH (amd64 or arm64), making it first if it is not cached.
#
# The root is what the native link sees as its sysroot: linking against bullseye's glibc 2.31 (instead of this
# host's) is what gives the binary its glibc floor. For the host's architecture it is a complete minimal system
# (debootstrap minbase) that tests also use as a chroot, with dpkg, to install the packages as on a Debian 11 host;
# for another architecture it is the same packages unpacked only (nothing of it can run here).
#
# Absolute symlinks inside the root (libm.so -> /lib/...) would point a linker at this host's files, or send it
# silently to the static libm.a; they are made relative, which is also what they mean inside a chroot.
#
# Cached in $OSQUERY_BPF_CACHE (default ~/.cache/osquery-bpf), keyed by this script's contents, under a lock so
# parallel builds share one copy. Needs root (debootstrap) and network access to Debian's archive.
set -euo pipefail

arch=${1:?usage: debian-root.sh amd64|arm64}
suite=bullseye
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# libc6-dev and libgcc-10-dev carry the start files, libc_nonshared.a and libgcc the linker needs.
packages=libc6-dev,libgcc-10-dev,linux-libc-dev

cache=${OSQUERY_BPF_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/osquery-bpf}
key=$(sha256sum "$0" | cut -c1-12)
root=$cache/debian11-$arch-$key
mkdir -p "$cache"

exec 9>"$root.lock"
flock 9
if [[ -f $root/.complete ]]; then
    echo "$root"
    exit 0
fi

# A debootstrap that died may have left its /proc and /sys mounted in the unfinished root.
for mounted in "$root.tmp/proc" "$root.tmp/sys"; do
    if mountpoint -q "$mounted" 2>/dev/null; then umount -l "$mounted"; fi
done
rm -rf "$root" "$root.tmp"
echo "== making a Debian 11 $arch root in $root (once; cached)" >&2
host_arch=$(dpkg --print-architecture)
if [[ $arch == "$host_arch" ]]; then
    debootstrap --variant=minbase --include="$packages" "$suite" "$root.tmp" "$mirror" >&2
else
    # First stage only: downloads every package and unpacks the essential ones; the development packages are
    # unpacked here with dpkg-deb, since the second stage would need to run arm64 code.
    debootstrap --foreign --arch="$arch" --variant=minbase --include="$packages" "$suite" "$root.tmp" "$mirror" >&2
    for deb in "$root.tmp"/var/cache/apt/archives/*.deb; do
        dpkg-deb --extract "$deb" "$root.tmp"
    done
fi
rm -f "$root.tmp"/var/cache/apt/archives/*.deb

# Make every absolute symlink relative to its own folder (see above).
while IFS= read -r -d '' link; do
    target=$(readlink "$link")
    [[ $target == /* ]] || continue
    ln -sfn "$(realpath -m -s --relative-to="$(dirname "$link")" "$root.tmp$target")" "$link"
done < <(find "$root.tmp" -xdev -type l -print0)

touch "$root.tmp/.complete"
mv "$root.tmp" "$root"
echo "$root"
