namespace OsqueryBpf.Containers.Classification;

/// <summary>What <see cref="CgroupClassifier"/> decided about one cgroup.</summary>
/// <param name="Role">Host, pod or container.</param>
/// <param name="Runtime">The runtime whose layout the path matches (<see cref="ContainerRuntime.None"/> for the host).</param>
/// <param name="ContainerId">The runtime's id of the container, as the runtime spells it; empty unless <see cref="Role"/> is Container.</param>
/// <param name="RootlessOwnerUid">
/// Set when the cgroup is in a subtree delegated to a user (or owned by one): a rootless container of that user at
/// most, never a root runtime's container, whatever its name claims.
/// </param>
/// <param name="PodUid">The Kubernetes pod uid the path names (pod and pod-container levels), else null.</param>
/// <param name="ContainerdNamespace">For containerd's cgroupfs layout (/NAMESPACE/ID), the namespace; else null.</param>
/// <param name="NeedsStateConfirmation">
/// The path alone is ambiguous (containerd's /NAMESPACE/ID could be any root-made two-level cgroup): count it as a
/// container only when the runtime's state has that container.
/// </param>
public sealed record CgroupClassification(
    CgroupRole Role,
    ContainerRuntime Runtime,
    string ContainerId,
    uint? RootlessOwnerUid = null,
    string? PodUid = null,
    string? ContainerdNamespace = null,
    bool NeedsStateConfirmation = false)
{
    /// <summary>The host's cgroups: no container.</summary>
    public static CgroupClassification Host { get; } = new(CgroupRole.Host, ContainerRuntime.None, "");

    /// <summary>True for a root runtime's or a rootless container.</summary>
    public bool IsContainer => Role == CgroupRole.Container;

    /// <summary>True when a user, not root, controls this cgroup.</summary>
    public bool IsRootless => RootlessOwnerUid is not null;

    /// <summary>
    /// The id to put in <c>container_id</c> columns: the runtime's id for root runtimes; "UID/ID" for a rootless
    /// container, so that a name a user chose can never equal a root runtime's container id (ids never contain "/").
    /// </summary>
    public string QualifiedId => RootlessOwnerUid is uint uid && ContainerId.Length > 0 ? $"{uid}/{ContainerId}" : ContainerId;
}
