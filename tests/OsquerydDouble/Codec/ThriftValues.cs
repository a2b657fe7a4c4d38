namespace OsqueryBpf.OsquerydDouble.Codec;

/// <summary>A decoded struct: field id to (wire type, value), so tests can check types as well as values.</summary>
public sealed class ThriftStruct
{
    public Dictionary<short, (TType Type, object Value)> Fields { get; } = [];

    public object? this[short id] => Fields.TryGetValue(id, out var f) ? f.Value : null;

    public TType? TypeOf(short id) => Fields.TryGetValue(id, out var f) ? f.Type : null;

    public string? GetString(short id) => this[id] as string;

    public int? GetI32(short id) => this[id] is int v ? v : null;

    public long? GetI64(short id) => this[id] is long v ? v : null;
}

/// <summary>A decoded map with its declared key and value types, entries in wire order.</summary>
public sealed class ThriftMap
{
    public ThriftMap(TType keyType, TType valueType) { KeyType = keyType; ValueType = valueType; }

    public TType KeyType { get; }
    public TType ValueType { get; }
    public List<KeyValuePair<object, object>> Entries { get; } = [];
}

/// <summary>A decoded list or set with its declared element type.</summary>
public sealed class ThriftList
{
    public ThriftList(TType elementType) => ElementType = elementType;

    public TType ElementType { get; }
    public List<object> Items { get; } = [];
}

/// <summary>A message header.</summary>
public readonly record struct ThriftMessage(string Name, MessageType Type, int SeqId, bool Strict);
