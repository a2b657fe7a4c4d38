namespace OsqueryBpf.Containers.Classification;

/// <summary>
/// Decides from a cgroup v2 path and the cgroup's owner whether it is a container's, and whose. Pure.
/// </summary>
/// <remarks>
/// Two rules keep a user from passing their own processes off as a root runtime's container:
/// <list type="number">
/// <item>A cgroup counts only where the runtime's own layout puts it, not wherever its name looks right:
/// docker's <c>docker-ID.scope</c> directly under a slice or <c>/docker/ID</c>; podman's <c>libpod-ID.scope</c>
/// under a slice or <c>libpod-ID</c> under <c>/libpod_parent</c>; CRI-O's <c>crio-ID.scope</c>; Kubernetes' pod
/// level (<c>kubepods[-QOS]-podUID.slice</c>, <c>podUID</c>) and the container level right below it
/// (<c>cri-containerd-ID.scope</c>, <c>crio-ID.scope</c>, <c>docker-ID.scope</c>, <c>crio-ID</c>, <c>ID</c>);
/// containerd's cgroupfs <c>/NAMESPACE/ID</c>, which is ambiguous and so needs its state to confirm it.</item>
/// <item>Only root's cgroups can be a root runtime's. A cgroup owned by a user (a user can only make cgroups
/// in a subtree delegated to them, and they are theirs) or inside systemd's per-user delegated subtree
/// (<c>/user.slice/user-UID.slice/user@UID.service/...</c>) is at most a rootless container of that user, marked
/// with the uid; its <see cref="CgroupClassification.QualifiedId"/> is "UID/ID", never a root container's id.</item>
/// </list>
/// The owner must be the kernel's fact (the cgroup probe's owner_uid, or the directory's owner from the walk),
/// not anything a process says.
/// </remarks>
public static class CgroupClassifier
{
    private const string KubepodsSlice = "kubepods.slice";
    private const string KubepodsCgroupfs = "kubepods";

    // The fixed cgroupfs parents of the other layouts: never a containerd namespace.
    private static readonly HashSet<string> OtherRuntimeParents = new(StringComparer.Ordinal) { "docker", "libpod_parent", "kubepods", "init.scope" };

    /// <summary>Classifies the cgroup at <paramref name="path"/> (relative to the cgroup2 root) owned by <paramref name="ownerUid"/>.</summary>
    public static CgroupClassification Classify(string path, uint ownerUid)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        uint? delegatedTo = ownerUid != 0 ? ownerUid : SystemdUserSubtreeUid(parts);
        if (delegatedTo is uint uid)
            return ClassifyRootless(parts, uid);
        return ClassifyRoot(parts);
    }

    /// <summary>N when the path is inside (or is) /user.slice/user-N.slice/user@N.service, which systemd delegates to user N.</summary>
    internal static uint? SystemdUserSubtreeUid(string[] parts)
    {
        if (parts.Length < 3 || parts[0] != "user.slice")
            return null;
        if (!TryStripAffixes(parts[1], "user-", ".slice", out var sliceUid) || !uint.TryParse(sliceUid, out uint uid))
            return null;
        return parts[2] == $"user@{uid}.service" ? uid : null;
    }

    private static CgroupClassification ClassifyRootless(string[] parts, uint uid)
    {
        if (parts.Length == 0)
            return CgroupClassification.Host;
        var (name, _) = ContainerLevel(parts);
        if (ScopeId(name, "libpod-", out var id) || (TryStripPrefix(name, "libpod-", out id) && IsHex64(id)))
            return new(CgroupRole.Container, ContainerRuntime.Podman, id, RootlessOwnerUid: uid);
        if (ScopeId(name, "docker-", out id))
            return new(CgroupRole.Container, ContainerRuntime.Docker, id, RootlessOwnerUid: uid);
        if (ScopeId(name, "nerdctl-", out id))
            return new(CgroupRole.Container, ContainerRuntime.Containerd, id, RootlessOwnerUid: uid);
        return CgroupClassification.Host;
    }

    private static CgroupClassification ClassifyRoot(string[] parts)
    {
        if (parts.Length == 0)
            return CgroupClassification.Host;
        if (parts[0] == KubepodsSlice)
            return ClassifyKubepodsSystemd(parts);
        if (parts[0] == KubepodsCgroupfs)
            return ClassifyKubepodsCgroupfs(parts);

        var (name, parent) = ContainerLevel(parts);
        bool underSlice = parent is not null && parent.EndsWith(".slice", StringComparison.Ordinal);
        string id;
        // systemd cgroup driver: a transient scope directly in a slice.
        if (underSlice && ScopeId(name, "docker-", out id))
            return new(CgroupRole.Container, ContainerRuntime.Docker, id);
        if (underSlice && ScopeId(name, "libpod-", out id))
            return new(CgroupRole.Container, ContainerRuntime.Podman, id);
        if (underSlice && ScopeId(name, "crio-", out id))
            return new(CgroupRole.Container, ContainerRuntime.CriO, id);
        if (underSlice && ScopeId(name, "nerdctl-", out id))
            return new(CgroupRole.Container, ContainerRuntime.Containerd, id);
        // cgroupfs drivers: the runtime's fixed parent directory.
        if (parts.Length == 2 && parts[0] == "docker" && IsHex64(parts[1]))
            return new(CgroupRole.Container, ContainerRuntime.Docker, parts[1]);
        if (parts.Length >= 2 && parts[0] == "libpod_parent" && TryStripPrefix(name, "libpod-", out id) && IsHex64(id))
            return new(CgroupRole.Container, ContainerRuntime.Podman, id);
        // containerd (ctr) with cgroupfs: /NAMESPACE/ID. Any root-made two-level cgroup looks like this, so the
        // runtime's state must confirm it.
        if (parts.Length == 2 && IsContainerdName(parts[0]) && IsContainerdName(parts[1]) && !IsSystemdUnit(parts[0])
            && !OtherRuntimeParents.Contains(parts[0]))
            return new(CgroupRole.Container, ContainerRuntime.Containerd, parts[1], ContainerdNamespace: parts[0], NeedsStateConfirmation: true);
        return CgroupClassification.Host;
    }

    // /kubepods.slice[/kubepods-QOS.slice]/kubepods[-QOS]-podUID_WITH_UNDERSCORES.slice[/RUNTIME-ID.scope]
    private static CgroupClassification ClassifyKubepodsSystemd(string[] parts)
    {
        int podIndex = parts.Length >= 3 && parts[1] is "kubepods-besteffort.slice" or "kubepods-burstable.slice" ? 2 : 1;
        if (parts.Length <= podIndex || parts.Length > podIndex + 2)
            return CgroupClassification.Host;
        string qosPrefix = podIndex == 2 ? parts[1][..^".slice".Length] + "-pod" : "kubepods-pod";
        if (!TryStripAffixes(parts[podIndex], qosPrefix, ".slice", out var podUid) || !IsPodUid(podUid.Replace('_', '-')))
            return CgroupClassification.Host;
        podUid = podUid.Replace('_', '-');
        if (parts.Length == podIndex + 1)
            return new(CgroupRole.Pod, ContainerRuntime.Kubernetes, "", PodUid: podUid);
        var name = parts[podIndex + 1];
        if (ScopeId(name, "cri-containerd-", out var id))
            return new(CgroupRole.Container, ContainerRuntime.Containerd, id, PodUid: podUid);
        if (ScopeId(name, "crio-", out id))
            return new(CgroupRole.Container, ContainerRuntime.CriO, id, PodUid: podUid);
        if (ScopeId(name, "docker-", out id))
            return new(CgroupRole.Container, ContainerRuntime.Docker, id, PodUid: podUid);
        return CgroupClassification.Host;
    }

    // /kubepods[/besteffort|/burstable]/podUID[/ID | /crio-ID]
    private static CgroupClassification ClassifyKubepodsCgroupfs(string[] parts)
    {
        int podIndex = parts.Length >= 3 && parts[1] is "besteffort" or "burstable" ? 2 : 1;
        if (parts.Length <= podIndex || parts.Length > podIndex + 2)
            return CgroupClassification.Host;
        if (!TryStripPrefix(parts[podIndex], "pod", out var podUid) || !IsPodUid(podUid))
            return CgroupClassification.Host;
        if (parts.Length == podIndex + 1)
            return new(CgroupRole.Pod, ContainerRuntime.Kubernetes, "", PodUid: podUid);
        var name = parts[podIndex + 1];
        if (TryStripPrefix(name, "crio-", out var id) && IsHex64(id))
            return new(CgroupRole.Container, ContainerRuntime.CriO, id, PodUid: podUid);
        if (IsHex64(name))
            return new(CgroupRole.Container, ContainerRuntime.Kubernetes, name, PodUid: podUid);
        return CgroupClassification.Host;
    }

    /// <summary>
    /// The component that names the container, and its parent: the last one, except podman's split layout
    /// (<c>libpod-ID.scope/container</c>), where the process runs in a child of the container's scope.
    /// </summary>
    private static (string Name, string? Parent) ContainerLevel(string[] parts)
    {
        int last = parts.Length - 1;
        if (parts[last] == "container" && last >= 1 && ScopeId(parts[last - 1], "libpod-", out _))
            last--;
        return (parts[last], last >= 1 ? parts[last - 1] : null);
    }

    // PREFIX + 64 hex + ".scope"; "libpod-conmon-ID.scope" (podman's monitor, a host process) does not match.
    private static bool ScopeId(string name, string prefix, out string id) =>
        TryStripAffixes(name, prefix, ".scope", out id) && IsHex64(id);

    private static bool TryStripPrefix(string name, string prefix, out string rest)
    {
        rest = name.StartsWith(prefix, StringComparison.Ordinal) ? name[prefix.Length..] : "";
        return rest.Length > 0;
    }

    private static bool TryStripAffixes(string name, string prefix, string suffix, out string middle)
    {
        middle = "";
        if (name.Length <= prefix.Length + suffix.Length || !name.StartsWith(prefix, StringComparison.Ordinal) || !name.EndsWith(suffix, StringComparison.Ordinal))
            return false;
        middle = name[prefix.Length..^suffix.Length];
        return true;
    }

    /// <summary>True for the 64 lowercase hex digits docker, podman, CRI-O and Kubernetes use as container ids.</summary>
    internal static bool IsHex64(string text) => text.Length == 64 && text.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    // Pod uids are UUIDs (36 characters) or, for static pods, 32 hex digits.
    private static bool IsPodUid(string text) =>
        text.Length is >= 32 and <= 36 && text.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f' or '-');

    /// <summary>containerd's rule for namespaces and container ids: letters, digits and inner '.', '_', '-', at most 76 characters.</summary>
    internal static bool IsContainerdName(string text)
    {
        if (text.Length is 0 or > 76 || !char.IsAsciiLetterOrDigit(text[0]) || !char.IsAsciiLetterOrDigit(text[^1]))
            return false;
        return text.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
    }

    private static bool IsSystemdUnit(string name) =>
        name.EndsWith(".slice", StringComparison.Ordinal) || name.EndsWith(".scope", StringComparison.Ordinal) || name.EndsWith(".service", StringComparison.Ordinal);
}
