using OsqueryBpf.Bpf.Btf;
using OsqueryBpf.Bpf.Interop;
using OsqueryBpf.Bpf.Maps;
using OsqueryBpf.Bpf.Object;

namespace OsqueryBpf.Bpf.Collections;

/// <summary>
/// The live objects of one BPF object file: its maps, programs and links. Built by <see cref="Load"/>;
/// disposing detaches every link and closes every fd.
/// </summary>
public sealed class BpfCollection : IDisposable
{
    private readonly Dictionary<string, BpfMap> _maps;
    private readonly Dictionary<string, ProgramLoadResult> _programs;
    private bool _disposed;

    internal BpfCollection(LoadedBtf? btf, Exception? btfError, Dictionary<string, BpfMap> maps,
        Dictionary<string, Exception> mapErrors, Dictionary<string, ProgramLoadResult> programs)
    {
        Btf = btf;
        BtfError = btfError;
        _maps = maps;
        MapErrors = mapErrors;
        _programs = programs;
    }

    /// <summary>
    /// Loads <paramref name="spec"/> (after any <see cref="CollectionSpec.SetConstant{T}"/>): uploads its BTF,
    /// relocates CO-RE accesses against the kernel's BTF, creates maps (global data filled, .rodata frozen),
    /// loads each program and attaches it by section name. One program failing does not stop the others:
    /// inspect <see cref="Programs"/>. The spec is not modified.
    /// </summary>
    public static BpfCollection Load(CollectionSpec spec, CollectionLoadOptions? options = null) =>
        CollectionLoader.Load(LinuxBpfSyscalls.Instance, spec, options ?? new CollectionLoadOptions());

    /// <summary>The object's BTF in the kernel, or null when it had none or the kernel refused it (see <see cref="BtfError"/>).</summary>
    public LoadedBtf? Btf { get; }

    /// <summary>Why the object's BTF was not uploaded, when it was refused; programs then load without line info.</summary>
    public Exception? BtfError { get; }

    /// <summary>The maps that were created, by name.</summary>
    public IReadOnlyDictionary<string, BpfMap> Maps => _maps;

    /// <summary>Maps that could not be created, by name; programs that use them fail.</summary>
    public IReadOnlyDictionary<string, Exception> MapErrors { get; }

    /// <summary>Every program of the spec, by name, with what happened to it.</summary>
    public IReadOnlyDictionary<string, ProgramLoadResult> Programs => _programs;

    /// <summary>The map named <paramref name="name"/>; throws with the reason when it is missing.</summary>
    public BpfMap Map(string name)
    {
        if (_maps.TryGetValue(name, out var map))
            return map;
        if (MapErrors.TryGetValue(name, out var error))
            throw new InvalidOperationException($"Map '{name}' was not created: {error.Message}", error);
        throw new KeyNotFoundException($"The collection has no map named '{name}'; it has {string.Join(", ", _maps.Keys.Order().Select(k => $"'{k}'"))}.");
    }

    /// <summary>The loaded program named <paramref name="name"/>; throws with the reason when it did not load.</summary>
    public Programs.BpfProgram Program(string name)
    {
        if (!_programs.TryGetValue(name, out var result))
            throw new KeyNotFoundException($"The collection has no program named '{name}'; it has {string.Join(", ", _programs.Keys.Order().Select(k => $"'{k}'"))}.");
        return result.Program ?? throw new InvalidOperationException($"Program '{name}' is not loaded ({result.Status}){(result.Error is null ? "." : ": " + result.Error.Message)}", result.Error);
    }

    /// <summary>
    /// Opens a reader on ring buffer map <paramref name="ringName"/>, with its lost-record counter: the map
    /// named <paramref name="lostCounterName"/>, or by convention "&lt;ring&gt;_lost" when that map exists.
    /// </summary>
    public RingBuffers.RingBufferReader OpenRingBuffer(string ringName, string? lostCounterName = null)
    {
        var ring = Map(ringName);
        var lost = lostCounterName is not null ? Map(lostCounterName) : _maps.GetValueOrDefault(ringName + "_lost");
        return new RingBuffers.RingBufferReader(ring, lost);
    }

    /// <summary>Throws an <see cref="AggregateException"/> naming every program that failed to load or attach.</summary>
    public void ThrowIfAnyFailed()
    {
        var errors = _programs.Values.Where(p => p.Error is not null).Select(p => p.Error!).ToList();
        if (errors.Count > 0)
            throw new AggregateException($"{errors.Count} of {_programs.Count} programs failed: {string.Join(" ", errors.Select(e => e.Message))}", errors);
    }

    /// <summary>Detaches every link, then closes programs, maps and the BTF object, in that order.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        foreach (var result in _programs.Values)
            result.Link?.Dispose();
        foreach (var result in _programs.Values)
            result.Program?.Dispose();
        foreach (var map in _maps.Values)
            map.Dispose();
        Btf?.Dispose();
    }
}
