using OsqueryBpf.Probes.Decoding;
using Xunit;

namespace OsqueryBpf.Probes.Tests.Decoding;

/// <summary>The lexical canonical form of recorded paths, and the include/exclude filter applied to it.</summary>
public sealed class CanonicalPathTests
{
    [Theory]
    [InlineData("/etc/x", "/etc/x")]
    [InlineData("/", "/")]
    [InlineData("/tmp/../etc/x", "/etc/x")]
    [InlineData("/./etc/./x", "/etc/x")]
    [InlineData("//etc//x", "/etc/x")]
    [InlineData("/etc/x/", "/etc/x")]
    [InlineData("/etc/.", "/etc")]
    [InlineData("/tmp/../etc/x/..", "/etc")]
    [InlineData("/var/lib/osquery-bpf/../../../etc/x", "/etc/x")]
    [InlineData("/../../../../etc/x", "/etc/x")] // .. at the root stays at the root
    [InlineData("/tmp/a/../b/c", "/tmp/b/c")] // cd /tmp/a && mkdir ../b/c, as the kernel joins it
    [InlineData("/tmp/..x/.y/...", "/tmp/..x/.y/...")] // names that only look like . or ..
    [InlineData("/a/b/../../..", "/")]
    [InlineData("/proc/self/root/etc/x", "/etc/x")]
    [InlineData("/proc/thread-self/root/../etc/./x", "/etc/x")] // root/.. is the root
    [InlineData("/proc/4242/root/etc/x", "/etc/x")] // the acting process's own pid
    [InlineData("/proc/4243/task/4243/root/etc/x", "/etc/x")] // its own thread
    [InlineData("/proc/self/status", "/proc/self/status")]
    public void Paths_become_canonical(string given, string expected)
    {
        var (path, unresolved) = CanonicalPath.Normalize(given, pid: 4242, tid: 4243);
        Assert.Equal(expected, path);
        Assert.False(unresolved);
        Assert.True(CanonicalPath.IsCanonical(path));
    }

    [Theory]
    [InlineData("/proc/self/cwd/x", "/proc/self/cwd/x")] // no cwd in the row
    [InlineData("/proc/1/root/etc/x", "/proc/1/root/etc/x")] // another process's root
    [InlineData("/proc/self/fd/3/x", "/proc/self/fd/3/x")]
    [InlineData("/proc//1/./cwd/x/", "/proc/1/cwd/x")]
    public void Aliases_the_row_cannot_follow_are_reported(string given, string expected)
    {
        var (path, unresolved) = CanonicalPath.Normalize(given, pid: 4242, tid: 4242);
        Assert.Equal(expected, path);
        Assert.True(unresolved);
    }

    [Fact]
    public void The_cwd_alias_is_followed_when_the_cwd_is_known()
    {
        Assert.Equal(("/etc/x", false), CanonicalPath.Normalize("/proc/self/cwd/x", pid: 7, tid: 7, cwd: "/etc"));
        Assert.Equal(("/x", false), CanonicalPath.Normalize("/proc/7/cwd/../x", pid: 7, tid: 7, cwd: "/etc"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("...cut/in/the/kernel")]
    public void Text_that_is_not_absolute_is_left_alone(string given) =>
        Assert.Equal((given, false), CanonicalPath.Normalize(given));

    [Fact]
    public void A_canonical_path_is_returned_without_a_copy()
    {
        var path = "/usr/lib/x86_64-linux-gnu/libc.so.6";
        Assert.Same(path, CanonicalPath.Normalize(path).Path);
    }

    private static readonly FilePathFilter Recommended = new(["/etc/"], ["/proc/", "/sys/", "/var/lib/osquery-bpf/"]);

    [Theory]
    [InlineData("/etc/x", "", true)]
    [InlineData("/etcetera/x", "", false)]
    [InlineData("/etc", "", false)]
    [InlineData("/tmp/x", "/etc/x", true)] // renamed into /etc
    [InlineData("/etc/x", "/tmp/x", true)] // renamed out of /etc
    [InlineData("/tmp/x", "", false)]
    public void Include_prefixes_look_at_the_path_and_the_destination(string path, string dest, bool kept) =>
        Assert.Equal(kept, Recommended.Keeps(path, dest, unresolved: false));

    [Fact]
    public void Excludes_drop_only_what_lies_wholly_under_them()
    {
        var filter = new FilePathFilter([], ["/proc/", "/var/lib/osquery-bpf/"]);
        Assert.False(filter.Keeps("/proc/1/attr/current", "", unresolved: false));
        Assert.False(filter.Keeps("/var/lib/osquery-bpf/a", "/var/lib/osquery-bpf/b", unresolved: false));
        Assert.True(filter.Keeps("/var/lib/osquery-bpf/a", "/etc/a", unresolved: false)); // staged, then moved into /etc
        Assert.True(filter.Keeps("/etc/x", "", unresolved: false));
    }

    [Fact]
    public void Unresolved_paths_are_kept_whatever_the_filters()
    {
        Assert.True(Recommended.Keeps("/proc/1/cwd/x", "", unresolved: true));
        Assert.False(Recommended.Keeps("/proc/1/cwd/x", "", unresolved: false));
    }

    [Theory]
    [InlineData("/var/lib/./osquery-bpf//", "/var/lib/osquery-bpf/")]
    [InlineData("/etc", "/etc")]
    [InlineData("/", "/")]
    [InlineData("/tmp/../etc/", "/etc/")]
    public void Prefixes_are_normalised_keeping_their_trailing_slash(string given, string expected) =>
        Assert.Equal(expected, FilePathFilter.NormalizePrefix(given));

    [Fact]
    public void No_prefixes_keep_everything() => Assert.True(new FilePathFilter([], []).KeepsAll);
}
