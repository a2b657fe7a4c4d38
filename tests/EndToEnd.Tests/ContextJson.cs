using System.Text;
using System.Text.Json;

namespace OsqueryBpf.EndToEnd.Tests;

/// <summary>
/// Builds the context JSON osqueryd sends with generate (osquery-protocol.md 3.2): an entry per constrained column
/// with numeric ops and string exprs, and the columns the query reads.
/// </summary>
internal sealed class ContextJson
{
    private readonly Dictionary<string, List<(int Op, string Expr)>> _constraints = new(StringComparer.Ordinal);
    private string[]? _used;

    public ContextJson Where(string column, int op, string expr)
    {
        if (!_constraints.TryGetValue(column, out var list))
            _constraints[column] = list = new();
        list.Add((op, expr));
        return this;
    }

    public ContextJson Equal(string column, object value) => Where(column, 2, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!);

    public ContextJson Uses(params string[] columns)
    {
        _used = columns;
        return this;
    }

    public override string ToString()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteStartArray("constraints");
            foreach (var (column, list) in _constraints.OrderBy(c => c.Key, StringComparer.Ordinal))
            {
                w.WriteStartObject();
                w.WriteString("name", column);
                w.WriteStartArray("list");
                foreach (var (op, expr) in list)
                {
                    w.WriteStartObject();
                    w.WriteNumber("op", op);
                    w.WriteString("expr", expr);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteString("affinity", "TEXT");
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (_used is not null)
            {
                w.WriteStartArray("colsUsed");
                foreach (var column in _used)
                    w.WriteStringValue(column);
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
