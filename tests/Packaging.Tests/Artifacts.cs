using System.Text.RegularExpressions;
using OsqueryBpf.TestSupport;

namespace OsqueryBpf.Packaging.Tests;

/// <summary>What ./build.sh package leaves in artifacts/, and facts read from the ELF files with readelf.</summary>
internal static partial class Artifacts
{
    /// <summary>The newest glibc the files may need: RHEL 8's (Debian 11 and Ubuntu 20.04 have 2.31).</summary>
    public static readonly Version GlibcFloor = new(2, 28);

    public static string Folder => Path.Combine(RepositoryPaths.Root, "artifacts");

    public static string Binary(string arch) =>
        arch == "amd64" ? RepositoryPaths.PublishedExtension : Path.Combine(Folder, "linux-arm64", "osquery-bpf.ext");

    /// <summary>The version in extension/Host/Host.csproj, which --version prints and the packages carry.</summary>
    public static string Version { get; } = VersionElement().Match(
        File.ReadAllText(Path.Combine(RepositoryPaths.Root, "extension", "Host", "Host.csproj"))).Groups[1].Value;

    public static string Deb(string arch) => Path.Combine(Folder, $"osquery-bpf_{Version}_{arch}.deb");

    public static string Rpm(string arch) => Path.Combine(Folder, $"osquery-bpf-{Version}-1.{(arch == "amd64" ? "x86_64" : "aarch64")}.rpm");

    /// <summary>Skips (locally) or fails (under CI) unless ./build.sh package has made <paramref name="path"/>.</summary>
    public static void Require(string path) =>
        Requirements.Require(File.Exists(path), $"{Path.GetRelativePath(RepositoryPaths.Root, path)} (./build.sh package makes it)");

    /// <summary>Every GLIBC_x.y version the file needs from the C library (its .gnu.version_r section).</summary>
    public static IReadOnlyList<Version> GlibcVersions(string elf)
    {
        var result = Command.Run("readelf", ["-V", "-W", elf], TimeSpan.FromMinutes(1));
        if (result.ExitCode != 0)
            throw new InvalidOperationException("readelf failed: " + result);
        return [.. GlibcName().Matches(result.Stdout).Select(m => System.Version.Parse(m.Groups[1].Value)).Distinct().Order()];
    }

    /// <summary>The shared libraries the file names as NEEDED.</summary>
    public static IReadOnlyList<string> Needed(string elf)
    {
        var result = Command.Run("readelf", ["-d", "-W", elf], TimeSpan.FromMinutes(1));
        return [.. NeededLine().Matches(result.Stdout).Select(m => m.Groups[1].Value)];
    }

    /// <summary>The ELF header's machine, as readelf names it.</summary>
    public static string Machine(string elf)
    {
        var result = Command.Run("readelf", ["-h", "-W", elf], TimeSpan.FromMinutes(1));
        return MachineLine().Match(result.Stdout).Groups[1].Value.Trim();
    }

    [GeneratedRegex(@"<Version>([^<]+)</Version>")]
    private static partial Regex VersionElement();

    [GeneratedRegex(@"Name: GLIBC_([0-9]+\.[0-9]+(?:\.[0-9]+)?)")]
    private static partial Regex GlibcName();

    [GeneratedRegex(@"\(NEEDED\)\s+Shared library: \[([^\]]+)\]")]
    private static partial Regex NeededLine();

    [GeneratedRegex(@"Machine:\s+(.+)")]
    private static partial Regex MachineLine();
}
