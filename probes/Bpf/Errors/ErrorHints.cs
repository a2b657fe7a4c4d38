using OsqueryBpf.Bpf.Interop;

namespace OsqueryBpf.Bpf.Errors;

/// <summary>Turns an errno (plus what we know of the host) into advice a person can act on.</summary>
internal static class ErrorHints
{
    private const string LockdownPath = "/sys/kernel/security/lockdown";

    /// <summary>Advice for <paramref name="errno"/> from bpf(2) <paramref name="command"/>, or null when there is nothing useful to add.</summary>
    public static string? For(BpfCmd command, Errno errno) => (command, errno) switch
    {
        (BpfCmd.BPF_MAP_UPDATE_ELEM or BpfCmd.BPF_MAP_DELETE_ELEM, Errno.EPERM) =>
            "The map is frozen (BPF_MAP_FREEZE) or read-only for user space; .rodata maps are frozen once loaded.",
        (BpfCmd.BPF_MAP_UPDATE_ELEM, Errno.E2BIG) => "The map is full (max_entries reached).",
        (BpfCmd.BPF_MAP_CREATE, Errno.ENOMEM) => "The kernel could not allocate the map; lower max_entries or check the memory cgroup limit.",
        _ => For(errno),
    };

    /// <summary>A sentence or two of advice for <paramref name="errno"/>, or null when there is nothing useful to add.</summary>
    public static string? For(Errno errno) => errno switch
    {
        Errno.EPERM or Errno.EACCES => PrivilegeHint(),
        Errno.ENOSYS => "The kernel was built without the bpf() system call (CONFIG_BPF_SYSCALL).",
        Errno.E2BIG => "The kernel does not know a field this loader set, which usually means it is too old for the requested feature.",
        _ => null,
    };

    /// <summary>Advice for EPERM/EACCES: privileges first, then lockdown when it is the likely cause.</summary>
    public static string PrivilegeHint()
    {
        var hint = IsRoot()
            ? "This process already runs as root, so the kernel refuses the operation itself: kernel lockdown, a security module, or a program type this kernel does not allow (fentry and LSM need BPF trampolines)."
            : "Loading eBPF programs needs root, or CAP_BPF with CAP_PERFMON (CAP_NET_ADMIN for socket filters).";
        if (MemlockLimit.Hint() is { } memlock)
            hint = memlock + " " + hint;
        var lockdown = ReadLockdownMode();
        if (lockdown == "confidentiality")
            hint += " Kernel lockdown is in 'confidentiality' mode, which forbids BPF programs from reading kernel memory; boot with lockdown=integrity or none.";
        return hint;
    }

    /// <summary>Whether the effective uid is 0 (the "Uid:" line of /proc/self/status: real, effective, saved, fs).</summary>
    private static bool IsRoot()
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
            var fields = line?.Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            return fields is { Length: > 2 } && fields[2] == "0";
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>The bracketed (active) mode of a lockdown file's text, or null.</summary>
    internal static string? ParseLockdownMode(string text)
    {
        var start = text.IndexOf('[');
        var end = start < 0 ? -1 : text.IndexOf(']', start + 1);
        return end > start + 1 ? text[(start + 1)..end] : null;
    }

    /// <summary>The active lockdown mode ("none", "integrity", "confidentiality"), or null when lockdown is not available.</summary>
    public static string? ReadLockdownMode()
    {
        try
        {
            // The file lists every mode and brackets the active one: "none [integrity] confidentiality".
            return ParseLockdownMode(File.ReadAllText(LockdownPath));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
