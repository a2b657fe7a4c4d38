using System.Diagnostics;

namespace OsqueryBpf.TestSupport;

/// <summary>
/// A scratch copy of the Debian 11 root that ./build.sh links the binary against (native/debian-root.sh), to run
/// commands in as on a Debian 11 host: each command runs in its own private mount namespace (unshare) with /proc,
/// /sys and /dev mounted into the copy, then chroot. The mounts vanish with the namespace, so nothing leaks to
/// the host even when a test dies; the copy is deleted on Dispose. Processes in the copy see the host's kernel
/// (its BPF, tracefs and BTF) and the host's other processes, as in a container without a pid namespace.
/// </summary>
public sealed class DebianRoot : IDisposable
{
    private DebianRoot(string path) => Path = path;

    /// <summary>The copy on the host; a path inside the root is <c>Path + "/etc/..."</c>.</summary>
    public string Path { get; }

    /// <summary>The cached root's folder (made on first use: debootstrap needs root and Debian's archive).</summary>
    public static string CachedRoot(string arch = "amd64")
    {
        var result = Command.Run(System.IO.Path.Combine(RepositoryPaths.Root, "native", "debian-root.sh"), [arch], TimeSpan.FromMinutes(15));
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"native/debian-root.sh {arch} failed:\n{result.Stderr}");
        return result.Stdout.Trim();
    }

    /// <summary>Skips (locally) or fails (under CI) unless this process can make and enter a Debian root.</summary>
    public static void Require()
    {
        Requirements.RequireRoot();
        foreach (var tool in new[] { "debootstrap", "unshare", "chroot" })
            Requirements.RequireTool(tool);
    }

    /// <summary>Copies the cached amd64 root into a fresh temporary folder.</summary>
    public static DebianRoot Create()
    {
        var cached = CachedRoot();
        var path = Directory.CreateTempSubdirectory("osquery-bpf-debian11-").FullName;
        var copy = Command.Run("cp", ["-a", cached + "/.", path], TimeSpan.FromMinutes(5));
        if (copy.ExitCode != 0)
        {
            Directory.Delete(path, recursive: true);
            throw new InvalidOperationException("copying the Debian root failed: " + copy.Stderr);
        }
        return new DebianRoot(path);
    }

    /// <summary>The host path of a path inside the root.</summary>
    public string HostPath(string pathInRoot) => Path + "/" + pathInRoot.TrimStart('/');

    /// <summary>Runs a shell command line inside the root (as root, with /proc, /sys and /dev mounted).</summary>
    public Command.Result Shell(string commandLine, TimeSpan? timeout = null) =>
        Command.Run("unshare", UnshareArguments("/bin/sh", ["-c", commandLine], chroot: true), timeout ?? TimeSpan.FromMinutes(2));

    /// <summary>
    /// Runs a program of the host (rpm, say) with the root's /proc, /sys and /dev mounted but without entering it,
    /// so what it runs inside the root (rpm's scriptlets) sees the processes.
    /// </summary>
    public Command.Result HostCommand(string program, IEnumerable<string> arguments, TimeSpan? timeout = null) =>
        Command.Run("unshare", UnshareArguments(program, [.. arguments], chroot: false), timeout ?? TimeSpan.FromMinutes(2));

    /// <summary>A start description for a long-running program inside the root (arguments as given).</summary>
    public ProcessStartInfo StartInfo(string program, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo("unshare") { UseShellExecute = false };
        foreach (var argument in UnshareArguments(program, [.. arguments], chroot: true))
            info.ArgumentList.Add(argument);
        return info;
    }

    // unshare --mount gives a private mount namespace (its propagation is private, so even the recursive bind
    // of /sys cannot unmount anything of the host's); the mounts, then chroot, then exec the program, so the
    // process started is the program itself and signals reach it.
    private string[] UnshareArguments(string program, string[] arguments, bool chroot)
    {
        const string script = """
            set -e
            root=$1; enter=$2; shift 2
            mount -t proc proc "$root/proc"
            mount --rbind /sys "$root/sys"
            mount --bind /dev "$root/dev"
            if [ "$enter" = chroot ]; then exec chroot "$root" "$@"; else exec "$@"; fi
            """;
        return ["--mount", "--propagation", "private", "/bin/sh", "-c", script, "debian-root", Path, chroot ? "chroot" : "host", program, .. arguments];
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>Runs a program to completion and captures its output.</summary>
public static class Command
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
    }

    /// <summary>Runs <paramref name="program"/> with <paramref name="arguments"/>; throws when it outlives the timeout.</summary>
    public static Result Run(string program, IEnumerable<string> arguments, TimeSpan timeout, IDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            info.Environment[name] = value;
        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish within {timeout}.");
        }
        process.WaitForExit();
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }
}
