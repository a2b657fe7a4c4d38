using OsqueryBpf.TestSupport;
using Xunit;

namespace OsqueryBpf.KernelMatrix.Tests;

/// <summary>The guest image made from the published binaries, listed by busybox cpio.</summary>
public sealed class GuestImageTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("kmatrix-image-");

    [SkippableFact]
    public void Holds_init_busybox_the_binaries_and_every_library_ldd_names()
    {
        Requirements.Require(File.Exists("/bin/busybox"), "busybox at /bin/busybox (apt-get install busybox-static)");
        var programs = KernelMatrixFixture.Programs;
        Requirements.Require(programs.Missing() is null, programs.Missing() ?? "");
        var image = Path.Combine(_dir.FullName, "guest.cpio");
        GuestImage.Build(GuestArchitecture.X86_64, programs, image);

        var listing = Tool.Run("/bin/sh", ["-c", $"/bin/busybox cpio -t < '{image}'"]).Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        foreach (var path in new[] { "init", "bin/busybox", "opt/osquery-bpf/osquery-bpf.ext", "opt/kmatrix/kmatrix-guest", "etc/passwd", "proc", "sys", "tmp" })
            Assert.Contains(path, listing);
        if (programs.Dnsmasq is not null)
            Assert.Contains("usr/sbin/dnsmasq", listing);
        var libraries = GuestImage.SharedLibraries(programs.Extension).Concat(GuestImage.SharedLibraries(programs.Guest)).ToList();
        Assert.Contains(libraries, l => l.Contains("libc.so", StringComparison.Ordinal));
        Assert.Contains(libraries, l => l.Contains("ld-linux", StringComparison.Ordinal));
        foreach (var library in libraries)
            Assert.Contains(library.TrimStart('/'), listing);

        var init = GuestImage.InitScript(GuestArchitecture.X86_64);
        Assert.StartsWith("#!/bin/busybox sh", init);
        Assert.Contains("--report /dev/ttyS1", init);
        Assert.DoesNotContain("@REPORT@", init);
    }

    public void Dispose() => _dir.Delete(recursive: true);
}
