using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace OsqueryBpf.Tables.Store;

/// <summary>
/// A prepared statement driven through SQLite's C API (SQLitePCL.raw) instead of ADO.NET parameters: binding an
/// integer or a UTF-8 string allocates nothing and boxes nothing, which is most of the cost of ingest at
/// hundreds of thousands of rows per second. Used only by the writer task, inside its ADO.NET transaction on the
/// same connection.
/// </summary>
internal sealed class NativeStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;
    private readonly IntPtr _pointer; // valid while we hold a reference on _statement
    private bool _referenced;
    private byte[] _utf8 = new byte[256];

    public NativeStatement(SqliteConnection connection, string sql)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("The connection must be open to prepare a statement.");
        var rc = raw.sqlite3_prepare_v2(_db, sql, out _statement);
        if (rc != raw.SQLITE_OK)
            throw Error(rc);
        _statement.DangerousAddRef(ref _referenced);
        _pointer = _statement.DangerousGetHandle();
    }

    /// <summary>Binds parameter <paramref name="index"/> (0-based) to an integer.</summary>
    public void BindInteger(int index, long value) => Check(SqliteInterop.BindInt64(_pointer, index + 1, value));

    public void BindNull(int index) => Check(SqliteInterop.BindNull(_pointer, index + 1));

    public void BindDouble(int index, double value) => Check(raw.sqlite3_bind_double(_statement, index + 1, value));

    /// <summary>Binds parameter <paramref name="index"/> (0-based) to a long, double or string.</summary>
    public void Bind(int index, object value)
    {
        switch (value)
        {
            case long integer: BindInteger(index, integer); break;
            case double real: BindDouble(index, real); break;
            case string text: BindText(index, text); break;
            default: throw new ArgumentException($"A parameter of type '{value?.GetType().Name}' cannot be bound.", nameof(value));
        }
    }

    /// <summary>Binds the parameter called <paramref name="name"/> (with its @ prefix).</summary>
    public void Bind(string name, object value)
    {
        var index = raw.sqlite3_bind_parameter_index(_statement, name);
        if (index == 0)
            throw new ArgumentException($"The statement has no parameter '{name}'.", nameof(name));
        Bind(index - 1, value);
    }

    /// <summary>Advances to the next result row; false when there is none.</summary>
    public bool Step()
    {
        var rc = SqliteInterop.Step(_pointer);
        if (rc == raw.SQLITE_ROW)
            return true;
        if (rc == raw.SQLITE_DONE)
            return false;
        throw Error(rc);
    }

    /// <summary>Makes the statement ready to run again (bindings are kept).</summary>
    public void Reset() => SqliteInterop.Reset(_pointer);

    public bool IsNull(int column) => SqliteInterop.ColumnType(_pointer, column) == raw.SQLITE_NULL;

    public long ColumnInteger(int column) => SqliteInterop.ColumnInt64(_pointer, column);

    /// <summary>The UTF-8 bytes of a text column, valid until the next step.</summary>
    public ReadOnlySpan<byte> ColumnUtf8(int column) => SqliteInterop.ColumnUtf8(_pointer, column);

    /// <summary>Binds parameter <paramref name="index"/> (0-based) to a string, copied by SQLite.</summary>
    public void BindText(int index, string value)
    {
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (max > _utf8.Length)
            _utf8 = new byte[Math.Max(max, _utf8.Length * 2)];
        var length = Encoding.UTF8.GetBytes(value, _utf8);
        Check(SqliteInterop.BindText(_pointer, index + 1, new ReadOnlySpan<byte>(_utf8, 0, length)));
    }

    /// <summary>Runs the statement to completion, resets it, and returns the rows it changed.</summary>
    public int Execute()
    {
        var rc = raw.sqlite3_step(_statement);
        raw.sqlite3_reset(_statement);
        if (rc != raw.SQLITE_DONE && rc != raw.SQLITE_ROW)
            throw Error(rc);
        return raw.sqlite3_changes(_db);
    }

    /// <summary>Runs an INSERT and resets it.</summary>
    public void ExecuteInsert()
    {
        var rc = SqliteInterop.Step(_pointer);
        SqliteInterop.Reset(_pointer);
        if (rc != raw.SQLITE_DONE)
            throw Error(rc);
    }

    public void Dispose()
    {
        if (_referenced)
        {
            _statement.DangerousRelease();
            _referenced = false;
        }
        _statement.Dispose();
    }

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
            throw Error(rc);
    }

    private SqliteException Error(int rc) =>
        new(raw.sqlite3_errmsg(_db).utf8_to_string() ?? $"SQLite error {rc}.", rc & 0xff, raw.sqlite3_extended_errcode(_db));
}
