using OsqueryBpf.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OsqueryBpf.Packaging.Tests;

/// <summary>
/// The .rpm packages: their files and requirements read with rpm -qp, and their scriptlets run by a real rpm
/// transaction (install, upgrade over an older build with the old binary running, erase) in a scratch root. The
/// scratch root is the Debian 11 one with an rpm database of its own, so --nodeps (it has no glibc package) and
/// Debian's --force-debian are needed; the scriptlets run in it with chroot, as on an RPM system.
/// </summary>
public sealed class RpmPackageTests(ITestOutputHelper output)
{
    private const string OurLine = InstalledExtension.PathInRoot;
    private static readonly string[] OtherLines = ["/usr/lib/osquery/extensions/other.ext", "/opt/another/another.ext"];

    [SkippableTheory]
    [InlineData("amd64")]
    [InlineData("arm64")]
    public void FilesAndRequirementsMatchTheBinary(string arch)
    {
        var rpm = Artifacts.Rpm(arch);
        Artifacts.Require(rpm);
        Requirements.RequireTool("rpm");
        string Query(params string[] arguments) => Command.Run("rpm", ["-qp", .. arguments, rpm], TimeSpan.FromMinutes(1)).Stdout;

        Assert.Equal(
            [
                "/usr/lib/osquery/extensions",
                "/usr/lib/osquery/extensions/osquery-bpf.ext",
                "/usr/share/doc/osquery-bpf",
                "/usr/share/doc/osquery-bpf/changelog.gz",
                "/usr/share/doc/osquery-bpf/copyright",
                "/usr/share/doc/osquery-bpf/deployment.md",
                "/usr/share/doc/osquery-bpf/osquery.flags.example",
                "/usr/share/osquery-bpf",
                "/usr/share/osquery-bpf/packs",
                "/usr/share/osquery-bpf/packs/bpf-drop-in.conf",
                "/usr/share/osquery-bpf/packs/ebpf-events.conf",
            ],
            Query("-l").Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("-rwxr-xr-x root root /usr/lib/osquery/extensions/osquery-bpf.ext",
            Query("--qf", "[%{FILEMODES:perms} %{FILEUSERNAME} %{FILEGROUPNAME} %{FILENAMES}\\n]"));
        Assert.Equal($"{Artifacts.Version} {(arch == "amd64" ? "x86_64" : "aarch64")}", Query("--qf", "%{VERSION} %{ARCH}"));

        var requires = Query("-R").Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(r => r.Trim()).ToList();
        var newestGlibc = Artifacts.GlibcVersions(Artifacts.Binary(arch))[^1];
        Assert.Contains($"glibc >= {newestGlibc}", requires);
        Assert.Contains($"libc.so.6(GLIBC_{newestGlibc})(64bit)", requires); // what rpm read from the binary
        Assert.DoesNotContain(requires, r => r.Contains("sqlite", StringComparison.OrdinalIgnoreCase));
    }

    [SkippableFact]
    public async Task ScriptletsInstallUpgradeAndEraseKeepOtherExtensions()
    {
        DebianRoot.Require();
        Requirements.RequireTool("rpm");
        Artifacts.Require(Artifacts.Rpm("amd64"));
        using var older = OlderBuild.Make();
        using var root = DebianRoot.Create();
        Directory.CreateDirectory(root.HostPath("/etc/osquery"));
        File.WriteAllText(root.HostPath("/etc/osquery/extensions.load"), string.Join('\n', OtherLines) + "\n");
        const string flags = "--extensions_autoload=/etc/osquery/extensions.load\n";
        File.WriteAllText(root.HostPath("/etc/osquery/osquery.flags"), flags);
        Rpm(root, "--initdb");

        Rpm(root, "-i", older.Rpm);
        Assert.Equal([.. OtherLines, OurLine], DebPackageTests.LoadLines(root));
        Assert.Equal($"osquery-bpf-{OlderBuild.Version}-1.x86_64", Rpm(root, "-qa").Trim());

        using (var running = await InstalledExtension.StartAsync(root))
        {
            Rpm(root, "-U", Artifacts.Rpm("amd64"));
            Assert.True(await running.WaitForExitAsync(TimeSpan.FromSeconds(30)) == 0,
                "the old extension did not exit 0 after the upgrade. Stderr:\n" + running.Stderr);
        }
        Assert.Equal($"osquery-bpf-{Artifacts.Version}-1.x86_64", Rpm(root, "-qa").Trim());
        Assert.Equal([.. OtherLines, OurLine], DebPackageTests.LoadLines(root)); // the old %preun/%postun kept it

        Directory.CreateDirectory(root.HostPath("/var/lib/osquery-bpf"));
        Rpm(root, "-e", "osquery-bpf");
        Assert.Equal(OtherLines, DebPackageTests.LoadLines(root));
        Assert.False(File.Exists(root.HostPath(OurLine)));
        Assert.False(Directory.Exists(root.HostPath("/var/lib/osquery-bpf")));
        Assert.Equal(flags, File.ReadAllText(root.HostPath("/etc/osquery/osquery.flags")));
    }

    private string Rpm(DebianRoot root, params string[] arguments)
    {
        string[] all = arguments[0] is "-i" or "-U" or "-e"
            ? ["--root", root.Path, "--nodeps", "--force-debian", .. arguments]
            : ["--root", root.Path, .. arguments];
        var result = root.HostCommand("rpm", all, TimeSpan.FromMinutes(3));
        output.WriteLine($"rpm {string.Join(' ', arguments)}: {result}");
        Assert.True(result.ExitCode == 0, $"rpm {string.Join(' ', arguments)} failed: {result}");
        return result.Stdout;
    }
}
