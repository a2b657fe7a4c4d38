using System.Runtime.CompilerServices;
using OsqueryBpf.Bpf.Errors;
using OsqueryBpf.Bpf.SafeHandles;

namespace OsqueryBpf.Bpf.Interop;

/// <summary>
/// Span-based wrappers over bpf(2), one per command. This folder is the only place that takes pointers to
/// pass to the kernel; callers hand in spans and SafeHandles, and each wrapper keeps the handles alive
/// (DangerousAddRef) for the duration of the call.
/// </summary>
internal static unsafe partial class BpfInterop
{
    public static SafeBpfHandle MapCreate(IBpfSyscalls sys, ref MapCreateAttr attr, string mapName)
    {
        var fd = sys.Bpf(BpfCmd.BPF_MAP_CREATE, Unsafe.AsPointer(ref attr), (uint)sizeof(MapCreateAttr), out var errno);
        if (fd < 0)
            throw MapCreateFailed(errno, mapName, attr.map_type);
        return new SafeBpfHandle(fd);
    }

    private static BpfException MapCreateFailed(Errno errno, string mapName, uint mapType)
    {
        // EINVAL for a map type the kernel does not know is how old kernels say "not supported".
        if (errno == Errno.EINVAL && KernelFeatures.MapTypeMinimumKernel(mapType) is { } minimum && !KernelVersion.IsAtLeast(minimum))
            return new KernelFeatureNotSupportedException($"map type {KernelFeatures.MapTypeName(mapType)}", minimum, errno,
                $"Creating map '{mapName}' failed.");
        return ThrowHelper.BpfCommandFailed(BpfCmd.BPF_MAP_CREATE, errno, $"map '{mapName}'");
    }

    /// <summary>Returns false when the key is absent (ENOENT).</summary>
    public static bool MapLookup(IBpfSyscalls sys, SafeBpfHandle map, ReadOnlySpan<byte> key, Span<byte> value, ulong flags, string mapName)
    {
        var added = false;
        try
        {
            map.DangerousAddRef(ref added);
            fixed (byte* k = key)
            fixed (byte* v = value)
            {
                var attr = new MapElemAttr { map_fd = (uint)map.Fd, key = (ulong)k, value = (ulong)v, flags = flags };
                if (sys.Bpf(BpfCmd.BPF_MAP_LOOKUP_ELEM, &attr, (uint)sizeof(MapElemAttr), out var errno) >= 0)
                    return true;
                if (errno == Errno.ENOENT)
                    return false;
                throw ThrowHelper.BpfCommandFailed(BpfCmd.BPF_MAP_LOOKUP_ELEM, errno, $"map '{mapName}'");
            }
        }
        finally
        {
            if (added)
                map.DangerousRelease();
        }
    }

    public static void MapUpdate(IBpfSyscalls sys, SafeBpfHandle map, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong flags, string mapName)
    {
        var added = false;
        try
        {
            map.DangerousAddRef(ref added);
            fixed (byte* k = key)
            fixed (byte* v = value)
            {
                var attr = new MapElemAttr { map_fd = (uint)map.Fd, key = (ulong)k, value = (ulong)v, flags = flags };
                if (sys.Bpf(BpfCmd.BPF_MAP_UPDATE_ELEM, &attr, (uint)sizeof(MapElemAttr), out var errno) < 0)
                    throw ThrowHelper.BpfCommandFailed(BpfCmd.BPF_MAP_UPDATE_ELEM, errno, $"map '{mapName}'");
            }
        }
        finally
        {
            if (added)
                map.DangerousRelease();
        }
    }

    /// <summary>Returns false when the key was absent (ENOENT).</summary>
    public static bool MapDelete(IBpfSyscalls sys, SafeBpfHandle map, ReadOnlySpan<byte> key, string mapName)
    {
        var added = false;
        try
        {
            map.DangerousAddRef(ref added);
            fixed (byte* k = key)
            {
                var attr = new MapElemAttr { map_fd = (uint)map.Fd, key = (ulong)k };
                if (sys.Bpf(BpfCmd.BPF_MAP_DELETE_ELEM, &attr, (uint)sizeof(MapElemAttr), out var errno) >= 0)
                    return true;
                if (errno == Errno.ENOENT)
                    return false;
                throw ThrowHelper.BpfCommandFailed(BpfCmd.BPF_MAP_DELETE_ELEM, errno, $"map '{mapName}'");
            }
        }
        finally
        {
            if (added)
                map.DangerousRelease();
        }
    }

    /// <summary>
    /// Writes the key after <paramref name="key"/> (or the first key when <paramref name="key"/> is empty)
    /// into <paramref name="nextKey"/>; returns false at the end of the map.
    /// </summary>
    public static bool MapGetNextKey(IBpfSyscalls sys, SafeBpfHandle map, ReadOnlySpan<byte> key, Span<byte> nextKey, string mapName)
    {
        var added = false;
        try
        {
            map.DangerousAddRef(ref added);
            fixed (byte* k = key)
            fixed (byte* n = nextKey)
            {
                // A NULL key asks for the first key (kernel/bpf/syscall.c map_get_next_key).
                var attr = new MapElemAttr { map_fd = (uint)map.Fd, key = key.IsEmpty ? 0 : (ulong)k, value = (ulong)n };
                if (sys.Bpf(BpfCmd.BPF_MAP_GET_NEXT_KEY, &attr, (uint)sizeof(MapElemAttr), out var errno) >= 0)
                    return true;
                if (errno == Errno.ENOENT)
                    return false;
                throw ThrowHelper.BpfCommandFailed(BpfCmd.BPF_MAP_GET_NEXT_KEY, errno, $"map '{mapName}'");
            }
        }
        finally
        {
            if (added)
                map.DangerousRelease();
        }
    }

    public static void MapFreeze(IBpfSyscalls sys, SafeBpfHandle map, string mapName)
    {
        var added = false;
        try
        {
            map.DangerousAddRef(ref added);
            var attr = new MapFdAttr { map_fd = (uint)map.Fd };
            if (sys.Bpf(BpfCmd.BPF_MAP_FREEZE, &attr, (uint)sizeof(MapFdAttr), out var errno) < 0)
                throw ThrowHelper.BpfCommandFailed(BpfCmd.BPF_MAP_FREEZE, errno, $"map '{mapName}'");
        }
        finally
        {
            if (added)
                map.DangerousRelease();
        }
    }
}
