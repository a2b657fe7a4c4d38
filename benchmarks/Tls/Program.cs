using System.Diagnostics;
using System.Net.Security;
using OsqueryBpf.Tls;

// Per-ClientHello cost of what the TLS probe's user side does for each connection: put the segments back in
// order, parse the hello, compute JA4 and the row's columns. Prints wall and CPU ns and bytes allocated per
// operation. The hellos are real: the one .NET's SslStream (OpenSSL underneath) sends, and the same split over
// three records.

var seconds = args.Length > 0 && double.TryParse(args[0], out var s) ? s : 2.0;
var hello = await CaptureClientHello("bench.example.test");
var split = Resplit(hello, 3);
Check("SslStream hello", hello);
Check("hello in 3 records", split);
var parsed = TlsHello.Parse(hello);

Console.WriteLine($"TLS benchmarks, {seconds:F1} s per case, {Environment.ProcessorCount} CPUs, .NET {Environment.Version}");
Console.WriteLine($"ClientHello: {hello.Length} bytes, {parsed.Client!.CipherSuites.Length} suites, {parsed.Client.Extensions.Length} extensions, JA4 {Ja4.Fingerprint(parsed.Client)}");
Measure($"Parse (1 record, {hello.Length} B)", seconds, () => TlsHello.Parse(hello));
Measure($"Parse (3 records, {split.Length} B)", seconds, () => TlsHello.Parse(split));
Measure("Ja4.Fingerprint (parsed hello)", seconds, () => Ja4.Fingerprint(parsed.Client));
Measure("Ja4.Raw (parsed hello)", seconds, () => Ja4.Raw(parsed.Client));
// JA4 hashes two short lists with our own SHA-256 (the framework's would load libcrypto): the two side by side.
var ja4Input = System.Text.Encoding.ASCII.GetBytes(Ja4.Raw(parsed.Client)[11..]);
var digest = new byte[32];
Measure($"SHA-256 ours ({ja4Input.Length} B)", seconds, () => { Sha256.Hash(ja4Input, digest); return digest[0]; });
Measure($"SHA-256 System.Security.Cryptography ({ja4Input.Length} B)", seconds, () => System.Security.Cryptography.SHA256.HashData(ja4Input, digest));
Measure("Parse + TlsEventFields.From (JA4 included)", seconds, () => TlsEventFields.From(TlsHello.Parse(hello)));

// The reassembler: a SYN, then the hello in 3 segments, the last one first; one new connection per operation.
var reassembler = new TlsHelloReassembler();
int port = 0, delivered = 0;
long now = 0;
int third = hello.Length / 3;
TlsHelloHandler onHello = (in TlsHelloCapture c, ReadOnlySpan<byte> bytes) => delivered += TlsHello.Parse(bytes).IsComplete ? 1 : 0;
Measure("Reassemble 3 segments out of order + Parse", seconds, () =>
{
    var flow = TlsFlow.Create([10, 0, 0, 1], (ushort)(1024 + port++ % 60000), [10, 0, 0, 2], 443);
    now += 1000;
    reassembler.Add(flow, 100, TlsTcpFlags.Syn, default, 0, now, onHello);
    reassembler.Add(flow, 101 + (uint)(2 * third), TlsTcpFlags.None, hello.AsSpan(2 * third), hello.Length - 2 * third, now, onHello);
    reassembler.Add(flow, 101, TlsTcpFlags.None, hello.AsSpan(0, third), third, now, onHello);
    reassembler.Add(flow, 101 + (uint)third, TlsTcpFlags.None, hello.AsSpan(third, third), third, now, onHello);
    reassembler.Add(flow, 101 + (uint)hello.Length, TlsTcpFlags.Fin, default, 0, now, onHello);
    return delivered;
});
if (reassembler.Incomplete + reassembler.Malformed + reassembler.MissingStart != 0 || reassembler.Hellos != delivered)
    throw new InvalidOperationException($"The reassembler lost hellos: {reassembler.Hellos} hellos, {delivered} parsed complete.");

static async Task<byte[]> CaptureClientHello(string host)
{
    var wire = new RecordingStream();
    using var tls = new SslStream(wire);
    try
    {
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = host,
            ApplicationProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11],
        });
    }
    catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException)
    {
        // The "server" hangs up after the ClientHello: that is all we wanted.
    }
    return wire.Written.ToArray();
}

static byte[] Resplit(byte[] stream, int records)
{
    int length = (stream[3] << 8) | stream[4];
    var message = stream.AsSpan(5, length).ToArray();
    int fragment = (message.Length + records - 1) / records;
    var output = new List<byte>();
    for (int at = 0; at < message.Length; at += fragment)
    {
        int n = Math.Min(fragment, message.Length - at);
        output.AddRange([22, stream[1], stream[2], (byte)(n >> 8), (byte)n]);
        output.AddRange(message.AsSpan(at, n).ToArray());
    }
    return [.. output];
}

static void Check(string what, byte[] stream)
{
    var r = TlsHello.Parse(stream);
    if (!r.IsComplete || r.Kind != TlsHelloKind.ClientHello)
        throw new InvalidOperationException($"The {what} does not parse: {r.Reason}");
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
    Console.WriteLine($"{name,-48} {clock.Elapsed.TotalNanoseconds / count,7:F0} ns/op wall  " +
                      $"{cpu.TotalNanoseconds / count,7:F0} ns/op cpu  {count / cpu.TotalSeconds,11:N0} ops/cpu-s  " +
                      $"{allocated / (double)count,6:F0} B/op");
}

/// <summary>A transport that keeps what is written and ends the conversation on the first read.</summary>
internal sealed class RecordingStream : Stream
{
    public MemoryStream Written { get; } = new();
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => 0;
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => Written.Write(buffer, offset, count);
}
