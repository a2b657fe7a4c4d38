using System.Text;
using OsqueryBpf.Probes;
using OsqueryBpf.TestSupport;
using Xunit;

namespace OsqueryBpf.Tables.Tests;

/// <summary>Tests that change the process umask: they run alone, so no other test creates files meanwhile.</summary>
[CollectionDefinition(nameof(UmaskCollection), DisableParallelization = true)]
public sealed class UmaskCollection;

/// <summary>
/// The store's rows hold other users' command lines (passwords among them): its folder is 0700 and its files 0600
/// whatever the umask, and an unprivileged user can neither read them nor list the folder.
/// </summary>
[Collection(nameof(UmaskCollection))]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class PrivateStoreTests
{
    private const UnixFileMode Mode755 = (UnixFileMode)0x1ED;

    [SkippableTheory]
    [InlineData(0x12)] // umask 022
    [InlineData(0x0)] // umask 000
    public async Task NobodyCannotReadARootProcesssPasswordFromTheStore(int mask)
    {
        Requirements.RequireRoot();
        Requirements.RequireTool("setpriv");
        using var temp = new TempFolder();
        File.SetUnixFileMode(temp.Path, Mode755); // only the store's own modes may stand in nobody's way
        var secret = "s3cret-" + Guid.NewGuid().ToString("N");

        // The attack works on a file that is not private: nobody reads it (so a refusal below is the modes' doing).
        var control = temp.File("control");
        File.WriteAllText(control, secret);
        File.SetUnixFileMode(control, (UnixFileMode)0x1A4); // 0644
        Assert.Equal((0, secret), Unprivileged.Run("cat", control));

        var folder = Path.Combine(temp.Path, "store");
        var database = Path.Combine(folder, "events.db");
        using (Unprivileged.Umask(mask))
        {
            await using var store = EventStore.Open(Stores.OnDisk(database), ProbeCatalog.Tables);
            Stores.AddAll(store, [new ProcessEvent
            {
                Time = Stores.Now, Pid = 4242, Uid = 0, Comm = "mysql", Syscall = "execve", Path = "/usr/bin/mysql", Cwd = "/root",
                Argv = ["mysql", "--user=root", "--password=" + secret],
            }]);
            await store.FlushAsync();

            // The secret is in the files (root finds it), so only the modes keep it from nobody.
            var wal = database + "-wal";
            Assert.True(File.Exists(wal), "the writer keeps a WAL while open");
            Assert.Contains(secret, Encoding.UTF8.GetString(File.ReadAllBytes(database)) + Encoding.UTF8.GetString(File.ReadAllBytes(wal)));

            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
            var files = new[] { database, wal, database + "-shm", database + ".lock" }.Where(File.Exists).ToArray();
            Assert.Contains(database + ".lock", files);
            foreach (var file in files)
                Assert.True(File.GetUnixFileMode(file) == (UnixFileMode.UserRead | UnixFileMode.UserWrite), $"{file} is {File.GetUnixFileMode(file)}");

            foreach (var file in files)
            {
                var (code, output) = Unprivileged.Run("cat", file);
                Assert.True(code != 0, $"nobody read {file}");
                Assert.DoesNotContain(secret, output);
                Assert.Contains("Permission denied", output);
            }
            var listing = Unprivileged.Run("ls", folder);
            Assert.True(listing.ExitCode != 0 && listing.Output.Contains("Permission denied"), "nobody listed the folder: " + listing.Output);
            // Even knowing the names, nobody cannot reach the files through the folder.
            Assert.Contains("Permission denied", Unprivileged.Run("grep", "-rc", secret, folder).Output);
        }
    }

    [SkippableFact]
    public async Task WiderModesLeftFromBeforeAreTightenedWithAWarning()
    {
        Requirements.RequireRoot(); // root owns what it chmods; as another user the files would be that user's anyway
        using var temp = new TempFolder();
        var folder = Path.Combine(temp.Path, "store");
        var database = Path.Combine(folder, "events.db");
        await using (var first = EventStore.Open(Stores.OnDisk(database), ProbeCatalog.Tables))
            Stores.AddAll(first, [Stores.FileEvent(Stores.Now)]);
        File.SetUnixFileMode(folder, Mode755);
        File.SetUnixFileMode(database, (UnixFileMode)0x1B6); // 0666
        File.SetUnixFileMode(database + ".lock", (UnixFileMode)0x1A4); // 0644
        File.WriteAllBytes(database + "-wal", []); // a WAL left by a crash, world-readable
        File.SetUnixFileMode(database + "-wal", (UnixFileMode)0x1A4);

        var warnings = new LogLines();
        await using (var store = EventStore.Open(Stores.OnDisk(database, o => o.LogWarning = warnings.Add), ProbeCatalog.Tables))
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
            foreach (var file in new[] { database, database + ".lock", database + "-wal" })
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }
        Assert.Contains(warnings.Lines, l => l.Contains($"'{folder}' had mode 755") && l.Contains("tightened it to 700"));
        Assert.Contains(warnings.Lines, l => l.Contains($"'{database}' had mode 666") && l.Contains("tightened it to 600"));
        Assert.Contains(warnings.Lines, l => l.Contains($"'{database}.lock' had mode 644"));
        Assert.Contains(warnings.Lines, l => l.Contains($"'{database}-wal' had mode 644"));
    }

    [SkippableFact]
    public async Task ASharedStickyFolderIsLeftAloneWithAWarningWhileTheFilesArePrivate()
    {
        using var temp = new TempFolder();
        File.SetUnixFileMode(temp.Path, (UnixFileMode)0x3FF); // 1777, like /tmp
        var database = temp.File("events.db");
        var warnings = new LogLines();
        await using (var store = EventStore.Open(Stores.OnDisk(database, o => o.LogWarning = warnings.Add), ProbeCatalog.Tables))
        {
            Stores.AddAll(store, [Stores.FileEvent(Stores.Now)]);
            await store.FlushAsync();
            Assert.Equal((UnixFileMode)0x3FF, File.GetUnixFileMode(temp.Path));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(database));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(database + "-wal"));
        }
        Assert.Contains(warnings.Lines, l => l.Contains("is a shared folder (mode 1777, sticky)"));
    }
}
