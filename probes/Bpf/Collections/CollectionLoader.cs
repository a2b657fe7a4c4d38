using System.Diagnostics;
using OsqueryBpf.Bpf.Btf;
using OsqueryBpf.Bpf.Errors;
using OsqueryBpf.Bpf.Interop;
using OsqueryBpf.Bpf.Links;
using OsqueryBpf.Bpf.Maps;
using OsqueryBpf.Bpf.Object;
using OsqueryBpf.Bpf.Object.Btf;
using OsqueryBpf.Bpf.Object.Core;
using OsqueryBpf.Bpf.Programs;

namespace OsqueryBpf.Bpf.Collections;

/// <summary>From a <see cref="CollectionSpec"/> to a live <see cref="BpfCollection"/>.</summary>
internal static class CollectionLoader
{
    public static BpfCollection Load(IBpfSyscalls sys, CollectionSpec original, CollectionLoadOptions options)
    {
        var spec = original.Clone(); // relocation and fd patching must not leak into the caller's spec
        MemlockLimit.EnsureRaised(); // before anything is charged to it, on kernels that charge it (before 5.11)
        LoadedBtf? btf = null;
        Exception? btfError = null;
        var maps = new Dictionary<string, BpfMap>(StringComparer.Ordinal);
        var mapErrors = new Dictionary<string, Exception>(StringComparer.Ordinal);
        var programs = new Dictionary<string, ProgramLoadResult>(StringComparer.Ordinal);
        try
        {
            if (spec.BtfForKernel is { Length: > 0 } rawBtf)
            {
                // Without object BTF, programs still load (no line info in verifier logs, no typed maps).
                try
                {
                    btf = LoadedBtf.Load(sys, rawBtf);
                }
                catch (BpfException e)
                {
                    btfError = e;
                }
            }

            foreach (var mapSpec in spec.Maps.Values)
            {
                try
                {
                    maps[mapSpec.Name] = CreateMap(sys, mapSpec, btf);
                }
                catch (Exception e) when (e is BpfException or ArgumentException)
                {
                    mapErrors[mapSpec.Name] = e;
                }
            }

            var kernelBtf = new Lazy<BtfSpec>(() => options.KernelBtf ?? KernelBtf.Spec);
            var toLoad = new List<(ProgramSpec Spec, ProgramLoadResult Result)>();
            foreach (var programSpec in spec.Programs.Values)
            {
                var result = new ProgramLoadResult(programSpec.Name, programSpec.SectionName);
                programs[programSpec.Name] = result;
                if (options.Programs is not null && !options.Programs.Contains(programSpec.Name))
                    result.Status = ProgramLoadStatus.Skipped;
                else
                    toLoad.Add((programSpec, result));
            }

            // Verification dominates load time (seconds for large probes) and the kernel verifies programs
            // concurrently, so load on several threads; each result is written by one thread only.
            Parallel.ForEach(toLoad, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.MaxParallelLoads) },
                item => LoadProgram(sys, spec, item.Spec, btf, maps, mapErrors, kernelBtf, options, item.Result));

            // Attach in a stable order, after every program is verified.
            if (options.Attach)
            {
                foreach (var (_, result) in toLoad)
                {
                    if (result.Program is not null)
                        Attach(result);
                }
            }
            return new BpfCollection(btf, btfError, maps, mapErrors, programs);
        }
        catch
        {
            // Something unexpected (not a per-program failure): release what exists, newest first.
            foreach (var result in programs.Values)
                result.Link?.Dispose();
            foreach (var result in programs.Values)
                result.Program?.Dispose();
            foreach (var map in maps.Values)
                map.Dispose();
            btf?.Dispose();
            throw;
        }
    }

    private static BpfMap CreateMap(IBpfSyscalls sys, MapSpec spec, LoadedBtf? btf)
    {
        if (spec.Name == ".kconfig" || spec.SectionName == ".kconfig")
            throw new ArgumentException($"Map '{spec.Name}' holds Kconfig externs (__kconfig), which this loader does not support.");
        var map = BpfMap.Create(sys, spec, btf);
        try
        {
            if (spec.IsGlobalData && spec.Contents is { Length: > 0 } contents && contents.Any(b => b != 0))
            {
                // One-element array whose value is the section; .bss (all zero) needs no write.
                if (contents.Length != spec.ValueSize)
                    throw new ArgumentException($"The contents of global data map '{spec.Name}' are {contents.Length} bytes but its value is {spec.ValueSize} bytes.");
                map.Update(stackalloc byte[4], contents);
            }
            if (spec.Freeze)
                map.Freeze(); // after the write: the verifier may now treat .rodata as constants and prune dead branches
            return map;
        }
        catch
        {
            map.Dispose();
            throw;
        }
    }

    private static void LoadProgram(IBpfSyscalls sys, CollectionSpec spec, ProgramSpec programSpec, LoadedBtf? btf,
        Dictionary<string, BpfMap> maps, Dictionary<string, Exception> mapErrors, Lazy<BtfSpec> kernelBtf,
        CollectionLoadOptions options, ProgramLoadResult result)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            var instructions = programSpec.Instructions;
            if (programSpec.CoreRelocations.Count > 0)
            {
                if (spec.Btf is null)
                    throw new InvalidOperationException($"Program '{programSpec.Name}' has CO-RE relocations but the object has no BTF.");
                var relocated = CoreRelocator.Apply(programSpec, spec.Btf, kernelBtf.Value);
                instructions = relocated.Instructions;
                result.CoreFixups = relocated.Fixups;
            }
            else
            {
                instructions = (Instruction[])instructions.Clone();
            }

            foreach (var reference in programSpec.MapReferences)
            {
                if (!maps.TryGetValue(reference.MapName, out var map))
                {
                    var why = mapErrors.TryGetValue(reference.MapName, out var mapError) ? mapError.Message : "the object defines no such map.";
                    throw new InvalidOperationException($"Program '{programSpec.Name}' uses map '{reference.MapName}', which was not created: {why}", mapError);
                }
                // The parser set src_reg (PSEUDO_MAP_FD or PSEUDO_MAP_VALUE) and the value offset in the second
                // half; the fd goes in the first half's immediate. The collection keeps the map open until the
                // program is loaded, after which the program holds its own reference.
                instructions[reference.InstructionIndex] = instructions[reference.InstructionIndex].WithImmediate(map.Handle.Fd);
            }

            result.RelocationTime = clock.Elapsed;
            clock.Restart();
            var loadOptions = new ProgramLoadOptions
            {
                ProgramBtf = btf,
                LogLevel = options.ProgramOptions.LogLevel,
                InitialLogSize = options.ProgramOptions.InitialLogSize,
                MaximumLogSize = options.ProgramOptions.MaximumLogSize,
            };
            try
            {
                result.Program = ProgramLoader.Load(sys, programSpec.WithInstructions(instructions), loadOptions);
            }
            finally
            {
                result.LoadTime = clock.Elapsed;
            }
            result.Status = ProgramLoadStatus.Loaded;
        }
        catch (Exception e) when (e is BpfException or BpfObjectException or InvalidOperationException or ArgumentException)
        {
            result.Status = ProgramLoadStatus.Failed;
            result.Error = e;
        }
    }

    private static void Attach(ProgramLoadResult result)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            result.Link = AttachBySection(result.Program!);
            if (result.Link is not null)
                result.Status = ProgramLoadStatus.Attached;
        }
        catch (Exception e) when (e is BpfException or ArgumentException)
        {
            result.Status = ProgramLoadStatus.AttachFailed;
            result.Error = e;
        }
        finally
        {
            result.AttachTime = clock.Elapsed;
        }
    }

    /// <summary>Attaches by the hook the section names; null for sections that name none (SEC("socket")).</summary>
    private static IBpfLink? AttachBySection(BpfProgram program) => program.Type switch
    {
        ProgramType.TracePoint => TracepointLink.Attach(program, program.AttachTo),
        ProgramType.RawTracepoint => RawTracepointLink.Attach(program, program.AttachTo),
        ProgramType.Tracing when program.ExpectedAttachType == AttachType.TraceRawTracepoint => BtfTracepointLink.Attach(program),
        _ => null,
    };
}
