using OsqueryBpf.Osquery.Tables;

namespace OsqueryBpf.Tables;

/// <summary>Settings of the <see cref="EventStore"/>.</summary>
public sealed class StoreOptions
{
    /// <summary>Where the store lives unless told otherwise.</summary>
    public const string DefaultDatabasePath = "/var/lib/osquery-bpf/events.db";

    /// <summary>The <see cref="DatabasePath"/> that keeps everything in memory (lost on restart).</summary>
    public const string InMemory = ":memory:";

    /// <summary>osquery's <c>--events_expiry</c> default, in seconds.</summary>
    public const long DefaultMaxAgeSeconds = 3600;

    /// <summary>The SQLite file (WAL journal, synchronous=NORMAL), or <see cref="InMemory"/>. Its folder is created if
    /// missing.</summary>
    public string DatabasePath { get; set; } = DefaultDatabasePath;

    /// <summary>Rows whose <c>time</c> is older than this many seconds are deleted. The host passes osqueryd's
    /// <c>events_expiry</c> here when it can read it.</summary>
    public long MaxAgeSeconds { get; set; } = DefaultMaxAgeSeconds;

    /// <summary>Each event table keeps at most about this many rows. The oldest rows of the user who holds the most of
    /// the oldest rows go first, so a flood pushes out its own rows before anyone else's.</summary>
    public long MaxRowsPerTable { get; set; } = 1_000_000;

    /// <summary>Events that may wait for the writer. When the channel is full, new events are dropped and counted.</summary>
    public int ChannelCapacity { get; set; } = 65_536;

    /// <summary>
    /// The ingest budget, per table: once the writer falls behind (the channel is half full), a process may add at
    /// most this many events per second; the rest of its events are refused and counted as drops, so that a
    /// flooding process loses its own events rather than everybody else's. 0 turns the budget off.
    /// </summary>
    public long MaxEventsPerProcess { get; set; } = 2_000;

    /// <summary>The same budget for all processes of one user together (many processes flooding). 0 turns it off.</summary>
    public long MaxEventsPerUser { get; set; } = 10_000;

    /// <summary>Most events written in one transaction.</summary>
    public int BatchSize { get; set; } = 4_096;

    /// <summary>Most rows retention deletes per table between two batches, so that it never stalls ingest for long.</summary>
    public int RetentionChunkRows { get; set; } = 8_192;

    /// <summary>How often an idle writer looks for expired rows and refreshes ebpf_probes.</summary>
    public TimeSpan IdleInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A query result larger than this (counted as Thrift bytes) fails with a
    /// <see cref="Query.ResultTooLargeException"/>: the protocol's reply limit (osqueryd refuses replies above 100 MiB).</summary>
    public long MaxResultBytes { get; set; } = ReplyLimits.MaxReplyBytes;

    /// <summary>
    /// Open an existing on-disk store for reading only: no writer, no lock, nothing written. This is how a second
    /// process looks at the database a running extension writes (the writer keeps ebpf_probes in it, too).
    /// </summary>
    public bool ReadOnly { get; set; }

    /// <summary>Receives write failures and recoveries (a full disk, a damaged file). Falls back to <see cref="Log"/>.</summary>
    public Action<string>? LogWarning { get; set; }

    /// <summary>Declare the event tables EVENT_BASED to osqueryd (see docs/scheduled-queries.md). Off by default.</summary>
    public bool EventBased { get; set; }

    /// <summary>Receives one line per notable store event (recovery, schema change, write failure). May be null.</summary>
    public Action<string>? Log { get; set; }

    /// <summary>The clock used for retention by age.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    internal bool IsInMemory => DatabasePath == InMemory;

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(DatabasePath))
            throw new ArgumentException("The store's database path is empty; give a file path or ':memory:'.");
        if (ReadOnly && IsInMemory)
            throw new ArgumentException("A read-only store needs a database file; ':memory:' has nothing to read.");
        if (MaxAgeSeconds <= 0)
            throw new ArgumentOutOfRangeException(nameof(MaxAgeSeconds), MaxAgeSeconds, "The maximum age must be at least one second.");
        if (MaxRowsPerTable <= 0)
            throw new ArgumentOutOfRangeException(nameof(MaxRowsPerTable), MaxRowsPerTable, "The maximum row count must be at least 1.");
        if (ChannelCapacity <= 0)
            throw new ArgumentOutOfRangeException(nameof(ChannelCapacity), ChannelCapacity, "The channel capacity must be at least 1.");
        if (MaxEventsPerProcess < 0 || MaxEventsPerUser < 0)
            throw new ArgumentOutOfRangeException(nameof(MaxEventsPerProcess), "The ingest budgets must be 0 (off) or positive.");
        if (BatchSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "The batch size must be at least 1.");
        if (RetentionChunkRows <= 0)
            throw new ArgumentOutOfRangeException(nameof(RetentionChunkRows), RetentionChunkRows, "The retention chunk must be at least 1 row.");
        if (IdleInterval <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(IdleInterval), IdleInterval, "The idle interval must be positive.");
        if (MaxResultBytes <= 0)
            throw new ArgumentOutOfRangeException(nameof(MaxResultBytes), MaxResultBytes, "The result ceiling must be positive.");
    }
}
