namespace OsqueryBpf.Tables.Query;

/// <summary>
/// One constraint osqueryd pushed down for a column: the column name, osquery's operator code
/// (<see cref="ConstraintOperator"/>) and SQLite's text form of the value. The host builds these from the
/// <c>context</c> JSON of a <c>generate</c> call.
/// </summary>
public readonly record struct Constraint(string Column, int Operator, string Value);
