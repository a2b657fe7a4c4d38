namespace OsqueryBpf.Bpf.Object;

/// <summary>Program section naming conventions (as libbpf's SEC() names), mapped to program and attach types.</summary>
public static class SectionNames
{
    private static readonly (string Prefix, ProgramType Type, AttachType Attach, bool NeedsTarget)[] s_prefixes =
    [
        ("tracepoint/", ProgramType.TracePoint, AttachType.None, true),
        ("tp/", ProgramType.TracePoint, AttachType.None, true),
        ("raw_tracepoint.w/", ProgramType.RawTracepointWritable, AttachType.None, true),
        ("raw_tp.w/", ProgramType.RawTracepointWritable, AttachType.None, true),
        ("raw_tracepoint/", ProgramType.RawTracepoint, AttachType.None, true),
        ("raw_tp/", ProgramType.RawTracepoint, AttachType.None, true),
        ("tp_btf/", ProgramType.Tracing, AttachType.TraceRawTracepoint, true),
        ("fentry/", ProgramType.Tracing, AttachType.TraceFentry, true),
        ("fexit/", ProgramType.Tracing, AttachType.TraceFexit, true),
        ("fmod_ret/", ProgramType.Tracing, AttachType.ModifyReturn, true),
        ("iter/", ProgramType.Tracing, AttachType.TraceIter, true),
        ("lsm/", ProgramType.Lsm, AttachType.LsmMac, true),
        ("kprobe/", ProgramType.Kprobe, AttachType.None, true),
        ("kretprobe/", ProgramType.Kprobe, AttachType.None, true),
        ("uprobe/", ProgramType.Kprobe, AttachType.None, false),
        ("uretprobe/", ProgramType.Kprobe, AttachType.None, false),
        ("socket/", ProgramType.SocketFilter, AttachType.None, false),
    ];

    private static readonly (string Name, ProgramType Type, AttachType Attach)[] s_exact =
    [
        ("socket", ProgramType.SocketFilter, AttachType.None),
        ("xdp", ProgramType.Xdp, AttachType.None),
        ("perf_event", ProgramType.PerfEvent, AttachType.None),
        ("uprobe", ProgramType.Kprobe, AttachType.None),
        ("uretprobe", ProgramType.Kprobe, AttachType.None),
    ];

    /// <summary>
    /// Maps a section name to its program type, expected attach type and attach target (the part after the prefix:
    /// <c>syscalls/sys_enter_openat</c> for <c>tracepoint/syscalls/sys_enter_openat</c>).
    /// </summary>
    public static bool TryParse(string sectionName, out ProgramType type, out AttachType attachType, out string attachTo)
    {
        foreach (var (name, t, a) in s_exact)
        {
            if (sectionName == name)
            {
                (type, attachType, attachTo) = (t, a, "");
                return true;
            }
        }
        foreach (var (prefix, t, a, needsTarget) in s_prefixes)
        {
            if (!sectionName.StartsWith(prefix, StringComparison.Ordinal))
                continue;
            var target = sectionName[prefix.Length..];
            if (needsTarget && target.Length == 0)
                break;
            if (t == ProgramType.TracePoint && target.IndexOf('/') <= 0)
                break; // tracepoints are category/name
            (type, attachType, attachTo) = (t, a, target);
            return true;
        }
        (type, attachType, attachTo) = (ProgramType.Unspecified, AttachType.None, "");
        return false;
    }
}
