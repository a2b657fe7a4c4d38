using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.InteropServices;
using OsqueryBpf.Bpf.Btf;
using OsqueryBpf.Bpf.Collections;
using OsqueryBpf.Bpf.Object;
using OsqueryBpf.Bpf.RingBuffers;

namespace OsqueryBpf.Bpf.Benchmarks;

/// <summary>
/// Kernel-layer figures: kernel BTF parse time, load+attach time of a CO-RE object, ring buffer reader
/// throughput with the kernel producing flat out, and a syscall-driven workload. Run as root:
/// dotnet run -c Release --project benchmarks/Bpf [-- seconds]
/// </summary>
internal static partial class Program
{
    [LibraryImport("libc", EntryPoint = "getpid")]
    private static partial int GetPid();

    private static int Main(string[] args)
    {
        if (Environment.UserName != "root")
        {
            Console.Error.WriteLine("The kernel benchmarks load BPF programs and must run as root.");
            return 1;
        }
        var seconds = args.Length > 0 ? double.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 5;
        var objectFiles = args.Skip(1).ToList(); // more objects to time load+attach for (e.g. the product's probes)
        Console.WriteLine($"kernel {KernelVersion.Running}, {Environment.ProcessorCount} CPUs, {seconds} s per throughput run");

        BtfParse();
        var spec = CollectionSpec.Parse(Embedded("bench.bpf.o"));
        LoadAndAttach("bench.bpf.o", spec);
        foreach (var path in objectFiles)
        {
            var objectSpec = CollectionSpec.ParseFile(path);
            LoadAndAttach(Path.GetFileName(path), objectSpec);
            var serial = Stopwatch.StartNew();
            using (BpfCollection.Load(objectSpec, new CollectionLoadOptions { MaxParallelLoads = 1 }))
                Console.WriteLine($"  {Path.GetFileName(path)} loaded one program at a time: {serial.Elapsed.TotalMilliseconds:F0} ms");
        }
        foreach (var threads in new[] { 1, 2 })
            Flood(spec, threads, seconds);
        foreach (var interval in new[] { 0, 1, 5 })
            foreach (var threads in new[] { 1, 2 })
                SyscallDriven(spec, threads, seconds, TimeSpan.FromMilliseconds(interval));
        return 0;
    }

    private static byte[] Embedded(string name)
    {
        using var stream = typeof(Program).Assembly.GetManifestResourceStream(name)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static string Summary(List<double> ms) =>
        $"min {ms.Min():F1} ms, median {ms.Order().ElementAt(ms.Count / 2):F1} ms, max {ms.Max():F1} ms over {ms.Count} runs";

    private static void BtfParse()
    {
        var size = new FileInfo(KernelBtf.VmlinuxPath).Length;
        KernelBtf.Load(); // warm-up (JIT)
        var times = new List<double>();
        var readTimes = new List<double>();
        var indexTimes = new List<double>();
        for (var i = 0; i < 7; i++)
        {
            var sw = Stopwatch.StartNew();
            var bytes = File.ReadAllBytes(KernelBtf.VmlinuxPath);
            readTimes.Add(sw.Elapsed.TotalMilliseconds);
            sw.Restart();
            var spec = Object.Btf.BtfSpec.Parse(bytes);
            times.Add(sw.Elapsed.TotalMilliseconds);
            sw.Restart();
            // The name index is built on first lookup: what CO-RE and tp_btf attach pay once.
            spec.TryFindBtfTracepoint("sched_process_exec", out _);
            indexTimes.Add(sw.Elapsed.TotalMilliseconds);
        }
        Console.WriteLine($"kernel BTF ({size / 1024} KiB): read {Summary(readTimes)}; parse {Summary(times)}; first lookup (builds the name index) {Summary(indexTimes)}");
    }

    private static void LoadAndAttach(string name, CollectionSpec spec)
    {
        var times = new List<double>();
        var runs = spec.Programs.Values.Sum(p => p.Instructions.Length) > 5000 ? 3 : 11; // large probes take seconds
        for (var i = 0; i < runs; i++)
        {
            var sw = Stopwatch.StartNew();
            using var collection = BpfCollection.Load(spec);
            times.Add(sw.Elapsed.TotalMilliseconds);
            if (i == 0)
            {
                foreach (var result in collection.Programs.Values.Where(p => p.Error is not null))
                    Console.WriteLine($"  {name}: {result}");
            }
            if (i == 1)
            {
                var results = collection.Programs.Values.ToList();
                Console.WriteLine($"  {name} warm run: relocation {results.Sum(r => r.RelocationTime.TotalMilliseconds):F1} ms, " +
                                  $"BPF_PROG_LOAD (verifier) {results.Sum(r => r.LoadTime.TotalMilliseconds):F1} ms, attach {results.Sum(r => r.AttachTime.TotalMilliseconds):F1} ms; " +
                                  $"slowest load '{results.MaxBy(r => r.LoadTime)!.Name}' {results.Max(r => r.LoadTime.TotalMilliseconds):F1} ms");
            }
        }
        var programs = spec.Programs.Count;
        var instructions = spec.Programs.Values.Sum(p => p.Instructions.Length);
        Console.WriteLine($"load+attach {name} ({programs} programs, {instructions} instructions; BTF upload, CO-RE, maps, verify, attach): " +
                          $"first {times[0]:F1} ms (includes kernel BTF parse); then {Summary(times.Skip(1).ToList())}");
    }

    /// <summary>The kernel writes 64-byte records as fast as bpf_loop can; one reader thread consumes.</summary>
    private static void Flood(CollectionSpec original, int producerThreads, double seconds)
    {
        var spec = original.Clone();
        spec.SetConstant("batch", 1000u);
        using var collection = BpfCollection.Load(spec, new CollectionLoadOptions { Attach = false, Programs = new HashSet<string> { "flood" } });
        collection.ThrowIfAnyFailed();
        var flood = collection.Program("flood");
        using var reader = new RingBufferReader(collection.Map("events"), collection.Map("events_lost"));
        long received = 0;
        ulong checksum = 0;
        reader.Start(record =>
        {
            checksum += BinaryPrimitives.ReadUInt64LittleEndian(record); // touch the data, as a decoder would
            received++;
        });

        var runs = 0L;
        var stop = DateTime.UtcNow.AddSeconds(seconds);
        var sw = Stopwatch.StartNew();
        var producers = Enumerable.Range(0, producerThreads).Select(_ => new Thread(() =>
        {
            var context = new byte[16]; // raw_tracepoint test-run context: two u64 arguments
            while (DateTime.UtcNow < stop)
            {
                flood.TestRun(context: context);
                Interlocked.Increment(ref runs);
            }
        })).ToList();
        producers.ForEach(t => t.Start());
        producers.ForEach(t => t.Join());
        var produceSeconds = sw.Elapsed.TotalSeconds;
        while (reader.PendingBytes > 0 && sw.Elapsed.TotalSeconds < produceSeconds + 30)
            Thread.Sleep(1);
        var total = runs * 1000;
        var lost = reader.Lost;
        var got = Interlocked.Read(ref received);
        Console.WriteLine($"ring flood, {producerThreads} producer thread(s): produced {total:N0} records in {produceSeconds:F1} s " +
                          $"({total / produceSeconds / 1e6:F2} M/s offered); reader received {got:N0} ({got / produceSeconds / 1e6:F2} M records/s, " +
                          $"{got * 72 / produceSeconds / 1e6:F0} MB/s incl. headers); lost {lost:N0} ({100.0 * lost / Math.Max(1, total):F1}%); " +
                          $"accounted {(got + (long)lost == total ? "exactly" : $"MISMATCH {got + (long)lost} != {total}")}");
        GC.KeepAlive(checksum);
    }

    /// <summary>getpid(2) in tight loops with a tp_btf program emitting one record per call.</summary>
    private static void SyscallDriven(CollectionSpec original, int threads, double seconds, TimeSpan batchInterval)
    {
        var baseline = GetPidLoop(threads, seconds / 2);
        var spec = original.Clone();
        spec.SetConstant("target_tgid", (uint)Environment.ProcessId);
        using var collection = BpfCollection.Load(spec, new CollectionLoadOptions { Programs = new HashSet<string> { "on_getpid" } });
        collection.ThrowIfAnyFailed();
        using var reader = new RingBufferReader(collection.Map("events"), collection.Map("events_lost")) { BatchInterval = batchInterval };
        long received = 0;
        reader.Start(record =>
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(record[16..]) != 0)
                received++;
        });
        var withProbe = GetPidLoop(threads, seconds);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (reader.PendingBytes > 0 && DateTime.UtcNow < deadline)
            Thread.Sleep(1);
        var lost = reader.Lost;
        var got = Interlocked.Read(ref received);
        Console.WriteLine($"getpid x{threads} thread(s), reader batch interval {batchInterval.TotalMilliseconds} ms: alone {baseline.Rate / 1e6:F2} M calls/s; with tp_btf probe + ring + reader {withProbe.Rate / 1e6:F2} M calls/s " +
                          $"({withProbe.Rate / baseline.Rate:F2}x); events received {got:N0} of {withProbe.Calls:N0} calls, lost {lost:N0}; " +
                          (got + (long)lost >= withProbe.Calls ? "every call accounted for" : $"MISSING {withProbe.Calls - got - (long)lost}") +
                          " (the runtime may add a few getpid calls of its own)");
    }

    private static (long Calls, double Rate) GetPidLoop(int threads, double seconds)
    {
        var calls = 0L;
        var stop = DateTime.UtcNow.AddSeconds(seconds);
        var sw = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
        {
            var local = 0L;
            while (DateTime.UtcNow < stop)
            {
                for (var i = 0; i < 1000; i++)
                    GetPid();
                local += 1000;
            }
            Interlocked.Add(ref calls, local);
        })).ToList();
        workers.ForEach(t => t.Start());
        workers.ForEach(t => t.Join());
        return (calls, calls / sw.Elapsed.TotalSeconds);
    }
}
