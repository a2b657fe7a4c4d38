using Xunit;

namespace OsqueryBpf.Bpf.Tests.Infrastructure;

/// <summary>
/// Tests that load BPF objects run one at a time: they count open fds and live handles, which are
/// process-wide, and attach to kernel-global hooks.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelCollection
{
    public const string Name = "Kernel";
}
