using OsqueryBpf.TestSupport;
using Xunit;

namespace OsqueryBpf.Probes.Tests.Kernel;

/// <summary>
/// One folder under /etc reached the ways an attacker would write it, with the include prefix /etc/ and the excludes
/// docs/configuration.md recommends: every create is recorded, with a canonical path under /etc/, and no exclude
/// hides one. Real syscalls by child shells against the real probe.
/// </summary>
public sealed class FilePathAttackTests : IDisposable
{
    private readonly string _etc = "/etc/osqbpf-attack-" + Guid.NewGuid().ToString("N")[..12];
    private readonly DirectoryInfo _tmp = Directory.CreateTempSubdirectory("osqbpf-attack-");
    private bool _madeStoreFolder;
    private LoadedProbe? _probe;

    [SkippableFact]
    public void Creates_under_etc_written_crookedly_are_recorded_canonical_and_not_hidden_by_excludes()
    {
        Requirements.RequireRoot();
        Requirements.RequireKernelBtf();
        var tmp = Shell.RealPath(_tmp.FullName);
        Directory.CreateDirectory(_etc);
        if (!Directory.Exists("/var/lib/osquery-bpf"))
        {
            Directory.CreateDirectory("/var/lib/osquery-bpf"); // its ../../../etc must resolve in the kernel
            _madeStoreFolder = true;
        }
        var settings = new FileSettings
        {
            FileIncludePrefixes = ["/etc/", tmp + "/"],
            FileExcludePrefixes = ["/proc/", "/sys/", "/var/lib/osquery-bpf/", tmp + "/excluded/"],
        };
        _probe = new LoadedProbe(FileProbe.Definition, settings,
            e => e is FileEvent f && (f.Path.Contains("osqbpf-attack-") || f.DestPath.Contains("osqbpf-attack-")),
            ignoredProcessId: Environment.ProcessId);

        var name = Path.GetFileName(_etc);
        var crooked = new (string Script, string Expected)[]
        {
            (": > /tmp/../etc/$1/a1", "a1"),
            (": > /./etc/./$1/./a2", "a2"),
            (": > //etc//$1//a3", "a3"),
            ("cd /tmp && : > ../etc/$1/a4", "a4"),
            (": > /var/lib/osquery-bpf/../../../etc/$1/a5", "a5"),
            (": > /proc/self/root/etc/$1/a6", "a6"),
            ("cd /etc/$1 && : > ./././a7", "a7"),
            (": > /../../etc/$1/a8", "a8"),
            ("mkdir /tmp/../etc/$1/d9/", "d9"),
        };
        foreach (var (script, _) in crooked)
            Shell.Check(script, name);
        // The relative mkdir of the issue, and two creates an exclude must still drop, however written.
        Shell.Check("""mkdir -p "$1/a" "$1/b" "$1/excluded" && cd "$1/a" && mkdir ../b/c && : > ../excluded/z1 && : > "$1/./excluded//z2" """, tmp);
        Shell.Check(""": > "$1/last" """, tmp);

        _probe.WaitFor<FileEvent>(e => e.Path == tmp + "/last", "the last create");
        foreach (var (script, expected) in crooked)
        {
            var path = _etc + "/" + expected;
            var row = _probe.WaitFor<FileEvent>(e => e.Path == path && e.Action is "create" or "mkdir", $"'{script}' as {path}");
            Assert.Equal(0, row.PathResolved);
        }
        var mkdir = _probe.WaitFor<FileEvent>(e => e.Path == tmp + "/b/c" && e.Action == "mkdir", "mkdir ../b/c from a");
        Assert.Equal(tmp + "/a", mkdir.Cwd);
        Assert.Empty(_probe.Seen<FileEvent>(e => e.Path.Contains("/excluded/")));
        Assert.All(_probe.Seen<FileEvent>(_ => true), e => Assert.True(
            e.Path.StartsWith("/etc/", StringComparison.Ordinal) || e.Path.StartsWith(tmp + "/", StringComparison.Ordinal),
            "a row outside the include prefixes, or not canonical: " + e.Path));
    }

    public void Dispose()
    {
        _probe?.Dispose();
        _tmp.Delete(recursive: true);
        if (Directory.Exists(_etc))
            Directory.Delete(_etc, recursive: true);
        if (_madeStoreFolder)
            Directory.Delete("/var/lib/osquery-bpf", recursive: true);
    }
}
