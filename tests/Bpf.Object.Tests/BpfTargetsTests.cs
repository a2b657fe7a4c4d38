using System.Diagnostics;
using OsqueryBpf.TestSupport;
using Xunit;

namespace OsqueryBpf.Bpf.Object.Tests;

/// <summary>probes/bpf/Bpf.targets run on a throwaway project: compiles, is incremental, and fails clearly without clang.</summary>
public sealed class BpfTargetsTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "bpf-targets-" + Guid.NewGuid().ToString("N"));

    public BpfTargetsTests()
    {
        Directory.CreateDirectory(_directory);
        var targets = Path.Combine(RepositoryPaths.Root, "probes", "bpf", "Bpf.targets");
        // A bare MSBuild project (no SDK): it imports the targets and calls them directly, so the test is quick.
        File.WriteAllText(Path.Combine(_directory, "probe.proj"), $"""
            <Project>
              <PropertyGroup><IntermediateOutputPath>obj/</IntermediateOutputPath></PropertyGroup>
              <Import Project="{targets}" />
              <ItemGroup><BpfProgram Include="tiny.bpf.c" /></ItemGroup>
              <Target Name="Build" DependsOnTargets="BpfEmbed">
                <Message Importance="high" Text="EMBED %(EmbeddedResource.LogicalName)" />
              </Target>
            </Project>
            """);
        File.WriteAllText(Path.Combine(_directory, "tiny.bpf.c"), """
            #include <linux/bpf.h>
            #include <bpf/bpf_helpers.h>
            #if defined(__TARGET_ARCH_arm64)
            SEC("socket") int tiny_arm64(void *ctx) { return 0; }
            #else
            SEC("socket") int tiny(void *ctx) { return 0; }
            #endif
            char LICENSE[] SEC("license") = "GPL";
            """);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [SkippableFact]
    public void CompilesEmbedsAndSkipsUpToDateObjects()
    {
        Requirements.Require(Requirements.FindTool("clang") is not null || Requirements.FindTool("clang-14") is not null, "clang or clang-14 on PATH");
        var (code, output) = MsBuild();
        Assert.True(code == 0, output);
        var obj = Path.Combine(_directory, "obj", "bpf", HostBpfArch, "tiny.bpf.o");
        var spec = CollectionSpec.Parse(File.ReadAllBytes(obj));
        Assert.Equal(ProgramType.SocketFilter, spec.Programs["tiny"].Type);
        Assert.Contains("EMBED tiny.bpf.o", output);
        if (Requirements.FindTool("llvm-strip") is not null || Requirements.FindTool("llvm-strip-14") is not null)
        {
            // Stripped: no DWARF, but the BTF the loader needs is still there.
            var sections = Elf.ElfFile.Parse(File.ReadAllBytes(obj)).Sections.Select(s => s.Name).ToList();
            Assert.DoesNotContain(sections, name => name.StartsWith(".debug", StringComparison.Ordinal));
            Assert.Contains(".BTF", sections);
            Assert.Contains(".BTF.ext", sections);
        }

        var written = File.GetLastWriteTimeUtc(obj);
        var (again, secondOutput) = MsBuild();
        Assert.True(again == 0, secondOutput);
        Assert.Equal(written, File.GetLastWriteTimeUtc(obj));
        Assert.Contains("EMBED tiny.bpf.o", secondOutput); // still embedded when the compile is skipped
    }

    /// <summary>A publish for another architecture (-r linux-arm64) compiles for that one, into its own directory.</summary>
    [SkippableTheory]
    [InlineData("linux-arm64", "arm64", "tiny_arm64")]
    [InlineData("linux-x64", "x86", "tiny")]
    public void RuntimeIdentifierChoosesTheTargetArchitecture(string rid, string arch, string program)
    {
        Requirements.Require(Requirements.FindTool("clang") is not null || Requirements.FindTool("clang-14") is not null, "clang or clang-14 on PATH");
        var (code, output) = MsBuild($"-p:RuntimeIdentifier={rid}");
        Assert.True(code == 0, output);
        var spec = CollectionSpec.Parse(File.ReadAllBytes(Path.Combine(_directory, "obj", "bpf", arch, "tiny.bpf.o")));
        Assert.Equal(new[] { program }, spec.Programs.Keys);
        Assert.Contains("EMBED tiny.bpf.o", output);
    }

    [Fact]
    public void MissingCompilerIsAClearBuildError()
    {
        var (code, output) = MsBuild("-p:CLANG=/nonexistent/clang-for-test");
        Assert.NotEqual(0, code);
        Assert.Contains("'/nonexistent/clang-for-test' named by CLANG was not found", output);
    }

    private static string HostBpfArch => System.Runtime.InteropServices.RuntimeInformation.OSArchitecture
        == System.Runtime.InteropServices.Architecture.Arm64 ? "arm64" : "x86";

    private (int ExitCode, string Output) MsBuild(string extra = "")
    {
        var start = new ProcessStartInfo("dotnet", $"msbuild probe.proj -t:Build -nologo -v:m -nodeReuse:false {extra}")
        {
            WorkingDirectory = _directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment.Remove("CLANG");
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet msbuild did not start.");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(300_000), "dotnet msbuild did not finish within 5 minutes");
        return (process.ExitCode, stdout + stderr.Result);
    }
}
