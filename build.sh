#!/usr/bin/env bash
# The commands of README.md, run as root (they install Debian packages):
#   ./build.sh run               installs what is needed, publishes the native binary, and runs it
#   ./build.sh test              installs what is needed, builds, publishes, packages, and runs the whole test suite
#   ./build.sh package           publishes artifacts/osquery-bpf.ext (linux-x64) and artifacts/linux-arm64/osquery-bpf.ext,
#                                and builds their .deb and .rpm packages into artifacts/
#   ./build.sh kernels [--arch arm64] [PATTERN]
#                                boots Debian's kernels under qemu with the published binary (tests/KernelMatrix)
# All are idempotent: a second run installs nothing and rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# Debian packages: clang/llvm compile the BPF probes (build time only) and link NativeAOT;
# the rest are test-time peers and workloads (shared/design/kernel.md): qemu (x86 and arm) and busybox-static boot
# the kernel matrix's guests (tests/KernelMatrix), the container runtimes attribute rows to containers
# (tests/Containers.Tests), openssl and curl make real TLS handshakes (tests/Tls.Tests).
APT_PACKAGES=(clang llvm bpftool libbpf-dev dnsmasq bind9-dnsutils bpftrace stress-ng hyperfine iproute2
    qemu-system-x86 qemu-system-arm busybox-static docker.io containerd runc podman uidmap openssl curl)

install_packages() {
    local missing=()
    for p in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if ((${#missing[@]})); then
        echo "== installing: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
    # dnsmasq's package starts a system service on port 53; tests run their own instance.
    if command -v systemctl >/dev/null && systemctl is-active --quiet dnsmasq 2>/dev/null; then
        systemctl stop dnsmasq || true
    fi
}

publish() {
    echo "== publishing artifacts/osquery-bpf.ext (NativeAOT)"
    publish_portable linux-x64 artifacts
}

# --- One portable file per architecture, and the packages (native/, packaging/) ---

# debootstrap makes the Debian 11 root the binary is linked against; lld links against it; tcl, make and dpkg-dev
# turn Debian's SQLite source into its amalgamation; rpm builds the .rpm; lintian checks the .deb; qemu-user runs
# the arm64 binary in the packaging tests.
PORTABLE_APT_PACKAGES=(debootstrap lld tcl make dpkg-dev xz-utils binutils rpm lintian qemu-user)

install_portable_tools() {
    local missing=()
    for p in "${PORTABLE_APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if ((${#missing[@]})); then
        echo "== installing: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get -o DPkg::Lock::Timeout=300 update -qq
        apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

# Makes the Debian 11 roots and SQLite builds (native/; cached after the first time) in the background while the
# .NET build runs; the publish steps take the scripts' locks and so wait for them, or redo and report a failure.
prepare_native_async() {
    local log
    log=$(mktemp /tmp/osquery-bpf-native-XXXXXX.log)
    echo "== preparing the Debian 11 roots and SQLite in the background (log: $log)"
    (native/sqlite.sh amd64 && native/sqlite.sh arm64) >"$log" 2>&1 &
}

# The commit --version reports, with -dirty when the tree has uncommitted changes (then it is not that commit).
source_revision() {
    local commit
    commit=$(git rev-parse HEAD 2>/dev/null) || { echo unknown; return; }
    git diff --quiet HEAD -- 2>/dev/null || commit+=-dirty
    echo "$commit"
}

# The version in extension/Host/Host.csproj: --version prints it and the packages carry it.
package_version() {
    sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' extension/Host/Host.csproj
}

# publish_portable RID OUTDIR: one NativeAOT file with SQLite inside, linked against a Debian 11 root, so it
# needs glibc 2.28 at most (native/README.md).
publish_portable() {
    local rid=$1 out=$2 arch root sqlite
    case $rid in linux-x64) arch=amd64 ;; linux-arm64) arch=arm64 ;; esac
    root=$(native/debian-root.sh "$arch")
    sqlite=$(native/sqlite.sh "$arch")
    dotnet publish extension/Host/Host.csproj -c Release -r "$rid" -o "$out" --nologo -v quiet \
        -p:PublishAot=true -p:SysRoot="$root" -p:LinkerFlavor=lld -p:SqliteStaticLibrary="$sqlite/libe_sqlite3.a" \
        -p:SourceRevisionId="$(source_revision)"
    rm -f "$out/libe_sqlite3.so" # left by publishes from before SQLite was linked in
}

# Publishes artifacts/linux-arm64/osquery-bpf.ext (artifacts/osquery-bpf.ext must be published already) and builds
# the .deb and .rpm of both architectures into artifacts/.
package_all() {
    echo "== publishing artifacts/linux-arm64/osquery-bpf.ext (NativeAOT, cross-linked)"
    publish_portable linux-arm64 artifacts/linux-arm64
    echo "== packaging"
    local version commit
    version=$(package_version)
    commit=$(source_revision)
    packaging/build-packages.sh --version "$version" --commit "$commit" --arch amd64 \
        --binary artifacts/osquery-bpf.ext --out artifacts
    packaging/build-packages.sh --version "$version" --commit "$commit" --arch arm64 \
        --binary artifacts/linux-arm64/osquery-bpf.ext --out artifacts
}

require_root() {
    if ((EUID != 0)); then
        echo "$0 installs Debian packages and makes a Debian 11 root with debootstrap: run it as root." >&2
        exit 1
    fi
}

# The program each kernel-matrix guest runs (and tests/KernelMatrix.Tests runs on the host), NativeAOT too:
# publish_guest [linux-x64|linux-arm64]. The arm64 one is cross-linked against native/'s Debian 11 root like the
# extension (publish_portable), beside artifacts/linux-arm64/osquery-bpf.ext.
publish_guest() {
    case ${1:-linux-x64} in
        linux-x64)
            echo "== publishing artifacts/kmatrix-guest/kmatrix-guest (NativeAOT)"
            dotnet publish tests/KernelMatrix.Guest/KernelMatrix.Guest.csproj -c Release -r linux-x64 -o artifacts/kmatrix-guest \
                --nologo -v quiet -p:PublishAot=true
            ;;
        linux-arm64)
            echo "== publishing artifacts/linux-arm64/kmatrix-guest/kmatrix-guest (NativeAOT, cross-linked)"
            dotnet publish tests/KernelMatrix.Guest/KernelMatrix.Guest.csproj -c Release -r linux-arm64 \
                -o artifacts/linux-arm64/kmatrix-guest --nologo -v quiet -p:PublishAot=true \
                -p:SysRoot="$(native/debian-root.sh arm64)" -p:LinkerFlavor=lld
            ;;
    esac
}

# The guests' architecture `./build.sh kernels` was given (--arch amd64|x86_64|arm64|aarch64), as Debian names it.
kernels_arch() {
    local arch=
    while (($#)); do
        if [[ $1 == --arch && $# -gt 1 ]]; then arch=$2; shift; fi
        shift
    done
    case $arch in
        arm64 | aarch64) echo arm64 ;;
        *) echo amd64 ;;
    esac
}

run_tests() {
    echo "== building"
    dotnet build Extension.sln -c Debug --nologo -v quiet
    publish
    publish_guest
    package_all
    publish_guest linux-arm64
    local passed=0 failed=0 skipped=0 status=0 results
    results=$(mktemp -d)
    for proj in tests/*.Tests/*.Tests.csproj; do
        local name
        name=$(basename "$proj" .csproj)
        echo "== $name"
        # Minimal console output shows failures with their messages; the counts come from the TRX file.
        dotnet test "$proj" -c Debug --no-build --nologo --blame-hang-timeout 5m \
            --logger "console;verbosity=minimal" --logger "trx;LogFileName=$name.trx" --results-directory "$results" \
            || status=1
        local trx="$results/$name.trx" counters
        if [[ ! -f $trx ]]; then
            echo "!! $name produced no results"
            failed=$((failed + 1)); status=1; continue
        fi
        counters=$(grep -o '<Counters [^>]*>' "$trx")
        passed=$((passed + $(sed -E 's/.* passed="([0-9]+)".*/\1/' <<<"$counters")))
        failed=$((failed + $(sed -E 's/.* failed="([0-9]+)".*/\1/' <<<"$counters")))
        skipped=$((skipped + $(sed -E 's/.* notExecuted="([0-9]+)".*/\1/' <<<"$counters")))
        # Say why anything was skipped (a missing privilege or tool outside CI).
        grep -o 'outcome="NotExecuted"[^>]*' "$trx" >/dev/null && grep -oE '<Message>[^<]*</Message>' "$trx" | sed 's/<[^>]*>//g; s/^/   skipped: /' | sort -u | head -20
    done
    rm -rf "$results"
    echo "$passed passed, $failed failed, $skipped skipped"
    return $status
}

case "${1:-}" in
    run)
        shift
        require_root
        install_packages
        install_portable_tools
        publish
        # With no arguments: standalone mode, an SQL prompt over the live event tables.
        (($#)) || set -- --standalone
        echo "== running artifacts/osquery-bpf.ext $*"
        exec artifacts/osquery-bpf.ext "$@"
        ;;
    test)
        require_root
        install_packages
        install_portable_tools
        prepare_native_async
        run_tests
        ;;
    kernels)
        shift
        require_root
        install_packages
        install_portable_tools
        prepare_native_async
        publish
        publish_guest
        if [[ $(kernels_arch "$@") == arm64 ]]; then
            echo "== publishing artifacts/linux-arm64/osquery-bpf.ext (NativeAOT, cross-linked)"
            publish_portable linux-arm64 artifacts/linux-arm64
            publish_guest linux-arm64
        fi
        exec dotnet run --project tests/KernelMatrix -c Release -- "$@"
        ;;
    package)
        require_root
        install_packages
        install_portable_tools
        prepare_native_async
        publish
        package_all
        ;;
    *)
        echo "usage: $0 run [extension arguments] | test | package | kernels [--help] [--arch arm64] [PATTERN...]" >&2
        exit 2
        ;;
esac
