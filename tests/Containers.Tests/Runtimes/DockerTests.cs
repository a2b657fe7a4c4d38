using OsqueryBpf.Containers.Cgroups;
using OsqueryBpf.Containers.Attribution;
using OsqueryBpf.Containers.Tests.Attribution;
using OsqueryBpf.Containers.Classification;
using OsqueryBpf.Containers.Metadata;
using OsqueryBpf.Containers.Tests.Kernel;
using Xunit;

namespace OsqueryBpf.Containers.Tests.Runtimes;

/// <summary>Real docker: cgroups seen before the first process, classification, config.v2.json, a forged scope.</summary>
[Collection(CgroupProbeCollection.Name)]
public sealed class DockerTests(CgroupProbe probe, DockerRuntime docker) : IClassFixture<DockerRuntime>
{
    [SkippableFact]
    public void A_short_lived_container_is_known_from_its_cgroup_before_its_process_runs_and_a_first_exec_lands_in_a_known_cgroup()
    {
        probe.Require();
        docker.Require();
        var cidFile = Path.Combine(docker.StateDirectory, $"cid-{Guid.NewGuid():N}");
        docker.Check("run", "--rm", "--network", "none", "--cidfile", cidFile, RuntimeFixture.ImageName, "touch", "/x");
        string id = File.ReadAllText(cidFile).Trim();
        var made = CgroupAssert.MadeBeforeFirstProcess(probe, $"/docker/{id}");
        var c = CgroupClassifier.Classify(made.Path, made.OwnerUid);
        Assert.Equal((CgroupRole.Container, ContainerRuntime.Docker, id, (uint?)null), (c.Role, c.Runtime, c.QualifiedId, c.RootlessOwnerUid));
        probe.WaitFor(e => e.Kind == CgroupRecordKind.Rmdir && e.CgroupId == made.CgroupId, "the container's cgroup removed");

        // A quiet container, then a first exec into it: the exec'd process is attached to the container's cgroup,
        // whose id and path were known since the container started.
        string quiet = docker.Check("run", "-d", "--network", "none", "--name", $"quiet-{Guid.NewGuid():N}"[..14], RuntimeFixture.ImageName, "sleep", "1000");
        try
        {
            var quietCgroup = CgroupAssert.MadeBeforeFirstProcess(probe, $"/docker/{quiet}");
            var before = probe.Seen(e => e.Kind == CgroupRecordKind.AttachTask && e.CgroupId == quietCgroup.CgroupId).Count;
            docker.Check("exec", quiet, "touch", "/y");
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (probe.Seen(e => e.Kind == CgroupRecordKind.AttachTask && e.CgroupId == quietCgroup.CgroupId).Count <= before && DateTime.UtcNow < deadline)
                Thread.Sleep(50);
            var exec = probe.Seen(e => e.Kind == CgroupRecordKind.AttachTask && e.CgroupId == quietCgroup.CgroupId).Skip(before).FirstOrDefault();
            Assert.NotNull(exec);
            Assert.Equal(quiet, CgroupClassifier.Classify(quietCgroup.Path, quietCgroup.OwnerUid).QualifiedId);
        }
        finally
        {
            docker.Docker("rm", "-f", quiet);
        }
    }

    [SkippableFact]
    public void Every_exec_row_of_short_lived_containers_and_of_a_first_exec_names_its_container()
    {
        probe.Require();
        docker.Require();
        using var probes = new AttributedProbes(new ContainerStateFiles { DockerDataRoot = docker.DataRoot });
        // 16 containers that live a few milliseconds each: `touch` inside each must be attributed.
        var ids = new List<(string Id, string Name)>();
        for (int i = 0; i < 16; i++)
        {
            var cidFile = Path.Combine(docker.StateDirectory, $"cid-{Guid.NewGuid():N}");
            string name = $"brief-{Guid.NewGuid():N}"[..14];
            docker.Check("run", "--rm", "--network", "none", "--name", name, "--cidfile", cidFile, RuntimeFixture.ImageName, "touch", $"/x{i}");
            ids.Add((File.ReadAllText(cidFile).Trim(), name));
        }
        var touches = probes.WaitForExecs(e => e.Comm == "touch" && e.Argv.Count == 2 && e.Argv[1].StartsWith("/x"), 16);
        Assert.Equal(16, touches.Count);
        foreach (var (id, name) in ids)
        {
            var row = touches.Where(e => e.ContainerId == id).ToList();
            Assert.True(row.Count == 1, $"container {id}: {row.Count} touch rows attributed; rows: " +
                string.Join(" | ", touches.Select(t => $"{t.Argv[1]} cid={t.CgroupId} container='{t.ContainerId}'")));
            Assert.Equal(name, row[0].ContainerName);
        }

        // A first exec into a quiet container (kubectl exec's shape).
        string quietName = $"quiet-{Guid.NewGuid():N}"[..14];
        string quiet = docker.Check("run", "-d", "--network", "none", "--name", quietName, RuntimeFixture.ImageName, "sleep", "1000");
        try
        {
            docker.Check("exec", quiet, "cat", "/etc/hostname");
            var cat = Assert.Single(probes.WaitForExecs(e => e.Comm == "cat" && e.Argv.Contains("/etc/hostname")));
            Assert.Equal((quiet, quietName), (cat.ContainerId, cat.ContainerName));
        }
        finally
        {
            docker.Docker("rm", "-f", quiet);
        }
        Assert.Equal(0, probes.Map.StateFileErrors.Count);
    }

    [SkippableFact]
    public void Config_v2_json_written_by_docker_gives_name_image_and_image_id()
    {
        docker.Require();
        string name = $"web-{Guid.NewGuid():N}"[..12];
        string id = docker.Check("run", "-d", "--network", "none", "--name", name, "--label", "io.kubernetes.pod.name=shop",
            RuntimeFixture.ImageName, "sleep", "1000");
        try
        {
            var meta = new DockerState(docker.DataRoot).Read(id);
            Assert.NotNull(meta);
            Assert.Equal(("docker", id, name, RuntimeFixture.ImageName), (meta.Runtime, meta.ContainerId, meta.Name, meta.Image));
            Assert.Equal(docker.Check("inspect", "--format", "{{.Image}}", id), meta.ImageId);
            Assert.Equal("shop", meta.PodName);
            Assert.Null(new DockerState(docker.DataRoot).Read(new string('a', 64)));
        }
        finally
        {
            docker.Docker("rm", "-f", id);
        }
    }

    [SkippableFact]
    public void A_forged_docker_scope_made_by_a_user_in_their_delegated_subtree_is_not_that_container()
    {
        probe.Require();
        docker.Require();
        Requirements();
        string real = docker.Check("run", "-d", "--network", "none", RuntimeFixture.ImageName, "sleep", "1000");
        using var user = new DelegatedUser();
        try
        {
            var realCgroup = CgroupAssert.MadeBeforeFirstProcess(probe, $"/docker/{real}");
            Assert.Equal(real, CgroupClassifier.Classify(realCgroup.Path, realCgroup.OwnerUid).QualifiedId);

            // As the unprivileged user: mkdir .../user@UID.service/docker-<real id>.scope, and move a shell into it.
            string forgedPath = $"{user.SubtreePath}/docker-{real}.scope";
            string forgedDir = CgroupTree.Directory(forgedPath);
            using var probes = new AttributedProbes(new ContainerStateFiles { DockerDataRoot = docker.DataRoot });
            var r = user.Run("/bin/sh", "-c", $"mkdir {forgedDir} && echo $$ > {forgedDir}/cgroup.procs && cat /proc/self/cgroup");
            Assert.True(r.ExitCode == 0, r.Describe("forging as the user"));
            var forged = probe.WaitFor(e => e.Kind == CgroupRecordKind.Mkdir && e.Path == forgedPath, "the forged mkdir");
            Assert.Equal(user.Uid, forged.OwnerUid);
            Assert.Equal(user.Uid, forged.ActorUid);
            var c = CgroupClassifier.Classify(forged.Path, forged.OwnerUid);
            Assert.Equal(user.Uid, c.RootlessOwnerUid);
            Assert.NotEqual(real, c.QualifiedId);
            Assert.Equal($"{user.Uid}/{real}", c.QualifiedId);
            // The path alone (had the owner been lost) is still in the user's subtree.
            Assert.Equal(user.Uid, CgroupClassifier.Classify(forged.Path, 0).RootlessOwnerUid);
            // The initial walk sees the user as the owner too.
            var walked = CgroupFileSystem.Walk(CgroupTree.MountPoint!, 100_000, out _).Single(w => w.Path == forgedPath);
            Assert.Equal((forged.CgroupId, user.Uid), (walked.Id, walked.OwnerUid));
            Assert.NotEqual(realCgroup.CgroupId, forged.CgroupId);
            // The user's own process in the forged cgroup: its exec row is the user's, never the real container.
            var cat = Assert.Single(probes.WaitForExecs(e => e.Comm == "cat" && e.Uid == user.Uid && e.CgroupId == (long)forged.CgroupId));
            Assert.Equal($"{user.Uid}/{real}", cat.ContainerId);
            Assert.Equal("", cat.ContainerName);
        }
        finally
        {
            docker.Docker("rm", "-f", real);
        }
    }

    private static void Requirements()
    {
        foreach (var tool in new[] { "setpriv", "useradd", "usermod" })
            TestSupport.Requirements.RequireTool(tool);
    }
}
