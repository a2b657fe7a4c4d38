using OsqueryBpf.TestSupport;
using Xunit;

namespace OsqueryBpf.KernelMatrix.Tests;

/// <summary>The newc writer, read back by busybox cpio (the same format the kernel unpacks).</summary>
public sealed class CpioArchiveTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("kmatrix-cpio-");

    [SkippableFact]
    public void Busybox_cpio_extracts_files_folders_modes_and_links()
    {
        Requirements.Require(File.Exists("/bin/busybox"), "busybox at /bin/busybox (apt-get install busybox-static)");
        var archivePath = Path.Combine(_dir.FullName, "image.cpio");
        var odd = new byte[4099]; // not a multiple of 4, so the padding after it matters
        Random.Shared.NextBytes(odd);
        using (var stream = File.Create(archivePath))
        using (var archive = new CpioArchive(stream))
        {
            archive.Directory("etc");
            archive.File("/init", "#!/bin/sh\n"u8, 0x1ED);
            archive.File("opt/deep/er/data.bin", odd);
            archive.File("etc/passwd", "root:x:0:0::/root:/bin/sh\n"u8);
            archive.Symlink("bin/sh", "busybox");
            Assert.Throws<InvalidOperationException>(() => archive.File("etc/passwd", "again"u8));
        }
        var output = Path.Combine(_dir.FullName, "out");
        Directory.CreateDirectory(output);
        var extract = Tool.Run("/bin/sh", ["-c", $"/bin/busybox cpio -i -d -m < '{archivePath}'"], output);
        Assert.True(extract.ExitCode == 0, extract.Tail());

        Assert.Equal("#!/bin/sh\n", File.ReadAllText(Path.Combine(output, "init")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherExecute, File.GetUnixFileMode(Path.Combine(output, "init")));
        Assert.Equal(odd, File.ReadAllBytes(Path.Combine(output, "opt", "deep", "er", "data.bin")));
        Assert.Equal("root:x:0:0::/root:/bin/sh\n", File.ReadAllText(Path.Combine(output, "etc", "passwd")));
        Assert.Equal("busybox", new FileInfo(Path.Combine(output, "bin", "sh")).LinkTarget);
        var listing = Tool.Run("/bin/sh", ["-c", $"/bin/busybox cpio -t < '{archivePath}'"]);
        Assert.Equal(["etc", "init", "opt", "opt/deep", "opt/deep/er", "opt/deep/er/data.bin", "etc/passwd", "bin", "bin/sh"],
            listing.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    public void Dispose() => _dir.Delete(recursive: true);
}
