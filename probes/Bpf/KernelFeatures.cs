namespace OsqueryBpf.Bpf;

/// <summary>
/// The first mainline kernel that has each program and map type, used to turn a bare EINVAL from an
/// older kernel into <see cref="Errors.KernelFeatureNotSupportedException"/>. Values are the kernel's
/// (enum bpf_prog_type / enum bpf_map_type in include/uapi/linux/bpf.h).
/// </summary>
public static class KernelFeatures
{
    private static readonly (string Name, string MinimumKernel)[] s_programTypes =
    [
        ("unspec", "3.18"), ("socket_filter", "3.19"), ("kprobe", "4.1"), ("sched_cls", "4.1"), ("sched_act", "4.1"),
        ("tracepoint", "4.7"), ("xdp", "4.8"), ("perf_event", "4.9"), ("cgroup_skb", "4.10"), ("cgroup_sock", "4.10"),
        ("lwt_in", "4.10"), ("lwt_out", "4.10"), ("lwt_xmit", "4.10"), ("sock_ops", "4.13"), ("sk_skb", "4.14"),
        ("cgroup_device", "4.15"), ("sk_msg", "4.17"), ("raw_tracepoint", "4.17"), ("cgroup_sock_addr", "4.17"),
        ("lwt_seg6local", "4.18"), ("lirc_mode2", "4.18"), ("sk_reuseport", "4.19"), ("flow_dissector", "4.20"),
        ("cgroup_sysctl", "5.2"), ("raw_tracepoint_writable", "5.2"), ("cgroup_sockopt", "5.3"),
        ("tracing (tp_btf, fentry, fexit)", "5.5"), ("struct_ops", "5.6"), ("ext", "5.6"), ("lsm", "5.7"),
        ("sk_lookup", "5.9"), ("syscall", "5.14"), ("netfilter", "6.4"),
    ];

    private static readonly (string Name, string MinimumKernel)[] s_mapTypes =
    [
        ("unspec", "3.18"), ("hash", "3.19"), ("array", "3.19"), ("prog_array", "4.2"), ("perf_event_array", "4.3"),
        ("percpu_hash", "4.6"), ("percpu_array", "4.6"), ("stack_trace", "4.6"), ("cgroup_array", "4.8"),
        ("lru_hash", "4.10"), ("lru_percpu_hash", "4.10"), ("lpm_trie", "4.11"), ("array_of_maps", "4.12"),
        ("hash_of_maps", "4.12"), ("devmap", "4.14"), ("sockmap", "4.14"), ("cpumap", "4.15"), ("xskmap", "4.18"),
        ("sockhash", "4.18"), ("cgroup_storage", "4.19"), ("reuseport_sockarray", "4.19"),
        ("percpu_cgroup_storage", "4.20"), ("queue", "4.20"), ("stack", "4.20"), ("sk_storage", "5.2"),
        ("devmap_hash", "5.4"), ("struct_ops", "5.6"), ("ringbuf", "5.8"), ("inode_storage", "5.10"),
        ("task_storage", "5.11"), ("bloom_filter", "5.16"), ("user_ringbuf", "6.1"), ("cgrp_storage", "6.2"),
        ("arena", "6.9"),
    ];

    /// <summary>Kernel BTF exposed at /sys/kernel/btf/vmlinux (CONFIG_DEBUG_INFO_BTF).</summary>
    public const string KernelBtfMinimumKernel = "5.4";

    /// <summary>The first kernel with program type <paramref name="programType"/>, or null when unknown.</summary>
    public static string? ProgramTypeMinimumKernel(uint programType) =>
        programType < s_programTypes.Length ? s_programTypes[programType].MinimumKernel : null;

    /// <summary>A readable name for program type <paramref name="programType"/>.</summary>
    public static string ProgramTypeName(uint programType) =>
        programType < s_programTypes.Length ? s_programTypes[programType].Name : $"#{programType}";

    /// <summary>The first kernel with map type <paramref name="mapType"/>, or null when unknown.</summary>
    public static string? MapTypeMinimumKernel(uint mapType) =>
        mapType < s_mapTypes.Length ? s_mapTypes[mapType].MinimumKernel : null;

    /// <summary>A readable name for map type <paramref name="mapType"/>.</summary>
    public static string MapTypeName(uint mapType) =>
        mapType < s_mapTypes.Length ? s_mapTypes[mapType].Name : $"#{mapType}";
}
