namespace OsqueryBpf.Containers.Attribution;

/// <summary>The container columns of an event row: which container, by the names operators search by.</summary>
/// <param name="ContainerId">The runtime's id ("UID/ID" for a rootless container); empty on the host.</param>
/// <param name="Name">The container's name from its runtime's state; empty when unknown.</param>
/// <param name="PodName">The Kubernetes pod's name; empty outside Kubernetes.</param>
/// <param name="PodNamespace">The Kubernetes pod's namespace; empty outside Kubernetes.</param>
public sealed record ContainerAttribution(string ContainerId, string Name, string PodName, string PodNamespace)
{
    /// <summary>The host, or a cgroup the extension does not know: no container.</summary>
    public static ContainerAttribution None { get; } = new("", "", "", "");
}

/// <summary>One container cgroup the map knows: a row of <c>ebpf_containers</c>.</summary>
/// <param name="ContainerId">The runtime's id ("UID/ID" for a rootless container).</param>
/// <param name="Runtime">docker, podman, containerd, cri-o or kubernetes.</param>
/// <param name="Name">The container's name, empty when its runtime's state did not have it.</param>
/// <param name="Image">The image reference, empty when unknown.</param>
/// <param name="ImageId">The image id, empty when unknown.</param>
/// <param name="PodName">Kubernetes pod name, empty outside Kubernetes.</param>
/// <param name="PodNamespace">Kubernetes namespace, empty outside Kubernetes.</param>
/// <param name="PodUid">Kubernetes pod uid, empty outside Kubernetes.</param>
/// <param name="CgroupId">The cgroup's id: the <c>cid</c> of its rows.</param>
/// <param name="CgroupPath">The cgroup's path in the cgroup v2 hierarchy.</param>
/// <param name="RootlessOwnerUid">The user a rootless container belongs to; null for a root runtime's.</param>
/// <param name="FirstSeen">UNIX time the cgroup was made (or found by the start-up walk).</param>
/// <param name="LastSeen">UNIX time of its last process move or removal.</param>
/// <param name="Removed">Whether the cgroup is gone.</param>
public sealed record ContainerRecord(
    string ContainerId,
    string Runtime,
    string Name,
    string Image,
    string ImageId,
    string PodName,
    string PodNamespace,
    string PodUid,
    ulong CgroupId,
    string CgroupPath,
    uint? RootlessOwnerUid,
    long FirstSeen,
    long LastSeen,
    bool Removed);
