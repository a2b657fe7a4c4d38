namespace OsqueryBpf.Containers.Tests.Runtimes;

/// <summary>
/// dockerd (docker.io 20.10) with its own data root, exec root and socket, started as the init of a private
/// namespace; dockerd starts its own containerd there. No bridge, no iptables: containers use --network none.
/// cgroupfs driver (no systemd here): containers live in /docker/ID.
/// </summary>
public sealed class DockerRuntime : RuntimeFixture
{
    public DockerRuntime()
        : base("docker", "dockerd", "docker")
    {
    }

    public string Socket => Path.Combine(StateDirectory, "docker.sock");

    public string DataRoot => Path.Combine(StateDirectory, "data");

    protected override void Start()
    {
        RemoveOnDispose("/docker");
        StartNamespace("dockerd", "--data-root", DataRoot, "--exec-root", Path.Combine(StateDirectory, "exec"),
            "--pidfile", Path.Combine(StateDirectory, "dockerd.pid"), "-H", "unix://" + Socket,
            "--iptables=false", "--ip-masq=false", "--bridge=none", "--ip-forward=false", "--userland-proxy=false",
            "--storage-driver=overlay2", "--log-level=warn");
        WaitUntil(() => Docker("version").ExitCode == 0, "dockerd answering on its socket");
        Ok(Docker("import", RootfsTar, ImageName), "docker import");
    }

    /// <summary>Runs the docker CLI against this daemon (the CLI needs no namespace: it only talks to the socket).</summary>
    public CommandResult Docker(params string[] args) =>
        Command.Run("docker", new[] { "-H", "unix://" + Socket }.Concat(args), env: new Dictionary<string, string> { ["DOCKER_CONFIG"] = Path.Combine(StateDirectory, "cli") });

    /// <summary>Runs docker and returns stdout, failing on a non-zero exit.</summary>
    public string Check(params string[] args) => Ok(Docker(args), "docker " + string.Join(' ', args));
}
