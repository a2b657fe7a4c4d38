namespace OsqueryBpf.Containers.Metadata;

/// <summary>
/// podman's containers as containers/storage records them: STORAGE_ROOT/overlay-containers/containers.json
/// (names, metadata.image-name, image id), read without running podman. Rootful podman's storage root is
/// /var/lib/containers/storage; a rootless user's is ~/.local/share/containers/storage, owned by that user,
/// whose content is that user's word only (it describes their own rootless containers).
/// </summary>
/// <param name="storageRoot">The graph root (podman --root).</param>
/// <param name="ownerUid">The uid that must own the file: 0 for rootful podman, the user for rootless.</param>
public sealed class PodmanState(string storageRoot = "/var/lib/containers/storage", uint ownerUid = 0)
{
    /// <summary>Largest containers.json read (about 500 bytes per container).</summary>
    public const long MaxFileBytes = 32 << 20;

    private const string Relative = "overlay-containers/containers.json";

    /// <summary>The directory read.</summary>
    public string StorageRoot { get; } = storageRoot;

    /// <summary>The uid the file must belong to.</summary>
    public uint OwnerUid { get; } = ownerUid;

    /// <summary>Every container in the file, by id; empty when there is no file.</summary>
    /// <exception cref="StateFileException">The file exists but is hostile or malformed.</exception>
    public Dictionary<string, ContainerMetadata> ReadAll()
    {
        string file = Path.Combine(StorageRoot, Relative);
        var result = new Dictionary<string, ContainerMetadata>(StringComparer.Ordinal);
        var bytes = StateFile.Read(StorageRoot, Relative, MaxFileBytes, OwnerUid);
        if (bytes is null)
            return result;
        foreach (var c in StateJsonContext.Parse(bytes, StateJsonContext.Default.ListStorageContainer, file))
        {
            if (c?.Id is null)
                continue;
            LibpodStorageMetadata? meta = null;
            if (!string.IsNullOrEmpty(c.Metadata))
                meta = StateJsonContext.Parse(System.Text.Encoding.UTF8.GetBytes(c.Metadata), StateJsonContext.Default.LibpodStorageMetadata, $"{file} (metadata of {c.Id})");
            result[c.Id] = new ContainerMetadata(
                Runtime: "podman",
                ContainerId: c.Id,
                Name: c.Names is { Count: > 0 } ? c.Names[0] : meta?.Name,
                Image: meta?.ImageName,
                ImageId: meta?.ImageId ?? c.Image,
                PodName: null,
                PodNamespace: null,
                PodUid: null,
                IsSandbox: false,
                StateFile: file);
        }
        return result;
    }

    /// <summary>The container <paramref name="containerId"/>, or null.</summary>
    /// <exception cref="StateFileException">The file exists but is hostile or malformed.</exception>
    public ContainerMetadata? Read(string containerId) => ReadAll().GetValueOrDefault(containerId);
}
