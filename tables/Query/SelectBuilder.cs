using System.Globalization;
using System.Text;
using OsqueryBpf.Osquery.Tables;
using OsqueryBpf.Tables.Schema;

namespace OsqueryBpf.Tables.Query;

/// <summary>A parameterised SELECT over one store table and the columns it returns.</summary>
internal sealed record SelectStatement(string Sql, IReadOnlyList<KeyValuePair<string, object>> Parameters, IReadOnlyList<TableColumn> Columns);

/// <summary>
/// Turns osquery constraints into a parameterised SELECT. The rule: never filter MORE than osqueryd would; whatever
/// cannot be translated exactly is left out, since osqueryd re-applies every WHERE term to the rows it receives.
/// Values only ever become SQL parameters; only names from our own definitions appear in SQL text.
/// </summary>
internal static class SelectBuilder
{
    public static SelectStatement Build(TableDefinition table, IReadOnlyList<ColumnConstraint> constraints, IReadOnlyCollection<string>? columnsUsed)
    {
        var columns = SelectedColumns(table, columnsUsed);
        var sql = new StringBuilder("SELECT ");
        if (columns.Count == 0)
            sql.Append("NULL"); // count(*) and the like: one row per match, no values.
        else
            sql.AppendJoin(", ", columns.Select(c => c.QuotedName));
        sql.Append(" FROM ").Append(table.QuotedName);

        var parameters = new List<KeyValuePair<string, object>>();
        var terms = new List<string>();
        foreach (var group in GroupByColumn(table, constraints))
            AddTerms(group.Key, group.Value, terms, parameters);

        if (terms.Count > 0)
            sql.Append(" WHERE ").AppendJoin(" AND ", terms);
        return new SelectStatement(sql.ToString(), parameters, columns);
    }

    private static List<TableColumn> SelectedColumns(TableDefinition table, IReadOnlyCollection<string>? columnsUsed)
    {
        if (columnsUsed is null)
            return table.Columns.ToList();
        var wanted = new HashSet<string>(columnsUsed, StringComparer.Ordinal);
        return table.Columns.Where(c => wanted.Contains(c.Name)).ToList(); // unknown names are ignored
    }

    private static Dictionary<TableColumn, List<ColumnConstraint>> GroupByColumn(TableDefinition table, IReadOnlyList<ColumnConstraint> constraints)
    {
        var groups = new Dictionary<TableColumn, List<ColumnConstraint>>(ReferenceEqualityComparer.Instance);
        foreach (var constraint in constraints)
        {
            if (constraint.Column is null || constraint.Expression is null)
                continue;
            var column = table.FindColumn(constraint.Column);
            if (column is null)
                continue; // not ours (an alias or a typo): osqueryd still applies it
            if (!groups.TryGetValue(column, out var list))
                groups[column] = list = new List<ColumnConstraint>();
            list.Add(constraint);
        }
        return groups;
    }

    private static void AddTerms(TableColumn column, List<ColumnConstraint> constraints, List<string> terms, List<KeyValuePair<string, object>> parameters)
    {
        var numeric = column.Type.IsNumeric();

        // Every '=' on one column becomes one IN list. osqueryd sends several '=' for an IN list on an OPTIMIZED
        // column (OR) and for `a = 1 AND a = 2` (AND); IN is exact for the first and a superset for the second.
        var equalValues = new List<object>();
        var equalUsable = true;
        foreach (var constraint in constraints)
        {
            if (constraint.Operator != ConstraintOperator.Equals)
                continue;
            if (!numeric)
                equalValues.Add(constraint.Expression);
            else if (TryParseNumber(constraint.Expression, out var number))
                equalValues.Add(number);
            else
                equalUsable = false; // osqueryd compares an integer with text; leave the whole list to it
        }
        if (equalUsable && equalValues.Count > 0)
        {
            var names = equalValues.Select(v => AddParameter(parameters, v)).ToList();
            terms.Add(names.Count == 1
                ? $"{column.QuotedName} = {names[0]}"
                : $"{column.QuotedName} IN ({string.Join(", ", names)})");
        }

        foreach (var constraint in constraints)
        {
            switch (constraint.Operator)
            {
                case ConstraintOperator.GreaterThan:
                case ConstraintOperator.GreaterThanOrEquals:
                case ConstraintOperator.LessThan:
                case ConstraintOperator.LessThanOrEquals:
                    // osqueryd never pushes ranges on TEXT columns; a TEXT column stored as a number (ntime,
                    // exit_code, fd) would compare differently here, so such a range is left to osqueryd.
                    if (!numeric || !TryParseNumber(constraint.Expression, out var bound))
                        break;
                    terms.Add($"{column.QuotedName} {RangeOperator(constraint.Operator)} {AddParameter(parameters, bound)}");
                    break;
                case ConstraintOperator.Like:
                    // Numbers are compared as their text form, which is exactly the decimal text we send osqueryd.
                    terms.Add($"{column.QuotedName} LIKE {AddParameter(parameters, constraint.Expression)}");
                    break;
                case ConstraintOperator.Glob:
                    terms.Add($"{column.QuotedName} GLOB {AddParameter(parameters, constraint.Expression)}");
                    break;
            }
        }
    }

    private static string RangeOperator(ConstraintOperator op) => op switch
    {
        ConstraintOperator.GreaterThan => ">",
        ConstraintOperator.GreaterThanOrEquals => ">=",
        ConstraintOperator.LessThan => "<",
        _ => "<=",
    };

    private static string AddParameter(List<KeyValuePair<string, object>> parameters, object value)
    {
        var name = "@c" + parameters.Count.ToString(CultureInfo.InvariantCulture);
        parameters.Add(new KeyValuePair<string, object>(name, value));
        return name;
    }

    /// <summary>
    /// Parses a constraint value the way SQLite's numeric affinity would turn it into a number, but conservatively:
    /// anything unusual (spaces, hex, infinity) is refused, and the constraint is then left to osqueryd.
    /// </summary>
    internal static bool TryParseNumber(string text, out object number)
    {
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            number = integer;
            return true;
        }
        const NumberStyles real = NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent;
        if (double.TryParse(text, real, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) && text.Any(char.IsAsciiDigit))
        {
            number = value;
            return true;
        }
        number = 0L;
        return false;
    }
}
