using System.Globalization;
using System.Text;
using OsqueryBpf.Tables.Schema;

namespace OsqueryBpf.Tables.Store;

/// <summary>
/// Turns the rows of a native SELECT into osqueryd's string maps. Text that repeats from one row to the next in the
/// same column (comm, executable, action, flags, ...) is decoded once and the string reused, which saves most of the
/// allocation of a large answer.
/// </summary>
internal sealed class RowReader
{
    private readonly IReadOnlyList<ColumnDefinition> _columns;
    private readonly byte[]?[] _lastBytes;
    private readonly string?[] _lastText;

    public RowReader(IReadOnlyList<ColumnDefinition> columns)
    {
        _columns = columns;
        _lastBytes = new byte[columns.Count][];
        _lastText = new string[columns.Count];
    }

    public string Read(NativeStatement statement, int ordinal)
    {
        var column = _columns[ordinal];
        if (column.Storage == StorageKind.Integer)
        {
            if (column.Nullable && statement.IsNull(ordinal))
                return ""; // osqueryd reads an empty numeric value as NULL
            return statement.ColumnInteger(ordinal).ToString(CultureInfo.InvariantCulture); // plain decimal: no '+', no leading zeros
        }
        var utf8 = statement.ColumnUtf8(ordinal);
        if (_lastBytes[ordinal] is { } last && utf8.SequenceEqual(last))
            return _lastText[ordinal]!;
        var text = utf8.Length == 0 ? "" : Encoding.UTF8.GetString(utf8);
        _lastBytes[ordinal] = utf8.ToArray();
        _lastText[ordinal] = text;
        return text;
    }
}
