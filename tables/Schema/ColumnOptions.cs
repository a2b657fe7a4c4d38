namespace OsqueryBpf.Tables.Schema;

/// <summary>
/// osquery's column options (<c>enum class ColumnOptions</c> in osquery/core/sql/column.h), sent as the decimal
/// <c>op</c> of each column route row.
/// </summary>
/// <remarks>
/// Mind <c>--extensions_default_index</c> (default true): osqueryd treats a column whose options are exactly 0 as
/// INDEX, but a column with any other bit set (HIDDEN alone, say) loses that implicit INDEX and its constraints stop
/// being pushed to us. Hidden columns that should stay filterable are therefore declared INDEX | HIDDEN (17).
/// </remarks>
[Flags]
public enum ColumnOptions
{
    /// <summary>No option; osqueryd's default index flag makes it behave as INDEX.</summary>
    Default = 0,

    /// <summary>Constraints are pushed down, planner cost 1.</summary>
    Index = 1,

    /// <summary>The query must constrain this column.</summary>
    Required = 2,

    /// <summary>Constraints are pushed down; the table produces more data when given (event tables mark <c>time</c> so).</summary>
    Additional = 4,

    /// <summary>With INDEX, REQUIRED or ADDITIONAL, an IN list arrives in one call.</summary>
    Optimized = 8,

    /// <summary>Left out of <c>SELECT *</c>.</summary>
    Hidden = 16,
}
