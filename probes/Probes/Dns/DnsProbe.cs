using OsqueryBpf.Bpf.Object;
using OsqueryBpf.Osquery.Tables;
using OsqueryBpf.Probes.Kernel;
using OsqueryBpf.Probes.Runtime;
using OsqueryBpf.Tables.Schema;

namespace OsqueryBpf.Probes;

/// <summary>
/// The DNS probe (dns.bpf.c): every DNS message on the host, from a socket filter joined with a port-to-process map,
/// into <c>ebpf_dns_events</c>.
/// </summary>
public static class DnsProbe
{
    /// <summary>Bytes of each DNS payload copied into a record: enough for ordinary answers, capped by the record layout.</summary>
    public const uint PayloadLimit = 1232; // the EDNS buffer size DNS flag day 2020 recommends

    /// <summary><c>ebpf_dns_events</c>.</summary>
    public static TableDefinition Table { get; } = new(
        "ebpf_dns_events",
        "One row per DNS message seen on the host, queries and responses, over UDP and TCP port 53, with the process that sent the query.",
        isEvented: true,
        typeof(DnsEvent),
        new ColumnListBuilder<DnsEvent>().Time()
            .Text("kind", "query or response.", e => e.Kind)
            .Integer("id", ColumnType.Integer, "DNS transaction id.", e => e.Id)
            .Text("name", "The question name.", e => e.Name)
            .Text("type", "The question type: A, AAAA, CNAME, MX, TXT, PTR, SRV, HTTPS, ... or TYPEnnn.", e => e.Type)
            .Integer("type_id", ColumnType.Integer, "The question type's number.", e => e.TypeId)
            .Integer("status", ColumnType.Integer, "Response code (0 NOERROR, 3 NXDOMAIN, ...); 0 on queries.", e => e.Status)
            .Text("answers", "The answer records in the documented human-readable form.", e => e.Answers)
            .Integer("latency", ColumnType.BigInt, "Nanoseconds from the query to this response; 0 on queries or when unmatched.", e => e.Latency)
            .Text("protocol", "udp or tcp.", e => e.Protocol)
            .Text("server_address", "The server's address.", e => e.ServerAddress)
            .Integer("server_port", ColumnType.Integer, "The server's port.", e => e.ServerPort)
            .Text("client_address", "The client's address.", e => e.ClientAddress)
            .Integer("client_port", ColumnType.Integer, "The client's port.", e => e.ClientPort)
            .Flag("truncated", "1 when the TC (truncated) bit was set, else 0.", e => e.Truncated)
            .ProcessIdentity()
            .Text("path", "The binary of the process that sent the query, as of the packet: from its exec seen by the process probe (kept after it exits), else /proc/<pid>/exe when the row is decoded (empty once it has exited).", e => e.Path)
            .Tail()
            .Text("response", "The answer records as a JSON array.", e => e.ResponseJson, ColumnOptions.Index | ColumnOptions.Hidden)
            .Eid()
            .Build());

    /// <summary>The probe. It has no settings of its own.</summary>
    public static ProbeDefinition Definition { get; } = new()
    {
        Name = "dns",
        Tables = [Table],
        // The extension's own DNS lookups are not a feedback loop (the store makes none), so they are recorded.
        IgnoresOwnProcess = false,
        SettingsJson = NoSettingsJson.Default.NoSettings,
        DefaultSettings = () => new NoSettings(),
        BuildConstants = _ => [ProbeDefinition.Constant("payload_limit", PayloadLimit)],
        KernelConstants = kernel =>
        [
            ProbeDefinition.Constant("filter_sees_task", SocketFilterSeesTask(kernel)),
            ProbeDefinition.Constant("filter_has_cgroup_id", kernel.CanCall(ProgramType.SocketFilter, "get_current_cgroup_id")),
        ],
        CreateDecoder = (_, context) => new DnsEventDecoder(context.Clock, context.Containers, context.Images),
    };

    /// <summary>
    /// Whether a socket filter may call every helper dns_packet needs to know the task sending a packet: the current
    /// task (typed where the kernel has bpf_get_current_task_btf), its saved registers (bpf_task_pt_regs, or probe
    /// reads of the kernel stack before it exists), and probe reads. Each program type has its own helper list, which
    /// grows from release to release, so the verifier is asked (<see cref="IKernelProfile.CanCall"/>).
    /// </summary>
    public static bool SocketFilterSeesTask(IKernelProfile kernel)
    {
        const ProgramType filter = ProgramType.SocketFilter;
        var task = kernel.HasHelper("get_current_task_btf") ? "get_current_task_btf" : "get_current_task";
        return kernel.CanCall(filter, task)
            && (!kernel.HasHelper("task_pt_regs") || kernel.CanCall(filter, "task_pt_regs"))
            && kernel.CanCall(filter, "probe_read_kernel")
            && kernel.CanCall(filter, "probe_read_kernel_str");
    }
}
