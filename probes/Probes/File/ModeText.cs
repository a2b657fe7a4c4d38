namespace OsqueryBpf.Probes;

/// <summary>File modes as osquery writes them: octal text with at least four digits (<c>0644</c>, <c>4755</c>).</summary>
public static class ModeText
{
    private static readonly string?[] Texts = new string?[0x1000]; // filled on first use; races only repeat work

    /// <summary>The permission and special bits (07777) of <paramref name="mode"/> in octal.</summary>
    public static string Format(uint mode)
    {
        int bits = (int)(mode & 0xFFF);
        return Texts[bits] ??= Convert.ToString(bits, 8).PadLeft(4, '0');
    }
}
