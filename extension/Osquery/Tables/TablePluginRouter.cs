using OsqueryBpf.Osquery.Thrift;

namespace OsqueryBpf.Osquery.Tables;

/// <summary>
/// Answers Extension.call for the tables this extension serves. Every failure becomes an
/// ExtensionResponse with status code 1 and a sentence saying why; nothing here throws to the Thrift layer.
/// </summary>
public sealed class TablePluginRouter
{
    /// <summary>The registry name osqueryd uses for tables.</summary>
    public const string TableRegistry = "table";

    private readonly Dictionary<string, ITablePlugin> _tables = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Dictionary<string, string>>> _routes = new(StringComparer.Ordinal);

    /// <summary>Creates a router for <paramref name="tables"/>; names must be unique.</summary>
    /// <exception cref="ArgumentException">Two tables share a name, or a table has no columns.</exception>
    public TablePluginRouter(IEnumerable<ITablePlugin> tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
        foreach (var table in tables)
        {
            if (string.IsNullOrEmpty(table.Name))
                throw new ArgumentException("A table plugin has an empty name.", nameof(tables));
            if (!_tables.TryAdd(table.Name, table))
                throw new ArgumentException($"Two table plugins are named '{table.Name}'.", nameof(tables));
            _routes[table.Name] = TableRoutes.Build(table);
        }
    }

    /// <summary>The tables served, in registration order.</summary>
    public IReadOnlyCollection<ITablePlugin> Tables => _tables.Values;

    /// <summary>The uuid put into replies (osquery's C++ SDK puts its own uuid there); set after registering.</summary>
    public long Uuid { get; set; }

    /// <summary>
    /// The registry argument of registerExtension:
    /// {"table": {name: routes}, "config": {}, "logger": {}, "distributed": {}}. Built fresh on each call.
    /// </summary>
    public Dictionary<string, Dictionary<string, List<Dictionary<string, string>>>> BuildRegistry(IReadOnlySet<string>? leaveOut = null)
    {
        var tableRoutes = new Dictionary<string, List<Dictionary<string, string>>>(StringComparer.Ordinal);
        foreach (var (name, routes) in _routes)
        {
            if (leaveOut is null || !leaveOut.Contains(name))
                tableRoutes[name] = routes;
        }
        return new(StringComparer.Ordinal)
        {
            [TableRegistry] = tableRoutes,
            ["config"] = new(StringComparer.Ordinal),
            ["logger"] = new(StringComparer.Ordinal),
            ["distributed"] = new(StringComparer.Ordinal),
        };
    }

    /// <summary>
    /// Handles one call(registry, item, request): the rows go into <paramref name="rows"/>, the returned status says
    /// whether it worked. On failure <paramref name="rows"/> is left empty. Never throws for bad requests or failing
    /// tables; only cancellation of <paramref name="cancellationToken"/> ends it early.
    /// </summary>
    public async Task<ExtensionStatus> CallAsync(
        string? registry, string? item, Dictionary<string, string>? request, TableRows rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (!string.Equals(registry, TableRegistry, StringComparison.Ordinal))
            return Failure(rows, $"Unknown registry '{registry}': this extension serves only table plugins.");
        if (item is null || !_tables.TryGetValue(item, out var table))
            return Failure(rows, $"Unknown table plugin '{item}'.");
        if (request is null || !request.TryGetValue("action", out var action))
            return Failure(rows, "Table plugins must include a request action");

        switch (action)
        {
            case "columns":
                foreach (var route in _routes[table.Name])
                    rows.Add(route);
                return Success();
            case "generate":
                return await GenerateAsync(table, request, rows, cancellationToken).ConfigureAwait(false);
            case "insert" or "update" or "delete":
                // osqueryd expects exactly one row with a status key; "readonly" gives "table X may not be modified".
                rows.Add([new KeyValuePair<string, string>("status", "readonly")]);
                return Success();
            default:
                return Failure(rows, $"Unknown table plugin action: {action}");
        }
    }

    private async Task<ExtensionStatus> GenerateAsync(
        ITablePlugin table, Dictionary<string, string> request, TableRows rows, CancellationToken cancellationToken)
    {
        QueryContext context;
        try
        {
            context = QueryContext.Parse(request.GetValueOrDefault("context"), table.Columns);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Failure(rows, $"Table '{table.Name}' received a bad query context: {e.Message}");
        }

        try
        {
            // A dedicated thread keeps a synchronous generate (SQLite reads) from tying up the thread pool, which
            // also serves osqueryd's health pings: a slow table must never make a ping late.
            await Task.Factory.StartNew(
                    () => table.GenerateAsync(context, rows, cancellationToken).AsTask(),
                    cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default)
                .Unwrap().ConfigureAwait(false);
            if (rows.Refused > 0 && !rows.TruncationReported)
                return Failure(rows, $"The result of '{table.Name}' is larger than osqueryd accepts in one reply " +
                                     $"({rows.MaxBytes} bytes here; {rows.Count} rows fitted, {rows.Refused} did not). " +
                                     "Constrain the query, for example with a time range.");
            return Success();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Failure(rows, $"Generating table '{table.Name}' was cancelled because the extension is stopping.");
        }
        catch (Exception e)
        {
            return Failure(rows, $"Generating table '{table.Name}' failed: {e.Message}");
        }
    }

    private ExtensionStatus Success() => new() { Code = 0, Message = "OK", Uuid = Uuid };

    private ExtensionStatus Failure(TableRows rows, string message)
    {
        rows.Clear();
        return new ExtensionStatus { Code = 1, Message = message, Uuid = Uuid };
    }
}
