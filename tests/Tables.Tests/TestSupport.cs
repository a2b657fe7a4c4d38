using OsqueryBpf.Events;
using OsqueryBpf.Probes;

namespace OsqueryBpf.Tables.Tests;

/// <summary>A unique temporary folder, removed on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "tables-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public DateTimeOffset Now => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);

    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>Collects log lines from a store.</summary>
internal sealed class LogLines
{
    private readonly List<string> _lines = new();

    public void Add(string line)
    {
        lock (_lines)
            _lines.Add(line);
    }

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
                return _lines.ToArray();
        }
    }
}

internal static class Stores
{
    public static long Now => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public static StoreOptions Memory(Action<StoreOptions>? configure = null)
    {
        var options = new StoreOptions { DatabasePath = StoreOptions.InMemory };
        configure?.Invoke(options);
        return options;
    }

    public static StoreOptions OnDisk(string path, Action<StoreOptions>? configure = null)
    {
        var options = new StoreOptions { DatabasePath = path };
        configure?.Invoke(options);
        return options;
    }

    public static FileEvent FileEvent(long time, string path = "/tmp/a", long pid = 100) => new()
    {
        Time = time, Pid = pid, Tid = pid, Parent = 1, Uid = 1000, Gid = 1000, CgroupId = 77, Comm = "touch",
        BootTimeNs = 123_456_789, Action = "create", Syscall = "openat", Path = path, Flags = "O_WRONLY|O_CREAT",
        Mode = "0644", ExitCode = 3, Inode = 42, Executable = "/usr/bin/touch", Cwd = "/tmp",
    };

    /// <summary>Adds every event, failing the test if one is dropped.</summary>
    public static void AddAll(EventStore store, IEnumerable<Event> events)
    {
        foreach (var e in events)
        {
            var spins = 0;
            while (!store.TryAdd(e))
            {
                if (++spins > 10_000)
                    throw new InvalidOperationException("The store kept refusing events.");
                Thread.Sleep(1);
            }
        }
    }
}
