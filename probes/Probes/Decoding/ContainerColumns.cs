using OsqueryBpf.Containers.Attribution;
using OsqueryBpf.Events;

namespace OsqueryBpf.Probes.Decoding;

/// <summary>Puts a container's attribution into an event's container columns.</summary>
internal static class ContainerColumns
{
    public static void SetContainer(this Event evt, ContainerAttribution container)
    {
        evt.ContainerId = container.ContainerId;
        evt.ContainerName = container.Name;
        evt.PodName = container.PodName;
        evt.PodNamespace = container.PodNamespace;
    }
}
