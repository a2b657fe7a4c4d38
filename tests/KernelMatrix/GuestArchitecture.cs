using System.Runtime.InteropServices;

namespace OsqueryBpf.KernelMatrix;

/// <summary>
/// Everything about a guest that depends on its CPU architecture: which Debian kernels to fetch, how qemu boots
/// them, where the guest's console and report port are, where its binaries are published, and which ELF
/// machine they must be. x86_64 and aarch64 are defined.
/// </summary>
internal sealed class GuestArchitecture
{
    /// <summary>uname -m of the guest, also the cache folder's name.</summary>
    public required string Name { get; init; }

    /// <summary>Debian's architecture name (the apt architecture of the kernel packages).</summary>
    public required string DebianArch { get; init; }

    /// <summary>The multiarch triplet: the library folders of a Debian root (/lib/&lt;triplet&gt;).</summary>
    public required string Triplet { get; init; }

    /// <summary>The ELF e_machine value of this architecture's binaries (EM_X86_64, EM_AARCH64).</summary>
    public required ushort ElfMachine { get; init; }

    /// <summary>The kernel flavour in Debian's package names: linux-image-&lt;abi&gt;-&lt;flavour&gt;.</summary>
    public required string KernelFlavour { get; init; }

    /// <summary>The .NET runtime identifier the extension and the guest program are published for.</summary>
    public required string RuntimeIdentifier { get; init; }

    /// <summary>
    /// Where ./build.sh publishes this architecture's binaries, relative to the repository: osquery-bpf.ext and
    /// kmatrix-guest/kmatrix-guest below it.
    /// </summary>
    public required string PublishFolder { get; init; }

    /// <summary>
    /// The folder of this architecture's console and report logs below the log folder (artifacts/kernel-matrix):
    /// x86_64's stay where they were before other architectures existed, the others' are in a folder of their own,
    /// since a kernel's log names are its version and both architectures have the same versions.
    /// </summary>
    public required string LogFolder { get; init; }

    public required string QemuSystem { get; init; }

    /// <summary>The Debian package that installs <see cref="QemuSystem"/>.</summary>
    public required string QemuPackage { get; init; }

    /// <summary>Machine, accelerator and CPU arguments.</summary>
    public required IReadOnlyList<string> QemuMachine { get; init; }

    /// <summary>
    /// The qemu arguments of the report port, the guest device whose output qemu writes to its stdout (the
    /// first serial port is the console).
    /// </summary>
    public required IReadOnlyList<string> QemuReportPort { get; init; }

    /// <summary>The kernel's console device (the first serial port, a log file on the host).</summary>
    public required string Console { get; init; }

    /// <summary>The guest device the verdict lines are written to (read by the host on qemu's stdout).</summary>
    public required string ReportDevice { get; init; }

    /// <summary>Kernel command-line arguments this architecture needs besides console= and the common ones.</summary>
    public required string ExtraKernelArguments { get; init; }

    /// <summary>How long the guest program waits for every probe to leave "loading" (its --settle-timeout).</summary>
    public required TimeSpan SettleTimeout { get; init; }

    /// <summary>
    /// The hard limit for one boot, from qemu's start to its exit: boot, the settle timeout, and the workloads and
    /// checks (at most 30 s of polling) with room to spare, so a slow load still ends in a verdict.
    /// </summary>
    public required TimeSpan RunTimeout { get; init; }

    /// <summary>
    /// TCG, not KVM: /dev/kvm on our machines is kvm-pvm inside a Firecracker guest, where stock kernels crash
    /// (shared/design/kernel.md). "max" keeps CMPXCHG16B, which the NativeAOT binaries need. "noapic" avoids
    /// the IO-APIC timer panics that aya's runner also works around. The PC has two 16550 UARTs: ttyS0 is the
    /// console, ttyS1 the report port.
    /// </summary>
    public static GuestArchitecture X86_64 { get; } = new()
    {
        Name = "x86_64",
        DebianArch = "amd64",
        Triplet = "x86_64-linux-gnu",
        ElfMachine = 62,
        KernelFlavour = "cloud-amd64",
        RuntimeIdentifier = "linux-x64",
        PublishFolder = "artifacts",
        LogFolder = "",
        QemuSystem = "qemu-system-x86_64",
        QemuPackage = "qemu-system-x86",
        QemuMachine = ["-accel", "tcg,thread=multi", "-cpu", "max"],
        QemuReportPort = ["-serial", "stdio"],
        Console = "ttyS0",
        ReportDevice = "/dev/ttyS1",
        ExtraKernelArguments = "noapic",
        SettleTimeout = TimeSpan.FromSeconds(150),
        RunTimeout = TimeSpan.FromSeconds(240),
    };

    /// <summary>
    /// arm64 under TCG on qemu's "virt" board ("max" is the newest CPU qemu emulates). Loading the probes is much
    /// slower there than in an x86_64 guest: 5-25 s on 6.12 and later, 2.5-4 min on 5.10 and 6.1 (2026-12-01,
    /// while every program still failed), hence a settle timeout of 7 minutes. The board has one PL011
    /// UART (ttyAMA0, the console); qemu 7.2 offers no second one, and Debian's 5.10 kernels build virtio as
    /// modules, which the image does not carry. A 16550 on the board's PCIe bus (qemu's pci-serial) needs only
    /// drivers every Debian cloud-arm64 kernel builds in (PCI_HOST_GENERIC, SERIAL_8250_PCI): it is ttyS0 in
    /// the guest and carries the report.
    /// </summary>
    public static GuestArchitecture Arm64 { get; } = new()
    {
        Name = "aarch64",
        DebianArch = "arm64",
        Triplet = "aarch64-linux-gnu",
        ElfMachine = 183,
        KernelFlavour = "cloud-arm64",
        RuntimeIdentifier = "linux-arm64",
        PublishFolder = "artifacts/linux-arm64",
        LogFolder = "aarch64",
        QemuSystem = "qemu-system-aarch64",
        QemuPackage = "qemu-system-arm",
        QemuMachine = ["-M", "virt", "-accel", "tcg,thread=multi", "-cpu", "max"],
        QemuReportPort = ["-chardev", "stdio,id=report", "-device", "pci-serial,chardev=report"],
        Console = "ttyAMA0",
        ReportDevice = "/dev/ttyS0",
        ExtraKernelArguments = "",
        SettleTimeout = TimeSpan.FromSeconds(420),
        RunTimeout = TimeSpan.FromSeconds(540),
    };

    public static IReadOnlyList<GuestArchitecture> All { get; } = [X86_64, Arm64];

    /// <summary>The architecture of this machine, when guests of it are defined.</summary>
    public static GuestArchitecture? Host => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => X86_64,
        Architecture.Arm64 => Arm64,
        _ => null,
    };

    /// <summary>By uname -m (x86_64, aarch64) or Debian's name (amd64, arm64).</summary>
    public static GuestArchitecture Find(string name) =>
        All.FirstOrDefault(a => a.Name == name || a.DebianArch == name)
        ?? throw new ArgumentException($"No guest architecture '{name}'; defined: {string.Join(", ", All.Select(a => $"{a.Name} ({a.DebianArch})"))}.");

    public override string ToString() => Name;
}
