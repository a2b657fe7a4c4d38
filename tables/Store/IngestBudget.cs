using OsqueryBpf.Events;

namespace OsqueryBpf.Tables.Store;

/// <summary>
/// The per-table ingest budget: when the writer falls behind (its queue is half full), events of a process that
/// sent more than its share in the current second, or of a user whose processes together did, are refused (and
/// counted as drops) before anybody else's. A flood by one process, or by one unprivileged user's many processes,
/// then costs only the flooder's own events instead of crowding out everybody else's when the queue overflows.
/// Counting starts only under pressure, so a busy but keeping-up host pays nothing.
/// </summary>
internal sealed class IngestBudget(long perProcess, long perUser)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<long, long> _byProcess = [];
    private readonly Dictionary<long, long> _byUser = [];
    private readonly Dictionary<long, Refusal> _refused = []; // since the last report, by pid
    private long _second;

    /// <summary>True when <paramref name="e"/>'s process or user is over its share of the current second.</summary>
    public bool Refuse(Event e)
    {
        if (perProcess <= 0 && perUser <= 0)
            return false;
        lock (_gate)
        {
            var second = Environment.TickCount64 / 1000;
            if (second != _second)
            {
                _second = second;
                _byProcess.Clear();
                _byUser.Clear();
            }
            var process = _byProcess[e.Pid] = _byProcess.GetValueOrDefault(e.Pid) + 1;
            var user = _byUser[e.Uid] = _byUser.GetValueOrDefault(e.Uid) + 1;
            if ((perProcess <= 0 || process <= perProcess) && (perUser <= 0 || user <= perUser))
                return false;
            if (_refused.Count < 10_000 || _refused.ContainsKey(e.Pid)) // bounded, whatever the pid churn
                _refused[e.Pid] = (_refused.GetValueOrDefault(e.Pid) ?? new Refusal(e.Uid, e.Comm)).Add();
            return true;
        }
    }

    /// <summary>The processes whose events were refused since the last call, most first (for the log).</summary>
    public List<(long Pid, long Uid, string Comm, long Count)> TakeRefusals()
    {
        lock (_gate)
        {
            var list = _refused.Select(r => (r.Key, r.Value.Uid, r.Value.Comm, r.Value.Count)).OrderByDescending(r => r.Count).ToList();
            _refused.Clear();
            return list;
        }
    }

    private sealed class Refusal(long uid, string comm)
    {
        public long Uid { get; } = uid;

        public string Comm { get; } = comm;

        public long Count { get; private set; }

        public Refusal Add()
        {
            Count++;
            return this;
        }
    }
}
