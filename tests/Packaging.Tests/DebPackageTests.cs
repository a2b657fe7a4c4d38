using OsqueryBpf.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OsqueryBpf.Packaging.Tests;

/// <summary>
/// The .deb packages: their metadata, lintian, and install, reinstall, upgrade, remove and purge with dpkg inside
/// a Debian 11 root whose extensions.load lists other extensions, which must survive every step, and whose
/// osquery.flags must never change.
/// </summary>
public sealed class DebPackageTests(ITestOutputHelper output)
{
    private const string OurLine = InstalledExtension.PathInRoot;
    private static readonly string[] OtherLines = ["/usr/lib/osquery/extensions/other.ext", "# the admin's comment", "/opt/another/another.ext"];
    private static readonly TimeSpan ExitWithin = TimeSpan.FromSeconds(30);

    [SkippableTheory]
    [InlineData("amd64")]
    [InlineData("arm64")]
    public void ControlFieldsMatchTheBinary(string arch)
    {
        var deb = Artifacts.Deb(arch);
        Artifacts.Require(deb);
        string Field(string name) => Command.Run("dpkg-deb", ["-f", deb, name], TimeSpan.FromMinutes(1)).Stdout.Trim();
        Assert.Equal("osquery-bpf", Field("Package"));
        Assert.Equal(Artifacts.Version, Field("Version"));
        Assert.Equal(arch, Field("Architecture"));
        var newestGlibc = Artifacts.GlibcVersions(Artifacts.Binary(arch))[^1];
        Assert.Equal($"libc6 (>= {newestGlibc})", Field("Depends"));

        var contents = Command.Run("dpkg-deb", ["-c", deb], TimeSpan.FromMinutes(1)).Stdout;
        Assert.Matches(@"-rwxr-xr-x root/root +\d+ \S+ \S+ \./usr/lib/osquery/extensions/osquery-bpf\.ext\n", contents);
        Assert.Contains("./usr/share/osquery-bpf/packs/ebpf-events.conf", contents);
        Assert.Contains("./usr/share/osquery-bpf/packs/bpf-drop-in.conf", contents);
        Assert.Contains("./usr/share/doc/osquery-bpf/osquery.flags.example", contents);
        Assert.DoesNotContain("./etc/", contents); // nothing of the admin's: no osquery.flags, no extensions.load
    }

    [SkippableFact]
    public void LintianFindsNoErrors()
    {
        Requirements.RequireTool("lintian");
        foreach (var arch in new[] { "amd64", "arm64" })
        {
            var deb = Artifacts.Deb(arch);
            Artifacts.Require(deb);
            var result = Command.Run("lintian", ["--fail-on", "error", "--tag-display-limit", "0", deb], TimeSpan.FromMinutes(5));
            output.WriteLine($"lintian {Path.GetFileName(deb)}: exit {result.ExitCode}\n{result.Stdout}");
            Assert.True(result.ExitCode == 0, $"lintian reported errors for {deb}:\n{result}");
            Assert.DoesNotContain("\nE: ", "\n" + result.Stdout);
        }
    }

    [SkippableFact]
    public async Task InstallUpgradeRemoveAndPurgeInDebian11KeepOtherExtensions()
    {
        DebianRoot.Require();
        Artifacts.Require(Artifacts.Deb("amd64"));
        using var older = OlderBuild.Make();
        using var root = DebianRoot.Create();
        Directory.CreateDirectory(root.HostPath("/etc/osquery"));
        // The admin's last line has no newline at its end; ours must not run into it.
        File.WriteAllText(root.HostPath("/etc/osquery/extensions.load"), string.Join('\n', OtherLines));
        var flags = "--extensions_autoload=/etc/osquery/extensions.load\n--verbose\n";
        File.WriteAllText(root.HostPath("/etc/osquery/osquery.flags"), flags);
        Directory.CreateDirectory(root.HostPath("/packages"));
        File.Copy(older.Deb, root.HostPath("/packages/older.deb"));
        File.Copy(Artifacts.Deb("amd64"), root.HostPath("/packages/current.deb"));

        // Install the older build, then install it again: our line once, the others as they were.
        Dpkg(root, "-i", "/packages/older.deb");
        Assert.Equal([.. OtherLines, OurLine], LoadLines(root));
        Assert.Equal(OlderBuild.Version, InstalledVersion(root));
        var binary = new FileInfo(root.HostPath(OurLine));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead |
            UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute, binary.UnixFileMode);
        Assert.Equal("0 0", root.Shell("stat -c '%u %g' " + OurLine).Stdout.Trim());
        Dpkg(root, "-i", "/packages/older.deb");
        Assert.Equal([.. OtherLines, OurLine], LoadLines(root));

        // Upgrade while the older binary runs: the running copy is told to exit (osqueryd's watcher would start the
        // new one), and it deregisters and exits 0.
        using (var running = await InstalledExtension.StartAsync(root))
        {
            Dpkg(root, "-i", "/packages/current.deb");
            Assert.True(await running.WaitForExitAsync(ExitWithin) == 0, "the old extension did not exit 0 after the upgrade. Stderr:\n" + running.Stderr);
            Assert.Equal([running.Uuid], running.Manager.Deregistrations);
        }
        Assert.Equal(Artifacts.Version, InstalledVersion(root));
        Assert.Equal([.. OtherLines, OurLine], LoadLines(root));
        var version = root.Shell(OurLine + " --version");
        Assert.StartsWith($"osquery-bpf {Artifacts.Version} (commit ", version.Stdout);

        // Remove while it runs: it is stopped, our line goes, the admin's stay.
        using (var running = await InstalledExtension.StartAsync(root))
        {
            Dpkg(root, "-r", "osquery-bpf");
            Assert.True(await running.WaitForExitAsync(ExitWithin) == 0, "the extension did not exit 0 on removal. Stderr:\n" + running.Stderr);
        }
        Assert.Equal(OtherLines, LoadLines(root));
        Assert.False(File.Exists(root.HostPath(OurLine)));

        // Install again, let the extension leave its database, then purge: line and database gone.
        Dpkg(root, "-i", "/packages/current.deb");
        Assert.Equal([.. OtherLines, OurLine], LoadLines(root));
        Directory.CreateDirectory(root.HostPath("/var/lib/osquery-bpf"));
        File.WriteAllText(root.HostPath("/var/lib/osquery-bpf/events.db"), "");
        Dpkg(root, "-P", "osquery-bpf");
        Assert.Equal(OtherLines, LoadLines(root));
        Assert.False(Directory.Exists(root.HostPath("/var/lib/osquery-bpf")));
        Assert.Equal("", InstalledVersion(root));

        // On a host with no extensions.load yet, the package makes one with our line; purge leaves it empty.
        File.Delete(root.HostPath("/etc/osquery/extensions.load"));
        Dpkg(root, "-i", "/packages/current.deb");
        Assert.Equal(OurLine + "\n", File.ReadAllText(root.HostPath("/etc/osquery/extensions.load")));
        Dpkg(root, "-P", "osquery-bpf");
        Assert.Equal("", File.ReadAllText(root.HostPath("/etc/osquery/extensions.load")));

        Assert.Equal(flags, File.ReadAllText(root.HostPath("/etc/osquery/osquery.flags")));
    }

    private void Dpkg(DebianRoot root, params string[] arguments)
    {
        var result = root.Shell("dpkg " + string.Join(' ', arguments), TimeSpan.FromMinutes(3));
        output.WriteLine($"dpkg {string.Join(' ', arguments)}: {result}");
        Assert.True(result.ExitCode == 0, $"dpkg {string.Join(' ', arguments)} failed: {result}");
    }

    private static string InstalledVersion(DebianRoot root) =>
        root.Shell("dpkg-query -W -f '${Status} ${Version}' osquery-bpf 2>/dev/null | sed -n 's/^install ok installed //p'").Stdout.Trim();

    internal static string[] LoadLines(DebianRoot root) =>
        File.ReadAllText(root.HostPath("/etc/osquery/extensions.load")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
}
