namespace OsqueryBpf.Tables.Query;

/// <summary>
/// osquery's constraint operator codes (SQLite's SQLITE_INDEX_CONSTRAINT_* values, osquery-protocol.md 3.2). Any
/// other code (MATCH 64, REGEXP 67, != 68, IS NOT 69, IS 72, ...) is ignored by the store, which is always correct
/// because osqueryd re-applies every WHERE term to the rows it gets.
/// </summary>
public static class ConstraintOperator
{
    /// <summary><c>=</c>; several on one column are treated as an IN list.</summary>
    public const int Equal = 2;

    /// <summary><c>&gt;</c>.</summary>
    public const int GreaterThan = 4;

    /// <summary><c>&lt;=</c>.</summary>
    public const int LessOrEqual = 8;

    /// <summary><c>&lt;</c>.</summary>
    public const int LessThan = 16;

    /// <summary><c>&gt;=</c>.</summary>
    public const int GreaterOrEqual = 32;

    /// <summary><c>LIKE</c> (ASCII case-insensitive, as in osqueryd's SQLite).</summary>
    public const int Like = 65;

    /// <summary><c>GLOB</c>.</summary>
    public const int Glob = 66;
}
