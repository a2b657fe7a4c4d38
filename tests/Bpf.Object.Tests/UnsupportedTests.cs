using System.Diagnostics;
using OsqueryBpf.TestSupport;
using Xunit;

namespace OsqueryBpf.Bpf.Object.Tests;

/// <summary>What the loader does not support is refused with a message that names it.</summary>
public class UnsupportedTests
{
    [Fact]
    public void PlainVariantParses() =>
        Assert.Equal(ProgramType.SocketFilter, CollectionSpec.Parse(TestObjects.Resource("unsupported.bpf.o")).Programs["plain"].Type);

    [SkippableFact]
    public void KconfigExternsAreRefusedByName()
    {
        var elf = Compile("-DWITH_KCONFIG");
        var error = Assert.Throws<BpfObjectException>(() => CollectionSpec.Parse(elf));
        Assert.Contains("'LINUX_KERNEL_VERSION'", error.Message);
        Assert.Contains(".kconfig", error.Message);
    }

    [Fact]
    public void LegacyMapsSectionIsRefused()
    {
        // Rename the license section to "maps": the parser must refuse the legacy map format by name.
        var elf = TestObjects.Resource("unsupported.bpf.o");
        ProgramDiscoveryTests.ReplaceAll(elf, "\0license\0"u8, "\0maps\0\0\0\0"u8);
        var error = Assert.Throws<BpfObjectException>(() => CollectionSpec.Parse(elf));
        Assert.Contains("legacy 'maps' section", error.Message);
    }

    [Fact]
    public void NotAnElfObjectIsAClearError()
    {
        Assert.Contains("not an ELF object", Assert.Throws<BpfObjectException>(() => CollectionSpec.Parse("#!/bin/sh\necho hello, this is no ELF file at all, just text.\n"u8.ToArray())).Message);
        var elf = TestObjects.Resource("unsupported.bpf.o");
        elf[5] = 2; // big-endian
        Assert.Contains("little-endian", Assert.Throws<BpfObjectException>(() => CollectionSpec.Parse(elf)).Message);
    }

    /// <summary>Compiles bpf/unsupported.bpf.c with extra flags, the way Bpf.targets does.</summary>
    private static byte[] Compile(string flags)
    {
        var clang = Requirements.FindTool("clang") ?? Requirements.FindTool("clang-14");
        Requirements.Require(clang is not null, "clang or clang-14 on PATH");
        var source = Path.Combine(RepositoryPaths.Root, "tests", "Bpf.Object.Tests", "bpf", "unsupported.bpf.c");
        var output = Path.Combine(Path.GetTempPath(), $"unsupported-{Guid.NewGuid():N}.bpf.o");
        try
        {
            var start = new ProcessStartInfo(clang!, $"-target bpf -mcpu=v3 -g -O2 -Wall -Werror {flags} -I/usr/include -I/usr/include/x86_64-linux-gnu -c \"{source}\" -o \"{output}\"")
            {
                RedirectStandardError = true,
            };
            using var process = Process.Start(start) ?? throw new InvalidOperationException("clang did not start.");
            var errors = process.StandardError.ReadToEnd();
            Assert.True(process.WaitForExit(120_000), "clang did not finish within 2 minutes");
            Assert.True(process.ExitCode == 0, errors);
            return File.ReadAllBytes(output);
        }
        finally
        {
            File.Delete(output);
        }
    }
}
