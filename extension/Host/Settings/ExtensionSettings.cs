using System.Text.Json;
using System.Text.Json.Serialization;
using OsqueryBpf.Probes;
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

    /// <summary>Events that may wait for the writer before new ones are counted as dropped.</summary>
    public int QueueCapacity { get; set; } = 65_536;

    /// <summary>Ingest budget per process and table, in events per second, applied when the writer falls behind; 0: off.</summary>
    public long MaxEventsPerProcess { get; set; } = 2_000;

    /// <summary>The same budget for all processes of one user together; 0: off.</summary>
    public long MaxEventsPerUser { get; set; } = 10_000;

    /// <summary>Which probes run: process, file, socket, dns. Default: all.</summary>
    public List<string> Probes { get; set; } = ["process", "file", "socket", "dns"];

    /// <summary>Longest argv captured per exec, in bytes (probe_error = 1 when cut).</summary>
    public int MaxArgvBytes { get; set; } = 4096;

    /// <summary>Most arguments captured per exec.</summary>
    public int MaxArgs { get; set; } = 128;

    /// <summary>Also record fork/clone.</summary>
    public bool RecordForks { get; set; }

    /// <summary>Also record opens for reading only (high volume).</summary>
    public bool RecordReadOpens { get; set; }

    /// <summary>File events only under these path prefixes (empty: everywhere). At most 8, 64 bytes each.</summary>
    public List<string> FileIncludePrefixes { get; set; } = [];

    /// <summary>No file events under these path prefixes. At most 8, 64 bytes each.</summary>
    public List<string> FileExcludePrefixes { get; set; } = [];

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
    public static ExtensionSettings Parse(string json, string source)
    {
        ExtensionSettings? settings;
        try
        {
            settings = JsonSerializer.Deserialize(json, SettingsJsonContext.Default.ExtensionSettings);
        }
        catch (JsonException e)
        {
            throw new SettingsException($"The settings file '{source}' is not valid: {e.Message}", e);
        }
        if (settings is null)
            throw new SettingsException($"The settings file '{source}' is empty (null).");
        settings.Validate(source);
        return settings;
    }

    private void Validate(string source)
    {
        foreach (var probe in Probes)
        {
            if (probe is not ("process" or "file" or "socket" or "dns"))
                throw new SettingsException($"The settings file '{source}' names an unknown probe '{probe}'; known probes are process, file, socket and dns.");
        }
        if (MaxRows < 1 || MaxAgeSeconds is < 1 || QueueCapacity < 1)
            throw new SettingsException($"The settings file '{source}' needs max_rows, max_age_seconds and queue_capacity of at least 1.");
        if (MaxEventsPerProcess < 0 || MaxEventsPerUser < 0)
            throw new SettingsException($"The settings file '{source}' needs max_events_per_process and max_events_per_user of 0 (off) or more.");
        try
        {
            ToProbeSettings().Validate();
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
        Check("queue_capacity", before.QueueCapacity == after.QueueCapacity);
        Check("max_events_per_process", before.MaxEventsPerProcess == after.MaxEventsPerProcess);
        Check("max_events_per_user", before.MaxEventsPerUser == after.MaxEventsPerUser);
        Check("probes", before.Probes.SequenceEqual(after.Probes));
        Check("max_argv_bytes", before.MaxArgvBytes == after.MaxArgvBytes);
        Check("max_args", before.MaxArgs == after.MaxArgs);
        Check("record_forks", before.RecordForks == after.RecordForks);
        Check("record_read_opens", before.RecordReadOpens == after.RecordReadOpens);
        Check("file_include_prefixes", before.FileIncludePrefixes.SequenceEqual(after.FileIncludePrefixes));
        Check("file_exclude_prefixes", before.FileExcludePrefixes.SequenceEqual(after.FileExcludePrefixes));
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

    /// <summary>The probes' options (.rodata constants and decoder limits).</summary>
    public ProbeSettings ToProbeSettings() => new()
    {
        MaxArgvBytes = MaxArgvBytes,
        MaxArgs = MaxArgs,
        RecordForks = RecordForks,
        RecordReadOpens = RecordReadOpens,
        IncludePathPrefixes = FileIncludePrefixes,
        ExcludePathPrefixes = FileExcludePrefixes,
        RingWakeupBytes = Runtime.ProbeRunner.RingWakeupBytes,
    };
}

/// <summary>A settings file that cannot be used; the message says which file and why.</summary>
internal sealed class SettingsException(string message, Exception? inner = null) : Exception(message, inner);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true)]
[JsonSerializable(typeof(ExtensionSettings))]
internal sealed partial class SettingsJsonContext : JsonSerializerContext;
