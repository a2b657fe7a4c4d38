namespace OsqueryBpf.Probes.Decoding;

/// <summary>File modes as osquery writes them: octal text with at least four digits (<c>0644</c>, <c>4755</c>).</summary>
public static class ModeText
{
    /// <summary>The permission and special bits (07777) of <paramref name="mode"/> in octal.</summary>
    public static string Format(uint mode) => Convert.ToString((int)(mode & 0xFFF), 8).PadLeft(4, '0');
}
