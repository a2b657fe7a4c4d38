namespace OsqueryBpf.Probes.Runtime;

/// <summary>
/// What one probe reads from the extension's settings file. Each probe has its own subclass in its folder, with
/// snake_case keys that are unique across probes (the settings file is one flat JSON object) and a README that
/// documents them. The values become .rodata constants of the probe's BPF object or limits of its decoder.
/// </summary>
public abstract class ProbeSettings
{
    /// <summary>Throws <see cref="ArgumentException"/> naming the first key whose value is out of range.</summary>
    public virtual void Validate()
    {
    }
}

/// <summary>A probe whose settings file has no keys of its own.</summary>
public sealed class NoSettings : ProbeSettings;

/// <summary>Reads <see cref="NoSettings"/>: no keys.</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(NoSettings))]
internal sealed partial class NoSettingsJson : System.Text.Json.Serialization.JsonSerializerContext;
