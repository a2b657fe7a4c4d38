namespace OsqueryBpf.Containers.Classification;

/// <summary>The container runtime whose layout a cgroup path matches.</summary>
public enum ContainerRuntime
{
    /// <summary>Not a container runtime's cgroup.</summary>
    None,

    /// <summary>Docker (dockerd, or cri-dockerd under Kubernetes).</summary>
    Docker,

    /// <summary>Podman (libpod).</summary>
    Podman,

    /// <summary>containerd (ctr, nerdctl, or its CRI plugin under Kubernetes).</summary>
    Containerd,

    /// <summary>CRI-O.</summary>
    CriO,

    /// <summary>A Kubernetes container whose cgroup name does not say which CRI runtime made it (cgroupfs driver); the runtimes' state says.</summary>
    Kubernetes,
}
