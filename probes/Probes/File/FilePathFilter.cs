using OsqueryBpf.Probes.Decoding;

namespace OsqueryBpf.Probes;

/// <summary>
/// file_include_prefixes and file_exclude_prefixes, applied in user space to canonical paths, before a row is
/// stored. The kernel cannot apply them exactly: it sees the text the process passed (<c>/tmp/../etc/x</c>,
/// <c>//etc//x</c>, <c>/var/lib/osquery-bpf/../../../etc/x</c>), and a filter on that text can be walked around
/// both ways (an include misses the file, an exclude hides it). So the kernel sends every operation and this
/// decides on the canonical form (<see cref="CanonicalPath"/>).
/// </summary>
/// <remarks>
/// Rules, so that a filter can narrow what is recorded but never hide an operation it should not:
/// <list type="bullet">
/// <item>include: kept when the path or the destination (rename, link; a symlink's target made absolute from the
/// link's folder) starts with an include prefix.</item>
/// <item>exclude: dropped when the path starts with an exclude prefix and so does the destination, if there is one
/// (a rename out of an excluded folder into /etc is kept).</item>
/// <item>a path that still goes through a procfs alias the row cannot resolve (<c>/proc/1234/cwd/x</c>) is kept
/// whatever the filters say: where it leads is unknown.</item>
/// </list>
/// Prefixes are compared as given after lexical normalisation (a trailing '/' is kept: <c>/etc/</c> matches
/// <c>/etc/x</c>, not <c>/etc</c> or <c>/etcetera</c>).
/// </remarks>
public sealed class FilePathFilter
{
    private readonly string[] _include;
    private readonly string[] _exclude;

    /// <summary>A filter with file_include_prefixes <paramref name="include"/> and file_exclude_prefixes <paramref name="exclude"/>.</summary>
    public FilePathFilter(IReadOnlyList<string> include, IReadOnlyList<string> exclude)
    {
        _include = include.Select(NormalizePrefix).ToArray();
        _exclude = exclude.Select(NormalizePrefix).ToArray();
    }

    /// <summary>True when neither list has a prefix: everything is kept.</summary>
    public bool KeepsAll => _include.Length == 0 && _exclude.Length == 0;

    /// <summary>
    /// Whether the operation on <paramref name="path"/> (and <paramref name="destination"/>, empty when none; both
    /// canonical) is recorded. <paramref name="unresolved"/>: a path still goes through an unresolved procfs alias.
    /// </summary>
    public bool Keeps(string path, string destination, bool unresolved)
    {
        if (unresolved || KeepsAll)
            return true;
        if (_include.Length > 0 && !Matches(_include, path) && (destination.Length == 0 || !Matches(_include, destination)))
            return false;
        if (_exclude.Length > 0 && Matches(_exclude, path) && (destination.Length == 0 || Matches(_exclude, destination)))
            return false;
        return true;
    }

    private static bool Matches(string[] prefixes, string path)
    {
        foreach (var prefix in prefixes)
        {
            if (path.StartsWith(prefix, StringComparison.Ordinal))
                return true;
        }
        return false;
    }

    /// <summary><c>/var/lib/./osquery-bpf//</c> as <c>/var/lib/osquery-bpf/</c>: canonical, keeping a trailing '/'.</summary>
    internal static string NormalizePrefix(string prefix)
    {
        if (prefix.Length == 0 || prefix[0] != '/')
            return prefix;
        var (canonical, _) = CanonicalPath.Normalize(prefix);
        return prefix[^1] == '/' && canonical != "/" ? canonical + "/" : canonical;
    }
}
