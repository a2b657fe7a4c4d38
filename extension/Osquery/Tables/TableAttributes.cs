namespace OsqueryBpf.Osquery.Tables;

/// <summary>
/// The table attribute bitmask of the optional <c>attributes</c> route row (osquery/core/tables.h).
/// </summary>
[Flags]
public enum TableAttributes
{
    /// <summary>No attributes.</summary>
    None = 0,

    /// <summary>A utility table (osquery_* style).</summary>
    Utility = 1,

    /// <summary>Results may be cached by osqueryd.</summary>
    Cacheable = 2,

    /// <summary>The scheduler logs every returned row as "added", without differential.</summary>
    EventBased = 4,

    /// <summary>osqueryd warns when uid or username is not constrained.</summary>
    UserBased = 8,

    /// <summary>Deprecated in osquery.</summary>
    KernelRequired = 16,

    /// <summary>The table is not attached.</summary>
    Pending = 32,
}
