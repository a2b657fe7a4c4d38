using System.Text;
using OsqueryBpf.Containers.Metadata;
using OsqueryBpf.TestSupport;
using Xunit;
using Command = OsqueryBpf.Containers.Tests.Runtimes.Command;

namespace OsqueryBpf.Containers.Tests.Metadata;

/// <summary>State files a user could plant (rootless storage is theirs): each gives a clear error, never a read elsewhere, a hang or a crash.</summary>
public sealed class HostileStateFileTests : IDisposable
{
    private static readonly string Id = new('a', 64);
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"osqbpf-hostile-{Guid.NewGuid():N}");

    public HostileStateFileTests() => Directory.CreateDirectory(Path.Combine(_root, "containers", Id));

    private string ConfigPath => Path.Combine(_root, "containers", Id, "config.v2.json");

    [Fact]
    public void A_symlink_to_another_file_is_refused()
    {
        File.WriteAllText(Path.Combine(_root, "secret"), "{\"ID\":\"" + Id + "\",\"Name\":\"/leak\"}");
        File.CreateSymbolicLink(ConfigPath, Path.Combine(_root, "secret"));
        var e = Assert.Throws<StateFileException>(() => new DockerState(_root).Read(Id));
        Assert.Contains("symbolic link", e.Message);
    }

    [Fact]
    public void A_symlinked_directory_on_the_way_is_refused()
    {
        var elsewhere = Path.Combine(_root, "elsewhere", Id);
        Directory.CreateDirectory(elsewhere);
        File.WriteAllText(Path.Combine(elsewhere, "config.v2.json"), "{\"ID\":\"" + Id + "\",\"Name\":\"/leak\"}");
        Directory.Delete(Path.Combine(_root, "containers", Id));
        Directory.CreateSymbolicLink(Path.Combine(_root, "containers", Id), elsewhere);
        Assert.Throws<StateFileException>(() => new DockerState(_root).Read(Id));
    }

    [Fact]
    public async Task A_fifo_is_refused_without_blocking()
    {
        Assert.Equal(0, Command.Run("mkfifo", [ConfigPath]).ExitCode);
        var read = Task.Run(() => Assert.Throws<StateFileException>(() => new DockerState(_root).Read(Id)));
        var e = await read.WaitAsync(TimeSpan.FromSeconds(10)); // throws TimeoutException if the open blocked
        Assert.Contains("not a regular file", e.Message);
    }

    [Fact]
    public void A_huge_file_is_refused_before_it_is_read()
    {
        using (var f = File.Create(ConfigPath))
            f.SetLength(DockerState.MaxFileBytes + 1);
        var e = Assert.Throws<StateFileException>(() => new DockerState(_root).Read(Id));
        Assert.Contains("more than the limit", e.Message);
    }

    [Theory]
    [InlineData("{\"ID\": ")]
    [InlineData("[1,2,3]")]
    [InlineData("{\"ID\":\"AAAA\",\"Name\":5}")]
    [InlineData("null")]
    public void Malformed_json_is_a_clear_error_that_quotes_no_content(string text)
    {
        File.WriteAllText(ConfigPath, text.Replace("AAAA", Id));
        var e = Assert.Throws<StateFileException>(() => new DockerState(_root).Read(Id));
        Assert.Contains(ConfigPath, e.Message);
        Assert.DoesNotContain("[1,2,3]", e.Message);
    }

    [Fact]
    public void Deep_nesting_is_an_error_not_a_stack_overflow()
    {
        var deep = new StringBuilder("{\"ID\":\"" + Id + "\",\"Config\":{\"Labels\":");
        deep.Append(new string('[', 100_000));
        File.WriteAllText(ConfigPath, deep.ToString());
        Assert.Throws<StateFileException>(() => new DockerState(_root).Read(Id));
    }

    [Fact]
    public void A_file_whose_id_is_another_containers_is_refused_and_a_missing_one_is_null()
    {
        File.WriteAllText(ConfigPath, "{\"ID\":\"" + new string('b', 64) + "\",\"Name\":\"/x\"}");
        Assert.Throws<StateFileException>(() => new DockerState(_root).Read(Id));
        Assert.Null(new DockerState(_root).Read(new string('c', 64)));
        Assert.Null(new DockerState(_root).Read("../../etc/passwd"));
    }

    [SkippableFact]
    public void A_file_owned_by_another_user_is_refused()
    {
        Requirements.RequireRoot();
        File.WriteAllText(ConfigPath, "{\"ID\":\"" + Id + "\",\"Name\":\"/x\"}");
        Assert.Equal(0, Command.Run("chown", ["65534", ConfigPath]).ExitCode);
        var e = Assert.Throws<StateFileException>(() => new DockerState(_root).Read(Id));
        Assert.Contains("owned by uid 65534", e.Message);
        Assert.Equal("x", new DockerState(_root, ownerUid: 65534).Read(Id)!.Name);
    }

    [Fact]
    public void Podman_metadata_that_is_not_json_inside_its_string_is_a_clear_error()
    {
        var dir = Path.Combine(_root, "overlay-containers");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "containers.json"), "[{\"id\":\"" + Id + "\",\"names\":[\"n\"],\"metadata\":\"{not json\"}]");
        Assert.Throws<StateFileException>(() => new PodmanState(_root, Requirements.IsRoot ? 0u : uint.Parse(Command.Check("id", "-u").Trim())).ReadAll());
    }

    [Fact]
    public void Crio_annotations_from_its_config_json_name_pod_container_and_image()
    {
        // CRI-O is not packaged in Debian 12: this file is written by hand in the shape CRI-O gives runc.
        var dir = Path.Combine(_root, "overlay-containers", Id, "userdata");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "config.json"), """
            {"ociVersion":"1.0.2","annotations":{"io.kubernetes.container.name":"api","io.kubernetes.pod.name":"shop-api-5c",
             "io.kubernetes.pod.namespace":"prod","io.kubernetes.pod.uid":"0b7e","io.kubernetes.cri-o.ImageName":"quay.io/shop/api:3",
             "io.kubernetes.cri-o.ImageRef":"sha256:1234","io.kubernetes.cri-o.ContainerType":"container"}}
            """);
        if (Requirements.IsRoot)
        {
            var meta = new CrioState(_root).Read(Id)!;
            Assert.Equal(("cri-o", "api", "shop-api-5c", "prod", "0b7e", "quay.io/shop/api:3", "sha256:1234", false),
                (meta.Runtime, meta.Name, meta.PodName, meta.PodNamespace, meta.PodUid, meta.Image, meta.ImageId, meta.IsSandbox));
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
