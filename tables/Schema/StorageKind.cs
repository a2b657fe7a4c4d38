namespace OsqueryBpf.Tables.Schema;

/// <summary>How a column is kept in SQLite, which can differ from what osqueryd is told (ntime is TEXT to osquery, as in
/// its BPF tables, but a 64-bit integer is smaller and faster to store).</summary>
internal enum StorageKind
{
    Integer,
    Text,
}
