using System.Diagnostics;

namespace OsqueryBpf.Benchmarks.Probes;

/// <summary>
/// Every process the harness starts (extension, bpftrace, dnsmasq, workloads) is registered here, so that an
/// exception, Ctrl+C or a normal exit kills whatever is still running. Only these processes, by their pid.
/// </summary>
internal static class TrackedProcesses
{
    private static readonly List<Process> Running = [];

    static TrackedProcesses()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
        Console.CancelKeyPress += (_, _) => KillAll();
    }

    public static Process Start(ProcessStartInfo info)
    {
        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {info.FileName}.");
        lock (Running)
            Running.Add(process);
        return process;
    }

    /// <summary>Waits for the process to end; SIGKILL after the timeout. Returns true when it ended by itself.</summary>
    public static bool WaitOrKill(Process process, TimeSpan timeout)
    {
        var ended = process.WaitForExit(timeout);
        if (!ended)
            Kill(process);
        process.WaitForExit();
        lock (Running)
            Running.Remove(process);
        return ended;
    }

    public static void KillAll()
    {
        Process[] left;
        lock (Running)
        {
            left = [.. Running];
            Running.Clear();
        }
        foreach (var process in left)
            Kill(process);
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }
    }
}
