namespace OsqueryBpf.KernelMatrix;

/// <summary>The host files a guest image is made of.</summary>
/// <param name="Extension">The published extension binary (artifacts/osquery-bpf.ext); shared libraries beside it are taken too.</param>
/// <param name="Guest">The published tests/KernelMatrix.Guest binary.</param>
/// <param name="Busybox">A static busybox (Debian's busybox-static: /bin/busybox).</param>
/// <param name="Dnsmasq">dnsmasq, for the DNS checks; null leaves it out (they then fail with the reason).</param>
internal sealed record GuestPrograms(string Extension, string Guest, string Busybox, string? Dnsmasq)
{
    /// <summary>The published binaries of this repository and the host's busybox and dnsmasq.</summary>
    public static GuestPrograms Published(string repositoryRoot) => new(
        Path.Combine(repositoryRoot, "artifacts", "osquery-bpf.ext"),
        Path.Combine(repositoryRoot, "artifacts", "kmatrix-guest", "kmatrix-guest"),
        "/bin/busybox",
        Tool.Find("dnsmasq"));

    /// <summary>Null when every file is there, else what is missing and how to get it.</summary>
    public string? Missing()
    {
        var missing = new List<string>();
        if (!File.Exists(Extension))
            missing.Add($"{Extension} (dotnet publish extension/Host/Host.csproj -c Release -r linux-x64 -o artifacts -p:PublishAot=true)");
        if (!File.Exists(Guest))
            missing.Add($"{Guest} (dotnet publish tests/KernelMatrix.Guest -c Release -r linux-x64 -o artifacts/kmatrix-guest -p:PublishAot=true)");
        if (!File.Exists(Busybox))
            missing.Add($"{Busybox} (apt-get install busybox-static)");
        return missing.Count == 0 ? null : "missing: " + string.Join("; ", missing);
    }
}
