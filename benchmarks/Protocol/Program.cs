using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using OsqueryBpf.Osquery.Server;
using OsqueryBpf.OsquerydDouble;
using OsqueryBpf.Protocol.Bench;

// Protocol figures over real UNIX sockets. The extension server runs in this process (JIT, Release) and the
// client is the osqueryd double's own codec, also in this process: both share the machine's cores, as
// osqueryd and the extension do on a real host.
var culture = CultureInfo.InvariantCulture;
var seconds = args.Length > 0 ? double.Parse(args[0], culture) : 3.0;
Console.WriteLine($"osquery-bpf protocol benchmark ({Environment.ProcessorCount} cores, {seconds} s per figure, median of 3 runs)");

using var manager = new ExtensionManagerDouble();
manager.Start();
var table = new WideTable(rows: 10_000);
var server = new ExtensionServer(new ExtensionServerOptions
{
    ManagerSocketPath = manager.SocketPath,
    Interval = TimeSpan.FromSeconds(3),
}, [table], NullLogger.Instance);
using var stop = new CancellationTokenSource();
var run = server.RunAsync(stop.Token);
await server.Registered.WaitAsync(TimeSpan.FromSeconds(30));
var caller = manager.CallerFor(server.Uuid);

Report("ping, new connection per call (osqueryd's pattern)", "calls/s", Rate(() => caller.Ping()));
using (var connection = caller.OpenPersistent())
    Report("ping, one connection", "calls/s", Rate(() => connection.Ping()));

var rowsPerCall = caller.Generate(table.Name, "{}").Rows.Count;
if (rowsPerCall != 10_000)
    throw new InvalidOperationException($"generate returned {rowsPerCall} rows, expected 10000.");
var generateRate = Rate(() => caller.Generate(table.Name, "{}"));
Report("generate 10,000 rows x 20 columns (pre-ping + call, like osqueryd)", "calls/s", generateRate);
Report("  the same as rows", "rows/s", generateRate.Select(r => r * rowsPerCall).ToArray());
var direct = new ExtensionCaller(caller.SocketPath) { PingBeforeCall = false };
var directRate = Rate(() => direct.Generate(table.Name, "{}"));
Report("  without the pre-ping", "rows/s", directRate.Select(r => r * rowsPerCall).ToArray());
if (direct.GenerateCountingRows(table.Name, "{}") != rowsPerCall)
    throw new InvalidOperationException("The row-counting client disagrees with the decoding one.");
var countingRate = Rate(() => direct.GenerateCountingRows(table.Name, "{}"));
Report("  without the pre-ping, client skips decoding (server-bound)", "rows/s", countingRate.Select(r => r * rowsPerCall).ToArray());

// Where the generate time goes: encoding the reply (the generated Thrift writer, which awaits per field,
// against the one-pass encoder the server uses) and decoding it with the double's codec.
var response = new OsqueryBpf.Osquery.Thrift.ExtensionResponse
{
    Status = new OsqueryBpf.Osquery.Thrift.ExtensionStatus { Code = 0, Message = "OK" },
    Response = table.Rows.ToList(),
};
var generatedRate = Rate(() =>
{
    using var memory = new Thrift.Transport.Client.TMemoryBufferTransport(new Thrift.TConfiguration());
    response.WriteAsync(new Thrift.Protocol.TBinaryProtocol(memory), default).GetAwaiter().GetResult();
});
Report("  encode only, generated Thrift writer (not used)", "rows/s", generatedRate.Select(r => r * rowsPerCall).ToArray());
long replyBytes = 0;
var encodeRate = Rate(() =>
{
    var rows = new OsqueryBpf.Osquery.Tables.TableRows();
    foreach (var row in table.Rows)
        rows.Add(row);
    replyBytes = rows.Bytes;
});
Report("  encode only, rows into TableRows (used by the server)", "rows/s", encodeRate.Select(r => r * rowsPerCall).ToArray());
Console.WriteLine(string.Create(culture, $"  reply size: {replyBytes / 1024.0 / 1024.0:F1} MiB for {rowsPerCall} rows"));

await stop.CancelAsync();
await run;

MeasureBinary(culture);
return 0;

double[] Rate(Action call)
{
    for (var i = 0; i < 20; i++)
        call(); // warm-up: JIT and buffers
    var rates = new double[3];
    for (var run = 0; run < rates.Length; run++)
    {
        var watch = Stopwatch.StartNew();
        long count = 0;
        while (watch.Elapsed.TotalSeconds < seconds)
        {
            call();
            count++;
        }
        rates[run] = count / watch.Elapsed.TotalSeconds;
    }
    return rates;
}

void Report(string what, string unit, double[] rates)
{
    Array.Sort(rates);
    Console.WriteLine(string.Create(culture, $"{what,-72} {rates[1],12:N0} {unit}  (runs: {string.Join(", ", rates.Select(r => r.ToString("N0", culture)))})"));
}

// The published NativeAOT binary: start to registered, idle RSS, size. Skipped when it is not published.
static void MeasureBinary(CultureInfo culture)
{
    var binary = FindPublishedBinary();
    if (binary is null)
    {
        Console.WriteLine("artifacts/osquery-bpf.ext not found: publish it to measure start-up, RSS and size.");
        return;
    }
    Console.WriteLine(string.Create(culture, $"binary {binary}: {new FileInfo(binary).Length / 1024.0 / 1024.0:F2} MiB"));
    var startTimes = new List<double>();
    var rss = new List<long>();
    // All four probes load after registration; an in-memory store keeps the runs independent of each other.
    var settings = Path.Combine(Path.GetTempPath(), $"protocol-bench-{Environment.ProcessId}.json");
    File.WriteAllText(settings, """{"database": ":memory:"}""");
    for (var i = 0; i < 5; i++)
    {
        using var manager = new ExtensionManagerDouble();
        manager.Start();
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(new ProcessStartInfo(binary, ["--socket", manager.SocketPath, "--timeout", "10", "--interval", "3"])
        {
            RedirectStandardError = true,
            Environment = { ["OSQUERY_BPF_CONFIG"] = settings },
        })!;
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        var registration = manager.WaitForRegistrationAsync(1, TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
        startTimes.Add(watch.Elapsed.TotalMilliseconds);
        // Listening follows registration; wait for the socket, then let it idle through an interval.
        while (!File.Exists(manager.ExtensionSocketPath(registration.Reply.Uuid)))
            Thread.Sleep(5);
        Thread.Sleep(TimeSpan.FromSeconds(3.5));
        rss.Add(ReadRssKiB(process.Id));
        process.Kill();
        process.WaitForExit();
    }
    File.Delete(settings);
    startTimes.Sort();
    rss.Sort();
    Console.WriteLine(string.Create(culture,
        $"start to registerExtension received: median {startTimes[2]:F1} ms (min {startTimes[0]:F1}, max {startTimes[^1]:F1}; 5 runs)"));
    Console.WriteLine(string.Create(culture,
        $"idle RSS 3.5 s after registering, all probes loaded, in-memory store: median {rss[2] / 1024.0:F1} MiB (min {rss[0] / 1024.0:F1}, max {rss[^1] / 1024.0:F1})"));
}

static string? FindPublishedBinary()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        var candidate = Path.Combine(dir.FullName, "artifacts", "osquery-bpf.ext");
        if (File.Exists(Path.Combine(dir.FullName, "Extension.sln")))
            return File.Exists(candidate) ? candidate : null;
    }
    return null;
}

static long ReadRssKiB(int pid)
{
    foreach (var line in File.ReadLines($"/proc/{pid}/status"))
    {
        if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }
    return -1;
}
