using Microsoft.Data.Sqlite;
using OsqueryBpf.Events;
using OsqueryBpf.Tables.Schema;
using OsqueryBpf.Tables.Store;

namespace OsqueryBpf.Tables;

public sealed partial class EventStore
{
    private const int MaxBindFailureLogs = 10;

    private readonly List<FlushRequest> _waitingFlushes = new();
    private ProbeStatus[]? _currentProbeStatus;
    private bool _probeRowsWritten;
    private DateTimeOffset _nextProbeRefresh;
    private int _bindFailures;
    private DateTimeOffset _nextFailureLog;
    private int _suppressedFailureLogs;
    private static readonly TimeSpan FailureSettleTime = TimeSpan.FromSeconds(1);
    private DateTimeOffset? _failingSince; // the current episode of failed writes, until writes work again for a while
    private DateTimeOffset _lastFailureAt;
    private bool _episodeLogged;
    private string _firstFailure = "";
    private long _failedBatches;
    private long _failedEvents;
    private bool _resyncEids; // a write failed: take the next eids from the database before writing again
    private DateTimeOffset _nextReopenAttempt;
    private Exception? _injectedFailure; // test hook

    /// <summary>Test hook: the writer fails with <paramref name="failure"/> at its next turn, as if SQLite had
    /// reported it.</summary>
    internal void InjectWriterFailure(Exception failure)
    {
        Volatile.Write(ref _injectedFailure, failure);
        _wake.Release();
    }

    /// <summary>
    /// The single writer: takes up to BatchSize events, writes them in one transaction, runs one step of retention,
    /// refreshes ebpf_probes when due, answers flushes, and sleeps only when there is nothing to do. It never dies:
    /// a failed batch is counted as dropped and logged, a damaged database is replaced.
    /// </summary>
    private async Task WriterLoopAsync()
    {
        var batch = new List<Event>(_options.BatchSize);
        Task<bool>? eventsReady = null;
        Task? wakeSignal = null;
        while (true)
        {
            batch.Clear();
            while (batch.Count < _options.BatchSize && _events.Reader.TryRead(out var e))
                batch.Add(e);

            var retentionPending = false;
            await _connectionGate.WaitAsync().ConfigureAwait(false);
            try
            {
                if (Interlocked.Exchange(ref _injectedFailure, null) is { } injected)
                    throw injected;
                if (batch.Count > 0 && WriteBatch(batch))
                    NoteWritesWork();
                retentionPending = RunRetentionStep();
                WriteProbeStatusIfDue();
            }
            catch (Exception e)
            {
                HandleWriterFailure(e);
            }
            finally
            {
                _connectionGate.Release();
            }

            CompleteFlushes(retentionPending);
            if (batch.Count > 0 || retentionPending)
                continue;
            if (_events.Reader.Completion.IsCompleted)
                break;

            eventsReady = eventsReady is { IsCompleted: false } ? eventsReady : _events.Reader.WaitToReadAsync().AsTask();
            wakeSignal = wakeSignal is { IsCompleted: false } ? wakeSignal : _wake.WaitAsync();
            await Task.WhenAny(eventsReady, wakeSignal, Task.Delay(_options.IdleInterval)).ConfigureAwait(false);
        }

        CompleteFlushes(retentionPending: false);
        foreach (var request in _waitingFlushes)
            request.Completion.TrySetResult();
        while (_flushRequests.TryDequeue(out var late))
            late.Completion.TrySetResult();
    }

    private void HandleWriterFailure(Exception failure)
    {
        var damaged = failure is SqliteException sqlite && DatabaseFile.IsDamage(sqlite);
        var closed = _connection.State != System.Data.ConnectionState.Open; // an earlier replacement failed half-way
        if (!damaged && !closed)
        {
            LogFailure($"The event store's writer failed: {failure.Message}");
            return;
        }
        if (closed && DateTimeOffset.UtcNow < _nextReopenAttempt)
            return; // events are being counted as dropped meanwhile
        _nextReopenAttempt = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(10);
        try
        {
            RecoverFromDamage(failure.Message, moveAside: damaged);
        }
        catch (Exception recovery)
        {
            LogFailure($"The event store could not replace its database: {recovery.Message} Events are counted as dropped until it can; it retries every 10 seconds.");
        }
    }

    /// <summary>
    /// Logs a write failure at WARN with its cause. A run of failures (a full disk fails every batch, and a nearly
    /// full one fails some) is one episode: its first failure is logged at once, then at most one line a minute, and
    /// <see cref="NoteWritesWork"/> reports its end. Episodes that start less than a minute after the last line wait
    /// for the next minute, so a flapping disk cannot flood the log either.
    /// </summary>
    private void LogFailure(string line)
    {
        var now = DateTimeOffset.UtcNow;
        _lastFailureAt = now;
        if (_failingSince is null)
        {
            _failingSince = now;
            _firstFailure = line;
            _episodeLogged = false;
        }
        if (now < _nextFailureLog)
        {
            _suppressedFailureLogs++;
            return;
        }
        var text = _episodeLogged
            ? $"{line} (Still failing since {_failingSince:u}: {_failedBatches} batches, {_failedEvents} events dropped so far.)"
            : line + " Dropped events are counted in ebpf_probes.drops; the store keeps trying and logs when it succeeds.";
        if (_suppressedFailureLogs > 0)
            text += $" ({_suppressedFailureLogs} similar failures in the last minute were not logged.)";
        _warn(text);
        _episodeLogged = true;
        _suppressedFailureLogs = 0;
        _nextFailureLog = now + TimeSpan.FromMinutes(1);
    }

    /// <summary>
    /// A batch committed. Once writes have worked for a second after the last failure, the episode is over: say that
    /// the store writes again and what was lost meanwhile.
    /// </summary>
    private void NoteWritesWork()
    {
        if (_failingSince is not { } since)
            return;
        var now = DateTimeOffset.UtcNow;
        if (now - _lastFailureAt < FailureSettleTime)
            return; // still flapping: the same episode
        if (_episodeLogged)
            _warn($"The event store writes again after {(_lastFailureAt - since).TotalSeconds:0.#} s of failures: {_failedBatches} batches " +
                  $"({_failedEvents} events) were dropped meanwhile. The first failure was: {_firstFailure}");
        _failingSince = null;
        _failedBatches = 0;
        _failedEvents = 0;
    }

    /// <summary>Writes the batch in one transaction; false (events counted as dropped, failure logged) when it failed.</summary>
    private bool WriteBatch(List<Event> batch)
    {
        Span<int> written = stackalloc int[_tables.Length];
        SqliteTransaction? transaction = null;
        try
        {
            if (_resyncEids)
            {
                ResynchroniseEids();
                _resyncEids = false;
            }
            transaction = _connection.BeginTransaction();
            _saveNextEid!.Transaction = transaction; // the native inserts run inside it, on the same connection

            foreach (var e in batch)
            {
                var state = TableFor(e);
                var index = state.Index;
                if (!TryBind(state, e))
                {
                    state.CountDropped();
                    continue;
                }
                state.Insert!.ExecuteInsert();
                state.NextEid++;
                written[index]++;
            }
            for (var i = 0; i < _tables.Length; i++)
            {
                if (written[i] == 0)
                    continue;
                _saveNextEid.Parameters[0].Value = _tables[i].Definition.Name;
                _saveNextEid.Parameters[1].Value = _tables[i].NextEid;
                _saveNextEid.ExecuteNonQuery();
            }
            transaction.Commit();
        }
        catch (Exception failure)
        {
            // The whole batch is lost: count it, so nothing disappears silently. The next batch takes its eids from
            // the database again, so a failure caused by the database's state (eids another writer used) does not
            // repeat for ever.
            foreach (var e in batch)
                TableFor(e).CountDropped();
            Interlocked.Add(ref _processed, batch.Count);
            _resyncEids = true;
            _failedBatches++;
            _failedEvents += batch.Count;
            LogFailure($"The event store failed to write a batch of {batch.Count} events, which are counted as dropped: {failure.Message}");
            if (failure is SqliteException sqlite && DatabaseFile.IsDamage(sqlite) || _connection.State != System.Data.ConnectionState.Open)
                throw; // the caller replaces the database
            return false;
        }
        finally
        {
            transaction?.Dispose();
        }
        for (var i = 0; i < _tables.Length; i++)
        {
            if (written[i] == 0)
                continue;
            var state = _tables[i];
            state.CountWritten(written[i]);
            state.Rows += written[i];
        }
        foreach (var e in batch)
        {
            var state = TableFor(e);
            if (state.OldestTime is not { } oldest || e.Time < oldest)
                state.OldestTime = e.Time;
        }
        Interlocked.Add(ref _processed, batch.Count);
        return true;
    }

    /// <summary>
    /// After a failed write: each table's next eid becomes the largest of what this writer would use, what the
    /// database has saved, and one past the largest eid stored, so eids stay unique and increasing whatever the
    /// database went through. Row counts and the oldest time are read again too.
    /// </summary>
    private void ResynchroniseEids()
    {
        foreach (var state in _tables)
        {
            var name = state.Definition.QuotedName;
            var saved = Scalar($"SELECT next_eid FROM {StoreSchema.EidTable} WHERE table_name = @t", ("@t", state.Definition.Name)) ?? 0;
            var max = Scalar($"SELECT max(eid) FROM {name}") ?? 0;
            var next = Math.Max(state.NextEid, Math.Max(saved, max + 1));
            if (next != state.NextEid)
                _warn($"'{state.Definition.Name}': the database already holds eids up to {max}; continuing at {next} instead of {state.NextEid}.");
            state.NextEid = next;
            state.Rows = Scalar($"SELECT count(*) FROM {name}") ?? 0;
            state.OldestTime = Scalar($"SELECT min(\"time\") FROM {name}");
        }
    }

    /// <summary>Sets the insert's parameters from the event; false (logged, a few times) when the event cannot be
    /// turned into a row.</summary>
    private bool TryBind(TableState state, Event e)
    {
        var insert = state.Insert!;
        var integers = state.IntegerOf;
        var texts = state.TextOf;
        try
        {
            for (var i = 0; i < integers.Length; i++)
            {
                if (integers[i] is { } integer)
                {
                    var value = integer(e);
                    if (value == ColumnListBuilder<object>.Null && state.Nullable[i])
                        insert.BindNull(i);
                    else
                        insert.BindInteger(i, value);
                }
                else if (texts[i] is { } text)
                    insert.BindText(i, text(e));
                else
                    insert.BindInteger(i, state.NextEid); // eid: the only column without an accessor
            }
            return true;
        }
        catch (Exception failure) when (failure is not SqliteException)
        {
            if (Interlocked.Increment(ref _bindFailures) <= MaxBindFailureLogs)
                _log($"An event for '{state.Definition.Name}' could not be turned into a row and was dropped: {failure.Message}");
            return false;
        }
    }

    /// <summary>
    /// Deletes at most RetentionChunkRows rows per table that are beyond the row limit or older than the maximum
    /// age, in one transaction. Returns true when more remains to delete.
    /// </summary>
    private bool RunRetentionStep()
    {
        var now = _options.TimeProvider.GetUtcNow().ToUnixTimeSeconds();
        var pending = false;
        SqliteTransaction? transaction = null;
        try
        {
            foreach (var state in _tables)
            {
                var cutoff = now - RetentionOf(state).Seconds;
                var overCount = state.Rows > _options.MaxRowsPerTable;
                var expired = state.OldestTime is { } oldest && oldest < cutoff;
                if (!overCount && !expired)
                    continue;
                transaction ??= _connection.BeginTransaction();
                if (overCount)
                    state.Rows -= DeleteOverLimit(state, transaction, Math.Min(state.Rows - _options.MaxRowsPerTable, _options.RetentionChunkRows));
                if (expired)
                {
                    var command = state.DeleteExpired!;
                    command.Transaction = transaction;
                    command.Parameters[0].Value = cutoff;
                    command.Parameters[1].Value = _options.RetentionChunkRows;
                    state.Rows -= command.ExecuteNonQuery();
                }
                var select = state.SelectOldestTime!;
                select.Transaction = transaction;
                var oldestNow = select.ExecuteScalar();
                state.OldestTime = oldestNow is long value ? value : null;
                pending |= state.Rows > _options.MaxRowsPerTable || (state.OldestTime is { } o && o < cutoff);
            }
            transaction?.Commit();
        }
        finally
        {
            transaction?.Dispose();
        }
        return pending;
    }

    /// <summary>
    /// Deletes <paramref name="count"/> rows of a table over its row limit. They are the oldest rows of the user who
    /// holds the most of the table's oldest rows, then (when that user has no more) the oldest rows of anyone: so a
    /// flood, which any unprivileged user can start, pushes out its own rows first and not the other users' events,
    /// the ones an attacker would most like to see gone. Without a flood the oldest rows go first as before, give or
    /// take which user's. The user is chosen again at most once a second: the choice reads up to 64k rows.
    /// </summary>
    private int DeleteOverLimit(TableState state, SqliteTransaction transaction, long count)
    {
        const int Window = 65_536;
        var deleted = 0;
        if (state.SelectHeaviestOldUser is { } select && state.DeleteOldestOfUser is { } deleteOfUser)
        {
            var now = Environment.TickCount64;
            if (state.EvictionUser.Uid is null || now - state.EvictionUser.ChosenAt >= 1000)
            {
                select.Transaction = transaction;
                select.Parameters[0].Value = Window;
                state.EvictionUser = (select.ExecuteScalar() is long uid ? uid : null, now);
            }
            if (state.EvictionUser.Uid is { } heaviest)
            {
                deleteOfUser.Transaction = transaction;
                deleteOfUser.Parameters[0].Value = heaviest;
                deleteOfUser.Parameters[1].Value = count;
                deleted = deleteOfUser.ExecuteNonQuery();
                if (deleted < count)
                    state.EvictionUser = (null, now); // that user has no rows left: choose again next time
            }
        }
        if (deleted < count)
        {
            var command = state.DeleteOldest!;
            command.Transaction = transaction;
            command.Parameters[0].Value = count - deleted;
            deleted += command.ExecuteNonQuery();
        }
        return deleted;
    }

    /// <summary>Writes ebpf_probes when new statuses arrived, and refreshes its rows/oldest_time once per idle
    /// interval.</summary>
    private void WriteProbeStatusIfDue()
    {
        var now = _options.TimeProvider.GetUtcNow();
        var fresh = Interlocked.Exchange(ref _pendingProbeStatus, null);
        var counters = CountersSignature();
        if (fresh is not null)
            _currentProbeStatus = fresh;
        else if (_currentProbeStatus is null || (_probeRowsWritten && (now < _nextProbeRefresh || counters == _probeRowsSignature)))
            return; // nothing new: an idle store does not rewrite the table every second
        _probeRowsSignature = counters;

        using var transaction = _connection.BeginTransaction();
        _deleteProbeRows!.Transaction = transaction;
        _deleteProbeRows.ExecuteNonQuery();
        _insertProbeRow!.Transaction = transaction;
        var columns = StatusTables.Probes.Columns;
        foreach (var status in _currentProbeStatus!)
        {
            var state = _tablesByName.GetValueOrDefault(status.Table);
            var row = StatusRow(status, state);
            for (var i = 0; i < columns.Count; i++)
            {
                var column = columns[i];
                if (column.IntegerOf is { } integer)
                {
                    var value = integer(row);
                    _probeParameters[i].Value = column.Nullable && value == ColumnListBuilder<object>.Null ? DBNull.Value : value;
                }
                else
                    _probeParameters[i].Value = column.TextOf!(row);
            }
            _insertProbeRow.ExecuteNonQuery();
        }
        transaction.Commit();
        _probeRowsWritten = true;
        _nextProbeRefresh = now + _options.IdleInterval;
    }

    private string _probeRowsSignature = "";

    /// <summary>What the store contributes to ebpf_probes (rows and oldest time per table), to notice a change.</summary>
    private string CountersSignature() => string.Join(';', _tables.Select(t => $"{t.Rows},{t.OldestTime},{RetentionOf(t)}"));

    private void CompleteFlushes(bool retentionPending)
    {
        while (_flushRequests.TryDequeue(out var request))
            _waitingFlushes.Add(request);
        if (_waitingFlushes.Count == 0 || retentionPending || Volatile.Read(ref _pendingProbeStatus) is not null)
            return;
        var processed = Interlocked.Read(ref _processed);
        _waitingFlushes.RemoveAll(request =>
        {
            if (processed < request.Target)
                return false;
            request.Completion.TrySetResult();
            return true;
        });
    }
}
