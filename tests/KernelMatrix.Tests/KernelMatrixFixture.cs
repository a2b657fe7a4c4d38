using OsqueryBpf.TestSupport;

namespace OsqueryBpf.KernelMatrix.Tests;

/// <summary>
/// What every booted kernel of one architecture shares, made once per architecture: the private apt state
/// refreshed and the kernel list read, and the guest image built from the published binaries (for arm64 with
/// Debian's arm64 busybox, dnsmasq and libraries, fetched on first use). Console logs go to
/// artifacts/kernel-matrix/tests/ (arm64's to its aarch64/ folder).
/// </summary>
public sealed class KernelMatrixFixture
{
    private readonly Lock _gate = new();
    private readonly Dictionary<GuestArchitecture, (DebianArchive Archive, IReadOnlyList<DebianKernel> Kernels, string Image)> _ready = [];
    private readonly Dictionary<GuestArchitecture, Exception> _archiveFailures = [];

    internal static GuestArchitecture Arch => GuestArchitecture.X86_64;

    public static string LogDirectory => Path.Combine(RepositoryPaths.Root, "artifacts", "kernel-matrix", "tests");

    internal static string LogDirectoryFor(GuestArchitecture arch) => Path.Combine(LogDirectory, arch.LogFolder);

    internal static GuestPrograms Programs => GuestPrograms.Published(RepositoryPaths.Root);

    /// <summary>The x86_64 guests' archive, kernels and image.</summary>
    internal (DebianArchive Archive, IReadOnlyList<DebianKernel> Kernels, string Image) Require() => Require(Arch);

    /// <summary>Skips locally (fails under CI) when the machine cannot boot guests of <paramref name="arch"/> or the archive is unreachable.</summary>
    internal (DebianArchive Archive, IReadOnlyList<DebianKernel> Kernels, string Image) Require(GuestArchitecture arch)
    {
        // x86_64 guests take this machine's libraries; arm64 guests take Debian's arm64 packages, on any host.
        if (arch == GuestArchitecture.X86_64)
            Requirements.Require(GuestArchitecture.Host == arch, "an x86_64 host");
        Requirements.RequireTool(arch.QemuSystem);
        lock (_gate)
        {
            if (_ready.TryGetValue(arch, out var ready))
                return ready;
            // Kernel downloads need the network: locally its absence is a skip with the reason, under CI a failure.
            Requirements.Require(!_archiveFailures.ContainsKey(arch), "Debian's archive: " + _archiveFailures.GetValueOrDefault(arch)?.Message);
            var archive = new DebianArchive(DebianArchive.DefaultCache, arch);
            try
            {
                var programs = arch == Arch ? Programs : GuestPrograms.Published(RepositoryPaths.Root, arch, DebianArchive.DefaultCache);
                Requirements.Require(programs.Missing() is null, programs.Missing() ?? "");
                archive.Update();
                var kernels = archive.Kernels();
                Directory.CreateDirectory(LogDirectoryFor(arch));
                var image = Path.Combine(LogDirectoryFor(arch), $"guest-{arch.Name}.cpio");
                GuestImage.Build(arch, programs, image);
                _ready[arch] = (archive, kernels, image);
                return _ready[arch];
            }
            catch (ArchiveUnavailableException e)
            {
                _archiveFailures[arch] = e;
                Requirements.Require(false, "Debian's archive: " + e.Message);
                throw;
            }
        }
    }
}
