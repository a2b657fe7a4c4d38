namespace OsqueryBpf.Containers.Classification;

/// <summary>What a cgroup is to container attribution.</summary>
public enum CgroupRole
{
    /// <summary>The host's (or a layout we do not know): events in it belong to no container.</summary>
    Host,

    /// <summary>A Kubernetes pod's cgroup: the parent of its containers' cgroups (a pod, not a container).</summary>
    Pod,

    /// <summary>A container's cgroup.</summary>
    Container,
}
