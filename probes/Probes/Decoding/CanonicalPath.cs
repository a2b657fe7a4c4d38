namespace OsqueryBpf.Probes.Decoding;

/// <summary>
/// Lexical canonical form of the absolute paths the probes record: no <c>.</c>, <c>..</c> or empty components and
/// no trailing slash (<c>/tmp/../etc//x/</c> becomes <c>/etc/x</c>; <c>..</c> at the root stays at the root, as the
/// kernel does). Aliases of procfs are followed where the event says where they lead: <c>/proc/self/root/</c> (and
/// <c>/proc/thread-self/root/</c>, <c>/proc/&lt;own pid or tid&gt;/root/</c>) is the process's own root, which is
/// where its absolute paths start anyway; <c>/proc/self/cwd/</c> becomes the cwd when the event carries it. Any
/// other <c>/proc/&lt;pid&gt;/{root,cwd,fd}</c> alias is left as written and reported as unresolved.
/// </summary>
/// <remarks>
/// Lexical means symlinks are not followed: only a path the kernel built from its own objects (a dentry walk) is
/// free of them. The text works on decoded paths (<see cref="EscapedText"/>): '/' and '.' are never escaped.
/// </remarks>
public static class CanonicalPath
{
    /// <summary>
    /// The canonical form of <paramref name="path"/>, and whether it still goes through a procfs alias this could not
    /// follow. A path that does not start with '/' (cut by the kernel's limits, or empty) is returned as it is.
    /// </summary>
    /// <param name="path">An absolute path.</param>
    /// <param name="pid">The acting process (tgid): <c>/proc/&lt;pid&gt;/</c> is its own.</param>
    /// <param name="tid">The acting thread.</param>
    /// <param name="cwd">The acting process's cwd when known (canonical), else empty.</param>
    public static (string Path, bool Unresolved) Normalize(string path, long pid = 0, long tid = 0, string cwd = "")
    {
        if (path.Length == 0 || path[0] != '/')
            return (path, false);
        if (IsCanonical(path) && !path.StartsWith("/proc/", StringComparison.Ordinal))
            return (path, false); // the common case: nothing to do, nothing allocated

        var parts = new List<string>();
        var unresolved = false;
        foreach (var part in path.Split('/'))
        {
            if (part.Length == 0 || part == ".")
                continue;
            if (part == "..")
            {
                if (parts.Count > 0)
                    parts.RemoveAt(parts.Count - 1);
                continue;
            }
            parts.Add(part);
            if (AliasAt(parts) is not { } alias)
                continue;
            if (alias == "root" && IsOwn(parts, pid, tid))
                parts.Clear(); // the process's root: its absolute paths start there already
            else if (alias == "cwd" && IsOwn(parts, pid, tid) && cwd.Length > 0 && cwd[0] == '/' && IsCanonical(cwd))
                parts = [.. cwd.Split('/', StringSplitOptions.RemoveEmptyEntries)];
            else
                unresolved = true;
        }
        return ("/" + string.Join('/', parts), unresolved);
    }

    /// <summary>True when <paramref name="path"/> is absolute with no empty, '.' or '..' component and no trailing slash.</summary>
    public static bool IsCanonical(string path)
    {
        if (path.Length == 0 || path[0] != '/')
            return false;
        if (path.Length == 1)
            return true;
        if (path[^1] == '/')
            return false;
        var start = 1;
        while (start <= path.Length)
        {
            var end = path.IndexOf('/', start);
            if (end < 0)
                end = path.Length;
            var length = end - start;
            if (length == 0 || (length == 1 && path[start] == '.') || (length == 2 && path[start] == '.' && path[start + 1] == '.'))
                return false;
            start = end + 1;
        }
        return true;
    }

    /// <summary>
    /// The procfs alias just completed, when <paramref name="parts"/> is <c>proc/&lt;who&gt;/{root,cwd,fd}</c> or
    /// <c>proc/&lt;who&gt;/task/&lt;tid&gt;/{root,cwd,fd}</c>; else null.
    /// </summary>
    private static string? AliasAt(List<string> parts)
    {
        if (parts[0] != "proc" || parts.Count is not (3 or 5))
            return null;
        var last = parts[^1];
        if (last is not ("root" or "cwd" or "fd"))
            return null;
        if (parts.Count == 5 && parts[2] != "task")
            return null;
        return last;
    }

    /// <summary>Whether the alias in <paramref name="parts"/> names the acting process or thread itself.</summary>
    private static bool IsOwn(List<string> parts, long pid, long tid)
    {
        var who = parts[1];
        var own = who is "self" or "thread-self" || (long.TryParse(who, out var n) && n > 0 && (n == pid || n == tid));
        if (!own)
            return false;
        return parts.Count == 3 || (long.TryParse(parts[3], out var t) && t > 0 && (t == tid || t == pid));
    }
}
