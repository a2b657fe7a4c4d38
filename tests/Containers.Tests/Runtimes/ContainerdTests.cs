using OsqueryBpf.Containers.Cgroups;
using OsqueryBpf.Containers.Classification;
using OsqueryBpf.Containers.Metadata;
using OsqueryBpf.Containers.Tests.Kernel;
using Xunit;

namespace OsqueryBpf.Containers.Tests.Runtimes;

/// <summary>Real containerd through ctr: its own layout, and a Kubernetes layout with CRI annotations set by hand.</summary>
[Collection(CgroupProbeCollection.Name)]
public sealed class ContainerdTests(CgroupProbe probe, ContainerdRuntime containerd) : IClassFixture<ContainerdRuntime>
{
    [SkippableFact]
    public void A_ctr_container_is_in_NAMESPACE_ID_and_its_task_state_confirms_it()
    {
        probe.Require();
        containerd.Require();
        string shortId = $"short-{Guid.NewGuid():N}"[..14];
        var r = containerd.Run(["--rm"], shortId, "touch", "/x");
        Assert.True(r.ExitCode == 0, r.Describe("ctr run --rm"));
        var made = CgroupAssert.MadeBeforeFirstProcess(probe, $"/default/{shortId}");
        var c = CgroupClassifier.Classify(made.Path, made.OwnerUid);
        Assert.Equal((CgroupRole.Container, ContainerRuntime.Containerd, shortId, "default", true),
            (c.Role, c.Runtime, c.ContainerId, c.ContainerdNamespace, c.NeedsStateConfirmation));

        string quiet = $"quiet-{Guid.NewGuid():N}"[..14];
        Assert.Equal(0, containerd.Run(["-d"], quiet, "sleep", "1000").ExitCode);
        try
        {
            var meta = new ContainerdState(containerd.StateRoot).Read(quiet, "default");
            Assert.NotNull(meta);
            Assert.Equal(("containerd", quiet, quiet, (string?)null), (meta.Runtime, meta.ContainerId, meta.Name, meta.PodName));
            Assert.Null(new ContainerdState(containerd.StateRoot).Read("not-running"));
        }
        finally
        {
            containerd.Ctr("task", "kill", "-s", "KILL", quiet);
            Thread.Sleep(300);
            containerd.Ctr("container", "rm", quiet);
        }
    }

    [SkippableFact]
    public void A_kubepods_container_with_CRI_annotations_gives_pod_and_container_names()
    {
        probe.Require();
        containerd.Require();
        string podUid = Guid.NewGuid().ToString();
        string id = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()) + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
        string cgroup = $"/kubepods/besteffort/pod{podUid}/{id}";
        var annotations = new[]
        {
            "io.kubernetes.cri.container-type=container", "io.kubernetes.cri.container-name=web",
            "io.kubernetes.cri.image-name=registry.example/shop/web:1.2", "io.kubernetes.cri.sandbox-name=shop-web-7d9f",
            "io.kubernetes.cri.sandbox-namespace=prod", $"io.kubernetes.cri.sandbox-uid={podUid}",
        }.SelectMany(a => new[] { "--annotation", a });
        var r = containerd.Run([.. annotations, "-d", "--cgroup", cgroup], id, "sleep", "1000");
        Assert.True(r.ExitCode == 0, r.Describe("ctr run"));
        try
        {
            var pod = probe.WaitFor(e => e.Kind == CgroupRecordKind.Mkdir && e.Path == $"/kubepods/besteffort/pod{podUid}", "the pod cgroup");
            Assert.Equal((CgroupRole.Pod, podUid), (CgroupClassifier.Classify(pod.Path, pod.OwnerUid).Role, CgroupClassifier.Classify(pod.Path, pod.OwnerUid).PodUid));
            var made = CgroupAssert.MadeBeforeFirstProcess(probe, cgroup);
            var c = CgroupClassifier.Classify(made.Path, made.OwnerUid);
            Assert.Equal((CgroupRole.Container, ContainerRuntime.Kubernetes, id, podUid), (c.Role, c.Runtime, c.QualifiedId, c.PodUid));

            var meta = new ContainerdState(containerd.StateRoot).Read(id); // any namespace, as for Kubernetes' k8s.io
            Assert.NotNull(meta);
            Assert.Equal(("web", "registry.example/shop/web:1.2", "shop-web-7d9f", "prod", podUid, false),
                (meta.Name, meta.Image, meta.PodName, meta.PodNamespace, meta.PodUid, meta.IsSandbox));
        }
        finally
        {
            containerd.Ctr("task", "kill", "-s", "KILL", id);
            Thread.Sleep(300);
            containerd.Ctr("container", "rm", id);
        }
    }
}
