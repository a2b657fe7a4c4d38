namespace OsqueryBpf.Tables;

/// <summary>What a streamed store query delivered.</summary>
/// <param name="Rows">Rows the sink accepted.</param>
/// <param name="Complete">False when not every matching row was delivered.</param>
/// <param name="LeftOut">When the store chose which rows fit (see <c>fitToSink</c>): the matching rows it left out,
/// all of them from the processes with the most rows. 0 otherwise.</param>
public sealed record QueryOutcome(long Rows, bool Complete, long LeftOut = 0)
{
    /// <summary>True when the store chose the rows that fit and left the others out on purpose.</summary>
    public bool Truncated => LeftOut > 0;
}
