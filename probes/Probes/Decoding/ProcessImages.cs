namespace OsqueryBpf.Probes.Decoding;

/// <summary>
/// What each process runs, learnt from the process probe's exec records as they are decoded: the binary, the cwd at
/// the exec, and from when (boot-clock ns) until its exit. Exit rows take their path and cwd from here, and DNS rows
/// their path at the time of the packet, so a client that has exited (dig) keeps its binary. One per
/// <see cref="Runtime.ProbeContext"/>, shared by the decoders of its probes (each on its own reader thread), hence
/// the lock.
/// </summary>
/// <remarks>
/// Bounded: an exited process is forgotten <see cref="RetainNs"/> after its exit (other rings may still hold its
/// packets), and at most <see cref="MaxProcesses"/> pids are kept (beyond that the oldest exited ones go first, then
/// everything: a row then has no path). Processes that started before the probe have no entry. When an exit record
/// was lost (a full ring), that process's image stays open: an exit row asks for an image exec'd after its process
/// started, so a later process reusing the pid never takes it, but a DNS row of such a pid-reusing process that never
/// exec'd could.
/// </remarks>
public sealed class ProcessImages
{
    /// <summary>How long an exited process's image is kept for late records of other rings.</summary>
    public const ulong RetainNs = 60UL * 1_000_000_000;

    /// <summary>Most processes kept.</summary>
    public const int MaxProcesses = 65_536;

    private readonly Lock _gate = new();
    private readonly Dictionary<long, List<Image>> _byPid = [];
    private readonly Queue<(ulong ExitNs, long Pid)> _exited = new();

    /// <summary>One exec'd image of a process: its binary, its cwd at the exec, and its life.</summary>
    public readonly record struct Image(ulong SinceNs, ulong UntilNs, string Path, string Cwd, long PathResolved)
    {
        /// <summary>Whether the process ran this image at <paramref name="atNs"/> (an open image has UntilNs 0).</summary>
        public bool Covers(ulong atNs) => SinceNs <= atNs && (UntilNs == 0 || atNs <= UntilNs);
    }

    /// <summary>A successful exec of <paramref name="pid"/> at <paramref name="atNs"/>: it runs <paramref name="path"/> from now on.</summary>
    public void OnExec(long pid, ulong atNs, string path, string cwd, long pathResolved)
    {
        lock (_gate)
        {
            if (!_byPid.TryGetValue(pid, out var images))
            {
                MakeRoom(atNs);
                _byPid[pid] = images = new List<Image>(1);
            }
            else if (images.Count > 0 && images[^1].UntilNs == 0)
            {
                images[^1] = images[^1] with { UntilNs = atNs }; // the image it replaces
            }
            if (images.Count >= 4)
                images.RemoveAt(0); // a process exec'ing in a loop keeps only its latest images
            images.Add(new Image(atNs, 0, path, cwd, pathResolved));
        }
    }

    /// <summary>The process exited at <paramref name="atNs"/>.</summary>
    public void OnExit(long pid, ulong atNs)
    {
        lock (_gate)
        {
            if (!_byPid.TryGetValue(pid, out var images) || images.Count == 0 || images[^1].UntilNs != 0)
                return;
            images[^1] = images[^1] with { UntilNs = atNs };
            _exited.Enqueue((atNs, pid));
            Forget(atNs > RetainNs ? atNs - RetainNs : 0);
        }
    }

    /// <summary>
    /// The image <paramref name="pid"/> ran at <paramref name="atNs"/>, when an exec of it was seen, and (when
    /// <paramref name="startedNs"/> is given) exec'd after the process started: an older one was a former holder's.
    /// </summary>
    public bool TryGet(long pid, ulong atNs, out Image image, ulong startedNs = 0)
    {
        lock (_gate)
        {
            if (_byPid.TryGetValue(pid, out var images))
            {
                for (var i = images.Count - 1; i >= 0; i--)
                {
                    if (images[i].Covers(atNs) && images[i].SinceNs >= startedNs)
                    {
                        image = images[i];
                        return true;
                    }
                }
            }
        }
        image = default;
        return false;
    }

    /// <summary>Pids kept (for tests).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
                return _byPid.Count;
        }
    }

    /// <summary>Drops the processes that exited before <paramref name="beforeNs"/>.</summary>
    private void Forget(ulong beforeNs)
    {
        while (_exited.TryPeek(out var oldest) && oldest.ExitNs < beforeNs)
        {
            _exited.Dequeue();
            if (_byPid.TryGetValue(oldest.Pid, out var images) && images.Count > 0 && images[^1].UntilNs != 0 && images[^1].UntilNs < beforeNs)
                _byPid.Remove(oldest.Pid); // not exec'd again since
        }
    }

    private void MakeRoom(ulong nowNs)
    {
        if (_byPid.Count < MaxProcesses)
            return;
        Forget(nowNs); // every exited process, however recent
        if (_byPid.Count >= MaxProcesses)
        {
            _byPid.Clear(); // only live processes left: start again rather than grow without bound
            _exited.Clear();
        }
    }
}
