namespace OsqueryBpf.Containers.Metadata;

/// <summary>What a runtime's own state says about one container: the names operators search by.</summary>
/// <param name="Runtime">"docker", "podman", "containerd" or "cri-o".</param>
/// <param name="ContainerId">The runtime's id.</param>
/// <param name="Name">The container's name (docker's without its leading "/"; the CRI container name under Kubernetes).</param>
/// <param name="Image">The image reference it was made from, as the user gave it.</param>
/// <param name="ImageId">The image's id (digest) where the runtime records it.</param>
/// <param name="PodName">Kubernetes pod name, else null.</param>
/// <param name="PodNamespace">Kubernetes namespace, else null.</param>
/// <param name="PodUid">Kubernetes pod uid, else null.</param>
/// <param name="IsSandbox">A CRI pod sandbox ("pause") container rather than an application container.</param>
/// <param name="StateFile">The file this came from.</param>
public sealed record ContainerMetadata(
    string Runtime,
    string ContainerId,
    string? Name,
    string? Image,
    string? ImageId,
    string? PodName,
    string? PodNamespace,
    string? PodUid,
    bool IsSandbox,
    string StateFile);
