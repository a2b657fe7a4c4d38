namespace OsqueryBpf.KernelMatrix;

/// <summary>
/// One kernel build that Debian's archive serves: the linux-image package of an ABI, its version, the suites
/// that list it, and the package that holds vmlinuz (from 6.19 linux-image is a small meta package and the
/// kernel is in linux-binary-&lt;abi&gt;-&lt;flavour&gt;).
/// </summary>
internal sealed record DebianKernel(string ImagePackage, string Abi, DebianVersion Version, IReadOnlyList<string> Suites, string KernelPackage)
{
    /// <summary>The upstream kernel version, as uname shows it (7.3~rc7 becomes 7.3-rc7).</summary>
    public string KernelVersion => Version.Upstream.Replace('~', '-');

    /// <summary>The release uname -r shows in the guest (6.1.0-57-cloud-amd64), also the name of its modules folder.</summary>
    public string Release => ImagePackage["linux-image-".Length..];

    /// <summary>Major.minor, the series LTS kernels are named by (5.10, 6.1, 6.12).</summary>
    public string Series => SeriesOf(Version.Upstream);

    /// <summary>A release candidate (Debian's experimental serves them).</summary>
    public bool IsReleaseCandidate => Version.Upstream.Contains('~');

    /// <summary>A name fit for file names and table rows: 6.1.192-3.</summary>
    public string Label => Version.Text.Replace('~', '-').Replace('+', '-').Replace(':', '-');

    public static string SeriesOf(string upstream)
    {
        var parts = upstream.Split('.', '~', '-', '+');
        return parts.Length >= 2 ? parts[0] + "." + parts[1] : parts[0];
    }

    public override string ToString() => $"{KernelVersion} ({ImagePackage} {Version}, {string.Join(", ", Suites)})";
}
