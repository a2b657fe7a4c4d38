using System.Diagnostics;
using System.Text;
using System.Text.Json;
using OsqueryBpf.OsquerydDouble;

namespace OsqueryBpf.KernelMatrix.Guest;

/// <summary>
/// The published extension binary as osqueryd runs it: started with --socket/--timeout/--interval against the
/// osqueryd double, registered, and asked for its tables with generate calls. Its stderr is passed on with an
/// "ext: " prefix (in a guest that is the serial console, next to the kernel's messages).
/// </summary>
internal sealed class ExtensionUnderTest : IDisposable
{
    private readonly ExtensionManagerDouble _manager;
    private readonly Process _process;
    private readonly string _settingsPath;
    private ExtensionCaller? _caller;

    public ExtensionUnderTest(string binary)
    {
        _manager = new ExtensionManagerDouble();
        _manager.Start();
        _settingsPath = Path.Combine(Path.GetTempPath(), $"kmatrix-settings-{Guid.NewGuid():N}.json");
        // An in-memory store: nothing of a previous run can be mistaken for this run's events.
        File.WriteAllText(_settingsPath, """{"database": ":memory:"}""");
        var start = new ProcessStartInfo(binary) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        start.Environment["OSQUERY_BPF_CONFIG"] = _settingsPath;
        foreach (var arg in new[] { "--socket", _manager.SocketPath, "--timeout", "30", "--interval", "3" })
            start.ArgumentList.Add(arg);
        Started = Stopwatch.StartNew();
        _process = Process.Start(start) ?? throw new InvalidOperationException("Could not start " + binary);
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("ext: " + e.Data); };
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("ext: " + e.Data); };
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
    }

    /// <summary>Runs from the extension's start.</summary>
    public Stopwatch Started { get; }

    /// <summary>ebpf_probes as <see cref="WaitForProbes"/> last read it (also when they did not settle in time).</summary>
    public List<Dictionary<string, string>> LastProbes { get; private set; } = [];

    /// <summary>The extension's registerExtension call, once <see cref="WaitForRegistration"/> has seen it.</summary>
    public RegistrationRecord? Registration { get; private set; }

    /// <summary>Waits for the extension to register with the double and for its socket to appear.</summary>
    public void WaitForRegistration(TimeSpan timeout)
    {
        RegistrationRecord registration;
        try
        {
            registration = _manager.WaitForRegistrationAsync(1, timeout).GetAwaiter().GetResult();
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException(_process.HasExited
                ? $"The extension exited with {_process.ExitCode} before registering."
                : $"The extension did not register within {timeout.TotalSeconds} s.");
        }
        Registration = registration;
        var socket = _manager.ExtensionSocketPath(registration.Reply.Uuid);
        var deadline = DateTime.UtcNow + timeout;
        while (!File.Exists(socket))
        {
            if (DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"The extension registered but never listened on {socket}.");
            Thread.Sleep(50);
        }
        _caller = _manager.CallerFor(registration.Reply.Uuid);
    }

    /// <summary>
    /// Polls ebpf_probes until every probe has left "loading"; returns the rows. Throws when they do not
    /// settle in time or the extension dies.
    /// </summary>
    public List<Dictionary<string, string>> WaitForProbes(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"The extension exited with {_process.ExitCode} while its probes loaded.");
            var rows = Generate("ebpf_probes", new Dictionary<string, string>());
            LastProbes = rows;
            if (rows.Count > 0 && rows.All(r => r.GetValueOrDefault("status") != "loading"))
                return rows;
            if (DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"The probes did not settle within {timeout.TotalSeconds} s: " +
                    string.Join(", ", rows.Select(r => $"{r.GetValueOrDefault("name")}={r.GetValueOrDefault("status")}")));
            Thread.Sleep(100);
        }
    }

    /// <summary>A generate call with equality constraints pushed down, as osqueryd sends for <c>WHERE col = 'v'</c>.</summary>
    public List<Dictionary<string, string>> Generate(string table, IReadOnlyDictionary<string, string> equal)
    {
        var caller = _caller ?? throw new InvalidOperationException("The extension has not registered.");
        var reply = caller.Generate(table, ContextJson(equal));
        if (reply.Status.Code != 0)
            throw new InvalidOperationException($"generate {table} failed: {reply.Status.Message}");
        return reply.Rows;
    }

    /// <summary>osqueryd's query context (osquery-protocol.md 3.2): op 2 is EQUALS.</summary>
    private static string ContextJson(IReadOnlyDictionary<string, string> equal)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteStartArray("constraints");
            foreach (var (column, value) in equal)
            {
                w.WriteStartObject();
                w.WriteString("name", column);
                w.WriteStartArray("list");
                w.WriteStartObject();
                w.WriteNumber("op", 2);
                w.WriteString("expr", value);
                w.WriteEndObject();
                w.WriteEndArray();
                w.WriteString("affinity", "TEXT");
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
        _manager.Dispose();
        File.Delete(_settingsPath);
    }
}
