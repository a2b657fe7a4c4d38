using OsqueryBpf.Osquery.Transport;
using OsqueryBpf.TestSupport;
using Xunit;

namespace OsqueryBpf.Osquery.Tests;

/// <summary>Tests that change the process umask: they run alone, so no other test creates files meanwhile.</summary>
[CollectionDefinition(nameof(UmaskCollection), DisableParallelization = true)]
public sealed class UmaskCollection;

/// <summary>
/// A query through the extension's socket reads every stored event, so only root may connect: the socket file is
/// 0600 from the moment it exists, whatever the umask, and nobody's connect is refused.
/// </summary>
[Collection(nameof(UmaskCollection))]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SocketModeTests
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    [SkippableTheory]
    [InlineData(0x12)] // umask 022
    [InlineData(0x0)] // umask 000
    public async Task NobodyCannotConnectToTheExtensionsSocket(int mask)
    {
        Requirements.RequireRoot();
        Requirements.RequireTool("setpriv");
        Requirements.RequireTool("perl");
        var folder = Directory.CreateTempSubdirectory("socket-mode-");
        try
        {
            File.SetUnixFileMode(folder.FullName, (UnixFileMode)0x1ED); // 0755: only the socket's own mode may stop nobody
            var path = Path.Combine(folder.FullName, "ext.sock");
            using (Unprivileged.Umask(mask))
            {
                using var listener = new UnixSocketListener(path);
                listener.Listen();
                Assert.Equal(OwnerOnly, File.GetUnixFileMode(path));

                var attempt = Unprivileged.Connect(path);
                Assert.True(attempt.ExitCode == 13, "nobody's connect was not refused: " + attempt.Output);

                // Root still connects and is accepted.
                using var accepted = listener.AcceptAsync(CancellationToken.None).AsTask();
                using (var client = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified))
                {
                    await client.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
                    (await accepted).Dispose();
                }

                // The attack itself works where the mode allows it: a wider mode lets nobody in.
                File.SetUnixFileMode(path, (UnixFileMode)0x1B6); // 0666
                var allowed = Unprivileged.Connect(path);
                Assert.True(allowed.ExitCode == 0, "the control connect failed: " + allowed.Output);
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [SkippableFact]
    public async Task TheRegisteredServersSocketIsOwnerOnlyUnderUmask000()
    {
        Requirements.RequireRoot();
        using (Unprivileged.Umask(0))
        {
            await using var harness = await ServerHarness.StartRegisteredAsync();
            var path = harness.Manager.ExtensionSocketPath(harness.Server.Uuid);
            Assert.Equal(OwnerOnly, File.GetUnixFileMode(path));
        }
    }
}
