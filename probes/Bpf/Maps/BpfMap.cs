using System.Runtime.InteropServices;
using OsqueryBpf.Bpf.Btf;
using OsqueryBpf.Bpf.Interop;
using OsqueryBpf.Bpf.Object;
using OsqueryBpf.Bpf.SafeHandles;

namespace OsqueryBpf.Bpf.Maps;

/// <summary>
/// A BPF map living in the kernel. Byte-span methods work for every map type; the generic methods are
/// typed helpers for unmanaged key and value structs whose sizes must match the map's.
/// </summary>
/// <remarks>Not thread-safe for a single instance's disposal; element operations are atomic in the kernel.</remarks>
public sealed class BpfMap : IDisposable
{
    private const uint BPF_F_RDONLY_PROG = 1 << 7;

    private readonly IBpfSyscalls _sys;

    private BpfMap(IBpfSyscalls sys, SafeBpfHandle handle, string name, MapType type, uint keySize, uint valueSize, uint maxEntries, uint flags)
    {
        _sys = sys;
        Handle = handle;
        Name = name;
        Type = type;
        KeySize = keySize;
        ValueSize = valueSize;
        MaxEntries = maxEntries;
        Flags = flags;
    }

    /// <summary>The map's name in the object file.</summary>
    public string Name { get; }

    /// <summary>The map type.</summary>
    public MapType Type { get; }

    /// <summary>Key size in bytes.</summary>
    public uint KeySize { get; }

    /// <summary>Value size in bytes, as one CPU sees it for per-CPU maps.</summary>
    public uint ValueSize { get; }

    /// <summary>Capacity in elements (for ring buffers: the data size in bytes).</summary>
    public uint MaxEntries { get; }

    /// <summary>The BPF_F_* creation flags.</summary>
    public uint Flags { get; }

    /// <summary>The map's fd.</summary>
    public SafeBpfHandle Handle { get; }

    /// <summary>Whether each element holds one value per possible CPU.</summary>
    public bool IsPerCpu => Type is MapType.PerCpuArray or MapType.PerCpuHash or MapType.LruPerCpuHash or MapType.PerCpuCgroupStorage;

    /// <summary>
    /// The buffer size lookups and updates use: <see cref="ValueSize"/>, or for per-CPU maps one
    /// 8-byte-aligned slot per possible CPU (kernel/bpf/syscall.c bpf_map_value_size).
    /// </summary>
    public int ValueBufferSize => IsPerCpu ? PerCpuSlotSize * PossibleCpus.Count : (int)ValueSize;

    private int PerCpuSlotSize => (int)((ValueSize + 7) & ~7u);

    /// <summary>Creates a map from <paramref name="spec"/>. Global-data contents are not written; see <see cref="Update"/>.</summary>
    public static BpfMap Create(MapSpec spec) => Create(LinuxBpfSyscalls.Instance, spec, btf: null);

    internal static BpfMap Create(IBpfSyscalls sys, MapSpec spec, LoadedBtf? btf)
    {
        var attr = new MapCreateAttr
        {
            map_type = (uint)spec.Type,
            key_size = spec.KeySize,
            value_size = spec.ValueSize,
            max_entries = spec.MaxEntries,
            map_flags = spec.Flags,
            map_name = ObjectName.From(spec.Name),
        };
        SafeBpfHandle handle;
        if (btf is not null && spec.BtfValueTypeId != 0)
        {
            // Typed maps let bpftool pretty-print values and are required for spin locks and timers. Some
            // map types (or older kernels) refuse BTF type ids; libbpf then retries without, and so do we.
            var added = false;
            try
            {
                btf.Handle.DangerousAddRef(ref added);
                attr.btf_fd = (uint)btf.Handle.Fd;
                attr.btf_key_type_id = spec.BtfKeyTypeId;
                attr.btf_value_type_id = spec.BtfValueTypeId;
                try
                {
                    handle = BpfInterop.MapCreate(sys, ref attr, spec.Name);
                    return new BpfMap(sys, handle, spec.Name, spec.Type, spec.KeySize, spec.ValueSize, spec.MaxEntries, spec.Flags);
                }
                catch (Errors.BpfException e) when (e.Errno is Errno.EINVAL or Errno.ENOTSUPP or Errno.EOPNOTSUPP)
                {
                    attr.btf_fd = attr.btf_key_type_id = attr.btf_value_type_id = 0;
                }
            }
            finally
            {
                if (added)
                    btf.Handle.DangerousRelease();
            }
        }
        handle = BpfInterop.MapCreate(sys, ref attr, spec.Name);
        return new BpfMap(sys, handle, spec.Name, spec.Type, spec.KeySize, spec.ValueSize, spec.MaxEntries, spec.Flags);
    }

    /// <summary>Whether programs may not write the map (BPF_F_RDONLY_PROG, as .rodata maps are created).</summary>
    public bool IsReadOnlyForPrograms => (Flags & BPF_F_RDONLY_PROG) != 0;

    /// <summary>Copies the value for <paramref name="key"/> into <paramref name="value"/>; false when the key is absent.</summary>
    public bool TryLookup(ReadOnlySpan<byte> key, Span<byte> value)
    {
        CheckKey(key);
        CheckValue(value.Length);
        return BpfInterop.MapLookup(_sys, Handle, key, value, 0, Name);
    }

    /// <summary>Creates or replaces the value for <paramref name="key"/>, as <paramref name="flags"/> allow.</summary>
    public void Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, MapUpdateFlags flags = MapUpdateFlags.Any)
    {
        CheckKey(key);
        CheckValue(value.Length);
        BpfInterop.MapUpdate(_sys, Handle, key, value, (ulong)flags, Name);
    }

    /// <summary>Deletes <paramref name="key"/>; false when it was absent. Array maps refuse deletion (EINVAL).</summary>
    public bool Delete(ReadOnlySpan<byte> key)
    {
        CheckKey(key);
        return BpfInterop.MapDelete(_sys, Handle, key, Name);
    }

    /// <summary>
    /// Writes the key that follows <paramref name="key"/> into <paramref name="nextKey"/>, or the first key
    /// when <paramref name="key"/> is empty. Returns false after the last key.
    /// </summary>
    public bool TryGetNextKey(ReadOnlySpan<byte> key, Span<byte> nextKey)
    {
        if (!key.IsEmpty)
            CheckKey(key);
        CheckKey(nextKey);
        return BpfInterop.MapGetNextKey(_sys, Handle, key, nextKey, Name);
    }

    /// <summary>Every key in the map (BPF_MAP_GET_NEXT_KEY), copied; the map may change while iterating.</summary>
    public IEnumerable<byte[]> Keys()
    {
        var current = Array.Empty<byte>();
        while (true)
        {
            var next = new byte[KeySize];
            if (!TryGetNextKey(current, next))
                yield break;
            yield return next;
            current = next;
        }
    }

    /// <summary>Makes the map read-only for user space (BPF_MAP_FREEZE); the verifier may then treat .rodata values as constants.</summary>
    public void Freeze() => BpfInterop.MapFreeze(_sys, Handle, Name);

    /// <summary>Typed lookup; false when the key is absent.</summary>
    public bool TryLookup<TKey, TValue>(TKey key, out TValue value)
        where TKey : unmanaged
        where TValue : unmanaged
    {
        value = default;
        return TryLookup(AsBytes(ref key), AsBytes(ref value));
    }

    /// <summary>Typed update.</summary>
    public void Update<TKey, TValue>(TKey key, TValue value, MapUpdateFlags flags = MapUpdateFlags.Any)
        where TKey : unmanaged
        where TValue : unmanaged =>
        Update(AsBytes(ref key), AsBytes(ref value), flags);

    /// <summary>Typed delete.</summary>
    public bool Delete<TKey>(TKey key)
        where TKey : unmanaged =>
        Delete(AsBytes(ref key));

    /// <summary>Every key, typed.</summary>
    public IEnumerable<TKey> Keys<TKey>()
        where TKey : unmanaged =>
        Keys().Select(k => MemoryMarshal.Read<TKey>(k));

    /// <summary>
    /// Reads one value per possible CPU from a per-CPU map; null when the key is absent.
    /// </summary>
    public TValue[]? LookupPerCpu<TKey, TValue>(TKey key)
        where TKey : unmanaged
        where TValue : unmanaged
    {
        RequirePerCpu();
        var buffer = new byte[ValueBufferSize];
        if (!TryLookup(AsBytes(ref key), buffer))
            return null;
        var result = new TValue[PossibleCpus.Count];
        for (var cpu = 0; cpu < result.Length; cpu++)
            result[cpu] = MemoryMarshal.Read<TValue>(buffer.AsSpan(cpu * PerCpuSlotSize));
        return result;
    }

    /// <summary>Writes one value per possible CPU into a per-CPU map.</summary>
    public void UpdatePerCpu<TKey, TValue>(TKey key, ReadOnlySpan<TValue> values, MapUpdateFlags flags = MapUpdateFlags.Any)
        where TKey : unmanaged
        where TValue : unmanaged
    {
        RequirePerCpu();
        if (values.Length != PossibleCpus.Count)
            throw new ArgumentException($"Map '{Name}' needs one value per possible CPU ({PossibleCpus.Count}), not {values.Length}.", nameof(values));
        var buffer = new byte[ValueBufferSize];
        for (var cpu = 0; cpu < values.Length; cpu++)
        {
            var v = values[cpu];
            AsBytes(ref v).CopyTo(buffer.AsSpan(cpu * PerCpuSlotSize));
        }
        Update(AsBytes(ref key), buffer, flags);
    }

    /// <summary>Sum of a per-CPU u64 counter at <paramref name="key"/> (0 when absent).</summary>
    public ulong SumPerCpu(uint key)
    {
        var values = LookupPerCpu<uint, ulong>(key);
        return values is null ? 0 : values.Aggregate(0UL, (sum, v) => sum + v);
    }

    /// <summary>Closes the map's fd. Programs that use the map keep it alive in the kernel.</summary>
    public void Dispose() => Handle.Dispose();

    /// <inheritdoc />
    public override string ToString() => $"map '{Name}' ({Type}, key {KeySize}, value {ValueSize}, max {MaxEntries})";

    private static Span<byte> AsBytes<T>(ref T value)
        where T : unmanaged =>
        MemoryMarshal.AsBytes(MemoryMarshal.CreateSpan(ref value, 1));

    private void CheckKey(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeySize)
            throw new ArgumentException($"Map '{Name}' has {KeySize}-byte keys; a {key.Length}-byte key was given.", nameof(key));
    }

    private void CheckValue(int length)
    {
        // The kernel copies exactly this many bytes to or from our buffer, so a short buffer would be
        // overrun: refuse it here.
        if (length != ValueBufferSize)
            throw new ArgumentException(IsPerCpu
                ? $"Map '{Name}' is per-CPU: values are {ValueBufferSize} bytes ({PossibleCpus.Count} possible CPUs x {PerCpuSlotSize}); a {length}-byte buffer was given."
                : $"Map '{Name}' has {ValueSize}-byte values; a {length}-byte buffer was given.", "value");
    }

    private void RequirePerCpu()
    {
        if (!IsPerCpu)
            throw new InvalidOperationException($"Map '{Name}' is a {Type} map, not a per-CPU map.");
    }
}
