namespace OsqueryBpf.Osquery.Tables;

/// <summary>
/// The parsed <c>context</c> of a <c>generate</c> call (osquery-protocol.md 3.2). Constraints are only an
/// optimisation: osqueryd's SQLite re-applies every WHERE term to the returned rows.
/// </summary>
public sealed class QueryContext
{
    /// <summary>A context with no constraints and no column usage information (a call without context).</summary>
    public static QueryContext Empty { get; } = new(new Dictionary<string, ConstraintList>(StringComparer.Ordinal), null, null);

    internal QueryContext(
        IReadOnlyDictionary<string, ConstraintList> constraints, IReadOnlyList<string>? columnsUsed, ulong? columnsUsedBitset)
    {
        Constraints = constraints;
        ColumnsUsed = columnsUsed;
        ColumnsUsedBitset = columnsUsedBitset;
    }

    /// <summary>One entry per column osqueryd listed (normally every column), keyed by column name.</summary>
    public IReadOnlyDictionary<string, ConstraintList> Constraints { get; }

    /// <summary>The columns the query reads, or null when osqueryd did not say.</summary>
    public IReadOnlyList<string>? ColumnsUsed { get; }

    /// <summary>
    /// Bit i set when column i (declaration order) is used; bit 63 covers every column from 63 on. Null when
    /// neither colsUsedBitset nor colsUsed was sent.
    /// </summary>
    public ulong? ColumnsUsedBitset { get; }

    /// <summary>
    /// A context with the given constraints, for callers that are not osqueryd (standalone SQL, tests, benchmarks).
    /// </summary>
    public static QueryContext Create(IEnumerable<ColumnConstraint> constraints, IReadOnlyList<string>? columnsUsed = null)
    {
        var lists = new Dictionary<string, ConstraintList>(StringComparer.Ordinal);
        foreach (var group in constraints.GroupBy(c => c.Column, StringComparer.Ordinal))
            lists[group.Key] = new ConstraintList("", group.Select(c => new Constraint(c.Operator, c.Expression)).ToArray());
        return new QueryContext(lists, columnsUsed, null);
    }

    /// <summary>Every constraint, each with its column, in the order osqueryd listed them.</summary>
    public IEnumerable<ColumnConstraint> AllConstraints()
    {
        foreach (var (column, list) in Constraints)
        {
            foreach (var constraint in list.Constraints)
                yield return new ColumnConstraint(column, constraint.Operator, constraint.Expression);
        }
    }

    /// <summary>The constraints on <paramref name="column"/> with operator <paramref name="op"/>.</summary>
    public IEnumerable<string> ExpressionsFor(string column, ConstraintOperator op)
    {
        if (!Constraints.TryGetValue(column, out var list))
            yield break;
        foreach (var constraint in list.Constraints)
        {
            if (constraint.Operator == op)
                yield return constraint.Expression;
        }
    }

    /// <summary>
    /// Whether the query reads <paramref name="column"/>. True when osqueryd gave no usage information,
    /// because then every column must be produced.
    /// </summary>
    public bool IsColumnUsed(string column)
    {
        if (ColumnsUsed is null)
            return true;
        foreach (var used in ColumnsUsed)
        {
            if (string.Equals(used, column, StringComparison.Ordinal))
                return true;
        }
        return false;
    }

    /// <summary>
    /// Parses the context JSON. A null, empty or whitespace context means "no constraints". When
    /// colsUsedBitset is missing but colsUsed is present, the bitset is rebuilt from <paramref name="columns"/>
    /// as osquery's C++ SDK does.
    /// </summary>
    /// <exception cref="FormatException">The context is not the JSON osqueryd sends.</exception>
    public static QueryContext Parse(string? json, IReadOnlyList<ColumnDefinition>? columns = null) =>
        QueryContextParser.Parse(json, columns);
}
