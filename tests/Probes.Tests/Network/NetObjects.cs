using System.Diagnostics;
using OsqueryBpf.TestSupport;

namespace OsqueryBpf.Probes.Tests.Network;

/// <summary>
/// The compiled socket.bpf.o and dns.bpf.o. Probes.csproj does not embed them yet, so the tests compile the
/// sources with clang the way probes/bpf/Bpf.targets does, once per test run, into a unique temp directory.
/// </summary>
internal static class NetObjects
{
    private static readonly Lazy<string> Directory = new(CreateDirectory);
    private static readonly object Gate = new();

    public static byte[] Socket() => Compile("socket");

    public static byte[] Dns() => Compile("dns");

    private static byte[] Compile(string name)
    {
        Requirements.RequireTool("clang");
        string output = Path.Combine(Directory.Value, name + ".bpf.o");
        lock (Gate)
        {
            if (!File.Exists(output))
                RunClang(Path.Combine(RepositoryPaths.Root, "probes", "bpf", name + ".bpf.c"), output);
        }
        return File.ReadAllBytes(output);
    }

    private static void RunClang(string source, string output)
    {
        string include = Path.Combine(RepositoryPaths.Root, "probes", "bpf", "include");
        var start = new ProcessStartInfo("clang")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        foreach (var arg in new[]
                 {
                     "-target", "bpf", "-mcpu=v3", "-g", "-O2", "-Wall", "-Werror", "-D__TARGET_ARCH_x86", "-I" + include,
                     "-I/usr/include", "-I/usr/include/x86_64-linux-gnu", "-c", source, "-o", output,
                 })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("clang did not start.");
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"clang failed to compile {source}: {stderr.Result}");
    }

    private static string CreateDirectory()
    {
        var dir = System.IO.Directory.CreateTempSubdirectory("osqbpf-netobj-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                System.IO.Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        };
        return dir;
    }
}
