namespace OsqueryBpf.KernelMatrix;

/// <summary>Which of the served kernels a run boots.</summary>
internal static class KernelSelection
{
    /// <summary>The series CI boots besides the newest kernel: Debian 11 (5.10), 12 (6.1), 13 (6.12), and 6.16.</summary>
    public static IReadOnlyList<string> CiSeries { get; } = ["5.10", "6.1", "6.12", "6.16"];

    /// <summary>
    /// The kernels a suite serves today: the newest build of each series in each suite. This is what machines
    /// tracking a suite run (bullseye's 5.10.223 and bullseye-security's 5.10.262, every series of
    /// trixie-backports); older builds the security suites still list are left out (see All).
    /// </summary>
    public static IReadOnlyList<DebianKernel> Served(IReadOnlyList<DebianKernel> kernels) =>
        kernels.SelectMany(k => k.Suites.Select(s => (Suite: s, Kernel: k)))
            .GroupBy(x => (x.Suite, x.Kernel.Series))
            .Select(g => g.Select(x => x.Kernel).Max(ByVersion)!)
            .Distinct()
            .OrderBy(k => k.Version).ThenBy(k => k.ImagePackage, StringComparer.Ordinal)
            .ToList();

    /// <summary>The newest build of a series (5.10, 6.1, ...), or of all released kernels for "newest".</summary>
    public static DebianKernel? Pick(IReadOnlyList<DebianKernel> kernels, string seriesOrNewest) =>
        seriesOrNewest == "newest"
            ? kernels.Where(k => !k.IsReleaseCandidate).Max(ByVersion)
            : kernels.Where(k => k.Series == seriesOrNewest).Max(ByVersion);

    /// <summary>CI's matrix: the newest of each <see cref="CiSeries"/> and the newest released kernel.</summary>
    public static IReadOnlyList<DebianKernel> Ci(IReadOnlyList<DebianKernel> kernels) =>
        CiSeries.Append("newest").Select(s => Pick(kernels, s)).OfType<DebianKernel>().Distinct().OrderBy(k => k.Version).ToList();

    /// <summary>
    /// Kernels a pattern names: a version prefix that ends at a dot (6.1 is 6.1.x, not 6.12; 6.12.118 is that
    /// build), a suite (trixie-backports), a package name, "newest", or "ci". Several patterns add up.
    /// </summary>
    public static IReadOnlyList<DebianKernel> Match(IReadOnlyList<DebianKernel> kernels, IReadOnlyList<string> patterns)
    {
        if (patterns.Count == 0)
            return kernels;
        var chosen = new HashSet<DebianKernel>();
        foreach (var pattern in patterns)
        {
            if (pattern == "ci")
                chosen.UnionWith(Ci(kernels));
            else if (pattern == "newest" && Pick(kernels, "newest") is { } newest)
                chosen.Add(newest);
            else
                chosen.UnionWith(kernels.Where(k => Matches(k, pattern)));
        }
        return chosen.OrderBy(k => k.Version).ThenBy(k => k.ImagePackage, StringComparer.Ordinal).ToList();
    }

    private static bool Matches(DebianKernel kernel, string pattern) =>
        VersionPrefix(kernel.KernelVersion, pattern) || VersionPrefix(kernel.Version.Text, pattern)
        || kernel.Suites.Contains(pattern) || kernel.ImagePackage == pattern || kernel.KernelPackage == pattern;

    private static bool VersionPrefix(string version, string prefix) =>
        version.StartsWith(prefix, StringComparison.Ordinal)
        && (version.Length == prefix.Length || !char.IsAsciiDigit(version[prefix.Length]));

    private static readonly Comparer<DebianKernel> ByVersion = Comparer<DebianKernel>.Create((a, b) => a.Version.CompareTo(b.Version));
}
