using System.Globalization;

namespace OsqueryBpf.Probes.Decoding;

/// <summary>
/// Converts the kernel's boot-time nanoseconds (bpf_ktime_get_boot_ns, CLOCK_BOOTTIME, which also counts
/// suspend) into UNIX time.
/// </summary>
/// <remarks>
/// The offset between the two clocks is measured once, from /proc/uptime (CLOCK_BOOTTIME in seconds,
/// 10 ms resolution) and the wall clock read next to it. That is precise enough for the <c>time</c>
/// column (seconds) and avoids a syscall binding here; <c>ntime</c> carries the exact kernel value.
/// If the wall clock is stepped later, times shift by the step until a new instance is made.
/// </remarks>
public sealed class BootClock
{
    private readonly long _realtimeMinusBootNs;

    /// <summary>A clock whose offset is measured now.</summary>
    public BootClock()
        : this(MeasureOffsetNs())
    {
    }

    /// <summary>A clock with a known offset (UNIX ns minus boot ns), for tests.</summary>
    public BootClock(long realtimeMinusBootNs) => _realtimeMinusBootNs = realtimeMinusBootNs;

    /// <summary>UNIX nanoseconds minus boot nanoseconds.</summary>
    public long RealtimeMinusBootNs => _realtimeMinusBootNs;

    /// <summary>UNIX seconds at boot time <paramref name="bootNs"/>.</summary>
    public long ToUnixSeconds(ulong bootNs) => ((long)bootNs + _realtimeMinusBootNs) / 1_000_000_000;

    private static long MeasureOffsetNs()
    {
        // "12345.67 23456.78": seconds since boot, then idle time.
        string uptime = File.ReadAllText("/proc/uptime");
        long nowNs = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks * 100;
        string first = uptime.Split(' ', 2)[0];
        decimal bootSeconds = decimal.Parse(first, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
        return nowNs - (long)(bootSeconds * 1_000_000_000m);
    }
}
