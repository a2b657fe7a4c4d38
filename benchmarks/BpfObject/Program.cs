// Measures how long Bpf.Object takes on the running kernel's BTF, and optionally dumps an object.
//
//   dotnet run -c Release --project benchmarks/BpfObject                 # kernel BTF parse + lookups, 20 runs
//   dotnet run -c Release --project benchmarks/BpfObject -- dump x.bpf.o [target.btf]
//   dotnet run -c Release --project benchmarks/BpfObject -- objects a.bpf.o b.bpf.o   # parse + CO-RE vs kernel
using System.Diagnostics;
using OsqueryBpf.Bpf.Object;
using OsqueryBpf.Bpf.Object.Btf;
using OsqueryBpf.Bpf.Object.Core;

if (args.Length >= 2 && args[0] == "dump")
{
    var spec = CollectionSpec.ParseFile(args[1]);
    Console.WriteLine($"license: {spec.License}");
    foreach (var map in spec.Maps.Values)
        Console.WriteLine($"map {map}");
    foreach (var variable in spec.Variables.Values)
        Console.WriteLine($"variable {variable}");
    var target = args.Length >= 3 ? BtfSpec.Parse(File.ReadAllBytes(args[2])) : null;
    foreach (var program in spec.Programs.Values)
    {
        Console.WriteLine($"program {program}: attach '{program.AttachTo}', {program.MapReferences.Count} map refs, " +
            $"{program.FuncInfo.Length / Math.Max(1, (int)program.FuncInfoRecordSize)} func_info, {program.CoreRelocations.Count} CO-RE");
        foreach (var reference in program.MapReferences)
            Console.WriteLine($"  {reference}");
        if (target is not null && spec.Btf is not null && program.CoreRelocations.Count > 0)
        {
            foreach (var fixup in CoreRelocator.Apply(program, spec.Btf, target).Fixups)
                Console.WriteLine($"  {fixup}");
        }
    }
    return 0;
}

if (args.Length >= 2 && args[0] == "objects")
{
    var kernel = BtfSpec.ParseFile("/sys/kernel/btf/vmlinux");
    foreach (var objectPath in args.Skip(1))
    {
        var elf = File.ReadAllBytes(objectPath);
        var parseTimes = new double[20];
        var relocateTimes = new double[20];
        var (programs, relocations, poisoned) = (0, 0, 0);
        for (var run = 0; run < parseTimes.Length; run++)
        {
            var stopwatch = Stopwatch.StartNew();
            var spec = CollectionSpec.Parse(elf);
            parseTimes[run] = stopwatch.Elapsed.TotalMilliseconds;
            (programs, relocations, poisoned) = (spec.Programs.Count, 0, 0);
            stopwatch.Restart();
            foreach (var program in spec.Programs.Values)
            {
                if (spec.Btf is null || program.CoreRelocations.Count == 0)
                    continue;
                var result = CoreRelocator.Apply(program, spec.Btf, kernel);
                relocations += result.Fixups.Count;
                poisoned += result.Poisoned.Count();
            }
            relocateTimes[run] = stopwatch.Elapsed.TotalMilliseconds;
        }
        Array.Sort(parseTimes);
        Array.Sort(relocateTimes);
        Console.WriteLine($"{Path.GetFileName(objectPath)}: {elf.Length} bytes, {programs} programs, {relocations} CO-RE relocations ({poisoned} poisoned)");
        Console.WriteLine($"  parse:            min {parseTimes[0]:F2} ms, median {parseTimes[10]:F2} ms");
        Console.WriteLine($"  CO-RE vs kernel:  min {relocateTimes[0]:F2} ms, median {relocateTimes[10]:F2} ms (kernel name index already built after run 1)");
    }
    return 0;
}

var path = args.Length >= 1 ? args[0] : "/sys/kernel/btf/vmlinux";
var bytes = File.ReadAllBytes(path);
const int Runs = 20;
var parse = new double[Runs];
var parseAndLookup = new double[Runs];
var types = 0;
for (var run = 0; run < Runs; run++)
{
    var stopwatch = Stopwatch.StartNew();
    var btf = BtfSpec.Parse(bytes); // includes one copy of the 5.5 MB blob, as callers with a span pay it
    parse[run] = stopwatch.Elapsed.TotalMilliseconds;
    // First lookup builds the name index: what a loader pays to resolve task_struct and a tp_btf target.
    if (!btf.TryFindType("task_struct", BtfKind.Struct, out _) || !btf.TryFindBtfTracepoint("sched_process_exec", out _))
        throw new InvalidOperationException("task_struct or btf_trace_sched_process_exec is missing from " + path);
    parseAndLookup[run] = stopwatch.Elapsed.TotalMilliseconds;
    types = btf.TypeCount;
}
Array.Sort(parse);
Array.Sort(parseAndLookup);
Console.WriteLine($"{path}: {bytes.Length} bytes, {types} types, {Runs} runs (first run includes JIT)");
Console.WriteLine($"parse:               min {parse[0]:F2} ms, median {parse[Runs / 2]:F2} ms, max {parse[^1]:F2} ms");
var fromFile = new double[Runs];
for (var run = 0; run < Runs; run++)
{
    var stopwatch = Stopwatch.StartNew();
    _ = BtfSpec.ParseFile(path);
    fromFile[run] = stopwatch.Elapsed.TotalMilliseconds;
}
Array.Sort(fromFile);
Console.WriteLine($"ParseFile (read+parse): min {fromFile[0]:F2} ms, median {fromFile[Runs / 2]:F2} ms, max {fromFile[^1]:F2} ms");
Console.WriteLine($"parse + name index:  min {parseAndLookup[0]:F2} ms, median {parseAndLookup[Runs / 2]:F2} ms, max {parseAndLookup[^1]:F2} ms");
return 0;
