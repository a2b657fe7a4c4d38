using OsqueryBpf.Bpf.Collections;
using OsqueryBpf.Bpf.RingBuffers;
using OsqueryBpf.Probes.Runtime;
using Xunit;

namespace OsqueryBpf.Probes.Tests.Network;

/// <summary>
/// The socket or DNS probe loaded into the real kernel the way the product loads it (<see cref="ProbeInstance"/>),
/// with a reader thread that decodes every record with the test's own decoder (for the DNS probe's raw packets,
/// before the product's decoder joins them into rows) and keeps the items a test may wait for.
/// </summary>
internal sealed class LoadedNetProbe<T> : IDisposable where T : class
{
    public delegate bool Decoder(ReadOnlySpan<byte> record, out T? item, out string? error);

    private readonly ProbeInstance _loaded;
    private readonly RingBufferReader _reader;
    private readonly List<T> _items = new();
    private readonly Func<T, bool> _keep;
    private long _malformed;
    private string? _lastError;

    public LoadedNetProbe(ProbeDefinition probe, Kernel.OlderKernel? asKernel, Decoder decode, Func<T, bool> keep, int ignoredProcessId = 0)
    {
        _keep = keep;
        var settings = probe.DefaultSettings();
        var context = new ProbeContext { IgnoredProcessId = ignoredProcessId };
        var instance = asKernel is null ? ProbeInstance.Load(probe, settings, context) : asKernel.Load(probe, settings, context);
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
}
