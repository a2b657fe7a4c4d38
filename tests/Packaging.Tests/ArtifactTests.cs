using System.Text.RegularExpressions;
using OsqueryBpf.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OsqueryBpf.Packaging.Tests;

/// <summary>
/// The two published files: one file each, needing nothing but the C library, and no glibc newer than 2.28; the
/// arm64 one answers --help and SQL under qemu-user (its probes cannot load there: qemu-user has no bpf()).
/// </summary>
public sealed partial class ArtifactTests(ITestOutputHelper output)
{
    // Everything the files may ask the dynamic linker for: parts of glibc (libc6 on Debian, glibc on RPM systems).
    private static readonly string[] GlibcLibraries =
        ["libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1"];

    [SkippableTheory]
    [InlineData("amd64", "Advanced Micro Devices X86-64")]
    [InlineData("arm64", "AArch64")]
    public void NeedsNoGlibcNewerThanTheFloorAndNoOtherLibrary(string arch, string machine)
    {
        var binary = Artifacts.Binary(arch);
        Artifacts.Require(binary);
        Assert.Equal(machine, Artifacts.Machine(binary));

        var versions = Artifacts.GlibcVersions(binary);
        Assert.NotEmpty(versions);
        var newest = versions[^1];
        output.WriteLine($"{arch}: newest GLIBC_ version needed {newest}; {new FileInfo(binary).Length:N0} bytes");
        Assert.True(newest <= Artifacts.GlibcFloor, $"{arch} binary needs GLIBC_{newest}, above the floor {Artifacts.GlibcFloor}");

        var needed = Artifacts.Needed(binary);
        Assert.Contains("libc.so.6", needed);
        Assert.All(needed, library => Assert.Contains(library, GlibcLibraries)); // no libe_sqlite3.so, no libstdc++
    }

    /// <summary>
    /// Each file embeds the BPF objects compiled for its architecture: their BTF names the pt_regs fields the
    /// programs read syscall arguments and numbers from (x86_64: orig_ax; arm64: orig_x0 and syscallno), and only
    /// that architecture's.
    /// </summary>
    [SkippableTheory]
    [InlineData("amd64", "orig_ax", "orig_x0")]
    [InlineData("arm64", "orig_x0", "orig_ax")]
    public void EmbedsTheBpfObjectsOfItsArchitecture(string arch, string field, string otherArchitecturesField)
    {
        var binary = Artifacts.Binary(arch);
        Artifacts.Require(binary);
        var bytes = File.ReadAllBytes(binary);
        Assert.True(bytes.AsSpan().IndexOf(NulDelimited(field)) >= 0, $"{arch}: no '{field}' in {binary}");
        Assert.True(bytes.AsSpan().IndexOf(NulDelimited(otherArchitecturesField)) < 0, $"{arch}: '{otherArchitecturesField}' in {binary}");
    }

    /// <summary>A field name as BTF's string section holds it: between NUL bytes.</summary>
    private static byte[] NulDelimited(string field) => [0, .. System.Text.Encoding.ASCII.GetBytes(field), 0];

    [SkippableFact]
    public void VersionPrintsThePackageVersionAndTheSourceCommit()
    {
        var binary = Artifacts.Binary("amd64");
        Artifacts.Require(binary);
        var result = Command.Run(binary, ["--version"], TimeSpan.FromMinutes(1));
        Assert.Equal(0, result.ExitCode);
        var match = VersionLine().Match(result.Stdout.Trim());
        Assert.True(match.Success, $"unexpected --version output: {result.Stdout}");
        Assert.Equal(Artifacts.Version, match.Groups[1].Value);
        // A build from a clean tree names the commit it was built from, which is this checkout's (./build.sh test
        // publishes before testing). A "-dirty" build came from uncommitted changes: no commit to compare with.
        var head = Command.Run("git", ["-C", RepositoryPaths.Root, "rev-parse", "HEAD"], TimeSpan.FromMinutes(1));
        if (head.ExitCode == 0 && !match.Groups[3].Success)
            Assert.Equal(head.Stdout.Trim(), match.Groups[2].Value);
    }

    [SkippableFact]
    public void Arm64FileAnswersHelpAndSqlUnderQemu()
    {
        var binary = Artifacts.Binary("arm64");
        Artifacts.Require(binary);
        Requirements.RequireTool("qemu-aarch64");
        var root = DebianRoot.CachedRoot("arm64"); // its glibc 2.31 is what qemu loads the binary with

        var help = Command.Run("qemu-aarch64", ["-L", root, binary, "--help"], TimeSpan.FromMinutes(2));
        Assert.True(help.ExitCode == 0, help.ToString());
        Assert.Contains("--socket", help.Stdout);

        var settings = Path.Combine(Path.GetTempPath(), $"osquery-bpf-arm64-{Guid.NewGuid():N}.json");
        File.WriteAllText(settings, """{"probes": []}""");
        try
        {
            var query = Command.Run("qemu-aarch64",
                ["-L", root, binary, "--config", settings, "--json", "--query", "SELECT sqlite_version() AS v, pow(2, 10) AS p, count(*) AS n FROM ebpf_probes"],
                TimeSpan.FromMinutes(2));
            Assert.True(query.ExitCode == 0, query.ToString());
            Assert.Contains("\"p\":\"1024\"", query.Stdout.Replace(" ", "")); // osquery's convention: every value a string
            Assert.Matches(@"""v"":""3\.\d+\.\d+""", query.Stdout.Replace(" ", ""));
        }
        finally
        {
            File.Delete(settings);
        }
    }

    [GeneratedRegex(@"^osquery-bpf (\S+) \(commit ([0-9a-f]{40})(-dirty)?\)$")]
    private static partial Regex VersionLine();
}
