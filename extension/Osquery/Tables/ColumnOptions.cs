namespace OsqueryBpf.Osquery.Tables;

/// <summary>
/// The column option bitmask sent as the decimal <c>op</c> of a column route row; values from osquery's
/// <c>enum class ColumnOptions</c> (osquery/core/sql/column.h).
/// </summary>
/// <remarks>
/// osqueryd's <c>--extensions_default_index</c> treats a column whose options are exactly <see cref="Default"/>
/// as <see cref="Index"/>. Any other value loses that implicit index, so a hidden column that should still
/// receive constraints needs <c>Hidden | Index</c>.
/// </remarks>
[Flags]
public enum ColumnOptions
{
    /// <summary>No options (osqueryd then treats the column as indexed).</summary>
    Default = 0,

    /// <summary>Constraints on the column are pushed to the extension; planner cost 1.</summary>
    Index = 1,

    /// <summary>Queries must constrain this column.</summary>
    Required = 2,

    /// <summary>Constraints are pushed: the table produces extra rows when given (event tables' time).</summary>
    Additional = 4,

    /// <summary>With Index, Required or Additional, an IN list arrives as one call.</summary>
    Optimized = 8,

    /// <summary>Not part of <c>SELECT *</c>.</summary>
    Hidden = 16,

    /// <summary>COLLATE BINARY.</summary>
    CollateBinary = 32,

    /// <summary>COLLATE NOCASE.</summary>
    CollateNoCase = 64,

    /// <summary>COLLATE RTRIM.</summary>
    CollateRTrim = 128,

    /// <summary>osquery's version collation.</summary>
    CollateVersion = 256,

    /// <summary>osquery's Arch Linux version collation.</summary>
    CollateVersionArch = 512,

    /// <summary>osquery's dpkg version collation.</summary>
    CollateVersionDpkg = 1024,

    /// <summary>osquery's RHEL version collation.</summary>
    CollateVersionRhel = 2048,
}
