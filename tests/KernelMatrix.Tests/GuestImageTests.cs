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

    /// <summary>
    /// An arm64 image, made on any host: the arm64 binaries, Debian 12's arm64 busybox and dnsmasq, and the
    /// libraries their DT_NEEDED entries name, taken from the unpacked packages. Unpacked again, every ELF file in
    /// it is an AArch64 one (nothing of this machine slipped in) and every library is a real file, not a link.
    /// </summary>
    [SkippableFact]
    public void An_arm64_image_holds_arm64_files_only_with_every_library_their_DT_NEEDED_names()
    {
        Requirements.RequireTool("readelf");
        var arch = GuestArchitecture.Arm64;
        GuestPrograms programs;
        try
        {
            programs = GuestPrograms.Published(RepositoryPaths.Root, arch, DebianArchive.DefaultCache);
        }
        catch (ArchiveUnavailableException e)
        {
            Requirements.Require(false, "Debian's archive: " + e.Message);
            throw;
        }
        Requirements.Require(programs.Missing() is null, programs.Missing() ?? "");
        var image = Path.Combine(_dir.FullName, "guest.cpio");
        GuestImage.Build(arch, programs, image);

        var unpacked = Directory.CreateDirectory(Path.Combine(_dir.FullName, "unpacked")).FullName;
        var cpio = Tool.Run("/bin/sh", ["-c", $"cd '{unpacked}' && /bin/busybox cpio -i -d < '{image}'"]);
        Assert.True(cpio.ExitCode == 0, cpio.Tail());
        foreach (var path in new[] { "init", "bin/busybox", "opt/osquery-bpf/osquery-bpf.ext", "opt/kmatrix/kmatrix-guest", "usr/sbin/dnsmasq",
                     "lib/ld-linux-aarch64.so.1", "lib/aarch64-linux-gnu/libc.so.6", "lib/aarch64-linux-gnu/libm.so.6" })
            Assert.True(File.Exists(Path.Combine(unpacked, path)), path + " is not in the image");
        var elves = Directory.EnumerateFiles(unpacked, "*", SearchOption.AllDirectories).Where(f => GuestImage.ElfMachine(f) != 0).ToList();
        Assert.All(elves, f => Assert.Equal(arch.ElfMachine, GuestImage.ElfMachine(f)));
        Assert.All(Directory.EnumerateFileSystemEntries(unpacked, "*", SearchOption.AllDirectories), f => Assert.Null(new FileInfo(f).LinkTarget));
        // dnsmasq's own libraries (nettle, gmp, idn2, dbus and theirs) are there under the names the loader looks
        // for; the loader's own name (NEEDED too) is the interpreter, /lib/ld-linux-aarch64.so.1.
        foreach (var needed in GuestImage.DynamicSection(Path.Combine(unpacked, "usr/sbin/dnsmasq")).Needed)
            Assert.True(new[] { "lib/aarch64-linux-gnu", "usr/lib/aarch64-linux-gnu", "lib" }.Any(d => File.Exists(Path.Combine(unpacked, d, needed))),
                $"dnsmasq needs {needed}, which the image does not have");
        Assert.Contains("--report /dev/ttyS0", File.ReadAllText(Path.Combine(unpacked, "init")));
    }

    [SkippableFact]
    public void A_binary_of_another_architecture_is_refused_before_any_guest_boots()
    {
        Skip.IfNot(File.Exists("/bin/busybox") && GuestImage.ElfMachine("/bin/true") == GuestArchitecture.X86_64.ElfMachine, "an x86_64 host with /bin/busybox");
        // This machine's /bin/busybox and /bin/true as the "arm64" programs: the image must refuse them.
        var programs = new GuestPrograms(GuestArchitecture.Arm64, "/bin/true", "/bin/true", "/bin/busybox", null, _dir.FullName);
        var error = Assert.Throws<InvalidOperationException>(() => GuestImage.Build(GuestArchitecture.Arm64, programs, Path.Combine(_dir.FullName, "x.cpio")));
        Assert.Contains("is not an aarch64 binary (ELF machine 62, expected 183)", error.Message);
    }

    /// <summary>
    /// An unpacked root's absolute links name its own files: followed from this machine's / they would find this
    /// machine's libraries, or none (the trap of native/README.md). They are followed inside the root.
    /// </summary>
    [Fact]
    public void Links_in_an_unpacked_root_are_followed_inside_it()
    {
        var root = Directory.CreateDirectory(Path.Combine(_dir.FullName, "root")).FullName;
        Directory.CreateDirectory(Path.Combine(root, "lib", "aarch64-linux-gnu"));
        Directory.CreateDirectory(Path.Combine(root, "usr", "lib"));
        File.WriteAllText(Path.Combine(root, "lib", "aarch64-linux-gnu", "ld-linux-aarch64.so.1"), "loader");
        File.CreateSymbolicLink(Path.Combine(root, "lib", "ld-linux-aarch64.so.1"), "/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1");
        File.CreateSymbolicLink(Path.Combine(root, "usr", "lib", "relative.so"), "../../lib/aarch64-linux-gnu/ld-linux-aarch64.so.1");
        File.CreateSymbolicLink(Path.Combine(root, "usr", "lib", "hosts"), "/etc/passwd"); // this machine has it; the root does not
        File.CreateSymbolicLink(Path.Combine(root, "usr", "lib", "loop"), "/usr/lib/loop");

        var loader = Path.Combine(root, "lib", "aarch64-linux-gnu", "ld-linux-aarch64.so.1");
        Assert.Equal(loader, GuestImage.InsideRoot(root, "/lib/ld-linux-aarch64.so.1"));
        Assert.Equal(loader, GuestImage.InsideRoot(root, "/usr/lib/relative.so"));
        Assert.True(File.Exists("/etc/passwd"));
        Assert.Null(GuestImage.InsideRoot(root, "/usr/lib/hosts"));
        Assert.Null(GuestImage.InsideRoot(root, "/usr/lib/loop"));
        Assert.Null(GuestImage.InsideRoot(root, "/lib/missing.so"));
    }

    public void Dispose() => _dir.Delete(recursive: true);
}
