namespace OsqueryBpf.OsquerydDouble.Codec;

/// <summary>The bytes on the wire are not a Thrift message we accept.</summary>
public sealed class ThriftProtocolError(string message) : Exception(message);
