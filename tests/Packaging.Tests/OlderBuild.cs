using OsqueryBpf.TestSupport;

namespace OsqueryBpf.Packaging.Tests;

/// <summary>
/// Packages of an older version (0.0.1) made by the same packaging script from the same binary, to upgrade from.
/// The binary's bytes do not matter for the upgrade: dpkg and rpm replace the file whatever it holds, and the
/// running copy then shows as deleted, which is what the scripts look for.
/// </summary>
internal sealed class OlderBuild : IDisposable
{
    public const string Version = "0.0.1";

    private OlderBuild(string folder) => Folder = folder;

    public string Folder { get; }

    public string Deb => Path.Combine(Folder, $"osquery-bpf_{Version}_amd64.deb");

    public string Rpm => Path.Combine(Folder, $"osquery-bpf-{Version}-1.x86_64.rpm");

    public static OlderBuild Make()
    {
        var folder = Directory.CreateTempSubdirectory("osquery-bpf-older-").FullName;
        var result = Command.Run(Path.Combine(RepositoryPaths.Root, "packaging", "build-packages.sh"),
            ["--version", Version, "--commit", "0000000000000000000000000000000000000000", "--arch", "amd64",
             "--binary", Artifacts.Binary("amd64"), "--out", folder], TimeSpan.FromMinutes(5));
        if (result.ExitCode != 0)
            throw new InvalidOperationException("packaging/build-packages.sh failed: " + result);
        return new OlderBuild(folder);
    }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
