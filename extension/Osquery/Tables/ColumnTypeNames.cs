namespace OsqueryBpf.Osquery.Tables;

/// <summary>Maps <see cref="ColumnType"/> to and from the exact type names of osquery's route rows.</summary>
public static class ColumnTypeNames
{
    /// <summary>The exact name osqueryd expects in a route row's <c>type</c> key.</summary>
    public static string ToWireName(this ColumnType type) => type switch
    {
        ColumnType.Text => "TEXT",
        ColumnType.Integer => "INTEGER",
        ColumnType.BigInt => "BIGINT",
        ColumnType.UnsignedBigInt => "UNSIGNED BIGINT",
        ColumnType.Double => "DOUBLE",
        ColumnType.Blob => "BLOB",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "The column type is not one osquery knows."),
    };

    /// <summary>Parses an exact wire name (case-sensitive, as osqueryd does).</summary>
    public static bool TryParse(string? name, out ColumnType type)
    {
        switch (name)
        {
            case "TEXT": type = ColumnType.Text; return true;
            case "INTEGER": type = ColumnType.Integer; return true;
            case "BIGINT": type = ColumnType.BigInt; return true;
            case "UNSIGNED BIGINT": type = ColumnType.UnsignedBigInt; return true;
            case "DOUBLE": type = ColumnType.Double; return true;
            case "BLOB": type = ColumnType.Blob; return true;
            default: type = default; return false;
        }
    }

    /// <summary>True for every type but TEXT (and BLOB): osqueryd compares such columns as numbers.</summary>
    public static bool IsNumeric(this ColumnType type) => type is not (ColumnType.Text or ColumnType.Blob);
}
