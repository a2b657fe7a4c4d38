namespace OsqueryBpf.Tables.Schema;

/// <summary>
/// The column types osqueryd understands (osquery-protocol.md 3.5). The spelling sent over the wire comes from
/// <see cref="ColumnTypeNames.OsqueryName"/>; osqueryd matches it case-sensitively.
/// </summary>
public enum ColumnType
{
    /// <summary><c>TEXT</c>: returned as-is.</summary>
    Text,

    /// <summary><c>INTEGER</c>: osqueryd parses it with std::stol and truncates it to 32 bits.</summary>
    Integer,

    /// <summary><c>BIGINT</c>: a signed 64-bit value.</summary>
    BigInt,

    /// <summary><c>UNSIGNED BIGINT</c> (with a space): osqueryd still reads it as signed 64-bit.</summary>
    UnsignedBigInt,

    /// <summary><c>DOUBLE</c>: parsed with strtod.</summary>
    Double,
}

/// <summary>The exact type names osqueryd expects in a <c>column</c> route row.</summary>
public static class ColumnTypeNames
{
    /// <summary>The type name as osquery spells it, for example <c>UNSIGNED BIGINT</c>.</summary>
    public static string OsqueryName(this ColumnType type) => type switch
    {
        ColumnType.Text => "TEXT",
        ColumnType.Integer => "INTEGER",
        ColumnType.BigInt => "BIGINT",
        ColumnType.UnsignedBigInt => "UNSIGNED BIGINT",
        ColumnType.Double => "DOUBLE",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown column type."),
    };

    /// <summary>True for the types osqueryd compares as numbers.</summary>
    public static bool IsNumeric(this ColumnType type) => type != ColumnType.Text;
}
