using OsqueryBpf.Containers.Cgroups;

namespace OsqueryBpf.Containers.Tests.Runtimes;

/// <summary>The host's cgroup2 hierarchy, for tests: where it is mounted, and removal of test-made subtrees.</summary>
internal static class CgroupTree
{
    private static readonly Lazy<string?> Mount = new(CgroupFileSystem.FindCgroup2Mount);

    /// <summary>The cgroup2 mount point in the test's own (host) mount namespace, or null.</summary>
    public static string? MountPoint => Mount.Value;

    /// <summary>The directory of cgroup <paramref name="path"/> ("/docker/ID").</summary>
    public static string Directory(string path) => MountPoint!.TrimEnd('/') + path;

    /// <summary>
    /// Removes the empty cgroups under (and including) <paramref name="path"/>, deepest first. Runtimes remove a
    /// container's cgroup but leave the parents they made (/docker, /libpod_parent, /kubepods/...); a cgroup that
    /// still has processes or children someone else made stays.
    /// </summary>
    public static void RemoveEmpty(string path)
    {
        var root = Directory(path);
        if (!System.IO.Directory.Exists(root))
            return;
        var all = System.IO.Directory.GetDirectories(root, "*", SearchOption.AllDirectories)
            .OrderByDescending(d => d.Count(c => c == '/')).Append(root);
        foreach (var dir in all)
        {
            try
            {
                System.IO.Directory.Delete(dir);
            }
            catch (IOException)
            {
                // not empty (busy or someone else's): leave it
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}
