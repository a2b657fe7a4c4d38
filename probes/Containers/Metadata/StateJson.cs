using System.Text.Json;
using System.Text.Json.Serialization;

namespace OsqueryBpf.Containers.Metadata;

/// <summary>docker's containers/ID/config.v2.json: only the fields we read.</summary>
internal sealed class DockerConfigV2
{
    [JsonPropertyName("ID")] public string? Id { get; set; }
    [JsonPropertyName("Name")] public string? Name { get; set; }
    [JsonPropertyName("Image")] public string? Image { get; set; }
    [JsonPropertyName("Config")] public DockerContainerConfig? Config { get; set; }
}

/// <summary>The "Config" object of config.v2.json.</summary>
internal sealed class DockerContainerConfig
{
    [JsonPropertyName("Image")] public string? Image { get; set; }
    [JsonPropertyName("Labels")] public Dictionary<string, string>? Labels { get; set; }
}

/// <summary>One entry of containers/storage's overlay-containers/containers.json (podman, CRI-O).</summary>
internal sealed class StorageContainer
{
    [JsonPropertyName("id")] public string? Id { get; set; }
    [JsonPropertyName("names")] public List<string>? Names { get; set; }
    [JsonPropertyName("image")] public string? Image { get; set; }
    /// <summary>A JSON document inside a string: libpod writes image-name, image-id and name there.</summary>
    [JsonPropertyName("metadata")] public string? Metadata { get; set; }
}

/// <summary>The metadata string of a libpod container in containers.json.</summary>
internal sealed class LibpodStorageMetadata
{
    [JsonPropertyName("image-name")] public string? ImageName { get; set; }
    [JsonPropertyName("image-id")] public string? ImageId { get; set; }
    [JsonPropertyName("name")] public string? Name { get; set; }
}

/// <summary>An OCI runtime spec (config.json): only its annotations.</summary>
internal sealed class OciSpecAnnotations
{
    [JsonPropertyName("annotations")] public Dictionary<string, string>? Annotations { get; set; }
}

/// <summary>Source-generated (AOT-clean) JSON for the state files; no reflection.</summary>
[JsonSourceGenerationOptions(ReadCommentHandling = JsonCommentHandling.Disallow, MaxDepth = 32)]
[JsonSerializable(typeof(DockerConfigV2))]
[JsonSerializable(typeof(List<StorageContainer>))]
[JsonSerializable(typeof(LibpodStorageMetadata))]
[JsonSerializable(typeof(OciSpecAnnotations))]
internal sealed partial class StateJsonContext : JsonSerializerContext
{
    /// <summary>Parses <paramref name="bytes"/> of <paramref name="file"/>, turning any JSON error into a <see cref="StateFileException"/>.</summary>
    public static T Parse<T>(byte[] bytes, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, string file)
    {
        try
        {
            return JsonSerializer.Deserialize(bytes, type) ?? throw new StateFileException($"{file}: refused: the JSON document is null");
        }
        catch (JsonException e)
        {
            // Only the position: the parser's message may quote the file's bytes.
            throw new StateFileException($"{file}: not valid state JSON at {e.Path ?? "$"} (line {e.LineNumber + 1}, byte {e.BytePositionInLine})", e);
        }
    }
}
