using System.Text.Json;
using System.Text.Json.Serialization;
using OsqueryBpf.Probes;
using OsqueryBpf.Probes.Runtime;
using OsqueryBpf.Tables;

namespace OsqueryBpf.Host.Settings;

/// <summary>
/// The extension's own settings. osqueryd passes an autoloaded extension only --socket, --timeout and --interval,
/// so everything else comes from a JSON file: --config PATH, else $OSQUERY_BPF_CONFIG, else
/// /etc/osquery-bpf/osquery-bpf.json when it exists, else the defaults below. Keys are snake_case; unknown keys
/// are an error so a typo is not silently ignored. docs/configuration.md describes every key.
/// </summary>
internal sealed class ExtensionSettings
{
    /// <summary>Where the settings file is looked for when neither --config nor the environment names one.</summary>
    public const string DefaultPath = "/etc/osquery-bpf/osquery-bpf.json";

    /// <summary>The SQLite database, or ":memory:".</summary>
    public string Database { get; set; } = StoreOptions.DefaultDatabasePath;

    /// <summary>Most rows kept per event table.</summary>
    public long MaxRows { get; set; } = 1_000_000;

    /// <summary>Oldest events kept, in seconds; null follows osqueryd's --events_expiry (3600 without osqueryd).</summary>
    public long? MaxAgeSeconds { get; set; }

    /// <summary>Declare the event tables EVENT_BASED to osqueryd (see docs/scheduled-queries.md for the trade-off).</summary>
    public bool EventBased { get; set; }

    /// <summary>
    /// Offer osquery 5.23.1's bpf_process_events and bpf_socket_events as views over our tables when osqueryd has no
    /// table of that name (DropInTables).
    /// </summary>
    public bool DropInTables { get; set; } = true;

    /// <summary>Events that may wait for the writer before new ones are counted as dropped.</summary>
    public int QueueCapacity { get; set; } = 65_536;

    /// <summary>Ingest budget per process and table, in events per second, applied when the writer falls behind; 0: off.</summary>
    public long MaxEventsPerProcess { get; set; } = 2_000;

    /// <summary>The same budget for all processes of one user together; 0: off.</summary>
    public long MaxEventsPerUser { get; set; } = 10_000;

    /// <summary>Which probes run, by name (ProbeCatalog). Default: all.</summary>
    public List<string> Probes { get; set; } = ProbeCatalog.All.Select(p => p.Name).ToList();

    /// <summary>
    /// Every probe's own settings, by probe name, read from the same file: each probe's folder declares its keys
    /// (ProbeDefinition.SettingsJson) and documents them in its README.
    /// </summary>
    [JsonIgnore]
    public IReadOnlyDictionary<string, ProbeSettings> ProbeSettings { get; private set; } =
        ProbeCatalog.All.ToDictionary(p => p.Name, p => p.DefaultSettings());







    /// <summary>Reads the settings file named by the command line or the environment, or the default one if present.</summary>
    /// <exception cref="SettingsException">The file is missing (when named explicitly), unreadable or invalid.</exception>
    public static ExtensionSettings Load(string? explicitPath)
    {
        var path = explicitPath ?? Environment.GetEnvironmentVariable("OSQUERY_BPF_CONFIG");
        if (path is null)
        {
            if (!File.Exists(DefaultPath))
                return new ExtensionSettings();
            path = DefaultPath;
        }
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SettingsException($"Cannot read the settings file '{path}': {e.Message}", e);
        }
        return Parse(text, path);
    }

    /// <summary>Parses settings JSON; <paramref name="source"/> names it in error messages.</summary>
    /// <remarks>
    /// The file is one flat object: the extension's keys (this class) and every probe's keys (its settings class) are
    /// read from it, and a key none of them knows is an error.
    /// </remarks>
    public static ExtensionSettings Parse(string json, string source)
    {
        ExtensionSettings? settings;
        try
        {
            using var document = JsonDocument.Parse(WithoutComments(json));
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Null)
                throw new SettingsException($"The settings file '{source}' is empty (null).");
            if (root.ValueKind != JsonValueKind.Object)
                throw new SettingsException($"The settings file '{source}' is not valid: it must be one JSON object, not {root.ValueKind}.");
            RefuseUnknownKeys(root, source);
            settings = root.Deserialize(SettingsJsonContext.Default.ExtensionSettings)
                ?? throw new SettingsException($"The settings file '{source}' is empty (null).");
            settings.ProbeSettings = ProbeCatalog.All.ToDictionary(p => p.Name, p => p.ReadSettings(root));
        }
        catch (JsonException e)
        {
            throw new SettingsException($"The settings file '{source}' is not valid: {e.Message}", e);
        }
        settings.Validate(source);
        return settings;
    }

    /// <summary>
    /// The settings text as plain JSON: comments and trailing commas (allowed in the file) removed, so that every
    /// reader of the object (the extension's and each probe's) can take it as it is.
    /// </summary>
    private static byte[] WithoutComments(string json)
    {
        using var document = JsonDocument.Parse(json, new JsonDocumentOptions
        {
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
        });
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
            document.RootElement.WriteTo(writer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The keys of the settings file: the extension's own, then each probe's.</summary>
    public static IEnumerable<string> Keys =>
        SettingsJsonContext.Default.ExtensionSettings.Properties.Select(p => p.Name)
            .Concat(ProbeCatalog.All.SelectMany(p => p.SettingsJson.Properties.Select(q => q.Name)));

    private static void RefuseUnknownKeys(JsonElement root, string source)
    {
        var known = Keys.ToHashSet(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            if (!known.Contains(property.Name))
                throw new SettingsException($"The settings file '{source}' has the unknown key '{property.Name}'; the keys are {string.Join(", ", known.Order(StringComparer.Ordinal))}.");
        }
    }

    private void Validate(string source)
    {
        foreach (var probe in Probes)
        {
            if (ProbeCatalog.Find(probe) is null)
                throw new SettingsException($"The settings file '{source}' names an unknown probe '{probe}'; known probes are {string.Join(", ", ProbeCatalog.All.Select(p => p.Name))}.");
        }
        if (MaxRows < 1 || MaxAgeSeconds is < 1 || QueueCapacity < 1)
            throw new SettingsException($"The settings file '{source}' needs max_rows, max_age_seconds and queue_capacity of at least 1.");
        if (MaxEventsPerProcess < 0 || MaxEventsPerUser < 0)
            throw new SettingsException($"The settings file '{source}' needs max_events_per_process and max_events_per_user of 0 (off) or more.");
        try
        {
            foreach (var probe in ProbeSettings.Values)
                probe.Validate();
        }
        catch (ArgumentException e)
        {
            throw new SettingsException($"The settings file '{source}' has a value out of range: {e.Message}", e);
        }
    }

    /// <summary>
    /// The keys whose value differs between <paramref name="before"/> and <paramref name="after"/> and that only take
    /// effect when the extension starts (everything but max_rows and max_age_seconds).
    /// </summary>
    public static List<string> KeysNeedingRestart(ExtensionSettings before, ExtensionSettings after)
    {
        var changed = new List<string>();
        void Check(string key, bool same)
        {
            if (!same)
                changed.Add(key);
        }
        Check("database", before.Database == after.Database);
        Check("event_based", before.EventBased == after.EventBased);
        Check("drop_in_tables", before.DropInTables == after.DropInTables);
        Check("queue_capacity", before.QueueCapacity == after.QueueCapacity);
        Check("max_events_per_process", before.MaxEventsPerProcess == after.MaxEventsPerProcess);
        Check("max_events_per_user", before.MaxEventsPerUser == after.MaxEventsPerUser);
        Check("probes", before.Probes.SequenceEqual(after.Probes));
        foreach (var probe in ProbeCatalog.All)
        {
            var a = JsonSerializer.SerializeToElement(before.ProbeSettings[probe.Name], probe.SettingsJson);
            var b = JsonSerializer.SerializeToElement(after.ProbeSettings[probe.Name], probe.SettingsJson);
            foreach (var key in a.EnumerateObject())
                Check(key.Name, b.TryGetProperty(key.Name, out var value) && value.GetRawText() == key.Value.GetRawText());
        }
        return changed;
    }

    /// <summary>The store's options; <paramref name="log"/> receives the store's log lines.</summary>
    public StoreOptions ToStoreOptions(Action<string>? log) => new()
    {
        DatabasePath = Database,
        MaxRowsPerTable = MaxRows,
        MaxAgeSeconds = MaxAgeSeconds ?? StoreOptions.DefaultMaxAgeSeconds,
        ChannelCapacity = QueueCapacity,
        MaxEventsPerProcess = MaxEventsPerProcess,
        MaxEventsPerUser = MaxEventsPerUser,
        EventBased = EventBased,
        Log = log,
    };

    /// <summary>The probes the settings enable, each with its settings, in the catalog's order.</summary>
    public IEnumerable<(ProbeDefinition Probe, ProbeSettings Settings)> EnabledProbes() =>
        ProbeCatalog.All.Where(p => Probes.Contains(p.Name)).Select(p => (p, ProbeSettings[p.Name]));
}

/// <summary>A settings file that cannot be used; the message says which file and why.</summary>
internal sealed class SettingsException(string message, Exception? inner = null) : Exception(message, inner);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true)]
[JsonSerializable(typeof(ExtensionSettings))]
internal sealed partial class SettingsJsonContext : JsonSerializerContext;
