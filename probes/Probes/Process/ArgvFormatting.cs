using System.Text;

using OsqueryBpf.Tables;

namespace OsqueryBpf.Probes;

/// <summary>Turns an argv into the <c>cmdline</c> and <c>json_cmdline</c> columns.</summary>
public static class ArgvFormatting
{
    /// <summary>The arguments joined by single spaces, as osquery's <c>cmdline</c>. Ambiguous when an argument holds a
    /// space; <c>json_cmdline</c> is the exact form.</summary>
    public static string CommandLine(IReadOnlyList<string>? argv) => argv is null ? "" : argv.Count switch
    {
        0 => "",
        1 => argv[0],
        _ => string.Join(' ', argv),
    };

    /// <summary>
    /// The arguments as a JSON array of strings. Written by hand so the escaping is exactly JSON's minimum: quote,
    /// backslash and control characters (below U+0020) are escaped, everything else, including non-ASCII text, is kept
    /// as-is.
    /// </summary>
    public static string JsonArray(IReadOnlyList<string>? argv)
    {
        argv ??= Array.Empty<string>();
        var builder = new StringBuilder(2 + argv.Count * 16);
        builder.Append('[');
        for (var i = 0; i < argv.Count; i++)
        {
            if (i > 0)
                builder.Append(',');
            JsonText.AppendString(builder, argv[i] ?? "");
        }
        builder.Append(']');
        return builder.ToString();
    }
}
