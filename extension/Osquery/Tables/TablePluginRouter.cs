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
    public Dictionary<string, Dictionary<string, List<Dictionary<string, string>>>> BuildRegistry()
    {
        var tableRoutes = new Dictionary<string, List<Dictionary<string, string>>>(StringComparer.Ordinal);
        foreach (var (name, routes) in _routes)
            tableRoutes[name] = routes;
        return new(StringComparer.Ordinal)
        {
            [TableRegistry] = tableRoutes,
            ["config"] = new(StringComparer.Ordinal),
            ["logger"] = new(StringComparer.Ordinal),
            ["distributed"] = new(StringComparer.Ordinal),
        };
    }

    /// <summary>Handles one call(registry, item, request).</summary>
    public async Task<ExtensionResponse> CallAsync(
        string? registry, string? item, Dictionary<string, string>? request, CancellationToken cancellationToken)
    {
        if (!string.Equals(registry, TableRegistry, StringComparison.Ordinal))
            return Failure($"Unknown registry '{registry}': this extension serves only table plugins.");
        if (item is null || !_tables.TryGetValue(item, out var table))
            return Failure($"Unknown table plugin '{item}'.");
        if (request is null || !request.TryGetValue("action", out var action))
            return Failure("Table plugins must include a request action");

        switch (action)
        {
            case "columns":
                return Success(_routes[table.Name]);
            case "generate":
                return await GenerateAsync(table, request, cancellationToken).ConfigureAwait(false);
            case "insert" or "update" or "delete":
                // osqueryd expects exactly one row with a status key; "readonly" gives "table X may not be modified".
                return Success([new Dictionary<string, string>(StringComparer.Ordinal) { ["status"] = "readonly" }]);
            default:
                return Failure($"Unknown table plugin action: {action}");
        }
    }

    private async Task<ExtensionResponse> GenerateAsync(
        ITablePlugin table, Dictionary<string, string> request, CancellationToken cancellationToken)
    {
        QueryContext context;
        try
        {
            context = QueryContext.Parse(request.GetValueOrDefault("context"), table.Columns);
        }
        catch (FormatException e)
        {
            return Failure($"Table '{table.Name}' received a bad query context: {e.Message}");
        }

        try
        {
            // A dedicated thread keeps a synchronous generate (SQLite reads) from tying up the thread pool, which
            // also serves osqueryd's health pings: a slow table must never make a ping late.
            var rows = await Task.Factory.StartNew(
                    () => table.GenerateAsync(context, cancellationToken).AsTask(),
                    cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default)
                .Unwrap().ConfigureAwait(false);
            return Success(rows ?? []);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Failure($"Generating table '{table.Name}' was cancelled because the extension is stopping.");
        }
        catch (Exception e)
        {
            return Failure($"Generating table '{table.Name}' failed: {e.Message}");
        }
    }

    private ExtensionResponse Success(List<Dictionary<string, string>> rows) => new()
    {
        Status = new ExtensionStatus { Code = 0, Message = "OK", Uuid = Uuid },
        Response = rows,
    };

    private ExtensionResponse Failure(string message) => new()
    {
        Status = new ExtensionStatus { Code = 1, Message = message, Uuid = Uuid },
        Response = [],
    };
}
