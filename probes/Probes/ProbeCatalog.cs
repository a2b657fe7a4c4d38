using OsqueryBpf.Probes.Runtime;
using OsqueryBpf.Tables.Schema;

namespace OsqueryBpf.Probes;

/// <summary>
/// Every probe of the product, one line each. A probe is one folder beside this file (its BPF program, record
/// layout, decoder, event type, table and settings); docs/writing-a-probe.md shows how to add one.
/// </summary>
public static class ProbeCatalog
{
    /// <summary>All probes, in the order they load.</summary>
    public static IReadOnlyList<ProbeDefinition> All { get; } =
    [
        CgroupProbe.Definition, // first: the container map follows cgroups before other rows arrive
        ProcessProbe.Definition,
        FileProbe.Definition,
        SocketProbe.Definition,
        DnsProbe.Definition,
    ];

    /// <summary>Every event table the probes fill, in the probes' order.</summary>
    public static IReadOnlyList<TableDefinition> Tables { get; } = All.SelectMany(p => p.Tables).ToArray();

    /// <summary>The probe with this name, or null.</summary>
    public static ProbeDefinition? Find(string name) => All.FirstOrDefault(p => p.Name == name);
}
