namespace OsqueryBpf.Bpf.Maps;

/// <summary>Flags for <see cref="BpfMap.Update(ReadOnlySpan{byte}, ReadOnlySpan{byte}, MapUpdateFlags)"/> (BPF_ANY, BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK).</summary>
[Flags]
public enum MapUpdateFlags : ulong
{
    /// <summary>BPF_ANY: create the element or replace it.</summary>
    Any = 0,
    /// <summary>BPF_NOEXIST: create only; fails with EEXIST when the key is present.</summary>
    NoExist = 1,
    /// <summary>BPF_EXIST: replace only; fails with ENOENT when the key is absent.</summary>
    Exist = 2,
    /// <summary>BPF_F_LOCK: update a value that holds a bpf_spin_lock under that lock.</summary>
    Lock = 4,
}
