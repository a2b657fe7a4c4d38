using OsqueryBpf.Containers.Cgroups;
using OsqueryBpf.Containers.Classification;
using OsqueryBpf.Containers.Metadata;
using OsqueryBpf.Containers.Tests.Kernel;
using Xunit;

namespace OsqueryBpf.Containers.Tests.Runtimes;

/// <summary>Real rootful podman: cgroups seen before the first process, classification, containers.json.</summary>
[Collection(CgroupProbeCollection.Name)]
public sealed class PodmanTests(CgroupProbe probe, PodmanRuntime podman) : IClassFixture<PodmanRuntime>
{
    private static readonly string[] Run = ["run", "--network", "none", "--pids-limit", "0"];

    [SkippableFact]
    public void A_short_lived_container_and_a_first_exec_are_in_cgroups_known_before_their_processes_run()
    {
        probe.Require();
        podman.Require();
        var cidFile = Path.Combine(podman.StateDirectory, $"cid-{Guid.NewGuid():N}");
        podman.Check([.. Run, "--rm", "--cidfile", cidFile, "localhost/" + RuntimeFixture.ImageName, "touch", "/x"]);
        string id = File.ReadAllText(cidFile).Trim();
        var made = CgroupAssert.MadeBeforeFirstProcess(probe, $"/libpod_parent/libpod-{id}");
        var c = CgroupClassifier.Classify(made.Path, made.OwnerUid);
        Assert.Equal((CgroupRole.Container, ContainerRuntime.Podman, id, (uint?)null), (c.Role, c.Runtime, c.QualifiedId, c.RootlessOwnerUid));
        // conmon's cgroup beside it is the host's.
        Assert.Equal(CgroupRole.Host, CgroupClassifier.Classify("/libpod_parent/conmon", 0).Role);

        string quiet = podman.Check([.. Run, "-d", "localhost/" + RuntimeFixture.ImageName, "sleep", "1000"]);
        try
        {
            var quietCgroup = CgroupAssert.MadeBeforeFirstProcess(probe, $"/libpod_parent/libpod-{quiet}");
            int before = probe.Seen(e => e.Kind == CgroupRecordKind.AttachTask && e.CgroupId == quietCgroup.CgroupId).Count;
            podman.Check("exec", quiet, "touch", "/y");
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (probe.Seen(e => e.Kind == CgroupRecordKind.AttachTask && e.CgroupId == quietCgroup.CgroupId).Count <= before && DateTime.UtcNow < deadline)
                Thread.Sleep(50);
            Assert.True(probe.Seen(e => e.Kind == CgroupRecordKind.AttachTask && e.CgroupId == quietCgroup.CgroupId).Count > before, "no attach for the exec");
            Assert.Equal(quiet, CgroupClassifier.Classify(quietCgroup.Path, quietCgroup.OwnerUid).QualifiedId);
        }
        finally
        {
            podman.Podman("rm", "-f", "-t", "0", quiet);
        }
    }

    [SkippableFact]
    public void Containers_json_written_by_podman_gives_name_image_and_image_id()
    {
        podman.Require();
        string name = $"db-{Guid.NewGuid():N}"[..11];
        string id = podman.Check([.. Run, "-d", "--name", name, "localhost/" + RuntimeFixture.ImageName, "sleep", "1000"]);
        try
        {
            var meta = new PodmanState(podman.StorageRoot).Read(id);
            Assert.NotNull(meta);
            Assert.Equal(("podman", name, "localhost/" + RuntimeFixture.ImageName), (meta.Runtime, meta.Name, meta.Image));
            Assert.Equal(podman.Check("inspect", "--format", "{{.Image}}", id), meta.ImageId);
            // Rootful podman's file belongs to root: a reader told to expect another owner refuses it.
            Assert.Throws<StateFileException>(() => new PodmanState(podman.StorageRoot, ownerUid: 1000).Read(id));
        }
        finally
        {
            podman.Podman("rm", "-f", "-t", "0", id);
        }
    }
}

/// <summary>Real rootless podman in a delegated subtree: a rootless container of its user, never a root one.</summary>
[Collection(CgroupProbeCollection.Name)]
public sealed class RootlessPodmanTests(CgroupProbe probe, RootlessPodmanRuntime podman) : IClassFixture<RootlessPodmanRuntime>
{
    [SkippableFact]
    public void A_rootless_container_is_marked_with_its_user_and_named_from_that_users_containers_json()
    {
        probe.Require();
        podman.Require();
        string name = $"rl-{Guid.NewGuid():N}"[..11];
        string id = podman.Check("run", "-d", "--network", "none", "--pids-limit", "0", "--name", name,
            "--cgroup-parent", podman.CgroupParent, "localhost/" + RuntimeFixture.ImageName, "sleep", "1000");
        try
        {
            var made = CgroupAssert.MadeBeforeFirstProcess(probe, $"{podman.CgroupParent}/libpod-{id}");
            Assert.Equal(podman.Uid, made.OwnerUid);
            var c = CgroupClassifier.Classify(made.Path, made.OwnerUid);
            Assert.Equal((CgroupRole.Container, ContainerRuntime.Podman, podman.Uid), (c.Role, c.Runtime, c.RootlessOwnerUid!.Value));
            Assert.Equal($"{podman.Uid}/{id}", c.QualifiedId);

            var meta = new PodmanState(podman.StorageRoot, podman.Uid).Read(id);
            Assert.NotNull(meta);
            Assert.Equal((name, "localhost/" + RuntimeFixture.ImageName), (meta.Name, meta.Image));
            // The user's file is not root's: read as a root runtime's state it is refused.
            Assert.Throws<StateFileException>(() => new PodmanState(podman.StorageRoot).ReadAll());
        }
        finally
        {
            podman.Podman("rm", "-f", "-t", "0", id);
        }
    }
}
