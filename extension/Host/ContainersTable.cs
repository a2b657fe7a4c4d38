using System.Globalization;
using OsqueryBpf.Containers.Attribution;
using OsqueryBpf.Osquery.Tables;

namespace OsqueryBpf.Host;

/// <summary>
/// <c>ebpf_containers</c>: the containers the container map knows now (running, and removed within the last hour),
/// with the names operators search by. Not evented: a snapshot of memory on every scan, so osqueryd's SQLite applies
/// the WHERE terms.
/// </summary>
internal sealed class ContainersTable(ContainerMap map) : ITablePlugin
{
    public const string TableName = "ebpf_containers";

    /// <summary>The columns, with what each holds (docs/tables.md takes this text).</summary>
    public static IReadOnlyList<(ColumnDefinition Column, string Description)> Described { get; } =
    [
        (ColumnDefinition.Text("container_id"), "The runtime's id; \"UID/ID\" for a rootless container of user UID (the container_id of event rows)."),
        (ColumnDefinition.Text("runtime"), "docker, podman, containerd, cri-o or kubernetes."),
        (ColumnDefinition.Text("name"), "The container's name from its runtime's state; empty when the state did not have it."),
        (ColumnDefinition.Text("image"), "The image reference the container was made from; empty when unknown."),
        (ColumnDefinition.Text("image_id"), "The image's id where the runtime records it."),
        (ColumnDefinition.Text("pod_name"), "Kubernetes pod name; empty outside Kubernetes."),
        (ColumnDefinition.Text("pod_namespace"), "Kubernetes namespace; empty outside Kubernetes."),
        (ColumnDefinition.Text("pod_uid"), "Kubernetes pod uid; empty outside Kubernetes."),
        (ColumnDefinition.BigInt("cgroup_id"), "The container's cgroup v2 id: the cid of its rows."),
        (ColumnDefinition.Text("cgroup_path"), "Its cgroup's path in the cgroup v2 hierarchy, as the kernel gave it."),
        (ColumnDefinition.BigInt("rootless_owner_uid"), "The user a rootless container belongs to; empty (NULL) for a root runtime's."),
        (ColumnDefinition.BigInt("first_seen"), "UNIX seconds its cgroup was made (or found by the start-up walk)."),
        (ColumnDefinition.BigInt("last_seen"), "UNIX seconds of the last process moved into it, or of its removal."),
        (ColumnDefinition.Integer("removed"), "1 when its cgroup is gone (kept an hour after), else 0."),
    ];

    public string Name => TableName;

    public IReadOnlyList<ColumnDefinition> Columns { get; } = Described.Select(d => d.Column).ToArray();

    public TableAttributes Attributes => TableAttributes.None;

    public ValueTask GenerateAsync(QueryContext context, TableRows rows, CancellationToken cancellationToken)
    {
        foreach (var c in map.Containers())
        {
            rows.BeginRow();
            rows.Add("container_id", c.ContainerId);
            rows.Add("runtime", c.Runtime);
            rows.Add("name", c.Name);
            rows.Add("image", c.Image);
            rows.Add("image_id", c.ImageId);
            rows.Add("pod_name", c.PodName);
            rows.Add("pod_namespace", c.PodNamespace);
            rows.Add("pod_uid", c.PodUid);
            rows.Add("cgroup_id", c.CgroupId.ToString(CultureInfo.InvariantCulture));
            rows.Add("cgroup_path", c.CgroupPath);
            rows.Add("rootless_owner_uid", c.RootlessOwnerUid?.ToString(CultureInfo.InvariantCulture) ?? "");
            rows.Add("first_seen", c.FirstSeen.ToString(CultureInfo.InvariantCulture));
            rows.Add("last_seen", c.LastSeen.ToString(CultureInfo.InvariantCulture));
            rows.Add("removed", c.Removed ? "1" : "0");
            if (!rows.EndRow())
                break; // the reply is full; osqueryd gets what fits (counted by the server)
        }
        return ValueTask.CompletedTask;
    }
}
