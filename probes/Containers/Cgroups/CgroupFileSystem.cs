using OsqueryBpf.Containers.Interop;

namespace OsqueryBpf.Containers.Cgroups;

/// <summary>
/// Finds the cgroup v2 hierarchy and walks it, for the cgroups that existed before the cgroup probe was
/// attached. On cgroup2 a cgroup's id is the inode number of its directory.
/// </summary>
/// <remarks>
/// The hierarchy is wherever the host mounted it: /sys/fs/cgroup on a unified host, /sys/fs/cgroup/unified
/// on a hybrid one (cgroup v1 controllers beside it), or elsewhere; the mount table says which. Paths are
/// relative to the hierarchy's root, as the kernel's tracepoints give them.
/// </remarks>
public static class CgroupFileSystem
{
    /// <summary>
    /// The mount point of the cgroup2 hierarchy's root in a /proc/PID/mountinfo text, or null when none is
    /// mounted (a cgroup v1 only host) or only a subtree of it is (a container's view).
    /// </summary>
    public static string? FindCgroup2Mount(string mountInfo)
    {
        foreach (var line in mountInfo.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS"
            var fields = line.Split(' ');
            int dash = Array.IndexOf(fields, "-");
            if (fields.Length < 5 || dash < 0 || dash + 1 >= fields.Length)
                continue;
            if (fields[dash + 1] == "cgroup2" && fields[3] == "/")
                return Unescape(fields[4]);
        }
        return null;
    }

    /// <summary>The cgroup2 mount point from this process's mount table, or null.</summary>
    public static string? FindCgroup2Mount() => FindCgroup2Mount(File.ReadAllText("/proc/self/mountinfo"));

    /// <summary>
    /// Every cgroup under <paramref name="mountPoint"/>, parents before children, at most
    /// <paramref name="maxEntries"/>. Cgroups removed while the walk runs are skipped; <paramref name="truncated"/>
    /// is true when the limit stopped the walk.
    /// </summary>
    public static List<CgroupEntry> Walk(string mountPoint, int maxEntries, out bool truncated)
    {
        var result = new List<CgroupEntry>();
        truncated = false;
        var pending = new Queue<(string Directory, string Path, int Level)>();
        pending.Enqueue((mountPoint, "/", 0));
        while (pending.Count > 0)
        {
            var (directory, path, level) = pending.Dequeue();
            var facts = Posix.Lstat(directory, out _);
            if (facts is not { IsDirectory: true })
                continue; // removed since its parent was listed
            if (result.Count >= maxEntries)
            {
                truncated = true;
                break;
            }
            result.Add(new CgroupEntry(facts.Value.Inode, path, facts.Value.OwnerUid, level));
            IEnumerable<string> children;
            try
            {
                children = Directory.EnumerateDirectories(directory).ToList();
            }
            catch (DirectoryNotFoundException)
            {
                continue;
            }
            foreach (var child in children)
            {
                var name = System.IO.Path.GetFileName(child);
                pending.Enqueue((child, path == "/" ? "/" + name : path + "/" + name, level + 1));
            }
        }
        return result;
    }

    /// <summary>The cgroup id (inode number) of the cgroup at <paramref name="path"/> below <paramref name="mountPoint"/>, or null when it is gone.</summary>
    public static ulong? IdOf(string mountPoint, string path)
    {
        var facts = Posix.Lstat(mountPoint.TrimEnd('/') + (path == "/" ? "" : path), out _);
        return facts is { IsDirectory: true } ? facts.Value.Inode : null;
    }

    // mountinfo escapes space, tab, newline and backslash as \ooo octal.
    private static string Unescape(string field)
    {
        if (!field.Contains('\\'))
            return field;
        var sb = new System.Text.StringBuilder(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length
                && IsOctal(field[i + 1]) && IsOctal(field[i + 2]) && IsOctal(field[i + 3]))
            {
                sb.Append((char)((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0')));
                i += 3;
            }
            else
            {
                sb.Append(field[i]);
            }
        }
        return sb.ToString();
    }

    private static bool IsOctal(char c) => c is >= '0' and <= '7';
}
