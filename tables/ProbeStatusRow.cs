namespace OsqueryBpf.Tables;

/// <summary>A probe status plus the store's own facts about its table, as written to <c>ebpf_probes</c>.</summary>
internal sealed record ProbeStatusRow(ProbeStatus Status, long Rows, long? OldestTime, long RetentionSeconds, string RetentionReason);
