namespace OsqueryBpf.Containers.Tests.Runtimes;

/// <summary>
/// Rootful podman (4.3) in a private namespace whose init only holds it open; every podman command runs inside
/// with nsenter. cgroupfs manager (no systemd): containers live in /libpod_parent/libpod-ID. runc, not crun
/// (Debian's podman recommends crun; runc is what is installed). --pids-limit 0, because the pids controller is
/// bound to cgroup v1 on our hosts; --network none.
/// </summary>
public sealed class PodmanRuntime : RuntimeFixture
{
    public PodmanRuntime()
        : base("podman", "podman", "conmon", "sleep")
    {
    }

    public string StorageRoot => Path.Combine(StateDirectory, "root");

    protected override void Start()
    {
        RemoveOnDispose("/libpod_parent");
        StartNamespace("sleep", "infinity");
        Ok(Podman("import", RootfsTar, "localhost/" + ImageName), "podman import");
    }

    public CommandResult Podman(params string[] args) =>
        Namespace.Exec(new[]
        {
            "podman", "--root", StorageRoot, "--runroot", Path.Combine(StateDirectory, "runroot"),
            "--tmpdir", Path.Combine(StateDirectory, "tmp"), "--cgroup-manager", "cgroupfs", "--events-backend", "file",
            "--runtime", "runc", "--storage-driver", "overlay",
        }.Concat(args));

    public string Check(params string[] args) => Ok(Podman(args), "podman " + string.Join(' ', args));
}
