namespace OsqueryBpf.Osquery.Tables;

/// <summary>One pushed-down constraint: an operator and SQLite's text form of the value.</summary>
/// <param name="Operator">The operator; may be a value not named in <see cref="ConstraintOperator"/>.</param>
/// <param name="Expression">The value as text (numbers arrive as text too).</param>
public readonly record struct Constraint(ConstraintOperator Operator, string Expression);
