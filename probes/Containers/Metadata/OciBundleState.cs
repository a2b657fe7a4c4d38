namespace OsqueryBpf.Containers.Metadata;

/// <summary>
/// The OCI bundles that containerd and CRI-O hand to runc: each container's config.json, whose annotations carry
/// the Kubernetes names (CRI) and, for CRI-O, the image. Read without talking to either daemon.
/// </summary>
public static class OciBundleState
{
    /// <summary>Largest config.json read (runc specs are a few KiB; hooks and mounts can make them larger).</summary>
    public const long MaxFileBytes = 4 << 20;

    /// <summary>The annotations of <paramref name="relativePath"/> under <paramref name="directory"/>, or null when it does not exist.</summary>
    /// <exception cref="StateFileException">The file exists but is hostile or malformed.</exception>
    public static Dictionary<string, string>? ReadAnnotations(string directory, string relativePath)
    {
        var bytes = StateFile.Read(directory, relativePath, MaxFileBytes);
        if (bytes is null)
            return null;
        var spec = StateJsonContext.Parse(bytes, StateJsonContext.Default.OciSpecAnnotations, Path.Combine(directory, relativePath));
        return spec.Annotations ?? new Dictionary<string, string>();
    }
}

/// <summary>
/// containerd's running tasks: STATE/io.containerd.runtime.v2.task/NAMESPACE/ID/config.json (state is
/// /run/containerd). Under Kubernetes the CRI plugin's annotations name the container, image, pod and
/// namespace (io.kubernetes.cri.*); a plain `ctr run` container has none, and its name is its id.
/// </summary>
/// <param name="stateRoot">containerd's state directory (default /run/containerd).</param>
public sealed class ContainerdState(string stateRoot = "/run/containerd")
{
    private const string TaskDirectory = "io.containerd.runtime.v2.task";

    /// <summary>The directory read.</summary>
    public string StateRoot { get; } = stateRoot;

    /// <summary>
    /// The container <paramref name="containerId"/> in <paramref name="ns"/>, or in any namespace when null
    /// (Kubernetes' is k8s.io); null when containerd runs no such task.
    /// </summary>
    /// <exception cref="StateFileException">The file exists but is hostile or malformed.</exception>
    public ContainerMetadata? Read(string containerId, string? ns = null)
    {
        if (!Classification.CgroupClassifier.IsContainerdName(containerId) || (ns is not null && !Classification.CgroupClassifier.IsContainerdName(ns)))
            return null;
        var namespaces = ns is not null ? [ns] : ListNamespaces();
        foreach (var candidate in namespaces)
        {
            string relative = $"{TaskDirectory}/{candidate}/{containerId}/config.json";
            var annotations = OciBundleState.ReadAnnotations(StateRoot, relative);
            if (annotations is null)
                continue;
            annotations.TryGetValue("io.kubernetes.cri.container-name", out var criName);
            return new ContainerMetadata(
                Runtime: "containerd",
                ContainerId: containerId,
                Name: criName ?? containerId,
                Image: annotations.GetValueOrDefault("io.kubernetes.cri.image-name"),
                ImageId: null,
                PodName: annotations.GetValueOrDefault("io.kubernetes.cri.sandbox-name"),
                PodNamespace: annotations.GetValueOrDefault("io.kubernetes.cri.sandbox-namespace"),
                PodUid: annotations.GetValueOrDefault("io.kubernetes.cri.sandbox-uid"),
                IsSandbox: annotations.GetValueOrDefault("io.kubernetes.cri.container-type") == "sandbox",
                StateFile: Path.Combine(StateRoot, relative));
        }
        return null;
    }

    private string[] ListNamespaces()
    {
        try
        {
            return Directory.GetDirectories(Path.Combine(StateRoot, TaskDirectory))
                .Select(Path.GetFileName)
                .Where(n => n is not null && Classification.CgroupClassifier.IsContainerdName(n))
                .Select(n => n!)
                .ToArray();
        }
        catch (DirectoryNotFoundException)
        {
            return [];
        }
    }
}

/// <summary>
/// CRI-O's containers: RUNROOT/overlay-containers/ID/userdata/config.json (runroot is /run/containers/storage),
/// whose annotations name the container (io.kubernetes.container.name), the pod (io.kubernetes.pod.name,
/// .namespace, .uid) and the image (io.kubernetes.cri-o.ImageName, io.kubernetes.cri-o.ImageRef).
/// </summary>
/// <param name="runRoot">containers/storage's run root used by CRI-O.</param>
public sealed class CrioState(string runRoot = "/run/containers/storage")
{
    /// <summary>The directory read.</summary>
    public string RunRoot { get; } = runRoot;

    /// <summary>The container <paramref name="containerId"/>, or null when CRI-O has no bundle for it.</summary>
    /// <exception cref="StateFileException">The file exists but is hostile or malformed.</exception>
    public ContainerMetadata? Read(string containerId)
    {
        if (!Classification.CgroupClassifier.IsHex64(containerId))
            return null;
        string relative = $"overlay-containers/{containerId}/userdata/config.json";
        var annotations = OciBundleState.ReadAnnotations(RunRoot, relative);
        if (annotations is null)
            return null;
        return new ContainerMetadata(
            Runtime: "cri-o",
            ContainerId: containerId,
            Name: annotations.GetValueOrDefault("io.kubernetes.container.name"),
            Image: annotations.GetValueOrDefault("io.kubernetes.cri-o.ImageName"),
            ImageId: annotations.GetValueOrDefault("io.kubernetes.cri-o.ImageRef"),
            PodName: annotations.GetValueOrDefault("io.kubernetes.pod.name"),
            PodNamespace: annotations.GetValueOrDefault("io.kubernetes.pod.namespace"),
            PodUid: annotations.GetValueOrDefault("io.kubernetes.pod.uid"),
            IsSandbox: annotations.GetValueOrDefault("io.kubernetes.cri-o.ContainerType") == "sandbox",
            StateFile: Path.Combine(RunRoot, relative));
    }
}
