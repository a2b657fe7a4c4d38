namespace OsqueryBpf.Osquery.Tables;

/// <summary>
/// The column types osqueryd understands. osqueryd matches the wire names case-sensitively
/// (osquery/core/sql/column.cpp), so they are produced only by <see cref="ColumnTypeNames.ToWireName"/>.
/// </summary>
public enum ColumnType
{
    /// <summary>TEXT: any string.</summary>
    Text,

    /// <summary>INTEGER: osqueryd parses it with std::stol and truncates it to 32 bits; use BigInt for larger values.</summary>
    Integer,

    /// <summary>BIGINT: a signed 64-bit value.</summary>
    BigInt,

    /// <summary>UNSIGNED BIGINT (with a space): osqueryd still stores it signed, so values above 2^63-1 become NULL.</summary>
    UnsignedBigInt,

    /// <summary>DOUBLE: parsed with strtod; the whole string must be a number.</summary>
    Double,

    /// <summary>BLOB: returned to SQLite as text, so send hex or base64.</summary>
    Blob,
}
