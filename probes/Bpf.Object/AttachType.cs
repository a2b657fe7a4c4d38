namespace OsqueryBpf.Bpf.Object;

/// <summary>
/// Expected attach types with the kernel's UAPI values (<c>enum bpf_attach_type</c>). <see cref="None"/> (0) is what
/// BPF_PROG_LOAD gets for program types that have no expected attach type (tracepoints, socket filters).
/// </summary>
public enum AttachType : uint
{
    /// <summary>No expected attach type (numerically BPF_CGROUP_INET_INGRESS, which the kernel ignores for such types).</summary>
    None = 0,
    /// <summary>BPF_CGROUP_INET_INGRESS.</summary>
    CgroupInetIngress = 0,
    /// <summary>BPF_CGROUP_INET_EGRESS.</summary>
    CgroupInetEgress = 1,
    /// <summary>BPF_CGROUP_INET_SOCK_CREATE.</summary>
    CgroupInetSockCreate = 2,
    /// <summary>BPF_CGROUP_SOCK_OPS.</summary>
    CgroupSockOps = 3,
    /// <summary>BPF_SK_SKB_STREAM_PARSER.</summary>
    SkSkbStreamParser = 4,
    /// <summary>BPF_SK_SKB_STREAM_VERDICT.</summary>
    SkSkbStreamVerdict = 5,
    /// <summary>BPF_CGROUP_DEVICE.</summary>
    CgroupDevice = 6,
    /// <summary>BPF_SK_MSG_VERDICT.</summary>
    SkMsgVerdict = 7,
    /// <summary>BPF_CGROUP_INET4_BIND.</summary>
    CgroupInet4Bind = 8,
    /// <summary>BPF_CGROUP_INET6_BIND.</summary>
    CgroupInet6Bind = 9,
    /// <summary>BPF_CGROUP_INET4_CONNECT.</summary>
    CgroupInet4Connect = 10,
    /// <summary>BPF_CGROUP_INET6_CONNECT.</summary>
    CgroupInet6Connect = 11,
    /// <summary>BPF_CGROUP_INET4_POST_BIND.</summary>
    CgroupInet4PostBind = 12,
    /// <summary>BPF_CGROUP_INET6_POST_BIND.</summary>
    CgroupInet6PostBind = 13,
    /// <summary>BPF_CGROUP_UDP4_SENDMSG.</summary>
    CgroupUdp4Sendmsg = 14,
    /// <summary>BPF_CGROUP_UDP6_SENDMSG.</summary>
    CgroupUdp6Sendmsg = 15,
    /// <summary>BPF_LIRC_MODE2.</summary>
    LircMode2 = 16,
    /// <summary>BPF_FLOW_DISSECTOR.</summary>
    FlowDissector = 17,
    /// <summary>BPF_CGROUP_SYSCTL.</summary>
    CgroupSysctl = 18,
    /// <summary>BPF_CGROUP_UDP4_RECVMSG.</summary>
    CgroupUdp4Recvmsg = 19,
    /// <summary>BPF_CGROUP_UDP6_RECVMSG.</summary>
    CgroupUdp6Recvmsg = 20,
    /// <summary>BPF_CGROUP_GETSOCKOPT.</summary>
    CgroupGetsockopt = 21,
    /// <summary>BPF_CGROUP_SETSOCKOPT.</summary>
    CgroupSetsockopt = 22,
    /// <summary>BPF_TRACE_RAW_TP: the expected attach type of <c>tp_btf</c> programs.</summary>
    TraceRawTracepoint = 23,
    /// <summary>BPF_TRACE_FENTRY.</summary>
    TraceFentry = 24,
    /// <summary>BPF_TRACE_FEXIT.</summary>
    TraceFexit = 25,
    /// <summary>BPF_MODIFY_RETURN.</summary>
    ModifyReturn = 26,
    /// <summary>BPF_LSM_MAC.</summary>
    LsmMac = 27,
    /// <summary>BPF_TRACE_ITER.</summary>
    TraceIter = 28,
}
