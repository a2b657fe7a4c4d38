namespace OsqueryBpf.KernelMatrix.Guest;

/// <summary>
/// File facts: this process creates, renames, chmods, hard-links, symlinks and unlinks files and makes and
/// removes a directory in a directory of its own, through the libc calls named in <see cref="Libc"/>; each
/// row must carry the absolute path (and for rename, link and symlink the destination) and this pid.
/// </summary>
internal static class FileWorkload
{
    private const string Table = "ebpf_file_events";

    public static IEnumerable<Check> Run(string workDir)
    {
        var me = Environment.ProcessId;
        var dir = Libc.RealPath(Directory.CreateDirectory(Path.Combine(workDir, "files")).FullName);
        var created = dir + "/created file.txt";
        var renamed = dir + "/renamed";
        var hardLink = dir + "/hard link";
        var symlink = dir + "/symlink";
        var subdir = dir + "/subdir";

        var fd = Libc.Open(created, Libc.O_WRONLY | Libc.O_CREAT | Libc.O_TRUNC | Libc.O_CLOEXEC, 0x1A4); // 0644
        Libc.Write(fd, "kmatrix\n");
        Libc.Close(fd);
        Libc.Rename(created, renamed);
        Libc.Chmod(renamed, 0x180); // 0600
        Libc.Link(renamed, hardLink);
        Libc.Symlink("renamed", symlink); // a relative target, kept as given
        Libc.Mkdir(subdir, 0x1E8); // 0750
        Libc.Rmdir(subdir);
        Libc.Unlink(hardLink);

        var where = new Dictionary<string, string> { ["pid"] = me.ToString() };
        Check File(string name, string action, string path, string what, params Expectation[] expect) => new()
        {
            Name = "file." + name,
            Probe = "file",
            Table = Table,
            What = $"the {what} by pid {me}",
            Where = where,
            Selects = r => r.GetValueOrDefault("action") == action && r.GetValueOrDefault("path") == path,
            Expect = [Expectation.Equal("tid", me), .. expect],
            Shown = ["action", "path", "dest_path"],
        };

        yield return File("create", "create", created, $"create of {created}",
            Expectation.Contains("flags", "O_CREAT"), Expectation.Equal("mode", "0644"), Expectation.NotNegative("exit_code"));
        yield return File("rename", "rename", created, $"rename of {created}",
            Expectation.Equal("dest_path", renamed), Expectation.Equal("exit_code", 0));
        yield return File("chmod", "chmod", renamed, $"chmod of {renamed}",
            Expectation.Equal("mode", "0600"), Expectation.Equal("exit_code", 0));
        yield return File("link", "link", renamed, $"hard link of {renamed}",
            Expectation.Equal("dest_path", hardLink), Expectation.Equal("exit_code", 0));
        yield return File("symlink", "symlink", symlink, $"symlink {symlink}",
            Expectation.Equal("dest_path", "renamed"), Expectation.Equal("exit_code", 0));
        yield return File("mkdir", "mkdir", subdir, $"mkdir of {subdir}",
            Expectation.Equal("mode", "0750"), Expectation.Equal("exit_code", 0));
        yield return File("rmdir", "rmdir", subdir, $"rmdir of {subdir}", Expectation.Equal("exit_code", 0));
        yield return File("unlink", "unlink", hardLink, $"unlink of {hardLink}", Expectation.Equal("exit_code", 0));
    }
}
