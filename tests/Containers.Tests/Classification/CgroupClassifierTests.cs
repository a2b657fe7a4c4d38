using OsqueryBpf.Containers.Classification;
using Xunit;

namespace OsqueryBpf.Containers.Tests.Classification;

/// <summary>The layouts the classifier trusts, and the look-alikes it does not.</summary>
public sealed class CgroupClassifierTests
{
    private const string Id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private const string Pod = "0b7e3c1a-5d2f-4e6b-9a8c-1d2e3f4a5b6c";

    [Theory]
    [InlineData("/system.slice/docker-" + Id + ".scope", ContainerRuntime.Docker)]
    [InlineData("/docker/" + Id, ContainerRuntime.Docker)]
    [InlineData("/machine.slice/libpod-" + Id + ".scope", ContainerRuntime.Podman)]
    [InlineData("/machine.slice/libpod-" + Id + ".scope/container", ContainerRuntime.Podman)]
    [InlineData("/libpod_parent/libpod-" + Id, ContainerRuntime.Podman)]
    [InlineData("/system.slice/crio-" + Id + ".scope", ContainerRuntime.CriO)]
    [InlineData("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0b7e3c1a_5d2f_4e6b_9a8c_1d2e3f4a5b6c.slice/cri-containerd-" + Id + ".scope", ContainerRuntime.Containerd)]
    [InlineData("/kubepods.slice/kubepods-pod0b7e3c1a_5d2f_4e6b_9a8c_1d2e3f4a5b6c.slice/crio-" + Id + ".scope", ContainerRuntime.CriO)]
    [InlineData("/kubepods/burstable/pod" + Pod + "/" + Id, ContainerRuntime.Kubernetes)]
    [InlineData("/kubepods/pod" + Pod + "/crio-" + Id, ContainerRuntime.CriO)]
    public void Root_owned_cgroups_where_a_runtime_puts_them_are_its_containers(string path, ContainerRuntime runtime)
    {
        var c = CgroupClassifier.Classify(path, 0);
        Assert.Equal((CgroupRole.Container, runtime, Id, (uint?)null), (c.Role, c.Runtime, c.QualifiedId, c.RootlessOwnerUid));
        if (path.Contains("kubepods"))
            Assert.Equal(Pod, c.PodUid);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/system.slice/ssh.service")]
    [InlineData("/system.slice/docker-" + Id + ".scope/extra")]     // below the container's scope: not the runtime's layout
    [InlineData("/docker-" + Id + ".scope")]                        // not in a slice
    [InlineData("/system.slice/docker-" + Id + "0.scope")]          // 65 hex digits
    [InlineData("/machine.slice/libpod-conmon-" + Id + ".scope")]   // podman's monitor runs on the host
    [InlineData("/libpod_parent/conmon")]
    [InlineData("/docker/not-hex")]
    [InlineData("/kubepods/besteffort/podnot-a-uid/" + Id)]
    [InlineData("/init.scope/x")]
    public void Look_alikes_outside_the_layouts_are_the_hosts(string path) =>
        Assert.Equal(CgroupRole.Host, CgroupClassifier.Classify(path, 0).Role);

    [Fact]
    public void Pod_level_cgroups_are_pods_not_containers()
    {
        var c = CgroupClassifier.Classify($"/kubepods/besteffort/pod{Pod}", 0);
        Assert.Equal((CgroupRole.Pod, Pod, ""), (c.Role, c.PodUid, c.QualifiedId));
        Assert.Equal(CgroupRole.Pod, CgroupClassifier.Classify("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0b7e3c1a_5d2f_4e6b_9a8c_1d2e3f4a5b6c.slice", 0).Role);
    }

    [Theory]
    [InlineData("/user.slice/user-1000.slice/user@1000.service/app.slice/docker-" + Id + ".scope", 1000u, 1000u, ContainerRuntime.Docker)]
    [InlineData("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + Id + ".scope", 1000u, 1000u, ContainerRuntime.Podman)]
    [InlineData("/user.slice/user-1000.slice/user@1000.service/docker-" + Id + ".scope", 0u, 1000u, ContainerRuntime.Docker)]  // owner lost: the path says whose
    [InlineData("/system.slice/docker-" + Id + ".scope", 1001u, 1001u, ContainerRuntime.Docker)]                              // a user's cgroup anywhere
    [InlineData("/docker/" + Id, 1001u, 0u, ContainerRuntime.None)]                                                              // not a rootless layout
    public void A_users_cgroups_are_rootless_at_most_and_never_carry_a_root_containers_id(string path, uint owner, uint expectedUid, ContainerRuntime runtime)
    {
        var c = CgroupClassifier.Classify(path, owner);
        Assert.Equal(runtime, c.Runtime);
        Assert.NotEqual(Id, c.QualifiedId);
        if (runtime != ContainerRuntime.None)
            Assert.Equal(($"{expectedUid}/{Id}", (uint?)expectedUid), (c.QualifiedId, c.RootlessOwnerUid));
    }

    [Fact]
    public void Containerds_own_layout_needs_its_state_to_confirm_it()
    {
        var c = CgroupClassifier.Classify("/default/redis-1", 0);
        Assert.Equal((CgroupRole.Container, ContainerRuntime.Containerd, "redis-1", "default", true),
            (c.Role, c.Runtime, c.ContainerId, c.ContainerdNamespace, c.NeedsStateConfirmation));
        Assert.Equal(CgroupRole.Host, CgroupClassifier.Classify("/system.slice/cron.service", 0).Role);
    }
}
