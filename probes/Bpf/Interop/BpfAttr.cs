using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

#pragma warning disable CS1591, IDE1006 // Kernel field names (union bpf_attr in include/uapi/linux/bpf.h), kept so grep works.

namespace OsqueryBpf.Bpf.Interop;

// One struct per anonymous member of union bpf_attr. The kernel accepts a shorter attr than its own
// (missing fields read as zero) and a longer one when the extra bytes are zero, so each struct stops at
// the last field we use. Pointers are u64 (__aligned_u64) on every architecture.

/// <summary>BPF_MAP_CREATE.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MapCreateAttr
{
    public uint map_type;
    public uint key_size;
    public uint value_size;
    public uint max_entries;
    public uint map_flags;
    public uint inner_map_fd;
    public uint numa_node;
    public ObjectName map_name;
    public uint map_ifindex;
    public uint btf_fd;
    public uint btf_key_type_id;
    public uint btf_value_type_id;
    public uint btf_vmlinux_value_type_id;
    private readonly uint _pad;
    public ulong map_extra;
}

/// <summary>BPF_MAP_LOOKUP_ELEM, BPF_MAP_UPDATE_ELEM, BPF_MAP_DELETE_ELEM, BPF_MAP_GET_NEXT_KEY.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MapElemAttr
{
    public uint map_fd;
    private readonly uint _pad;
    public ulong key;
    public ulong value; // also next_key
    public ulong flags;
}

/// <summary>BPF_MAP_FREEZE, and any command whose attr is one fd.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MapFdAttr
{
    public uint map_fd;
}

/// <summary>BPF_PROG_LOAD.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ProgLoadAttr
{
    public uint prog_type;
    public uint insn_cnt;
    public ulong insns;
    public ulong license;
    public uint log_level;
    public uint log_size;
    public ulong log_buf;
    public uint kern_version;
    public uint prog_flags;
    public ObjectName prog_name;
    public uint prog_ifindex;
    public uint expected_attach_type;
    public uint prog_btf_fd;
    public uint func_info_rec_size;
    public ulong func_info;
    public uint func_info_cnt;
    public uint line_info_rec_size;
    public ulong line_info;
    public uint line_info_cnt;
    public uint attach_btf_id;
    public uint attach_btf_obj_fd; // also attach_prog_fd
    public uint core_relo_cnt;
    public ulong fd_array;
    public ulong core_relos;
    public uint core_relo_rec_size;
    public uint log_true_size; // written by the kernel (6.4+): the log size the verifier needed
}

/// <summary>BPF_BTF_LOAD.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct BtfLoadAttr
{
    public ulong btf;
    public ulong btf_log_buf;
    public uint btf_size;
    public uint btf_log_size;
    public uint btf_log_level;
    public uint btf_log_true_size;
}

/// <summary>BPF_RAW_TRACEPOINT_OPEN.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct RawTracepointOpenAttr
{
    public ulong name; // NUL-terminated tracepoint name, or 0 for a tp_btf program that carries attach_btf_id
    public uint prog_fd;
    private readonly uint _pad;
}

/// <summary>BPF_LINK_CREATE (the common head plus the 'tracing' and 'perf_event' union members).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LinkCreateAttr
{
    public uint prog_fd;
    public uint target_fd; // also target_ifindex
    public uint attach_type;
    public uint flags;
    public ulong target_btf_id_or_bpf_cookie; // perf_event.bpf_cookie, or tracing.target_btf_id in the low half
    public ulong cookie; // tracing.cookie
    private readonly ulong _pad0;
    private readonly ulong _pad1;
}

/// <summary>BPF_PROG_TEST_RUN (a.k.a. BPF_PROG_RUN).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ProgTestRunAttr
{
    public uint prog_fd;
    public uint retval;
    public uint data_size_in;
    public uint data_size_out;
    public ulong data_in;
    public ulong data_out;
    public uint repeat;
    public uint duration;
    public uint ctx_size_in;
    public uint ctx_size_out;
    public ulong ctx_in;
    public ulong ctx_out;
    public uint flags;
    public uint cpu;
    public uint batch_size;
    private readonly uint _pad;
}

/// <summary>BPF_OBJ_GET_INFO_BY_FD.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ObjGetInfoByFdAttr
{
    public uint bpf_fd;
    public uint info_len;
    public ulong info;
}

/// <summary>char[BPF_OBJ_NAME_LEN] (16 bytes, NUL-terminated).</summary>
[InlineArray(16)]
internal struct ObjectName
{
    private byte _element0;

    /// <summary>
    /// Copies up to 15 characters the kernel accepts (alphanumerics, '_' and '.'); others become '_'
    /// so a long or unusual C symbol name never makes the whole load fail with EINVAL.
    /// </summary>
    public static ObjectName From(string name)
    {
        var result = default(ObjectName);
        Span<byte> bytes = result;
        for (var i = 0; i < name.Length && i < 15; i++)
        {
            var c = name[i];
            bytes[i] = (byte)(char.IsAsciiLetterOrDigit(c) || c == '.' ? c : '_');
        }
        return result;
    }
}
