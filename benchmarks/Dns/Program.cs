using System.Diagnostics;
using OsqueryBpf.Dns;

// Per-message cost of what the capture pipeline does for every DNS packet: parse, compute the row's
// columns, and match the response to its query. Prints ns and bytes allocated per operation.

var query = Hex("42420120000100000000000103777777076578616d706c6504746573740000010001" +
                "0000290200000000000000");
var response = Hex(
    "42428180000100040000000103777777076578616d706c6504746573740000010001c00c0005000100000e1000110363646e07" +
    "6578616d706c65036e657400c02e000100010000003c00045db8d822c02e000100010000003c00045db8d823c00c0010000100" +
    "000e10000c0b763d73706631202d616c6c00002904d0000000000000");

Check("query", query);
Check("response", response);

var seconds = args.Length > 0 && double.TryParse(args[0], out var s) ? s : 2.0;
Console.WriteLine($"DNS benchmarks, {seconds:F1} s per case, {Environment.ProcessorCount} CPUs, .NET {Environment.Version}");
Measure("Parse(query, 46 B)", seconds, () => DnsMessage.Parse(query));
Measure($"Parse(response, {response.Length} B, CNAME+2A+TXT+OPT)", seconds, () => DnsMessage.Parse(response));
Measure("Parse + DnsEventFields.From(response)", seconds, () => DnsEventFields.From(DnsMessage.Parse(response)));
var parsed = DnsMessage.Parse(response);
Measure("DnsEventFields.From(parsed response)", seconds, () => DnsEventFields.From(parsed));

var tracker = new DnsTransactionTracker();
byte[] client = [10, 0, 0, 2], server = [10, 0, 0, 53];
long now = 0;
ushort id = 0;
Measure("Tracker OnQuery + OnResponse", seconds, () =>
{
    var key = new DnsTransactionKey(id++, DnsTransport.Udp, client, 40000, server, 53);
    tracker.OnQuery(key, now);
    now += 1000;
    return tracker.OnResponse(key, now);
});

static void Check(string what, byte[] message)
{
    var r = DnsMessage.Parse(message);
    if (!r.IsComplete)
        throw new InvalidOperationException($"The {what} sample does not parse: {r.Reason}");
}

static void Measure<T>(string name, double seconds, Func<T> operation)
{
    for (var i = 0; i < 20_000; i++)
        operation(); // warm up (tiered JIT)
    long count = 0;
    var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
    // CPU time as well as wall time: on a shared, loaded machine wall time mostly measures waiting for a core.
    var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    var clock = Stopwatch.StartNew();
    while (clock.Elapsed.TotalSeconds < seconds)
    {
        for (var i = 0; i < 1000; i++)
            operation();
        count += 1000;
    }
    clock.Stop();
    var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
    var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
    Console.WriteLine($"{name,-50} {clock.Elapsed.TotalNanoseconds / count,7:F0} ns/op wall  " +
                      $"{cpu.TotalNanoseconds / count,7:F0} ns/op cpu  {count / cpu.TotalSeconds,11:N0} ops/cpu-s  " +
                      $"{allocated / (double)count,5:F0} B/op");
}

static byte[] Hex(string hex) => Convert.FromHexString(hex);
