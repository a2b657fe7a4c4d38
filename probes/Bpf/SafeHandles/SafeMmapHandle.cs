using System.Runtime.InteropServices;
using OsqueryBpf.Bpf.Interop;

namespace OsqueryBpf.Bpf.SafeHandles;

/// <summary>A region mapped with mmap(2); disposing unmaps it. Counted in <see cref="LiveCount"/>.</summary>
public sealed class SafeMmapHandle : SafeHandle
{
    private static long s_liveCount;

    internal SafeMmapHandle(IntPtr address, nuint length)
        : base(IntPtr.Zero, ownsHandle: true)
    {
        SetHandle(address);
        Length = length;
        if (address != IntPtr.Zero)
            Interlocked.Increment(ref s_liveCount);
    }

    /// <summary>How many mappings made through the loader are live in this process.</summary>
    public static long LiveCount => Interlocked.Read(ref s_liveCount);

    /// <summary>Length of the mapping in bytes.</summary>
    public nuint Length { get; }

    /// <summary>Start of the mapping. Valid only while the handle is alive (use DangerousAddRef around access).</summary>
    internal IntPtr Address => handle;

    /// <inheritdoc />
    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        Interlocked.Decrement(ref s_liveCount);
        return Libc.Munmap(handle, Length);
    }
}
