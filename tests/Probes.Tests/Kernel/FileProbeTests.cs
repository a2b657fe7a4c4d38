using OsqueryBpf.Events;
using OsqueryBpf.TestSupport;
using Xunit;

namespace OsqueryBpf.Probes.Tests.Kernel;

/// <summary>The file probe loaded once for <see cref="FileProbeTests"/>, recording everything (this process too).</summary>
public class FileProbeFixture : IDisposable
{
    public const string DirPrefix = "osqbpf-file-";
    private readonly object _gate = new();
    private LoadedProbe? _probe;

    internal LoadedProbe Probe()
    {
        Requirements.RequireRoot();
        Requirements.RequireKernelBtf();
        lock (_gate)
            return _probe ??= new LoadedProbe(FileProbe.Definition, null, Keep, AsKernel);
    }

    /// <summary>The older kernel whose code paths the probe takes; null: this kernel's own.</summary>
    internal virtual OlderKernel? AsKernel => null;

    private static bool Keep(Event evt) =>
        evt is FileEvent file && (file.Path.Contains(DirPrefix) || file.DestPath.Contains(DirPrefix));

    public void Dispose() => _probe?.Dispose();
}

/// <summary>File operations by real processes, with paths resolved in the kernel (and, in the subclass, on the code paths of Linux 5.10).</summary>
public class FileProbeTests : IClassFixture<FileProbeFixture>, IDisposable
{
    private readonly FileProbeFixture _fixture;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory(FileProbeFixture.DirPrefix);
    private readonly string _real;

    public FileProbeTests(FileProbeFixture fixture)
    {
        _fixture = fixture;
        _real = Shell.RealPath(_dir.FullName);
    }

    [SkippableFact]
    public void Relative_paths_from_another_cwd_are_absolute_with_odd_names()
    {
        var probe = _fixture.Probe();
        const string odd = "odd name\nwith \"quotes\" and \\ backslash";
        var (pid, _) = Shell.Check("""
            mkdir "$1/sub" && cd "$1/sub" &&
            echo hi > rel.txt && mv rel.txt "$2" && chmod 600 "$2" &&
            ln -s ../target lnk && ln "$2" hard && chown 1:2 hard &&
            mkdir newdir && rmdir newdir && rm lnk hard "$2"
            """, _dir.FullName, odd);
        string sub = _real + "/sub";
        string oddEscaped = sub + "/" + odd.Replace("\\", "\\\\");

        var create = probe.WaitFor<FileEvent>(e => e.Path == sub + "/rel.txt" && e.Action == "create", "the shell's create");
        Assert.Equal(pid, create.Pid);
        Assert.Equal(sub, create.Cwd);
        Assert.Equal("openat", create.Syscall);
        Assert.Contains("O_WRONLY", create.Flags);
        Assert.Contains("O_CREAT", create.Flags);
        Assert.Contains("O_TRUNC", create.Flags);
        Assert.Equal("0666", create.Mode);
        Assert.True(create.ExitCode >= 0);
        Assert.NotEqual(0, create.Inode);
        Assert.Equal(Shell.RealPath("/bin/sh"), create.Executable);

        var rename = probe.WaitFor<FileEvent>(e => e.Action == "rename" && e.Path == sub + "/rel.txt", "mv");
        Assert.Equal(oddEscaped, rename.DestPath);
        Assert.Equal(0, rename.ExitCode);
        Assert.Equal(Shell.RealPath("/bin/mv"), rename.Executable);

        var chmod = probe.WaitFor<FileEvent>(e => e.Action == "chmod" && e.Path == oddEscaped, "chmod");
        Assert.Equal("0600", chmod.Mode);

        var symlink = probe.WaitFor<FileEvent>(e => e.Action == "symlink" && e.Path == sub + "/lnk", "ln -s");
        Assert.Equal("../target", symlink.DestPath); // a symlink's target is kept as given

        var link = probe.WaitFor<FileEvent>(e => e.Action == "link" && e.DestPath == sub + "/hard", "ln");
        Assert.Equal(oddEscaped, link.Path);

        var chown = probe.WaitFor<FileEvent>(e => e.Action == "chown" && e.Path == sub + "/hard", "chown");
        Assert.Equal(1, chown.OwnerUid);
        Assert.Equal(2, chown.OwnerGid);

        probe.WaitFor<FileEvent>(e => e.Action == "mkdir" && e.Path == sub + "/newdir" && e.Mode == "0777", "mkdir");
        probe.WaitFor<FileEvent>(e => e.Action == "rmdir" && e.Path == sub + "/newdir" && e.ExitCode == 0, "rmdir");
        probe.WaitFor<FileEvent>(e => e.Action == "unlink" && e.Path == oddEscaped && e.ExitCode == 0, "rm");
    }

    [SkippableFact]
    public void The_executable_follows_an_exec_in_the_same_process()
    {
        var probe = _fixture.Probe();
        // The shell writes a file itself, then becomes mv (same pid): the cached executable must change.
        var (pid, _) = Shell.Check("cd \"$1\" && echo x > before && exec mv before after", _dir.FullName);

        var write = probe.WaitFor<FileEvent>(e => e.Action == "create" && e.Path == _real + "/before", "the shell's write");
        var rename = probe.WaitFor<FileEvent>(e => e.Action == "rename" && e.DestPath == _real + "/after", "mv's rename");
        Assert.Equal(pid, write.Pid);
        Assert.Equal(pid, rename.Pid);
        Assert.Equal(Shell.RealPath("/bin/sh"), write.Executable);
        Assert.Equal(Shell.RealPath("/bin/mv"), rename.Executable);
    }

    [SkippableFact]
    public void Operations_through_a_dirfd_and_on_fds_use_the_fds_path()
    {
        var probe = _fixture.Probe();
        int dirfd = TestLibc.OpenAt(-100, TestLibc.Bytes(_dir.FullName), TestLibc.O_RDONLY | TestLibc.O_DIRECTORY | TestLibc.O_CLOEXEC);
        try
        {
            int fd = TestLibc.OpenAt(dirfd, TestLibc.Bytes("viadirfd"), TestLibc.O_WRONLY | TestLibc.O_CREAT | TestLibc.O_CLOEXEC, 0x1A0); // 0640
            TestLibc.Check(TestLibc.Fchmod(fd, 0x1A4), "fchmod"); // 0644
            TestLibc.Check(TestLibc.Ftruncate(fd, 0), "ftruncate");
            TestLibc.Close(fd);
            TestLibc.UnlinkAt(dirfd, TestLibc.Bytes("viadirfd"), 0);
            TestLibc.MkdirAt(dirfd, TestLibc.Bytes("subdir"), 0x1C0); // 0700
            TestLibc.UnlinkAt(dirfd, TestLibc.Bytes("subdir"), TestLibc.AT_REMOVEDIR);
            // A name that is not UTF-8.
            int odd = TestLibc.OpenAt(dirfd, [(byte)'b', (byte)'a', (byte)'d', 0xFF, (byte)'n'], TestLibc.O_WRONLY | TestLibc.O_CREAT | TestLibc.O_CLOEXEC, 0x180);
            TestLibc.Close(odd);
            TestLibc.UnlinkAt(dirfd, [(byte)'b', (byte)'a', (byte)'d', 0xFF, (byte)'n'], 0);
        }
        finally
        {
            TestLibc.Close(dirfd);
        }
        string file = _real + "/viadirfd";

        var create = probe.WaitFor<FileEvent>(e => e.Action == "create" && e.Path == file, "openat through the dirfd");
        Assert.Equal(Environment.ProcessId, create.Pid);
        Assert.Equal("0640", create.Mode);
        Assert.Equal("", create.Cwd); // the directory came from the dirfd
        Assert.NotEqual(0, create.Inode);

        var fchmod = probe.WaitFor<FileEvent>(e => e.Syscall == "fchmod" && e.Path == file, "fchmod");
        Assert.Equal("0644", fchmod.Mode);
        Assert.Equal(create.Inode, fchmod.Inode);
        var ftruncate = probe.WaitFor<FileEvent>(e => e.Syscall == "ftruncate" && e.Path == file, "ftruncate");
        Assert.Equal("truncate", ftruncate.Action);
        Assert.Equal(create.Inode, ftruncate.Inode);

        probe.WaitFor<FileEvent>(e => e.Action == "unlink" && e.Syscall == "unlinkat" && e.Path == file, "unlinkat");
        probe.WaitFor<FileEvent>(e => e.Action == "mkdir" && e.Syscall == "mkdirat" && e.Path == _real + "/subdir" && e.Mode == "0700", "mkdirat");
        var rmdir = probe.WaitFor<FileEvent>(e => e.Action == "rmdir" && e.Path == _real + "/subdir", "unlinkat AT_REMOVEDIR");
        Assert.Equal("AT_REMOVEDIR", rmdir.Flags);
        probe.WaitFor<FileEvent>(e => e.Action == "create" && e.Path == _real + "/bad\\xFFn", "the non-UTF-8 name");
    }

    [SkippableFact]
    public void Paths_across_a_bind_mount_are_the_paths_the_process_sees()
    {
        var probe = _fixture.Probe();
        Requirements.RequireTool("mount");
        Shell.Check("""
            mkdir "$1/src" "$1/dst" && mount --bind "$1/src" "$1/dst" &&
            (cd "$1/dst" && touch inbind && mkdir nested && cd nested && touch deeper); status=$?
            umount "$1/dst"; exit $status
            """, _dir.FullName);

        probe.WaitFor<FileEvent>(e => e.Action == "create" && e.Path == _real + "/dst/inbind", "touch inside the bind mount");
        var deeper = probe.WaitFor<FileEvent>(e => e.Action == "create" && e.Path == _real + "/dst/nested/deeper", "touch below it");
        Assert.Equal(_real + "/dst/nested", deeper.Cwd);
    }

    [SkippableFact]
    public void A_path_deeper_than_the_walk_limit_is_cut_and_flagged()
    {
        var probe = _fixture.Probe();
        // 70 nested directories: more components than the kernel walk takes (64). The leaf carries the
        // fixture's prefix because the cut path loses the directory that does.
        Shell.Check("""
            cd "$1" && i=0 && while [ $i -lt 70 ]; do mkdir d$i && cd d$i; i=$((i+1)); done && touch osqbpf-file-deepfile
            """, _dir.FullName);

        var deep = probe.WaitFor<FileEvent>(e => e.Action == "create" && e.Path.EndsWith("/d68/d69/osqbpf-file-deepfile"), "the deep create");
        Assert.True(deep.ProbeError);
        Assert.False(deep.Path.StartsWith('/'), "A cut path is not anchored at the root: " + deep.Path);
    }

    public void Dispose() => _dir.Delete(recursive: true);
}

/// <summary>The file probe as it runs on Linux 5.10: the task read with probe reads, the syscall arguments from the top of the kernel stack.</summary>
public sealed class FileProbeAsLinux510Fixture : FileProbeFixture
{
    internal override OlderKernel? AsKernel => OlderKernel.Linux510;
}

/// <summary>The file tests with the probe on the code paths of Linux 5.10.</summary>
public sealed class FileProbeAsLinux510Tests : FileProbeTests, IClassFixture<FileProbeAsLinux510Fixture>
{
    public FileProbeAsLinux510Tests(FileProbeAsLinux510Fixture fixture) : base(fixture)
    {
    }
}
