using System.Globalization;

namespace OsqueryBpf.Osquery.Tables;

/// <summary>
/// Formats values the way osqueryd parses them: invariant decimal, no padding (a leading zero would be read
/// as octal by std::stol with base 0), no thousands separators.
/// </summary>
public static class RowValues
{
    /// <summary>A signed integer in decimal.</summary>
    public static string From(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>An unsigned integer in decimal.</summary>
    public static string From(ulong value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A 32-bit integer in decimal.</summary>
    public static string From(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A double that strtod reads back exactly ("R" round-trip form, invariant culture).</summary>
    public static string From(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A boolean as osquery's integer flags: "1" or "0".</summary>
    public static string From(bool value) => value ? "1" : "0";
}
