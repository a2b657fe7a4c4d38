namespace OsqueryBpf.OsquerydDouble.Codec;

/// <summary>Thrift binary protocol type codes (osquery-protocol.md 1.5).</summary>
public enum TType : byte
{
    Stop = 0,
    Bool = 2,
    Byte = 3,
    Double = 4,
    I16 = 6,
    I32 = 8,
    I64 = 10,
    String = 11,
    Struct = 12,
    Map = 13,
    Set = 14,
    List = 15,
}

/// <summary>Thrift message types.</summary>
public enum MessageType : byte
{
    Call = 1,
    Reply = 2,
    Exception = 3,
    Oneway = 4,
}
