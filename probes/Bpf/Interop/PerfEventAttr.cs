using System.Runtime.InteropServices;

#pragma warning disable CS1591, IDE1006 // Kernel field names (struct perf_event_attr in include/uapi/linux/perf_event.h).

namespace OsqueryBpf.Bpf.Interop;

/// <summary>struct perf_event_attr, up to PERF_ATTR_SIZE_VER8 (136 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct PerfEventAttr
{
    public const uint PERF_TYPE_HARDWARE = 0;
    public const uint PERF_TYPE_SOFTWARE = 1;
    public const uint PERF_TYPE_TRACEPOINT = 2;
    public const ulong PERF_SAMPLE_RAW = 1 << 10;
    /// <summary>Bit 0 of the flags word ('disabled').</summary>
    public const ulong FlagDisabled = 1;

    public uint type;
    public uint size;
    public ulong config;
    public ulong sample_period;
    public ulong sample_type;
    public ulong read_format;
    public ulong flags; // the bitfield word: disabled, inherit, pinned, ...
    public uint wakeup_events;
    public uint bp_type;
    public ulong config1;
    public ulong config2;
    public ulong branch_sample_type;
    public ulong sample_regs_user;
    public uint sample_stack_user;
    public int clockid;
    public ulong sample_regs_intr;
    public uint aux_watermark;
    public ushort sample_max_stack;
    public ushort __reserved_2;
    public uint aux_sample_size;
    public uint __reserved_3;
    public ulong sig_data;
    public ulong config3;
}
