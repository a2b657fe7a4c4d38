namespace OsqueryBpf.KernelMatrix;

/// <summary>
/// A Debian package version ([epoch:]upstream[-revision]) ordered as dpkg orders them (deb-version(7)):
/// "~" sorts before everything, even the end of the string, so 7.3~rc7 &lt; 7.3 &lt; 7.3.4 and
/// 6.12.117-1~deb12u1 &lt; 6.12.117-1.
/// </summary>
internal sealed class DebianVersion : IComparable<DebianVersion>
{
    private DebianVersion(string text, long epoch, string upstream, string revision)
    {
        Text = text;
        Epoch = epoch;
        Upstream = upstream;
        Revision = revision;
    }

    public string Text { get; }

    public long Epoch { get; }

    public string Upstream { get; }

    public string Revision { get; }

    public static DebianVersion Parse(string text)
    {
        var rest = text.Trim();
        long epoch = 0;
        var colon = rest.IndexOf(':');
        if (colon > 0 && long.TryParse(rest[..colon], out var e))
        {
            epoch = e;
            rest = rest[(colon + 1)..];
        }
        var dash = rest.LastIndexOf('-');
        return dash > 0
            ? new DebianVersion(text.Trim(), epoch, rest[..dash], rest[(dash + 1)..])
            : new DebianVersion(text.Trim(), epoch, rest, "");
    }

    public int CompareTo(DebianVersion? other)
    {
        if (other is null)
            return 1;
        var byEpoch = Epoch.CompareTo(other.Epoch);
        if (byEpoch != 0)
            return byEpoch;
        var byUpstream = ComparePart(Upstream, other.Upstream);
        return byUpstream != 0 ? byUpstream : ComparePart(Revision, other.Revision);
    }

    /// <summary>dpkg's verrevcmp: alternate runs of non-digits (compared by <see cref="Order"/>) and digits (numerically).</summary>
    private static int ComparePart(string a, string b)
    {
        int i = 0, j = 0;
        while (i < a.Length || j < b.Length)
        {
            while ((i < a.Length && !char.IsAsciiDigit(a[i])) || (j < b.Length && !char.IsAsciiDigit(b[j])))
            {
                var x = i < a.Length && !char.IsAsciiDigit(a[i]) ? Order(a[i]) : 0;
                var y = j < b.Length && !char.IsAsciiDigit(b[j]) ? Order(b[j]) : 0;
                if (x != y)
                    return x.CompareTo(y);
                if (i < a.Length && !char.IsAsciiDigit(a[i]))
                    i++;
                if (j < b.Length && !char.IsAsciiDigit(b[j]))
                    j++;
            }
            while (i < a.Length && a[i] == '0')
                i++;
            while (j < b.Length && b[j] == '0')
                j++;
            var firstDiff = 0;
            while (i < a.Length && char.IsAsciiDigit(a[i]) && j < b.Length && char.IsAsciiDigit(b[j]))
            {
                if (firstDiff == 0)
                    firstDiff = a[i] - b[j];
                i++;
                j++;
            }
            if (i < a.Length && char.IsAsciiDigit(a[i]))
                return 1;
            if (j < b.Length && char.IsAsciiDigit(b[j]))
                return -1;
            if (firstDiff != 0)
                return Math.Sign(firstDiff);
        }
        return 0;
    }

    /// <summary>'~' before the end of the string (0), the end before letters, letters before other characters.</summary>
    private static int Order(char c) => c == '~' ? -1 : char.IsAsciiLetter(c) ? c : c + 256;

    public override string ToString() => Text;
}
