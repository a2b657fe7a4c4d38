namespace OsqueryBpf.Probes.Decoding;

/// <summary>Container ids from cgroup v2 paths, for the <c>container_id</c> column.</summary>
public static class ContainerIds
{
    /// <summary>
    /// The 64-hex-digit container id in the last component of <paramref name="cgroupPath"/> that carries one
    /// (docker: <c>/system.slice/docker-ID.scope</c> or <c>/docker/ID</c>; containerd and cri-o under kubepods:
    /// <c>cri-containerd-ID.scope</c>, <c>crio-ID.scope</c>; podman: <c>libpod-ID.scope</c>), else empty.
    /// </summary>
    public static string FromCgroupPath(string cgroupPath)
    {
        var components = cgroupPath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (int i = components.Length - 1; i >= 0; i--)
        {
            var name = components[i].AsSpan();
            if (name.EndsWith(".scope", StringComparison.Ordinal))
                name = name[..^".scope".Length];
            int dash = name.LastIndexOf('-');
            var candidate = dash >= 0 ? name[(dash + 1)..] : name;
            if (candidate.Length == 64 && IsLowerHex(candidate))
                return candidate.ToString();
        }
        return "";
    }

    private static bool IsLowerHex(ReadOnlySpan<char> text)
    {
        foreach (char c in text)
        {
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f'))
                return false;
        }
        return true;
    }
}
