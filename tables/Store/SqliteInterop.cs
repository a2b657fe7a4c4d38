using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OsqueryBpf.Tables.Store;

/// <summary>
/// Direct calls into the bundled SQLite (e_sqlite3, the library SQLitePCL.raw also binds to) for the functions of
/// the ingest loop and of reading query results. SQLitePCL.raw passes statements as SafeHandles through an interface, which costs a reference
/// count and a dispatch on every one of the ~26 calls per row; here the statement pointer is used directly while
/// <see cref="NativeStatement"/> holds a reference on its handle. The bind, column and reset calls are short, never
/// block and never call back, so they skip the GC transition; sqlite3_step does real work (and I/O on disk) and
/// keeps it.
/// </summary>
internal static partial class SqliteInterop
{
    private const string Library = "e_sqlite3";

    /// <summary>SQLITE_TRANSIENT: SQLite copies the bound bytes before the call returns.</summary>
    private static readonly IntPtr Transient = new(-1);

    [LibraryImport(Library, EntryPoint = "sqlite3_bind_int64")]
    [UnmanagedCallConv(CallConvs = new[] { typeof(CallConvCdecl) })]
    [SuppressGCTransition]
    public static partial int BindInt64(IntPtr statement, int index, long value);

    [LibraryImport(Library, EntryPoint = "sqlite3_bind_null")]
    [UnmanagedCallConv(CallConvs = new[] { typeof(CallConvCdecl) })]
    [SuppressGCTransition]
    public static partial int BindNull(IntPtr statement, int index);

    [LibraryImport(Library, EntryPoint = "sqlite3_bind_text")]
    [UnmanagedCallConv(CallConvs = new[] { typeof(CallConvCdecl) })]
    [SuppressGCTransition]
    private static unsafe partial int BindText(IntPtr statement, int index, byte* text, int length, IntPtr destructor);

    [LibraryImport(Library, EntryPoint = "sqlite3_step")]
    [UnmanagedCallConv(CallConvs = new[] { typeof(CallConvCdecl) })]
    public static partial int Step(IntPtr statement);

    [LibraryImport(Library, EntryPoint = "sqlite3_reset")]
    [UnmanagedCallConv(CallConvs = new[] { typeof(CallConvCdecl) })]
    [SuppressGCTransition]
    public static partial int Reset(IntPtr statement);

    [LibraryImport(Library, EntryPoint = "sqlite3_column_int64")]
    [UnmanagedCallConv(CallConvs = new[] { typeof(CallConvCdecl) })]
    [SuppressGCTransition]
    public static partial long ColumnInt64(IntPtr statement, int column);

    [LibraryImport(Library, EntryPoint = "sqlite3_column_type")]
    [UnmanagedCallConv(CallConvs = new[] { typeof(CallConvCdecl) })]
    [SuppressGCTransition]
    public static partial int ColumnType(IntPtr statement, int column);

    [LibraryImport(Library, EntryPoint = "sqlite3_column_text")]
    [UnmanagedCallConv(CallConvs = new[] { typeof(CallConvCdecl) })]
    [SuppressGCTransition]
    private static unsafe partial byte* ColumnText(IntPtr statement, int column);

    [LibraryImport(Library, EntryPoint = "sqlite3_column_bytes")]
    [UnmanagedCallConv(CallConvs = new[] { typeof(CallConvCdecl) })]
    [SuppressGCTransition]
    private static partial int ColumnBytes(IntPtr statement, int column);

    /// <summary>The UTF-8 text of a column, valid until the next step or reset (text first, then its length, as
    /// SQLite's documentation asks).</summary>
    public static unsafe ReadOnlySpan<byte> ColumnUtf8(IntPtr statement, int column)
    {
        var text = ColumnText(statement, column);
        return text is null ? ReadOnlySpan<byte>.Empty : new ReadOnlySpan<byte>(text, ColumnBytes(statement, column));
    }

    /// <summary>Binds UTF-8 text; SQLite copies it (SQLITE_TRANSIENT), so the buffer may be reused at once.</summary>
    public static unsafe int BindText(IntPtr statement, int index, ReadOnlySpan<byte> utf8)
    {
        // A zero-length text still needs a non-null pointer, or SQLite binds NULL instead of ''.
        byte empty = 0;
        fixed (byte* pointer = utf8)
            return BindText(statement, index, utf8.Length == 0 ? &empty : pointer, utf8.Length, Transient);
    }
}
