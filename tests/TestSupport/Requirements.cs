using Xunit;

namespace OsqueryBpf.TestSupport;

/// <summary>
/// Gates for tests that need privileges or kernel features. Outside CI a missing requirement skips the
/// test with its reason; under CI (CI=true) the machines are known to have root, BPF and the tools that
/// .ci/run installs (shared/design/kernel.md), so a missing requirement is a failure, not a skip.
/// </summary>
public static class Requirements
{
    /// <summary>True when running under CI, where every documented requirement must be met.</summary>
    public static bool UnderCi =>
        string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Skips (locally) or fails (under CI) unless <paramref name="met"/> holds.</summary>
    public static void Require(bool met, string what)
    {
        if (met)
            return;
        if (UnderCi)
            Assert.Fail($"Requirement not met under CI: {what}.");
        Skip.If(true, $"Requirement not met: {what}.");
    }

    /// <summary>Root (or at least CAP_BPF with CAP_PERFMON), as BPF loading needs.</summary>
    public static void RequireRoot() => Require(IsRoot, "running as root (CAP_BPF, CAP_PERFMON)");

    /// <summary>Kernel BTF at /sys/kernel/btf/vmlinux, as CO-RE relocation needs.</summary>
    public static void RequireKernelBtf() =>
        Require(File.Exists("/sys/kernel/btf/vmlinux"), "kernel BTF at /sys/kernel/btf/vmlinux");

    /// <summary>A program on PATH, such as dnsmasq, dig or bpftool.</summary>
    public static void RequireTool(string name) => Require(FindTool(name) is not null, $"'{name}' on PATH");

    /// <summary>The full path of a program on PATH, or null.</summary>
    public static string? FindTool(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':'))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
                return candidate;
        }
        foreach (var dir in new[] { "/usr/sbin", "/sbin" })
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
                return candidate;
        }
        return null;
    }

    /// <summary>Whether this process runs with effective uid 0.</summary>
    public static bool IsRoot => Environment.UserName == "root" || GetEuid() == 0;

    private static uint GetEuid()
    {
        // /proc/self/status has "Uid: real effective saved fs".
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
                return uint.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[2]);
        }
        return uint.MaxValue;
    }
}
