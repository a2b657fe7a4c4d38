namespace OsqueryBpf.Containers.Cgroups;

/// <summary>A cgroup v2 directory found by the initial walk of cgroupfs.</summary>
/// <param name="Id">The inode number of its directory, which is the cgroup id the kernel gives events.</param>
/// <param name="Path">Its path below the cgroup2 root, starting with "/" ("/" for the root itself).</param>
/// <param name="OwnerUid">The directory's owner now (it may have been chown'ed since it was made, as systemd does when it delegates).</param>
/// <param name="Level">Depth below the root (the root is 0).</param>
public sealed record CgroupEntry(ulong Id, string Path, uint OwnerUid, int Level);
