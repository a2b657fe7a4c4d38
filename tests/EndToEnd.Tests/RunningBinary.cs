using System.Globalization;
using OsqueryBpf.OsquerydDouble;

namespace OsqueryBpf.EndToEnd.Tests;

/// <summary>The published binary registered with a fresh osqueryd double; Dispose stops both.</summary>
internal sealed class RunningBinary : IDisposable
{
    public static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    private RunningBinary(ExtensionManagerDouble manager, ExtensionProcess process, RegistrationRecord registration)
    {
        Manager = manager;
        Process = process;
        Registration = registration;
    }

    public ExtensionManagerDouble Manager { get; }

    public ExtensionProcess Process { get; }

    public RegistrationRecord Registration { get; }

    public long Uuid => Registration.Reply.Uuid;

    public string SocketPath => Manager.ExtensionSocketPath(Uuid);

    /// <summary>A caller that pings before each call, as osqueryd does.</summary>
    public ExtensionCaller Caller => Manager.CallerFor(Uuid);

    /// <summary>Starts the binary with <paramref name="settingsJson"/> and waits until it listens.</summary>
    public static async Task<RunningBinary> StartAsync(string settingsJson = ExtensionProcess.ProtocolOnlySettings, params string[] extraArgs)
    {
        ExtensionProcess.RequirePublishedBinary();
        var manager = new ExtensionManagerDouble();
        manager.Start();
        var process = ExtensionProcess.StartWithSettings(settingsJson,
            ["--socket", manager.SocketPath, "--timeout", "10", "--interval", "3", .. extraArgs]);
        try
        {
            var registration = await manager.WaitForRegistrationAsync(1, Long);
            var path = manager.ExtensionSocketPath(registration.Reply.Uuid);
            var deadline = DateTime.UtcNow + Long;
            while (!File.Exists(path) && DateTime.UtcNow < deadline)
                await Task.Delay(20);
            return new RunningBinary(manager, process, registration);
        }
        catch (TimeoutException)
        {
            var stderr = process.Stderr;
            process.Dispose();
            manager.Dispose();
            throw new TimeoutException("The extension did not register. Stderr:\n" + stderr);
        }
    }

    /// <summary>A value from /proc/&lt;pid&gt;/status in KiB (VmRSS, VmHWM, ...).</summary>
    public long StatusKiB(string field)
    {
        foreach (var line in File.ReadLines($"/proc/{Process.Id}/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        }
        throw new InvalidOperationException($"/proc/{Process.Id}/status has no {field}.");
    }

    public void Dispose()
    {
        Process.Dispose();
        Manager.Dispose();
    }
}
