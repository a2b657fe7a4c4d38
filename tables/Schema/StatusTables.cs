using OsqueryBpf.Osquery.Tables;

namespace OsqueryBpf.Tables.Schema;

/// <summary>The tables the store serves besides the probes' event tables.</summary>
public static class StatusTables
{
    /// <summary><c>ebpf_probes</c>: one status row per probe (not evented).</summary>
    public static TableDefinition Probes { get; } = new(
        "ebpf_probes",
        "Not evented: one row per probe, for operators and health checks.",
        isEvented: false,
        eventType: null,
        new ColumnListBuilder<ProbeStatusRow>()
            .Text("name", "The probe's name.", r => r.Status.Name)
            .Text("table", "The table its events go to.", r => r.Status.Table)
            .Text("hooks", "Its attach points, comma separated.", r => r.Status.Hooks)
            .Text("status", "running; degraded when some hooks are missing (see missing_hooks); failed or disabled.", r => r.Status.Status)
            .Text("error", "Why it failed, with the verifier's last lines when the verifier refused it; empty otherwise.", r => r.Status.Error)
            .Text("missing_hooks", "Hooks that are not running, separated by ' | ', each with the first kernel that has it and why it is missing here " +
                "(optional ones are syscalls this kernel does not have); empty when every hook runs.", r => r.Status.MissingHooks)
            .Integer("events", ColumnType.BigInt, "Records received from the kernel.", r => r.Status.Events)
            .Integer("drops", ColumnType.BigInt, "Records lost in the kernel ring or in the pipeline.", r => r.Status.Drops)
            .Integer("rows", ColumnType.BigInt, "Rows of its table buffered now.", r => r.Rows)
            .Integer("oldest_time", ColumnType.BigInt, "UNIX seconds of the oldest buffered row of its table; empty (NULL) when there is none.",
                r => r.OldestTime ?? ColumnListBuilder<ProbeStatusRow>.Null, nullable: true)
            .Integer("retention_seconds", ColumnType.BigInt, "How long its table keeps events, in seconds (max_rows still bounds it); empty (NULL) when it feeds no table. " +
                "See docs/scheduled-queries.md.", r => r.RetentionSeconds, nullable: true)
            .Text("retention_reason", "Why that long: 'schedule: <query> every <n> s' (twice the longest interval of a scheduled query reading the table), " +
                "'events_expiry', 'max_age_seconds', 'floor' (osqueryd's schedule unknown) or 'cap'.", r => r.RetentionReason)
            .Integer("ring_bytes", ColumnType.BigInt, "Size of its ring buffer in bytes.", r => r.Status.RingBytes)
            .Integer("loaded_at", ColumnType.BigInt, "UNIX seconds when it was loaded; empty (NULL) if it never was.",
                r => r.Status.LoadedAt ?? ColumnListBuilder<ProbeStatusRow>.Null, nullable: true)
            .Build());
}
