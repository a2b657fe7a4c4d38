using System.Text;

namespace OsqueryBpf.Tables.Standalone;

/// <summary>Prints a <see cref="QueryResult"/> the way osqueryi does (an aligned table) or as JSON lines.</summary>
public static class ResultFormatter
{
    /// <summary>
    /// An aligned text table with a +---+ frame, a header row and left-aligned cells, like osqueryi's default mode.
    /// NULL prints as an empty cell; line breaks and tabs inside values print as \n, \r and \t so rows stay on one line.
    /// </summary>
    public static string AlignedTable(QueryResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Columns.Count == 0)
            return "";
        var cells = result.Rows.Select(r => r.Select(v => Printable(v ?? "")).ToArray()).ToList();
        var widths = result.Columns.Select((c, i) => Math.Max(c.Length, cells.Count == 0 ? 0 : cells.Max(r => r[i].Length))).ToArray();
        var text = new StringBuilder();
        var rule = "+" + string.Join("+", widths.Select(w => new string('-', w + 2))) + "+\n";
        text.Append(rule);
        AppendLine(text, result.Columns, widths);
        text.Append(rule);
        foreach (var row in cells)
            AppendLine(text, row, widths);
        if (cells.Count > 0)
            text.Append(rule);
        return text.ToString();
    }

    /// <summary>One JSON object per row, keys in column order, values as JSON strings (null for SQL NULL), each object
    /// on its own line.</summary>
    public static string JsonLines(QueryResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var text = new StringBuilder();
        foreach (var row in result.Rows)
        {
            text.Append('{');
            for (var i = 0; i < result.Columns.Count; i++)
            {
                if (i > 0)
                    text.Append(',');
                JsonText.AppendString(text, result.Columns[i]);
                text.Append(':');
                if (row[i] is { } value)
                    JsonText.AppendString(text, value);
                else
                    text.Append("null");
            }
            text.Append("}\n");
        }
        return text.ToString();
    }

    private static void AppendLine(StringBuilder text, IReadOnlyList<string> cells, int[] widths)
    {
        text.Append('|');
        for (var i = 0; i < widths.Length; i++)
            text.Append(' ').Append(cells[i].PadRight(widths[i])).Append(" |");
        text.Append('\n');
    }

    private static string Printable(string value) =>
        value.Replace("\n", "\\n", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal);
}
