namespace OsqueryBpf.Osquery.Tables;

/// <summary>How large a table's answer to osqueryd may be: one limit for the protocol server and the store.</summary>
public static class ReplyLimits
{
    /// <summary>
    /// The largest reply we send. osqueryd links Thrift C++ 0.17, whose buffered transport refuses messages over
    /// 100 MiB; a bigger result becomes a clear error, or is cut to what fits, instead of a broken connection.
    /// </summary>
    public const int MaxReplyBytes = 64 * 1024 * 1024;
}
