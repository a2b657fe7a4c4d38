namespace OsqueryBpf.Osquery.Tables;

/// <summary>One column of a table plugin, in declaration order.</summary>
/// <param name="Name">The column name, as queries spell it.</param>
/// <param name="Type">The osquery column type.</param>
/// <param name="Options">The option bitmask sent as the route's <c>op</c>.</param>
public sealed record ColumnDefinition(string Name, ColumnType Type, ColumnOptions Options = ColumnOptions.Default)
{
    /// <summary>A TEXT column.</summary>
    public static ColumnDefinition Text(string name, ColumnOptions options = ColumnOptions.Default) => new(name, ColumnType.Text, options);

    /// <summary>An INTEGER column (32-bit in osqueryd).</summary>
    public static ColumnDefinition Integer(string name, ColumnOptions options = ColumnOptions.Default) => new(name, ColumnType.Integer, options);

    /// <summary>A BIGINT column.</summary>
    public static ColumnDefinition BigInt(string name, ColumnOptions options = ColumnOptions.Default) => new(name, ColumnType.BigInt, options);

    /// <summary>An UNSIGNED BIGINT column.</summary>
    public static ColumnDefinition UnsignedBigInt(string name, ColumnOptions options = ColumnOptions.Default) => new(name, ColumnType.UnsignedBigInt, options);

    /// <summary>A DOUBLE column.</summary>
    public static ColumnDefinition Double(string name, ColumnOptions options = ColumnOptions.Default) => new(name, ColumnType.Double, options);

    /// <summary>A BLOB column (sent as text).</summary>
    public static ColumnDefinition Blob(string name, ColumnOptions options = ColumnOptions.Default) => new(name, ColumnType.Blob, options);
}
