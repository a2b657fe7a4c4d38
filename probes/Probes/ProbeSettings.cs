using System.Text;

namespace OsqueryBpf.Probes;

/// <summary>
/// What the process and file probes capture. The values become .rodata constants of the BPF objects
/// (see <see cref="ProbeDefinition.BuildConstants"/>), so the verifier drops disabled code.
/// </summary>
public sealed class ProbeSettings
{
    /// <summary>Largest <see cref="MaxArgvBytes"/> (ARGV_CAP in process.bpf.c).</summary>
    public const int ArgvBytesCap = 16384;

    /// <summary>Largest <see cref="MaxArgs"/> (MAX_ARGS_CAP in process.bpf.c).</summary>
    public const int ArgsCap = 256;

    /// <summary>Most include or exclude prefixes (MAX_PREFIXES in file.bpf.c).</summary>
    public const int MaxPrefixes = 8;

    /// <summary>Longest prefix in UTF-8 bytes (PREFIX_MAX in file.bpf.c).</summary>
    public const int MaxPrefixBytes = 64;

    /// <summary>Bytes of argv captured per exec (max_argv_bytes); longer argv is cut and flagged. Default 4096.</summary>
    public int MaxArgvBytes { get; init; } = 4096;

    /// <summary>Arguments kept per exec (max_args); more are dropped and flagged. Default 128.</summary>
    public int MaxArgs { get; init; } = 128;

    /// <summary>Record forks of new processes (record_forks). Default off.</summary>
    public bool RecordForks { get; init; }

    /// <summary>Record opens that only read (record_read_opens). Default off: they outnumber everything else.</summary>
    public bool RecordReadOpens { get; init; }

    /// <summary>Add the acting process's executable to each file event (record_executable). Default on.</summary>
    public bool RecordExecutable { get; init; } = true;

    /// <summary>When not empty, keep only file operations whose path or destination starts with one of these.</summary>
    public IReadOnlyList<string> IncludePathPrefixes { get; init; } = [];

    /// <summary>Drop file operations whose path starts with one of these.</summary>
    public IReadOnlyList<string> ExcludePathPrefixes { get; init; } = [];

    /// <summary>
    /// Bytes waiting in a ring before a record wakes the reader (ring_wakeup_bytes). 0 (default) keeps the
    /// kernel's behaviour, which wakes the reader for every record it has caught up with: always timely, but
    /// a wake-up costs several microseconds per record in a storm (measured: about 9 us per file operation
    /// instead of 2). With a value such as 65536 the reader MUST also drain on a timer (for example
    /// <c>RingBufferReader.Wait(100)</c> then <c>Drain</c>, whatever Wait returns), or the last records of a
    /// burst wait for the next one.
    /// </summary>
    public int RingWakeupBytes { get; init; }

    /// <summary>The extension's own process id, whose activity the probes ignore (0: nobody). Default: this process.</summary>
    public int IgnoredProcessId { get; init; } = Environment.ProcessId;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting that is out of range.</summary>
    public void Validate()
    {
        if (MaxArgvBytes is < 1 or > ArgvBytesCap)
            throw new ArgumentException($"MaxArgvBytes is {MaxArgvBytes}; it must be between 1 and {ArgvBytesCap}.");
        if (MaxArgs is < 1 or > ArgsCap)
            throw new ArgumentException($"MaxArgs is {MaxArgs}; it must be between 1 and {ArgsCap}.");
        if (RingWakeupBytes < 0)
            throw new ArgumentException($"RingWakeupBytes is {RingWakeupBytes}; it must be 0 or more.");
        if (IgnoredProcessId < 0)
            throw new ArgumentException($"IgnoredProcessId is {IgnoredProcessId}; it must be 0 or a process id.");
        ValidatePrefixes(IncludePathPrefixes, nameof(IncludePathPrefixes));
        ValidatePrefixes(ExcludePathPrefixes, nameof(ExcludePathPrefixes));
    }

    private static void ValidatePrefixes(IReadOnlyList<string> prefixes, string name)
    {
        if (prefixes.Count > MaxPrefixes)
            throw new ArgumentException($"{name} has {prefixes.Count} prefixes; at most {MaxPrefixes} are supported.");
        foreach (var prefix in prefixes)
        {
            int bytes = Encoding.UTF8.GetByteCount(prefix);
            if (bytes == 0 || bytes > MaxPrefixBytes)
                throw new ArgumentException($"{name} has the prefix '{prefix}' of {bytes} bytes; prefixes must have 1 to {MaxPrefixBytes} bytes.");
        }
    }
}
