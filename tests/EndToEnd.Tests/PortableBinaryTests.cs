using System.Diagnostics;
using System.Runtime.Versioning;
using OsqueryBpf.OsquerydDouble;
using OsqueryBpf.TestSupport;
using Xunit;

namespace OsqueryBpf.EndToEnd.Tests;

/// <summary>
/// The published file on its own, as Fleet or a package delivers it: copied alone into an empty folder, and
/// inside a Debian 11 root (glibc 2.31, chroot with /proc, /sys and /dev). Each time it must register with the
/// osqueryd double and run all four probes: SQLite is inside the file and nothing newer than glibc 2.28 is needed.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class PortableBinaryTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    [SkippableFact]
    public async Task AloneInAnEmptyFolderRegistersAndRunsEveryProbe()
    {
        Requirements.RequireRoot();
        Requirements.RequireKernelBtf();
        ExtensionProcess.RequirePublishedBinary();
        var folder = Directory.CreateTempSubdirectory("osquery-bpf-alone-").FullName;
        try
        {
            var binary = Path.Combine(folder, "osquery-bpf.ext");
            File.Copy(RepositoryPaths.PublishedExtension, binary);
            File.SetUnixFileMode(binary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            Assert.Equal(["osquery-bpf.ext"], Directory.GetFiles(folder).Select(Path.GetFileName));

            using var manager = new ExtensionManagerDouble();
            manager.Start();
            var info = new ProcessStartInfo(binary) { WorkingDirectory = folder };
            foreach (var argument in new[] { "--socket", manager.SocketPath, "--timeout", "10", "--interval", "3", "--database", ":memory:" })
                info.ArgumentList.Add(argument);
            info.Environment.Remove("OSQUERY_BPF_CONFIG");
            using var process = ExtensionProcess.Launch(info);
            await AssertAllProbesRunAsync(manager, process);
            Assert.Equal(["osquery-bpf.ext"], Directory.GetFiles(folder).Select(Path.GetFileName));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [SkippableFact]
    public async Task InsideADebian11RootRegistersAndRunsEveryProbe()
    {
        DebianRoot.Require();
        Requirements.RequireKernelBtf();
        ExtensionProcess.RequirePublishedBinary();
        using var root = DebianRoot.Create();
        // The root is Debian 11's: glibc 2.31, older than the host's.
        Assert.True(File.Exists(root.HostPath("/usr/lib/x86_64-linux-gnu/libc-2.31.so")), "the root does not have glibc 2.31");
        File.Copy(RepositoryPaths.PublishedExtension, root.HostPath("/opt/osquery-bpf.ext"));
        File.SetUnixFileMode(root.HostPath("/opt/osquery-bpf.ext"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.CreateDirectory(root.HostPath("/run/osqd"));

        // The double listens on the host at a path that is /run/osqd/osquery.em inside the root.
        using var manager = new ExtensionManagerDouble(root.HostPath("/run/osqd/osquery.em"));
        manager.Start();
        var info = root.StartInfo("/opt/osquery-bpf.ext",
            ["--socket", "/run/osqd/osquery.em", "--timeout", "10", "--interval", "3", "--database", ":memory:"]);
        info.Environment.Remove("OSQUERY_BPF_CONFIG");
        using var process = ExtensionProcess.Launch(info);
        await AssertAllProbesRunAsync(manager, process);
    }

    /// <summary>Waits for the registration, then for ebpf_probes to list four probes, all running.</summary>
    internal static async Task AssertAllProbesRunAsync(ExtensionManagerDouble manager, ExtensionProcess process)
    {
        RegistrationRecord registration;
        try
        {
            registration = await manager.WaitForRegistrationAsync(1, Long);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"The extension did not register (exited: {process.HasExited}). Stderr:\n{process.Stderr}");
            throw;
        }
        Assert.Equal("osquery-bpf", registration.Name);
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (true)
        {
            var probes = File.Exists(manager.ExtensionSocketPath(registration.Reply.Uuid))
                ? manager.CallerFor(registration.Reply.Uuid).Generate("ebpf_probes", "{}").Rows
                : [];
            if (probes.Count == OsqueryBpf.Probes.ProbeCatalog.All.Count && probes.All(p => p["status"] != "loading"))
            {
                Assert.True(probes.All(p => p["status"] == "running"),
                    "Probes did not start: " + string.Join(" | ", probes.Select(p => $"{p["name"]}: {p["status"]} {p["error"]}")) +
                    "\nStderr:\n" + process.Stderr);
                Assert.Equal(["cgroup", "dns", "file", "process", "socket"], probes.Select(p => p["name"]).Order());
                return;
            }
            Assert.False(process.HasExited, "The extension exited. Stderr:\n" + process.Stderr);
            Assert.True(DateTime.UtcNow < deadline, "The probes did not settle within 3 minutes. Stderr:\n" + process.Stderr);
            await Task.Delay(200);
        }
    }
}
