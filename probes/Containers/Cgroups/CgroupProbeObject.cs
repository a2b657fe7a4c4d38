namespace OsqueryBpf.Containers.Cgroups;

/// <summary>
/// The compiled probes/bpf/cgroup.bpf.c embedded in this assembly, and the names a loader needs: its
/// programs (raw tracepoints attached by section), its ring and the ring's lost-record counter.
/// </summary>
public static class CgroupProbeObject
{
    /// <summary>The manifest resource holding the object.</summary>
    public const string ResourceName = "cgroup.bpf.o";

    /// <summary>The BPF_MAP_TYPE_RINGBUF map of <c>struct cgroup_record</c>s.</summary>
    public const string RingMap = "cgroup_events";

    /// <summary>The per-CPU array counting records the kernel could not put into the ring.</summary>
    public const string LostMap = "cgroup_events_lost";

    /// <summary>The .rodata switch that drops cgroup v1 hierarchies in the kernel (default true).</summary>
    public const string DefaultHierarchyOnlyConstant = "default_hierarchy_only";

    /// <summary>The programs, each named after the raw tracepoint it attaches to.</summary>
    public static IReadOnlyList<string> Programs { get; } =
        ["cgroup_mkdir", "cgroup_rmdir", "cgroup_rename", "cgroup_attach_task"];

    /// <summary>The embedded object's bytes.</summary>
    /// <exception cref="InvalidOperationException">The assembly was built without the object.</exception>
    public static byte[] Read()
    {
        using var stream = typeof(CgroupProbeObject).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The BPF object '{ResourceName}' is not embedded in {typeof(CgroupProbeObject).Assembly.GetName().Name}; was clang available at build time?");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }
}
