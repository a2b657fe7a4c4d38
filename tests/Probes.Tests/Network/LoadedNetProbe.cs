using OsqueryBpf.Bpf.Collections;
using OsqueryBpf.Bpf.Links;
using OsqueryBpf.Bpf.Object;
using OsqueryBpf.Bpf.RingBuffers;
using Xunit;

namespace OsqueryBpf.Probes.Tests.Network;

/// <summary>
/// socket.bpf.o or dns.bpf.o loaded into the real kernel through the managed loader (tracepoints attached by
/// section name, the socket filter on an AF_PACKET socket for all interfaces), with a reader thread that
/// decodes every record and keeps the items a test may wait for.
/// </summary>
internal sealed class LoadedNetProbe<T> : IDisposable where T : class
{
    public delegate bool Decoder(ReadOnlySpan<byte> record, out T? item, out string? error);

    private readonly IDisposable _loaded; // the collection and socket filter, or the ProbeInstance that owns them
    private readonly RingBufferReader _reader;
    private readonly List<T> _items = new();
    private readonly Func<T, bool> _keep;
    private long _malformed;
    private string? _lastError;

    /// <summary>An object loaded as given (all programs, these constants), for tests of the objects themselves.</summary>
    public LoadedNetProbe(byte[] elf, string ringName, string? socketFilterProgram, Decoder decode, Func<T, bool> keep,
        IReadOnlyDictionary<string, uint>? constants = null)
    {
        _keep = keep;
        var spec = CollectionSpec.Parse(elf);
        foreach (var (name, value) in constants ?? new Dictionary<string, uint>())
            spec.SetConstant(name, value);
        var collection = BpfCollection.Load(spec);
        SocketFilterLink? filter = null;
        try
        {
            collection.ThrowIfAnyFailed();
            if (socketFilterProgram is not null)
                filter = SocketFilterLink.Attach(collection.Program(socketFilterProgram));
            _loaded = new Owned(collection, filter);
            _reader = StartReader(collection, ringName, decode);
        }
        catch
        {
            filter?.Dispose();
            collection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A probe loaded the way the product loads it (<see cref="ProbeInstance"/>); with <paramref name="asKernel"/>, on
    /// the code paths of that older kernel.
    /// </summary>
    public LoadedNetProbe(ProbeDefinition probe, ProbeSettings settings, Kernel.OlderKernel? asKernel, Decoder decode, Func<T, bool> keep)
    {
        _keep = keep;
        var instance = asKernel is null ? ProbeInstance.Load(probe, settings) : asKernel.Load(probe, settings);
        try
        {
            Assert.True(instance.Complete, "Hooks not running: " + string.Join(" | ", instance.Missing.Select(h => h.Describe())));
            _loaded = instance;
            _reader = StartReader(instance.Collection, probe.RingMap, decode);
        }
        catch
        {
            instance.Dispose();
            throw;
        }
    }

    private RingBufferReader StartReader(BpfCollection collection, string ringName, Decoder decode)
    {
        var reader = collection.OpenRingBuffer(ringName, ringName + "_lost");
        reader.Start(record =>
        {
            if (!decode(record, out var item, out var error) || item is null)
            {
                Interlocked.Increment(ref _malformed);
                _lastError = error;
                return;
            }
            if (!_keep(item))
                return;
            lock (_items)
            {
                _items.Add(item);
                Monitor.PulseAll(_items);
            }
        }, "net probe test reader");
        return reader;
    }

    /// <summary>Records the kernel could not put into the ring.</summary>
    public ulong Lost => _reader.Lost;

    /// <summary>Records the decoder refused, and the last reason.</summary>
    public (long Count, string? LastError) Malformed => (Interlocked.Read(ref _malformed), _lastError);

    /// <summary>Waits (up to 30 s) for an item matching <paramref name="match"/>.</summary>
    public T WaitFor(Func<T, bool> match, string what, Func<T, string>? describe = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        lock (_items)
        {
            while (true)
            {
                var found = _items.FirstOrDefault(match);
                if (found is not null)
                    return found;
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero)
                {
                    Assert.Fail($"Nothing for {what} within 30 s. Kept {_items.Count}; lost {Lost}; malformed " +
                        $"{Malformed.Count} ({Malformed.LastError}). Last kept: " +
                        string.Join(" | ", _items.TakeLast(10).Select(i => describe?.Invoke(i) ?? i.ToString())));
                }
                Monitor.Wait(_items, left);
            }
        }
    }

    /// <summary>The items kept so far that match.</summary>
    public List<T> Seen(Func<T, bool> match)
    {
        lock (_items)
            return _items.Where(match).ToList();
    }

    public void Dispose()
    {
        _reader.Dispose();
        _loaded.Dispose();
    }

    private sealed class Owned(BpfCollection collection, SocketFilterLink? filter) : IDisposable
    {
        public void Dispose()
        {
            filter?.Dispose();
            collection.Dispose();
        }
    }
}
