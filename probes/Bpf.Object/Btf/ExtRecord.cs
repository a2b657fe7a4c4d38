namespace OsqueryBpf.Bpf.Object.Btf;

/// <summary>A func_info or line_info record: its instruction index within its section, and its raw bytes.</summary>
internal readonly record struct ExtRecord(int InstructionIndex, byte[] Bytes);
