using OsqueryBpf.Probes.Decoding;
using Xunit;

namespace OsqueryBpf.Probes.Tests.Decoding;

/// <summary>What each process runs, by pid and time, for exit and DNS rows.</summary>
public sealed class ProcessImagesTests
{
    [Fact]
    public void An_image_is_found_from_its_exec_to_its_exit_and_kept_after()
    {
        var images = new ProcessImages();
        images.OnExec(10, 1_000, "/usr/bin/dig", "/root", 1);
        images.OnExit(10, 5_000);
        Assert.False(images.TryGet(10, 999, out _)); // before the exec
        Assert.True(images.TryGet(10, 3_000, out var image));
        Assert.Equal(("/usr/bin/dig", "/root", 1L), (image.Path, image.Cwd, image.PathResolved));
        Assert.True(images.TryGet(10, 5_000, out _)); // the exit itself
        Assert.False(images.TryGet(10, 5_001, out _));
    }

    [Fact]
    public void A_second_exec_replaces_the_image_from_then_on()
    {
        var images = new ProcessImages();
        images.OnExec(10, 1_000, "/bin/sh", "/", 1);
        images.OnExec(10, 2_000, "/usr/bin/dig", "/", 1);
        Assert.True(images.TryGet(10, 1_500, out var before));
        Assert.Equal("/bin/sh", before.Path);
        Assert.True(images.TryGet(10, 2_500, out var after));
        Assert.Equal("/usr/bin/dig", after.Path);
    }

    [Fact]
    public void A_pid_reused_after_a_lost_exit_does_not_take_the_former_holders_image()
    {
        var images = new ProcessImages();
        images.OnExec(10, 1_000, "/usr/bin/old", "/", 1); // its exit record was lost: the image stays open
        Assert.True(images.TryGet(10, 9_000, out _));
        Assert.False(images.TryGet(10, 9_000, out _, startedNs: 8_000)); // the new pid 10 started at 8000
    }

    [Fact]
    public void Exited_processes_are_forgotten_a_minute_after_their_exit()
    {
        var images = new ProcessImages();
        images.OnExec(10, 1_000, "/a", "/", 1);
        images.OnExit(10, 2_000);
        images.OnExec(11, 3_000, "/b", "/", 1);
        images.OnExit(11, 3_000 + ProcessImages.RetainNs + 2_000); // a minute after the first exit
        Assert.False(images.TryGet(10, 1_500, out _));
        Assert.True(images.TryGet(11, 4_000, out _));
        Assert.Equal(1, images.Count);
    }
}
