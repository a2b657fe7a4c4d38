using System.Diagnostics.CodeAnalysis;
using OsqueryBpf.Containers.Attribution;
using OsqueryBpf.Containers.Cgroups;
using OsqueryBpf.Events;
using OsqueryBpf.Probes.Runtime;

namespace OsqueryBpf.Probes;

/// <summary>
/// The cgroup probe (cgroup.bpf.c): every cgroup v2 mkdir, rmdir, rename and task move, into the container map
/// (<see cref="ProbeContext.Containers"/>) that names the container of every other probe's rows. It fills no table
/// of its own; ebpf_containers shows the map. probes/Containers/README.md has the design.
/// </summary>
public static class CgroupProbe
{
    /// <summary>The probe. It loads first, so the map follows cgroups before the other probes' rows arrive.</summary>
    public static ProbeDefinition Definition { get; } = new()
    {
        Name = "cgroup",
        Tables = [],
        // Its records are about other processes' cgroups; the extension makes none.
        IgnoresOwnProcess = false,
        SettingsJson = NoSettingsJson.Default.NoSettings,
        DefaultSettings = () => new NoSettings(),
        CreateDecoder = (_, context) => new MapFeeder(context.Containers),
        Started = (reader, context) =>
        {
            // Attached before the walk, so a cgroup made meanwhile is in the ring if the walk misses it; records
            // win over the walk for the same id.
            context.Containers.CatchUp = reader.CatchUp;
            context.Containers.SeedFromCgroupFs();
        },
        Stopping = context => context.Containers.CatchUp = null,
    };

    /// <summary>Applies each record to the map; no events come out.</summary>
    private sealed class MapFeeder(ContainerMap map) : IMultiEventDecoder, IRecordDecoder
    {
        public string? Decode(ReadOnlySpan<byte> record, List<Event> events)
        {
            if (!CgroupRecordDecoder.TryDecode(record, out var evt, out var error))
                return error;
            map.Apply(evt!);
            return null;
        }

        public bool TryDecode(ReadOnlySpan<byte> record, [NotNullWhen(true)] out Event? evt, [NotNullWhen(false)] out string? error)
        {
            evt = null;
            error = "the cgroup probe's records feed the container map and become no events";
            return false;
        }
    }
}
