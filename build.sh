#!/usr/bin/env bash
# The commands of README.md:
#   sudo ./build.sh run               installs what is needed, publishes the native binary, and runs it
#   sudo ./build.sh test              installs what is needed, builds, publishes, and runs the whole test suite
#   sudo ./build.sh kernels [PATTERN] boots Debian's kernels under qemu with the published binary (tests/KernelMatrix)
# All are idempotent: a second run installs nothing and rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# Debian packages: clang/llvm compile the BPF probes (build time only) and link NativeAOT;
# the rest are test-time peers and workloads (shared/design/kernel.md): qemu and busybox-static boot
# the kernel matrix's guests (tests/KernelMatrix), the container runtimes attribute rows to containers
# (tests/Containers.Tests), openssl and curl make real TLS handshakes (tests/Tls.Tests).
APT_PACKAGES=(clang llvm bpftool libbpf-dev dnsmasq bind9-dnsutils bpftrace stress-ng hyperfine iproute2
    qemu-system-x86 busybox-static docker.io containerd runc podman uidmap openssl curl)

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
    dotnet publish extension/Host/Host.csproj -c Release -r linux-x64 -o artifacts --nologo -v quiet \
        -p:PublishAot=true
}

# The program each kernel-matrix guest runs (and tests/KernelMatrix.Tests runs on the host), NativeAOT too.
publish_guest() {
    echo "== publishing artifacts/kmatrix-guest/kmatrix-guest (NativeAOT)"
    dotnet publish tests/KernelMatrix.Guest/KernelMatrix.Guest.csproj -c Release -r linux-x64 -o artifacts/kmatrix-guest \
        --nologo -v quiet -p:PublishAot=true
}

run_tests() {
    echo "== building"
    dotnet build Extension.sln -c Debug --nologo -v quiet
    publish
    publish_guest
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
        install_packages
        publish
        # With no arguments: standalone mode, an SQL prompt over the live event tables.
        (($#)) || set -- --standalone
        echo "== running artifacts/osquery-bpf.ext $*"
        exec artifacts/osquery-bpf.ext "$@"
        ;;
    test)
        install_packages
        run_tests
        ;;
    kernels)
        shift
        install_packages
        publish
        publish_guest
        exec dotnet run --project tests/KernelMatrix -c Release -- "$@"
        ;;
    *)
        echo "usage: $0 run [extension arguments] | test | kernels [--help] [PATTERN...]" >&2
        exit 2
        ;;
esac
