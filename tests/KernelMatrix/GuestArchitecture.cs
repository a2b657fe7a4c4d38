using System.Runtime.InteropServices;

namespace OsqueryBpf.KernelMatrix;

/// <summary>
/// Everything about a guest that depends on its CPU architecture: which Debian kernels to fetch, how qemu boots
/// them and where the guest's console and report port are. Only x86_64 is defined and tested. An arm64 entry
/// (issue 17: Debian cloud-arm64 kernels under qemu-system-aarch64 -M virt -cpu max, console ttyAMA0) needs its
/// own values here, a report channel the virt machine offers (it has one PL011 UART by default, so a
/// virtio-console port or a second UART), arm64 binaries published for linux-arm64, and arm64 libraries for
/// the image (GuestImage takes them from the host with ldd, which only works for the host's architecture).
/// </summary>
internal sealed class GuestArchitecture
{
    /// <summary>uname -m of the guest, also the cache folder's name.</summary>
    public required string Name { get; init; }

    /// <summary>Debian's architecture name (the apt architecture of the kernel packages).</summary>
    public required string DebianArch { get; init; }

    /// <summary>The kernel flavour in Debian's package names: linux-image-&lt;abi&gt;-&lt;flavour&gt;.</summary>
    public required string KernelFlavour { get; init; }

    /// <summary>The .NET runtime identifier the extension and the guest program are published for.</summary>
    public required string RuntimeIdentifier { get; init; }

    public required string QemuSystem { get; init; }

    /// <summary>Machine, accelerator and CPU arguments.</summary>
    public required IReadOnlyList<string> QemuMachine { get; init; }

    /// <summary>The kernel's console device (the first serial port, a log file on the host).</summary>
    public required string Console { get; init; }

    /// <summary>The guest device the verdict lines are written to (the second serial port, read by the host).</summary>
    public required string ReportDevice { get; init; }

    /// <summary>Kernel command-line arguments this architecture needs besides console= and the common ones.</summary>
    public required string ExtraKernelArguments { get; init; }

    /// <summary>
    /// TCG, not KVM: /dev/kvm on our machines is kvm-pvm inside a Firecracker guest, where stock kernels crash
    /// (shared/design/kernel.md). "max" keeps CMPXCHG16B, which the NativeAOT binaries need. "noapic" avoids
    /// the IO-APIC timer panics that aya's runner also works around.
    /// </summary>
    public static GuestArchitecture X86_64 { get; } = new()
    {
        Name = "x86_64",
        DebianArch = "amd64",
        KernelFlavour = "cloud-amd64",
        RuntimeIdentifier = "linux-x64",
        QemuSystem = "qemu-system-x86_64",
        QemuMachine = ["-accel", "tcg,thread=multi", "-cpu", "max"],
        Console = "ttyS0",
        ReportDevice = "/dev/ttyS1",
        ExtraKernelArguments = "noapic",
    };

    public static IReadOnlyList<GuestArchitecture> All { get; } = [X86_64];

    /// <summary>The architecture of this machine, when guests of it are defined.</summary>
    public static GuestArchitecture? Host => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => X86_64,
        _ => null,
    };

    public static GuestArchitecture Find(string name) =>
        All.FirstOrDefault(a => a.Name == name || a.DebianArch == name)
        ?? throw new ArgumentException($"No guest architecture '{name}'; defined: {string.Join(", ", All.Select(a => a.Name))}.");

    public override string ToString() => Name;
}
