namespace OsqueryBpf.KernelMatrix;

/// <summary>
/// busybox, dnsmasq and the shared libraries for a guest whose architecture is not this machine's, where the
/// host's files (and ldd) cannot serve. They come from Debian 12's packages of that architecture, the same
/// release as the host's own busybox-static and dnsmasq: busybox-static and dnsmasq-base with everything they
/// depend on, downloaded through a private apt state and unpacked (never installed), once per cache. Its glibc
/// (2.36) is newer than the Debian 11 root the published binaries are linked against, so it runs them too.
/// </summary>
internal static class GuestUserland
{
    public static IReadOnlyList<(string Uri, string Suite)> Suites { get; } =
    [
        ("http://deb.debian.org/debian", "bookworm"),
        ("http://deb.debian.org/debian-security", "bookworm-security"),
    ];

    public static IReadOnlyList<string> Packages { get; } = ["busybox-static", "dnsmasq-base"];

    private const string Folder = "userland-bookworm";

    /// <summary>
    /// The unpacked root (bin/busybox, usr/sbin/dnsmasq, lib/&lt;triplet&gt;/...), fetched on first use. Throws
    /// <see cref="ArchiveUnavailableException"/> when Debian's archive does not deliver it.
    /// </summary>
    public static string Root(string cacheRoot, GuestArchitecture arch, Action<string>? log = null)
    {
        var archive = new DebianArchive(cacheRoot, arch, log, Suites, "apt-" + Folder);
        if (archive.Unpacked(Folder) is { } root)
            return root;
        archive.Update();
        return archive.Unpack(Packages, Folder);
    }
}
