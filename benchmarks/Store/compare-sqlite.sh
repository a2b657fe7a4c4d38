#!/usr/bin/env bash
# The store with the SQLite the NuGet package ships (libe_sqlite3.so beside the binary) against the SQLite that
# ./build.sh links into the extension (Debian's source, static, against a Debian 11 root), side by side in one run:
# both variants are NativeAOT builds of this benchmark, run alternately, ROUNDS times per mode, and the medians
# are printed at the end.
#   benchmarks/Store/compare-sqlite.sh [ROUNDS (default 3)] [ROWS (default 1000000)]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
rows=${2:-1000000}
out=$(mktemp -d /tmp/store-bench-sqlite-XXXXXX)
trap 'rm -rf "$out"' EXIT

root=$(native/debian-root.sh amd64)
sqlite=$(native/sqlite.sh amd64)
publish() {
    dotnet publish benchmarks/Store/Store.Bench.csproj -c Release -r linux-x64 --nologo -v quiet -p:PublishAot=true \
        -o "$out/$1" "${@:2}"
}
echo "== publishing the benchmark with NuGet's SQLite and with Debian's ($(cat "$sqlite/debian-version"))"
publish nuget
publish debian -p:SysRoot="$root" -p:LinkerFlavor=lld -p:SqliteStaticLibrary="$sqlite/libe_sqlite3.a"

for round in $(seq "$rounds"); do
    for mode in disk memory; do
        # Alternate which variant goes first, so a change in the host's load does not favour one of them.
        variants=(nuget debian)
        ((round % 2)) || variants=(debian nuget)
        for variant in "${variants[@]}"; do
            echo "== round $round, $mode, $variant"
            "$out/$variant/Store.Bench" "$mode" "$rows" 2>/dev/null | tee "$out/$variant-$mode-$round.txt"
        done
    done
done

median() { sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
figure() { # variant mode line-start index -> median over the rounds of the index-th number on that line
    for f in "$out/$1-$2-"*.txt; do
        grep -m1 "^$3" "$f" | tr -d , | grep -oE '[0-9]+(\.[0-9]+)?' | sed -n "$4p"
    done | median
}
echo
echo "medians over $rounds rounds of $rows rows (rows/s: higher is better; ms: lower is better)"
printf '%-8s %-8s %13s %13s %13s %13s %11s %11s %11s\n' mode sqlite "ingest/s" "ingest/CPU-s" \
    "writer/s" "writer/CPU-s" "gen min ms" "gen med ms" "gen CPU ms"
for mode in disk memory; do
    for variant in nuget debian; do
        printf '%-8s %-8s %13.0f %13.0f %13.0f %13.0f %11.1f %11.1f %11.1f\n' "$mode" "$variant" \
            "$(figure "$variant" "$mode" 'ingest:' 1)" "$(figure "$variant" "$mode" 'ingest:' 4)" \
            "$(figure "$variant" "$mode" 'writer alone:' 1)" "$(figure "$variant" "$mode" 'writer alone:' 2)" \
            "$(figure "$variant" "$mode" 'generate (time window' 2)" "$(figure "$variant" "$mode" 'generate (time window' 3)" \
            "$(figure "$variant" "$mode" 'generate (time window' 5)"
    done
done
