using OsqueryBpf.TestSupport;
using Xunit;

namespace OsqueryBpf.Probes.Tests.Kernel;

/// <summary>
/// The file probe with this test process ignored (as the extension ignores itself) and an include prefix:
/// the first runs in the kernel, the prefixes in the decoder on canonical paths (FilePathFilter).
/// </summary>
public sealed class FileProbeFilterTests : IDisposable
{
    private readonly DirectoryInfo _inside = Directory.CreateTempSubdirectory("osqbpf-filter-in-");
    private readonly DirectoryInfo _outside = Directory.CreateTempSubdirectory("osqbpf-filter-out-");
    private LoadedProbe? _probe;

    [SkippableFact]
    public void Own_process_and_paths_outside_the_include_prefixes_are_not_recorded()
    {
        Requirements.RequireRoot();
        Requirements.RequireKernelBtf();
        string inside = Shell.RealPath(_inside.FullName);
        string outside = Shell.RealPath(_outside.FullName);
        var settings = new FileSettings
        {
            FileIncludePrefixes = [inside + "/"],
            FileExcludePrefixes = [inside + "/excluded"],
        };
        _probe = new LoadedProbe(FileProbe.Definition, settings, e => e is FileEvent f && f.Path.Contains("osqbpf-filter-"),
            ignoredProcessId: Environment.ProcessId);

        // In order: this process (ignored), a child outside the prefix and in the excluded part (dropped),
        // then a child inside (kept). The ring keeps order, so once the last is seen the others would
        // have been seen before it.
        File.WriteAllText(Path.Combine(inside, "by-this-process"), "x");
        Shell.Check("""touch "$1/outside-file" && touch "$2/excluded-file" && touch "$2/kept-file" """, outside, inside);

        _probe.WaitFor<FileEvent>(e => e.Path == inside + "/kept-file", "the child's file inside the prefix");
        Assert.Empty(_probe.Seen<FileEvent>(e => e.Path.EndsWith("/by-this-process")));
        Assert.Empty(_probe.Seen<FileEvent>(e => e.Path.EndsWith("/outside-file")));
        Assert.Empty(_probe.Seen<FileEvent>(e => e.Path.EndsWith("/excluded-file")));
    }

    public void Dispose()
    {
        _probe?.Dispose();
        _inside.Delete(recursive: true);
        _outside.Delete(recursive: true);
    }
}
