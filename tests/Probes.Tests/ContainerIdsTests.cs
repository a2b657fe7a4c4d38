using OsqueryBpf.Probes.Decoding;
using Xunit;

namespace OsqueryBpf.Probes.Tests;

public sealed class ContainerIdsTests
{
    private const string Id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Theory]
    [InlineData("/system.slice/docker-" + Id + ".scope")]
    [InlineData("/docker/" + Id)]
    [InlineData("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/cri-containerd-" + Id + ".scope")]
    [InlineData("/kubepods/besteffort/pod1/crio-" + Id + ".scope")]
    [InlineData("/machine.slice/libpod-" + Id + ".scope/container")]
    public void Finds_the_id(string path) => Assert.Equal(Id, ContainerIds.FromCgroupPath(path));

    [Theory]
    [InlineData("/")]
    [InlineData("/user.slice/user-1000.slice/session-2.scope")]
    [InlineData("/system.slice/docker-0123.scope")]
    public void Host_cgroups_have_none(string path) => Assert.Equal("", ContainerIds.FromCgroupPath(path));
}
