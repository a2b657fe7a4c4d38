namespace OsqueryBpf.KernelMatrix;

/// <summary>The host files a guest image is made of.</summary>
/// <param name="Arch">The guest's architecture; every binary must be of it.</param>
/// <param name="Extension">The published extension binary (artifacts/osquery-bpf.ext); shared libraries beside it are taken too.</param>
/// <param name="Guest">The published tests/KernelMatrix.Guest binary.</param>
/// <param name="Busybox">A static busybox (Debian's busybox-static: /bin/busybox).</param>
/// <param name="Dnsmasq">dnsmasq, for the DNS checks; null leaves it out (they then fail with the reason).</param>
/// <param name="LibraryRoot">
/// Where the binaries' shared libraries are looked up: null for this machine's (ldd), else an unpacked Debian
/// root of the guest's architecture (<see cref="GuestUserland"/>), searched by each file's DT_NEEDED entries.
/// </param>
internal sealed record GuestPrograms(GuestArchitecture Arch, string Extension, string Guest, string Busybox, string? Dnsmasq, string? LibraryRoot = null)
{
    /// <summary>The published x86_64 binaries of this repository and the host's busybox and dnsmasq.</summary>
    public static GuestPrograms Published(string repositoryRoot) => new(
        GuestArchitecture.X86_64,
        Path.Combine(repositoryRoot, "artifacts", "osquery-bpf.ext"),
        Path.Combine(repositoryRoot, "artifacts", "kmatrix-guest", "kmatrix-guest"),
        "/bin/busybox",
        Tool.Find("dnsmasq"));

    /// <summary>
    /// The binaries published for <paramref name="arch"/> (<see cref="GuestArchitecture.PublishFolder"/>). On a
    /// machine of that architecture, busybox, dnsmasq and the libraries are this machine's; for another they are
    /// Debian's packages of that architecture (<see cref="GuestUserland"/>, downloaded into the kernel cache on
    /// first use: it throws <see cref="ArchiveUnavailableException"/> when they cannot be fetched).
    /// </summary>
    public static GuestPrograms Published(string repositoryRoot, GuestArchitecture arch, string kernelCache, Action<string>? log = null)
    {
        var folder = Path.Combine(repositoryRoot, arch.PublishFolder);
        var extension = Path.Combine(folder, "osquery-bpf.ext");
        var guest = Path.Combine(folder, "kmatrix-guest", "kmatrix-guest");
        if (arch == GuestArchitecture.Host)
            return new(arch, extension, guest, "/bin/busybox", Tool.Find("dnsmasq"));
        var root = GuestUserland.Root(kernelCache, arch, log);
        return new(arch, extension, guest, Path.Combine(root, "bin", "busybox"), Path.Combine(root, "usr", "sbin", "dnsmasq"), root);
    }

    /// <summary>Null when every file is there, else what is missing and how to get it.</summary>
    public string? Missing()
    {
        var missing = new List<string>();
        // A foreign architecture links against native/'s Debian root, as ./build.sh does.
        var cross = Arch == GuestArchitecture.Host ? "" : $", with -p:SysRoot=<native/debian-root.sh {Arch.DebianArch}> -p:LinkerFlavor=lld; ./build.sh kernels --arch {Arch.DebianArch} does it";
        if (!File.Exists(Extension))
            missing.Add($"{Extension} (dotnet publish extension/Host/Host.csproj -c Release -r {Arch.RuntimeIdentifier} -o {Arch.PublishFolder} -p:PublishAot=true{cross})");
        if (!File.Exists(Guest))
            missing.Add($"{Guest} (dotnet publish tests/KernelMatrix.Guest -c Release -r {Arch.RuntimeIdentifier} -o {Arch.PublishFolder}/kmatrix-guest -p:PublishAot=true{cross})");
        if (!File.Exists(Busybox))
            missing.Add($"{Busybox} ({(LibraryRoot is null ? "apt-get install busybox-static" : "busybox-static was not unpacked into " + LibraryRoot)})");
        return missing.Count == 0 ? null : "missing: " + string.Join("; ", missing);
    }
}
