using System.Diagnostics;
using OsqueryBpf.TestSupport;

namespace OsqueryBpf.Probes.Tests.Kernel;

/// <summary>Small C programs the kernel tests run as workloads, compiled with clang once per test run.</summary>
internal static class TestPrograms
{
    private static readonly Lazy<string> s_directory = new(() => Directory.CreateTempSubdirectory("osqbpf-testprograms-").FullName);
    private static readonly object s_gate = new();

    /// <summary>The path of tests/Probes.Tests/Kernel/<paramref name="name"/>.c compiled for this machine.</summary>
    public static string Path(string name)
    {
        Requirements.RequireTool("clang");
        var output = System.IO.Path.Combine(s_directory.Value, name);
        lock (s_gate)
        {
            if (File.Exists(output))
                return output;
            var source = System.IO.Path.Combine(RepositoryPaths.Root, "tests", "Probes.Tests", "Kernel", name + ".c");
            var start = new ProcessStartInfo("clang") { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var arg in new[] { "-O2", "-pthread", "-Wall", "-Werror", source, "-o", output })
                start.ArgumentList.Add(arg);
            using var clang = Process.Start(start)!;
            var errors = clang.StandardError.ReadToEnd();
            clang.WaitForExit();
            if (clang.ExitCode != 0)
                throw new InvalidOperationException($"clang could not build {source}: {errors}");
        }
        return output;
    }
}
