using System.Diagnostics;

namespace OsqueryBpf.TestSupport;

/// <summary>
/// A scratch copy of the Debian 11 root that ./build.sh links the binary against (native/debian-root.sh), to run
/// commands in as on a Debian 11 host. A holder process keeps a private mount namespace (unshare) in which /proc,
/// /sys and /dev are mounted into the copy; every command enters that namespace (nsenter) and then the root
/// (chroot), so all of them see one another's processes and files as on one host. The mounts vanish with the
/// namespace, so nothing leaks to the host even when a test dies; the copy is deleted on Dispose. Processes in
/// the copy see the host's kernel (its BPF, tracefs and BTF), as in a container without a pid namespace.
/// </summary>
public sealed class DebianRoot : IDisposable
{
    private readonly Process _holder;

    private DebianRoot(string path, Process holder)
    {
        Path = path;
        _holder = holder;
    }

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
        foreach (var tool in new[] { "debootstrap", "unshare", "nsenter", "chroot" })
            Requirements.RequireTool(tool);
    }

    /// <summary>Copies the cached amd64 root into a fresh temporary folder and mounts /proc, /sys and /dev in it.</summary>
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
        // The namespace's propagation is private, so even the recursive bind of /sys cannot unmount anything of
        // the host's. The holder says "ready" once the mounts are there and then waits for its end.
        const string script = """
            set -e
            mount -t proc proc "$1/proc"
            mount --rbind /sys "$1/sys"
            mount --bind /dev "$1/dev"
            echo ready
            exec sleep infinity
            """;
        var info = new ProcessStartInfo("unshare") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "--mount", "--propagation", "private", "/bin/sh", "-c", script, "debian-root", path })
            info.ArgumentList.Add(argument);
        var holder = Process.Start(info)!;
        var line = holder.StandardOutput.ReadLine();
        if (line != "ready")
        {
            var stderr = holder.StandardError.ReadToEnd();
            holder.Kill();
            holder.WaitForExit();
            Directory.Delete(path, recursive: true);
            throw new InvalidOperationException("mounting /proc, /sys and /dev in the Debian root failed: " + stderr);
        }
        return new DebianRoot(path, holder);
    }

    /// <summary>The host path of a path inside the root.</summary>
    public string HostPath(string pathInRoot) => Path + "/" + pathInRoot.TrimStart('/');

    /// <summary>Runs a shell command line inside the root, as root.</summary>
    public Command.Result Shell(string commandLine, TimeSpan? timeout = null) =>
        Command.Run("nsenter", Enter(chroot: true, "/bin/sh", "-c", commandLine), timeout ?? TimeSpan.FromMinutes(2));

    /// <summary>
    /// Runs a program of the host (rpm, say) in the root's mount namespace without entering the root, so what it
    /// runs inside the root (rpm's scriptlets) sees the same /proc as everything else here.
    /// </summary>
    public Command.Result HostCommand(string program, IEnumerable<string> arguments, TimeSpan? timeout = null) =>
        Command.Run("nsenter", Enter(chroot: false, [program, .. arguments]), timeout ?? TimeSpan.FromMinutes(2));

    /// <summary>
    /// A start description for a long-running program inside the root. nsenter and chroot exec it, so the process
    /// started is the program itself and signals reach it.
    /// </summary>
    public ProcessStartInfo StartInfo(string program, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo("nsenter") { UseShellExecute = false };
        foreach (var argument in Enter(chroot: true, [program, .. arguments]))
            info.ArgumentList.Add(argument);
        return info;
    }

    private string[] Enter(bool chroot, params string[] command) =>
        chroot
            ? ["--target", _holder.Id.ToString(), "--mount", "chroot", Path, .. command]
            : ["--target", _holder.Id.ToString(), "--mount", .. command];

    public void Dispose()
    {
        try
        {
            _holder.Kill();
            _holder.WaitForExit();
        }
        catch (InvalidOperationException)
        {
        }
        _holder.Dispose();
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
