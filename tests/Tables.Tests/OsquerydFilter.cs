using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using OsqueryBpf.Osquery.Tables;
using OsqueryBpf.Tables.Schema;

namespace OsqueryBpf.Tables.Tests;

/// <summary>
/// What osqueryd does with the rows it receives: parse each string by the column's declared type
/// (osquery-protocol.md 3.4) and apply every WHERE term with SQLite's comparison rules. Written independently of the
/// store's SQL so that push-down can be checked against it.
/// </summary>
internal static class OsquerydFilter
{
    public static bool Matches(TableDefinition table, Dictionary<string, string> row, IEnumerable<ColumnConstraint> constraints) =>
        constraints.All(c => Matches(table, row, c));

    private static bool Matches(TableDefinition table, Dictionary<string, string> row, ColumnConstraint constraint)
    {
        var column = table.FindColumn(constraint.Column);
        if (column is null)
            return true; // not a column of ours: the test only sends such terms to prove they are ignored
        var text = row[column.Name];
        var numeric = column.Type.IsNumeric();
        long? number = numeric ? (text.Length == 0 ? null : long.Parse(text, CultureInfo.InvariantCulture)) : null;
        if (numeric && number is null)
            return false; // NULL compares as nothing (IS / IS NOT are not generated)

        switch ((int)constraint.Operator)
        {
            case (int)ConstraintOperator.Like:
                return Like(numeric ? number!.Value.ToString(CultureInfo.InvariantCulture) : text, constraint.Expression);
            case (int)ConstraintOperator.Glob:
                return Glob(numeric ? number!.Value.ToString(CultureInfo.InvariantCulture) : text, constraint.Expression);
            case 2 or 4 or 8 or 16 or 32 or 68:
                int order;
                if (!numeric)
                    order = string.CompareOrdinal(text, constraint.Expression); // TEXT affinity: the value is compared as text
                else if (AsNumber(constraint.Expression) is { } rhs)
                    order = ((decimal)number!.Value).CompareTo(rhs);
                else
                    order = -1; // SQLite: every number sorts before every text value
                return (int)constraint.Operator switch
                {
                    2 => order == 0,
                    4 => order > 0,
                    8 => order <= 0,
                    16 => order < 0,
                    32 => order >= 0,
                    _ => order != 0, // 68 '!='
                };
            default:
                return true; // MATCH, REGEXP and the like are not generated with meaning
        }
    }

    // SQLite's numeric affinity for the few forms the test generates: integers, decimals, exponents.
    private static decimal? AsNumber(string text) =>
        Regex.IsMatch(text, "^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?$")
            ? decimal.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture) // exact, unlike (decimal)double
            : null;

    private static bool Like(string value, string pattern)
    {
        var regex = new StringBuilder("^");
        foreach (var c in pattern)
            regex.Append(c switch { '%' => ".*", '_' => ".", _ => Regex.Escape(c.ToString()) });
        return Regex.IsMatch(value, regex.Append('$').ToString(), RegexOptions.Singleline | RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
    }

    private static bool Glob(string value, string pattern)
    {
        var regex = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '*')
                regex.Append(".*");
            else if (c == '?')
                regex.Append('.');
            else if (c == '[' && pattern.IndexOf(']', i + 1) is var end and > 0)
            {
                var set = pattern.Substring(i + 1, end - i - 1);
                regex.Append('[').Append(set.StartsWith('^') ? "^" + set[1..] : set).Append(']');
                i = end;
            }
            else
                regex.Append(Regex.Escape(c.ToString()));
        }
        return Regex.IsMatch(value, regex.Append('$').ToString(), RegexOptions.Singleline | RegexOptions.CultureInvariant);
    }
}
