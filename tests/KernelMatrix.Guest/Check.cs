namespace OsqueryBpf.KernelMatrix.Guest;

/// <summary>
/// One ground-truth fact about a workload this program made itself: the row <see cref="Table"/> must hold for it.
/// <see cref="Where"/> is pushed down as osqueryd would (pid = N), <see cref="Selects"/> picks the rows that
/// are about this fact (the rename of this path), and every expectation must hold on one of them.
/// </summary>
internal sealed class Check
{
    public required string Name { get; init; }

    /// <summary>The probe that produces the rows; its checks are not waited for when it is not running.</summary>
    public required string Probe { get; init; }

    public required string Table { get; init; }

    /// <summary>What the row is, for the failure message ("the rename of /tmp/x/a by pid 93").</summary>
    public required string What { get; init; }

    public required IReadOnlyDictionary<string, string> Where { get; init; }

    public required Func<IReadOnlyDictionary<string, string>, bool> Selects { get; init; }

    public required IReadOnlyList<Expectation> Expect { get; init; }

    /// <summary>Columns shown for the rows that were there when no row was selected.</summary>
    public IReadOnlyList<string> Shown { get; init; } = ["action", "path"];

    /// <summary>Judges the rows <see cref="Where"/> returned.</summary>
    public CheckResult Judge(IReadOnlyList<Dictionary<string, string>> rows)
    {
        var candidates = rows.Where(r => Selects(r)).ToList();
        if (candidates.Count == 0)
        {
            var seen = rows.Count == 0
                ? $"no rows at all for {Describe(Where)}"
                : $"{rows.Count} rows for {Describe(Where)}: " + string.Join("; ", rows.Take(6).Select(r => string.Join(" ", Shown.Select(c => $"{c}={r.GetValueOrDefault(c)}"))));
            return new CheckResult(Name, false, $"no row for {What} ({seen})");
        }
        // The candidate with the fewest mismatches is the one the failure talks about.
        List<string>? best = null;
        foreach (var row in candidates)
        {
            var mismatches = Expect.Where(e => !e.Holds(row)).Select(e => e.Describe(row)).ToList();
            if (mismatches.Count == 0)
                return new CheckResult(Name, true, "");
            if (best is null || mismatches.Count < best.Count)
                best = mismatches;
        }
        return new CheckResult(Name, false, $"{What}: " + string.Join("; ", best!));
    }

    private static string Describe(IReadOnlyDictionary<string, string> where) =>
        string.Join(" and ", where.Select(w => $"{w.Key}={w.Value}"));
}

/// <summary>The outcome of one check; <see cref="Detail"/> says what was seen when it does not hold.</summary>
internal sealed record CheckResult(string Name, bool Holds, string Detail);
