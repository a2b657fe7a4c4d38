namespace OsqueryBpf.Containers.Tests.Runtimes;

/// <summary>
/// containerd (1.6) with its own root, state and socket (CRI plugin disabled: no kubelet here), driven with ctr.
/// The image is an OCI archive of the busybox rootfs (`ctr image import`). ctr's default cgroup is /NAMESPACE/ID;
/// --cgroup puts a container where a kubelet would (/kubepods/...), and --annotation sets the CRI annotations a
/// kubelet's CRI plugin would.
/// </summary>
public sealed class ContainerdRuntime : RuntimeFixture
{
    public const string ImageReference = "docker.io/library/" + ImageName;

    public ContainerdRuntime()
        : base("containerd", "containerd", "ctr")
    {
    }

    public string Socket => Path.Combine(StateDirectory, "containerd.sock");

    public string StateRoot => Path.Combine(StateDirectory, "state");

    protected override void Start()
    {
        RemoveOnDispose("/default");
        RemoveOnDispose("/kubepods");
        var config = Path.Combine(StateDirectory, "config.toml");
        File.WriteAllText(config, $"""
            version = 2
            root = "{Path.Combine(StateDirectory, "root")}"
            state = "{StateRoot}"
            disabled_plugins = ["io.containerd.grpc.v1.cri"]
            [grpc]
              address = "{Socket}"
            [ttrpc]
              address = "{Socket}.ttrpc"
            """);
        StartNamespace("containerd", "--config", config, "--log-level", "warn");
        WaitUntil(() => Ctr("version").ExitCode == 0, "containerd answering on its socket");
        var archive = Path.Combine(StateDirectory, "busybox-oci.tar");
        BusyboxImage.WriteOciArchive(archive, RootfsBytes, ImageReference);
        Ok(Ctr("image", "import", archive), "ctr image import");
    }

    /// <summary>Runs ctr against this daemon. The shims run in the daemon's namespace; ctr's FIFOs are in the shared /run.</summary>
    public CommandResult Ctr(params string[] args) => Command.Run("ctr", new[] { "--address", Socket }.Concat(args));

    /// <summary>Runs a container with ctr: no CPU shares (the cpu controller is not in cgroup2 on our hosts).</summary>
    public CommandResult Run(IEnumerable<string> options, string id, params string[] command) =>
        Ctr(new[] { "run", "--cpu-shares", "0" }.Concat(options).Append(ImageReference).Append(id).Concat(command).ToArray());

    public string Check(params string[] args) => Ok(Ctr(args), "ctr " + string.Join(' ', args));
}
