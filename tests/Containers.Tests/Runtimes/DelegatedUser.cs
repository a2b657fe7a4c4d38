namespace OsqueryBpf.Containers.Tests.Runtimes;

/// <summary>
/// An unprivileged user with a cgroup subtree delegated to it the way systemd does it for every logged-in user:
/// /user.slice/user-UID.slice/user@UID.service, made by root and then chown'ed (the directory and its
/// cgroup.procs, cgroup.subtree_control and cgroup.threads) to the user, who may then make cgroups below it.
/// </summary>
/// <remarks>
/// The user (osqbpf-rootless, a system user without a home or shell) and its subordinate id range (for rootless
/// podman's user namespace) are added to the host once and kept; CI machines are fresh.
/// </remarks>
internal sealed class DelegatedUser : IDisposable
{
    public const string UserName = "osqbpf-rootless";
    private const string SubordinateRange = "1879048192-1879113727"; // 65536 ids far above useradd's ranges
    private readonly bool _madeUserSlice;

    public DelegatedUser()
    {
        var id = Command.Run("id", ["-u", UserName]);
        if (id.ExitCode != 0)
        {
            Command.Check("useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", UserName);
            id = Command.Run("id", ["-u", UserName]);
        }
        Uid = uint.Parse(id.Output.Trim());
        Gid = uint.Parse(Command.Check("id", "-g", UserName).Trim());
        if (!File.ReadAllLines("/etc/subuid").Any(l => l.StartsWith(UserName + ":", StringComparison.Ordinal)))
            Command.Check("usermod", "--add-subuids", SubordinateRange, "--add-subgids", SubordinateRange, UserName);

        _madeUserSlice = !Directory.Exists(CgroupTree.Directory("/user.slice"));
        SubtreePath = $"/user.slice/user-{Uid}.slice/user@{Uid}.service";
        var dir = CgroupTree.Directory(SubtreePath);
        Directory.CreateDirectory(dir);
        foreach (var entry in new[] { dir, dir + "/cgroup.procs", dir + "/cgroup.subtree_control", dir + "/cgroup.threads" })
            Command.Check("chown", $"{Uid}:{Gid}", entry);
    }

    public uint Uid { get; }

    public uint Gid { get; }

    /// <summary>The delegated cgroup, below the cgroup2 root.</summary>
    public string SubtreePath { get; }

    /// <summary>
    /// Runs <paramref name="command"/> as the user (no groups, no capabilities) from inside the delegated subtree,
    /// where systemd would have started the user's session: root moves the process there first, since moving a
    /// process needs write access to the common ancestor of both cgroups.
    /// </summary>
    public CommandResult Run(params string[] command)
    {
        var script = $"echo $$ > {CgroupTree.Directory(SubtreePath)}/cgroup.procs && exec setpriv --reuid={Uid} --regid={Gid} --clear-groups -- \"$@\"";
        return Command.Run("/bin/sh", new[] { "-c", script, "sh" }.Concat(command));
    }

    public void Dispose()
    {
        CgroupTree.RemoveEmpty($"/user.slice/user-{Uid}.slice");
        if (_madeUserSlice)
            CgroupTree.RemoveEmpty("/user.slice");
    }
}

/// <summary>
/// Rootless podman run by <see cref="DelegatedUser"/>: its own user namespace (newuidmap, Debian's uidmap),
/// storage in a directory the user owns, and --cgroup-parent inside the user's delegated subtree, so that its
/// containers get cgroups there (libpod-ID), owned by the user, as with systemd's user instance. Without a
/// cgroup parent (and without systemd), rootless podman makes no cgroup at all: its containers stay in the
/// caller's cgroup and cannot be told from it.
/// </summary>
public sealed class RootlessPodmanRuntime : RuntimeFixture
{
    private DelegatedUser? _user;

    public RootlessPodmanRuntime()
        : base("podman-rootless", "podman", "conmon", "sleep", "setpriv", "newuidmap", "useradd")
    {
    }

    public uint Uid => User.Uid;

    internal DelegatedUser User => _user ?? throw new InvalidOperationException("not started");

    public string StorageRoot => Path.Combine(StateDirectory, "root");

    /// <summary>The cgroup parent of its containers, inside the delegated subtree.</summary>
    public string CgroupParent => User.SubtreePath + "/osqbpf";

    protected override void Start()
    {
        _user = new DelegatedUser();
        foreach (var dir in new[] { "root", "runroot", "tmp", "run", "home" })
        {
            var path = Path.Combine(StateDirectory, dir);
            Directory.CreateDirectory(path);
            Command.Check("chown", $"{Uid}:{User.Gid}", path);
            Command.Check("chmod", "0700", path);
        }
        Command.Check("chmod", "0644", RootfsTar);
        StartNamespace("sleep", "infinity");
        Ok(Podman("import", RootfsTar, "localhost/" + ImageName), "rootless podman import");
    }

    /// <summary>Runs podman as the user, from a process the user's delegated cgroup holds.</summary>
    public CommandResult Podman(params string[] args)
    {
        var podman = new[]
        {
            "env", $"HOME={StateDirectory}/home", $"XDG_RUNTIME_DIR={StateDirectory}/run",
            "podman", "--root", StorageRoot, "--runroot", Path.Combine(StateDirectory, "runroot"),
            "--tmpdir", Path.Combine(StateDirectory, "tmp"), "--cgroup-manager", "cgroupfs", "--events-backend", "file",
            "--runtime", "runc", "--storage-driver", "overlay",
        }.Concat(args);
        var script = $"echo $$ > /sys/fs/cgroup{User.SubtreePath}/cgroup.procs && exec setpriv --reuid={Uid} --regid={User.Gid} --clear-groups -- \"$@\"";
        return Namespace.Exec(new[] { "/bin/sh", "-c", script, "sh" }.Concat(podman));
    }

    public string Check(params string[] args) => Ok(Podman(args), "rootless podman " + string.Join(' ', args));

    public override void Dispose()
    {
        base.Dispose();
        _user?.Dispose();
    }
}
