namespace OsqueryBpf.Bpf.Interop;

/// <summary>
/// The bpf(2) system call, behind an interface so tests can substitute a fake kernel (to exercise errno
/// mapping, verifier-log retries and partial-failure cleanup). Every bpf(2) call in the loader goes
/// through one instance of this.
/// </summary>
internal unsafe interface IBpfSyscalls
{
    /// <summary>
    /// Calls bpf(cmd, attr, size). Returns the non-negative result (often a new fd), or -1 with
    /// <paramref name="errno"/> set.
    /// </summary>
    int Bpf(BpfCmd cmd, void* attr, uint size, out Errno errno);
}
