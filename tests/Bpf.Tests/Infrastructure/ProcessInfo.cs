using System.Runtime.InteropServices;

namespace OsqueryBpf.Bpf.Tests.Infrastructure;

internal static partial class ProcessInfo
{
    /// <summary>getpid(2), made as a real system call every time (glibc no longer caches it).</summary>
    [LibraryImport("libc", EntryPoint = "getpid")]
    public static partial int GetPid();

    /// <summary>gettid(2): the calling thread's kernel id.</summary>
    [LibraryImport("libc", EntryPoint = "gettid")]
    public static partial int GetTid();

    /// <summary>The parent pid, from field 4 of /proc/self/stat (after the parenthesised command name).</summary>
    public static int ParentPid()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[1]);
    }
}
