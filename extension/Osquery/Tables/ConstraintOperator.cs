namespace OsqueryBpf.Osquery.Tables;

/// <summary>
/// Constraint operators as osqueryd sends them: SQLite's SQLITE_INDEX_CONSTRAINT_* values, passed through
/// unchanged (osquery/core/tables.h). Other values can arrive (osqueryd forwards any usable operator), so
/// code must ignore operators it does not know; the enum then simply holds the raw number.
/// </summary>
public enum ConstraintOperator
{
    /// <summary>= (also each value of an IN list).</summary>
    Equals = 2,

    /// <summary>&gt;</summary>
    GreaterThan = 4,

    /// <summary>&lt;=</summary>
    LessThanOrEquals = 8,

    /// <summary>&lt;</summary>
    LessThan = 16,

    /// <summary>&gt;=</summary>
    GreaterThanOrEquals = 32,

    /// <summary>MATCH</summary>
    Match = 64,

    /// <summary>LIKE</summary>
    Like = 65,

    /// <summary>GLOB</summary>
    Glob = 66,

    /// <summary>REGEXP</summary>
    Regexp = 67,

    /// <summary>!= or &lt;&gt; (not in osquery's enum; SQLite 3.21+ produces it).</summary>
    NotEquals = 68,

    /// <summary>IS NOT (not in osquery's enum).</summary>
    IsNot = 69,

    /// <summary>IS (not in osquery's enum).</summary>
    Is = 72,
}
