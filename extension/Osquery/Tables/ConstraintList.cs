namespace OsqueryBpf.Osquery.Tables;

/// <summary>The constraints osqueryd pushed down for one column, with the column's declared affinity.</summary>
/// <param name="Affinity">The type name osqueryd sent (TEXT, BIGINT, ..., or UNKNOWN for alias columns).</param>
/// <param name="Constraints">The constraints in xBestIndex order; often empty.</param>
public sealed record ConstraintList(string Affinity, IReadOnlyList<Constraint> Constraints);
