namespace OsqueryBpf.Osquery.Tables;

/// <summary>
/// One constraint of a <c>generate</c> call bound to its column: <c>WHERE column op expression</c>. The form a
/// table implementation pushes down; <see cref="QueryContext.AllConstraints"/> lists a context's constraints so.
/// </summary>
/// <param name="Column">The column osqueryd names.</param>
/// <param name="Operator">The operator (osquery's numeric codes).</param>
/// <param name="Expression">The right-hand side as osqueryd sent it (always text).</param>
public readonly record struct ColumnConstraint(string Column, ConstraintOperator Operator, string Expression);
