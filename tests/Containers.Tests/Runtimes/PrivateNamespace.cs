using System.Diagnostics;

namespace OsqueryBpf.Containers.Tests.Runtimes;

/// <summary>
/// A private mount and PID namespace in which cgroup2 is mounted at /sys/fs/cgroup, for one container runtime.
/// </summary>
/// <remarks>
/// Our hosts mount cgroup v1 controllers at /sys/fs/cgroup/* and cgroup2 at /sys/fs/cgroup/unified. Runtimes look
/// at /sys/fs/cgroup to choose between v1 and v2; in this namespace they find cgroup2 there, which is the same
/// (single) cgroup2 hierarchy the host has, so their cgroups are the ones the kernel reports for their processes.
/// The runtime's mounts (overlay rootfs, /proc of its containers) stay in the namespace. Its first process is
/// the namespace's init: killing it kills every process the runtime left behind (shims, conmon, containers),
/// which is the clean-up. Commands run inside with nsenter.
/// </remarks>
internal sealed class PrivateNamespace : IDisposable
{
    private readonly Process _unshare;

    /// <summary>Starts <paramref name="init"/> (argv) as the namespace's init; its output goes to <paramref name="logFile"/>.</summary>
    public PrivateNamespace(string logFile, params string[] init)
    {
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardInput = true };
        start.ArgumentList.Add("-c");
        // unshare forks the init (pid 1 of the new PID namespace) and waits for it.
        start.ArgumentList.Add("exec unshare --mount --propagation private --pid --fork --mount-proc /bin/sh -c " +
            "'mount -t cgroup2 cgroup2 /sys/fs/cgroup && exec \"$@\"' init \"$@\" >\"$LOG\" 2>&1");
        start.ArgumentList.Add("sh");
        foreach (var a in init)
            start.ArgumentList.Add(a);
        start.Environment["LOG"] = logFile;
        LogFile = logFile;
        _unshare = Process.Start(start) ?? throw new InvalidOperationException("could not start unshare");
        _unshare.StandardInput.Close();
        // The init is unshare's only child.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var children = ReadChildren(_unshare.Id);
            // Ready once its init has mounted cgroup2 at /sys/fs/cgroup: a command entering earlier would see the host's
            // cgroup v1 tmpfs there (the rootless podman fixture enters at once and failed so under load).
            if (children.Length > 0 && HasCgroup2AtSysFsCgroup(children[0]))
            {
                InitPid = children[0];
                break;
            }
            if (_unshare.HasExited || DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"the private namespace did not start: {SafeRead(logFile)}");
            Thread.Sleep(20);
        }
    }

    /// <summary>The host pid of the namespace's init.</summary>
    public int InitPid { get; }

    /// <summary>Where the init's output goes.</summary>
    public string LogFile { get; }

    /// <summary>True while the init runs.</summary>
    public bool IsRunning => !_unshare.HasExited;

    /// <summary>Runs a command inside the namespace (its mounts and PID namespace).</summary>
    public CommandResult Exec(IEnumerable<string> command, TimeSpan? timeout = null, IDictionary<string, string>? env = null) =>
        Command.Run("nsenter", new[] { "--target", InitPid.ToString(), "--mount", "--pid", "--" }.Concat(command), timeout, env);

    /// <summary>Kills the namespace's init (and so every process in it) and waits for unshare to return.</summary>
    public void Dispose()
    {
        try
        {
            if (!_unshare.HasExited)
                Process.GetProcessById(InitPid).Kill();
        }
        catch (ArgumentException)
        {
            // already gone
        }
        catch (InvalidOperationException)
        {
        }
        if (!_unshare.WaitForExit(30_000))
            _unshare.Kill();
        _unshare.Dispose();
    }

    private static bool HasCgroup2AtSysFsCgroup(int pid)
    {
        try
        {
            return File.ReadLines($"/proc/{pid}/mountinfo").Any(l => l.Contains(" /sys/fs/cgroup ", StringComparison.Ordinal) && l.Contains(" - cgroup2 ", StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static int[] ReadChildren(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/task/{pid}/children")
                .Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
        }
        catch (IOException)
        {
            return [];
        }
    }

    internal static string SafeRead(string file)
    {
        try
        {
            var text = File.ReadAllText(file);
            return text.Length > 4000 ? text[^4000..] : text;
        }
        catch (IOException)
        {
            return "";
        }
    }
}
