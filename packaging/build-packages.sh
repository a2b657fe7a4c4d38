#!/usr/bin/env bash
# Builds the .deb and the .rpm of osquery-bpf for one architecture from an already published binary.
#   packaging/build-packages.sh --version 0.1.0 --commit SHA --arch amd64|arm64 --binary FILE --out DIR
# ./build.sh package calls it for each architecture; the packaging tests call it too, to build an older version.
#
# What the packages hold (the same in both formats):
#   /usr/lib/osquery/extensions/osquery-bpf.ext   the binary, root:root 0755 (osqueryd refuses an autoloaded
#                                                  extension that is not owned by root or is world-writable)
#   /usr/share/doc/osquery-bpf/                    copyright, changelog, osquery.flags.example, deployment.md
#   /usr/share/osquery-bpf/packs/ebpf-events.conf  the scheduled-query pack
#   /usr/share/osquery-bpf/packs/bpf-drop-in.conf  a pack for the drop-in bpf_process_events / bpf_socket_events
# and scripts that add and remove our line in /etc/osquery/extensions.load (scripts/extensions-load.sh).
# The libc requirement is read from the binary: the newest GLIBC_ symbol version it needs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)

version='' commit='' arch='' binary='' out=''
while (($#)); do
    case $1 in
        --version) version=$2 ;;
        --commit) commit=$2 ;;
        --arch) arch=$2 ;;
        --binary) binary=$2 ;;
        --out) out=$2 ;;
        *) echo "build-packages.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift 2
done
[[ -n $version && -n $commit && -n $arch && -f $binary && -n $out ]] || {
    echo "usage: build-packages.sh --version V --commit SHA --arch amd64|arm64 --binary FILE --out DIR" >&2
    exit 2
}
case $arch in
    amd64) rpm_arch=x86_64 elf_machine='Advanced Micro Devices X86-64' ;;
    arm64) rpm_arch=aarch64 elf_machine='AArch64' ;;
    *) echo "build-packages.sh: unknown architecture $arch" >&2; exit 2 ;;
esac

# The package metadata in one place.
maintainer='osquery-bpf maintainers <maintainers@users.noreply.r-seed-6ed662de.example>'
# No license has been chosen for the project yet; the packages say so rather than guess.
rpm_license='LicenseRef-unspecified'

readelf -h "$binary" | grep -q "Machine: *$elf_machine" || {
    echo "build-packages.sh: $binary is not an $arch ELF executable" >&2
    exit 1
}
glibc_floor=$(readelf -V -W "$binary" | grep -oE 'Name: GLIBC_[0-9.]+' | sed 's/Name: GLIBC_//' | sort -uV | tail -1)
[[ -n $glibc_floor ]] || { echo "build-packages.sh: no GLIBC_ version found in $binary" >&2; exit 1; }
# File dates in the packages: the commit's date, so a rebuild of the same commit gives the same files.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)}

work=$(mktemp -d /tmp/osquery-bpf-package-XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
out=$(cd "$out" && pwd)

# 1. The installed tree, shared by both formats.
stage=$work/stage
doc=$stage/usr/share/doc/osquery-bpf
install -D -m 0755 "$binary" "$stage/usr/lib/osquery/extensions/osquery-bpf.ext"
install -D -m 0644 "$repo/packaging/packs/ebpf-events.conf" "$stage/usr/share/osquery-bpf/packs/ebpf-events.conf"
install -D -m 0644 "$repo/packaging/packs/bpf-drop-in.conf" "$stage/usr/share/osquery-bpf/packs/bpf-drop-in.conf"
install -D -m 0644 "$repo/packaging/deb/copyright" "$doc/copyright"
install -m 0644 "$repo/osquery.flags.example" "$repo/docs/deployment.md" "$doc/"
changelog_date=$(date -u -R -d "@$SOURCE_DATE_EPOCH")
printf '%s\n' "osquery-bpf ($version) unstable; urgency=medium" "" \
    "  * Built from commit $commit." "" " -- $maintainer  $changelog_date" | gzip -9n >"$doc/changelog.gz"
if [[ -f $repo/packaging/deb/lintian-overrides ]]; then
    install -D -m 0644 "$repo/packaging/deb/lintian-overrides" "$stage/usr/share/lintian/overrides/osquery-bpf"
fi
find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

# The maintainer scripts with the shared functions pasted in.
with_functions() {
    awk -v functions="$here/scripts/extensions-load.sh" '
        /^#EXTENSIONS_LOAD_FUNCTIONS#$/ { while ((getline line < functions) > 0) print line; close(functions); next }
        { print }' "$1"
}

# 2. The .deb.
deb=$work/deb
cp -a "$stage" "$deb"
mkdir -p "$deb/DEBIAN"
installed_size=$(du -sk --apparent-size "$stage" | cut -f1)
sed -e "s|@VERSION@|$version|; s|@DEB_ARCH@|$arch|; s|@MAINTAINER@|$maintainer|" \
    -e "s|@INSTALLED_SIZE@|$installed_size|; s|@GLIBC_FLOOR@|$glibc_floor|" "$here/deb/control" >"$deb/DEBIAN/control"
for script in postinst prerm postrm; do
    with_functions "$here/deb/$script" >"$deb/DEBIAN/$script"
    chmod 0755 "$deb/DEBIAN/$script"
done
(cd "$deb" && find usr -type f -print0 | sort -z | xargs -0 md5sum) >"$deb/DEBIAN/md5sums"
chmod 0644 "$deb/DEBIAN/control" "$deb/DEBIAN/md5sums"
deb_file=$out/osquery-bpf_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$deb" "$deb_file" >/dev/null

# 3. The .rpm (rpmbuild from Debian's rpm package; the spec only copies the staged tree).
rpm_top=$work/rpm
mkdir -p "$rpm_top/SPECS"
spec=$rpm_top/SPECS/osquery-bpf.spec
with_functions "$here/rpm/osquery-bpf.spec" | sed -e "s|@VERSION@|$version|; s|@RPM_ARCH@|$rpm_arch|" \
    -e "s|@GLIBC_FLOOR@|$glibc_floor|; s|@RPM_LICENSE@|$rpm_license|; s|@STAGE@|$stage|" >"$spec"
rpmbuild --quiet -bb --target "$rpm_arch-linux" --define "_topdir $rpm_top" --define "_rpmdir $out" \
    --define "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm" \
    --define "use_source_date_epoch_as_buildtime 1" --define "clamp_mtime_to_source_date_epoch 1" \
    --define "_buildhost osquery-bpf" "$spec" >/dev/null
echo "$deb_file"
echo "$out/osquery-bpf-$version-1.$rpm_arch.rpm"
