using System.Globalization;

namespace OsqueryBpf.Osquery.Manager;

/// <summary>
/// osqueryd's flags as read once from options() after registering, for example events_expiry or
/// disable_events. Empty when osqueryd could not be asked.
/// </summary>
public sealed class ManagerOptions
{
    /// <summary>No options known.</summary>
    public static ManagerOptions Empty { get; } = new(new Dictionary<string, string>(StringComparer.Ordinal));

    /// <summary>Creates options from flag name to current value.</summary>
    public ManagerOptions(IReadOnlyDictionary<string, string> values) => Values = values;

    /// <summary>Flag name to current value, as osqueryd reports it (text).</summary>
    public IReadOnlyDictionary<string, string> Values { get; }

    /// <summary>The flag's value as text, or null when osqueryd did not report it.</summary>
    public string? Get(string name) => Values.TryGetValue(name, out var value) ? value : null;

    /// <summary>The flag's value as an integer, or null when missing or not an integer.</summary>
    public long? GetInt64(string name) =>
        long.TryParse(Get(name), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value : null;

    /// <summary>The flag's value as a boolean (gflags prints "true"/"false"), or null.</summary>
    public bool? GetBoolean(string name) => Get(name) switch
    {
        "true" or "1" => true,
        "false" or "0" => false,
        _ => null,
    };
}
