#!/usr/bin/env bash
# Checks the benchmark's CPU quota on a pure cgroup2 host, which our VMs are not (they mount the cpu controller as
# cgroup v1): boots a kernel under qemu (TCG) with an initramfs that holds busybox and Probes.Bench published with
# NativeAOT, mounts only cgroup2 (so the cpu controller is there), and runs `Probes.Bench quota-check`, which makes
# the quota cgroup the way the quota mode does and reports the share of a CPU a busy loop in it gets.
#
# Usage: benchmarks/Probes/tools/cgroup2-guest.sh VMLINUZ
#   VMLINUZ: a kernel with cgroup2 and virtio-less serial console, e.g. one that ./build.sh kernels cached in
#   ~/.cache/osquery-bpf/kernels/x86_64/images/*/vmlinuz. Needs root, qemu-system-x86 and busybox-static.
set -euo pipefail
vmlinuz=${1:?usage: cgroup2-guest.sh VMLINUZ}
project=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/cgroup2-guest-XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "== publishing Probes.Bench (NativeAOT)"
dotnet publish "$project/Probes.Bench.csproj" -c Release -r linux-x64 -p:PublishAot=true -o "$work/publish" --nologo -v quiet

root=$work/root
mkdir -p "$root"/{bin,proc,sys,dev,tmp,bench}
cp /bin/busybox "$root/bin/busybox"
for applet in sh mount cat echo poweroff; do
    ln -s busybox "$root/bin/$applet"
done
cp "$work/publish/Probes.Bench" "$root/bench/"
# The libraries the binary links, at the paths it looks for them.
for library in $(ldd "$root/bench/Probes.Bench" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\/.*ld-linux/ { print $1 }'); do
    cp -L --parents "$library" "$root"
done
cat >"$root/init" <<'EOF'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t cgroup2 cgroup2 /sys/fs/cgroup
echo "guest: kernel $(cat /proc/sys/kernel/osrelease), cgroup2 controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
/bench/Probes.Bench quota-check
echo "guest: quota-check exit code $?"
poweroff -f
EOF
chmod +x "$root/init"
(cd "$root" && find . | busybox cpio -o -H newc 2>/dev/null) >"$work/initrd"

echo "== booting $vmlinuz"
timeout 300 qemu-system-x86_64 -nodefaults -display none -no-reboot -accel tcg,thread=multi -cpu max -m 1G -smp 2 \
    -kernel "$vmlinuz" -initrd "$work/initrd" -append "console=ttyS0 noapic panic=-1 quiet" -serial stdio |
    tr -d '\r' | grep -E -A12 '^(guest:|cgroup|The benchmark|Warning|Unhandled)' || true
