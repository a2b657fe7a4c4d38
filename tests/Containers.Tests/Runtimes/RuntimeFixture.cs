using OsqueryBpf.TestSupport;

namespace OsqueryBpf.Containers.Tests.Runtimes;

/// <summary>
/// One container runtime from Debian's packages, started for the tests in its own private namespace
/// (<see cref="PrivateNamespace"/>) with its state in a fresh directory under /tmp, an image imported from a
/// local busybox root filesystem, and everything removed again on dispose: the namespace's processes, the
/// cgroups the runtime left, the state directory.
/// </summary>
public abstract class RuntimeFixture : IDisposable
{
    private readonly List<string> _cgroupParents = new();
    private PrivateNamespace? _namespace;

    /// <summary>The image every test container is made from.</summary>
    public const string ImageName = "osqbpf-busybox:1";

    protected RuntimeFixture(string name, params string[] tools)
    {
        Name = name;
        // Short: podman refuses a runroot longer than 50 characters.
        StateDirectory = Path.Combine(Path.GetTempPath(), $"osqbpf-{name}-{Guid.NewGuid():N}"[..(name.Length + 16)]);
        var missing = tools.Concat(["unshare", "nsenter", "runc"]).Where(t => Requirements.FindTool(t) is null).ToList();
        if (!Requirements.IsRoot)
            SkipReason = "running as root";
        else if (CgroupTree.MountPoint is null)
            SkipReason = "a cgroup2 hierarchy mounted on the host";
        else if (missing.Count > 0)
            SkipReason = $"{string.Join(", ", missing)} on PATH (build.sh installs {name} from Debian's packages)";
        else if (!BusyboxImage.IsStaticBusyboxInstalled())
            SkipReason = "Debian's busybox-static at /bin/busybox";
        if (SkipReason is not null)
            return;
        try
        {
            Directory.CreateDirectory(StateDirectory);
            // Rootless runtimes run as another user: the path to their state must be traversable.
            Command.Check("chmod", "0755", StateDirectory);
            RootfsTar = Path.Combine(StateDirectory, "busybox-rootfs.tar");
            RootfsBytes = BusyboxImage.WriteRootfsTar(RootfsTar);
            Start();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>"docker", "containerd", "podman", "podman-rootless".</summary>
    public string Name { get; }

    /// <summary>Where this runtime keeps everything (removed on dispose).</summary>
    public string StateDirectory { get; }

    /// <summary>Why the runtime cannot run here, or null.</summary>
    public string? SkipReason { get; }

    /// <summary>The busybox root filesystem as a tar.</summary>
    public string RootfsTar { get; private set; } = "";

    /// <summary>The tar's bytes.</summary>
    protected byte[] RootfsBytes { get; private set; } = [];

    /// <summary>The namespace the runtime runs in.</summary>
    internal PrivateNamespace Namespace => _namespace ?? throw new InvalidOperationException($"{Name} is not running");

    /// <summary>Skips (locally) or fails (under CI) a test when the runtime cannot run here.</summary>
    public void Require() => Requirements.Require(SkipReason is null, SkipReason ?? "");

    /// <summary>Starts the runtime and imports the image.</summary>
    protected abstract void Start();

    /// <summary>Starts the namespace with <paramref name="init"/> as its init.</summary>
    internal PrivateNamespace StartNamespace(params string[] init) =>
        _namespace = new PrivateNamespace(Path.Combine(StateDirectory, "init.log"), init);

    /// <summary>A cgroup (path below the cgroup2 root) the runtime makes as a parent and leaves behind.</summary>
    protected void RemoveOnDispose(string cgroupPath) => _cgroupParents.Add(cgroupPath);

    /// <summary>Polls <paramref name="ready"/> until it holds or 60 s passed.</summary>
    protected void WaitUntil(Func<bool> ready, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!ready())
        {
            if (DateTime.UtcNow > deadline || (_namespace is { IsRunning: false }))
                throw new InvalidOperationException($"{Name}: {what} did not happen: {PrivateNamespace.SafeRead(Path.Combine(StateDirectory, "init.log"))}");
            Thread.Sleep(100);
        }
    }

    /// <summary>Throws with the command's output unless it succeeded; returns its stdout trimmed.</summary>
    protected static string Ok(CommandResult result, string what) =>
        result.ExitCode == 0 ? result.Output.Trim() : throw new InvalidOperationException(result.Describe(what));

    public virtual void Dispose()
    {
        _namespace?.Dispose();
        _namespace = null;
        foreach (var parent in _cgroupParents)
            CgroupTree.RemoveEmpty(parent);
        try
        {
            if (Directory.Exists(StateDirectory))
                Directory.Delete(StateDirectory, recursive: true);
        }
        catch (IOException)
        {
            // a leftover mount or busy file; /tmp is cleaned with the machine
        }
        catch (UnauthorizedAccessException)
        {
        }
        GC.SuppressFinalize(this);
    }
}
