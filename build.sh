#!/usr/bin/env bash
# The two commands of README.md:
#   sudo ./build.sh run    installs what is needed, publishes the native binary, and runs it
#   sudo ./build.sh test   installs what is needed, builds, publishes, and runs the whole test suite
# Both are idempotent: a second run installs nothing and rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# Debian packages: clang/llvm compile the BPF probes (build time only) and link NativeAOT;
# the rest are test-time peers and workloads (shared/design/kernel.md).
APT_PACKAGES=(clang llvm bpftool libbpf-dev dnsmasq bind9-dnsutils bpftrace stress-ng hyperfine iproute2)

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

run_tests() {
    echo "== building"
    dotnet build Extension.sln -c Debug --nologo -v quiet
    publish
    local passed=0 failed=0 skipped=0 status=0 out
    for proj in tests/*.Tests/*.Tests.csproj; do
        echo "== $(basename "$proj" .csproj)"
        out=$(dotnet test "$proj" -c Debug --no-build --nologo --blame-hang-timeout 5m \
              --logger "console;verbosity=normal" 2>&1) || status=1
        echo "$out" | grep -E '^\s+(Passed|Failed|Skipped) |Error Message|^\s+at |Skip reason|(Passed|Failed)!' \
            | grep -vE '^\s+Passed ' || true
        # vstest's summary: "Passed!  - Failed: 0, Passed: 5, Skipped: 0, Total: 5, ..."
        local line
        line=$(echo "$out" | grep -E '(Passed|Failed)!  - Failed:' | tail -1 || true)
        if [[ -z $line ]] && echo "$out" | grep -q "No test is available"; then
            continue
        fi
        if [[ -z $line ]]; then
            echo "$out" | tail -30
            failed=$((failed + 1)); status=1; continue
        fi
        failed=$((failed + $(echo "$line" | sed -E 's/.*Failed: *([0-9]+).*/\1/')))
        passed=$((passed + $(echo "$line" | sed -E 's/.*Passed: *([0-9]+).*/\1/')))
        skipped=$((skipped + $(echo "$line" | sed -E 's/.*Skipped: *([0-9]+).*/\1/')))
    done
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
    *)
        echo "usage: $0 run [extension arguments] | test" >&2
        exit 2
        ;;
esac
