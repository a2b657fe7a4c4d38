namespace OsqueryBpf.Containers.Metadata;

/// <summary>
/// docker's own record of a container: DATA_ROOT/containers/ID/config.v2.json (root-only, mode 0600), read
/// without asking dockerd. Name, Config.Image (as the user gave it), Image (the image id) and Config.Labels
/// (Kubernetes pod labels when cri-dockerd made it).
/// </summary>
/// <param name="dataRoot">dockerd's --data-root (default /var/lib/docker).</param>
/// <param name="ownerUid">The uid that must own the files: 0, or the user of a rootless dockerd.</param>
public sealed class DockerState(string dataRoot = "/var/lib/docker", uint ownerUid = 0)
{
    /// <summary>Largest config.v2.json read (docker's are a few KiB).</summary>
    public const long MaxFileBytes = 4 << 20;

    /// <summary>The directory read.</summary>
    public string DataRoot { get; } = dataRoot;

    /// <summary>The container <paramref name="containerId"/> (64 hex digits), or null when docker has no record of it.</summary>
    /// <exception cref="StateFileException">The file exists but is hostile or malformed.</exception>
    public ContainerMetadata? Read(string containerId)
    {
        if (!Classification.CgroupClassifier.IsHex64(containerId))
            return null;
        string relative = $"containers/{containerId}/config.v2.json";
        string file = Path.Combine(DataRoot, relative);
        var bytes = StateFile.Read(DataRoot, relative, MaxFileBytes, ownerUid);
        if (bytes is null)
            return null;
        var config = StateJsonContext.Parse(bytes, StateJsonContext.Default.DockerConfigV2, file);
        if (config.Id != containerId)
            throw new StateFileException($"{file}: refused: its ID is not {containerId}");
        var labels = config.Config?.Labels;
        return new ContainerMetadata(
            Runtime: "docker",
            ContainerId: containerId,
            Name: config.Name?.TrimStart('/'),
            Image: config.Config?.Image,
            ImageId: config.Image,
            PodName: labels?.GetValueOrDefault("io.kubernetes.pod.name"),
            PodNamespace: labels?.GetValueOrDefault("io.kubernetes.pod.namespace"),
            PodUid: labels?.GetValueOrDefault("io.kubernetes.pod.uid"),
            IsSandbox: labels?.GetValueOrDefault("io.kubernetes.docker.type") == "podsandbox",
            StateFile: file);
    }
}
