using OsqueryBpf.Bpf.Interop;

namespace OsqueryBpf.Bpf.Tests.Infrastructure;

/// <summary>
/// A scripted bpf(2) for tests of the loader's logic without a kernel. Commands that succeed return real
/// descriptors (of /dev/null), so SafeHandles close something real and leak counting stays meaningful.
/// </summary>
internal sealed unsafe class FakeBpfSyscalls : IBpfSyscalls
{
    public delegate int Handler(BpfCmd cmd, void* attr, uint size, out Errno errno);

    private readonly Handler _handler;

    public FakeBpfSyscalls(Handler handler) => _handler = handler;

    /// <summary>Every command seen, in order.</summary>
    public List<BpfCmd> Calls { get; } = [];

    public int Bpf(BpfCmd cmd, void* attr, uint size, out Errno errno)
    {
        // The collection loader verifies programs on several threads.
        lock (Calls)
        {
            Calls.Add(cmd);
            return _handler(cmd, attr, size, out errno);
        }
    }

    /// <summary>A fresh, real descriptor to hand out as a "BPF object".</summary>
    public static int NewFd()
    {
        var handle = File.OpenHandle("/dev/null");
        var fd = (int)handle.DangerousGetHandle();
        handle.SetHandleAsInvalid(); // ownership moves to the loader's SafeHandle
        return fd;
    }
}
