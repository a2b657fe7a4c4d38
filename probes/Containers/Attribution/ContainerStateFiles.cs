using OsqueryBpf.Containers.Classification;
using OsqueryBpf.Containers.Metadata;

namespace OsqueryBpf.Containers.Attribution;

/// <summary>
/// Where the runtimes keep their state, and which of their files names a classified container. Read as root, never
/// through a daemon socket: a daemon can be slow, down or lying, its files are what it made.
/// </summary>
public sealed class ContainerStateFiles
{
    /// <summary>docker's data root (<c>--data-root</c>).</summary>
    public string DockerDataRoot { get; init; } = "/var/lib/docker";

    /// <summary>Rootful podman's storage root (<c>--root</c>).</summary>
    public string PodmanStorageRoot { get; init; } = "/var/lib/containers/storage";

    /// <summary>containerd's state directory.</summary>
    public string ContainerdStateRoot { get; init; } = "/run/containerd";

    /// <summary>cri-o's run root.</summary>
    public string CrioRunRoot { get; init; } = "/run/containers/storage";

    /// <summary>A rootless user's podman storage root, from their home directory (null when the user is unknown).</summary>
    public Func<uint, string?> RootlessPodmanStorageRoot { get; init; } = DefaultRootlessStorageRoot;

    /// <summary>
    /// What the runtime's state says about the container <paramref name="classification"/> names, or null when its
    /// files do not have it (not written yet, or already removed).
    /// </summary>
    /// <exception cref="StateFileException">A state file exists but is hostile or malformed.</exception>
    public ContainerMetadata? Read(CgroupClassification classification)
    {
        if (!classification.IsContainer)
            return null;
        string id = classification.ContainerId;
        if (classification.RootlessOwnerUid is uint owner)
        {
            // Only the owner's own podman storage can name a rootless container; nothing a root runtime keeps.
            return classification.Runtime == ContainerRuntime.Podman && RootlessPodmanStorageRoot(owner) is { } root
                ? new PodmanState(root, owner).Read(id)
                : null;
        }
        return classification.Runtime switch
        {
            ContainerRuntime.Docker => new DockerState(DockerDataRoot).Read(id),
            ContainerRuntime.Podman => new PodmanState(PodmanStorageRoot).Read(id),
            ContainerRuntime.Containerd => new ContainerdState(ContainerdStateRoot).Read(id, classification.ContainerdNamespace),
            ContainerRuntime.CriO => new CrioState(CrioRunRoot).Read(id),
            // A kubelet's container: whichever CRI runtime has it.
            ContainerRuntime.Kubernetes => new ContainerdState(ContainerdStateRoot).Read(id)
                ?? new CrioState(CrioRunRoot).Read(id)
                ?? new DockerState(DockerDataRoot).Read(id),
            _ => null,
        };
    }

    private static string? DefaultRootlessStorageRoot(uint uid)
    {
        // /etc/passwd is root-owned; a user cannot point us at another user's home through it.
        try
        {
            foreach (var line in File.ReadLines("/etc/passwd"))
            {
                var fields = line.Split(':');
                if (fields.Length >= 6 && uint.TryParse(fields[2], out var u) && u == uid && fields[5].StartsWith('/'))
                    return Path.Combine(fields[5], ".local/share/containers/storage");
            }
        }
        catch (IOException)
        {
        }
        return null;
    }
}
