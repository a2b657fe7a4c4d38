using OsqueryBpf.TestSupport;

namespace OsqueryBpf.KernelMatrix.Tests;

/// <summary>
/// What every booted kernel shares, made once: the private apt state refreshed and the kernel list read, and
/// the guest image built from the published binaries. Console logs go to artifacts/kernel-matrix/.
/// </summary>
public sealed class KernelMatrixFixture
{
    private readonly Lock _gate = new();
    private (DebianArchive Archive, IReadOnlyList<DebianKernel> Kernels, string Image)? _ready;
    private Exception? _archiveFailure;

    internal static GuestArchitecture Arch => GuestArchitecture.X86_64;

    public static string LogDirectory => Path.Combine(RepositoryPaths.Root, "artifacts", "kernel-matrix", "tests");

    internal static GuestPrograms Programs => GuestPrograms.Published(RepositoryPaths.Root);

    /// <summary>Skips locally (fails under CI) when the machine cannot boot guests or the archive is unreachable.</summary>
    internal (DebianArchive Archive, IReadOnlyList<DebianKernel> Kernels, string Image) Require()
    {
        Requirements.Require(GuestArchitecture.Host == Arch, "an x86_64 host");
        Requirements.RequireTool(Arch.QemuSystem);
        Requirements.Require(Programs.Missing() is null, Programs.Missing() ?? "");
        lock (_gate)
        {
            if (_ready is { } ready)
                return ready;
            // Kernel downloads need the network: locally its absence is a skip with the reason, under CI a failure.
            Requirements.Require(_archiveFailure is null, "Debian's archive: " + _archiveFailure?.Message);
            var archive = new DebianArchive(DebianArchive.DefaultCache, Arch);
            try
            {
                archive.Update();
                var kernels = archive.Kernels();
                Directory.CreateDirectory(LogDirectory);
                var image = Path.Combine(LogDirectory, $"guest-{Arch.Name}.cpio");
                GuestImage.Build(Arch, Programs, image);
                _ready = (archive, kernels, image);
                return _ready.Value;
            }
            catch (ArchiveUnavailableException e)
            {
                _archiveFailure = e;
                Requirements.Require(false, "Debian's archive: " + e.Message);
                throw;
            }
        }
    }
}
