namespace OsqueryBpf.Tables;

/// <summary>
/// How long one event table keeps its rows: rows whose <c>time</c> is older than <see cref="Seconds"/> are deleted
/// (max_rows still bounds the table), and <see cref="Reason"/> says why it is that long, as ebpf_probes shows it
/// (for example "schedule: pack_ebpf_processes every 60 s").
/// </summary>
public sealed record TableRetention(long Seconds, string Reason);
