namespace OsqueryBpf.KernelMatrix.Guest;

/// <summary>A column's expected value, exact or as a rule over the row.</summary>
internal sealed class Expectation
{
    private readonly Func<IReadOnlyDictionary<string, string>, bool> _holds;

    private Expectation(string column, string expected, Func<IReadOnlyDictionary<string, string>, bool> holds)
    {
        Column = column;
        Expected = expected;
        _holds = holds;
    }

    /// <summary>The column shown when the expectation does not hold.</summary>
    public string Column { get; }

    public string Expected { get; }

    public bool Holds(IReadOnlyDictionary<string, string> row) => _holds(row);

    public string Describe(IReadOnlyDictionary<string, string> row) =>
        $"{Column}: expected {Expected}, saw {(row.TryGetValue(Column, out var value) ? $"'{value}'" : "no such column")}";

    public static Expectation Equal(string column, object expected)
    {
        var text = Convert.ToString(expected, System.Globalization.CultureInfo.InvariantCulture) ?? "";
        return new(column, $"'{text}'", r => r.GetValueOrDefault(column) == text);
    }

    public static Expectation Rule(string column, string rule, Func<IReadOnlyDictionary<string, string>, bool> holds) => new(column, rule, holds);

    public static Expectation Positive(string column) =>
        new(column, "> 0", r => long.TryParse(r.GetValueOrDefault(column), out var n) && n > 0);

    public static Expectation NotNegative(string column) =>
        new(column, ">= 0", r => long.TryParse(r.GetValueOrDefault(column), out var n) && n >= 0);

    public static Expectation Contains(string column, string part) =>
        new(column, $"to contain '{part}'", r => r.GetValueOrDefault(column)?.Contains(part, StringComparison.Ordinal) == true);
}
