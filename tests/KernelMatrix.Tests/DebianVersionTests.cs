using OsqueryBpf.TestSupport;
using Xunit;

namespace OsqueryBpf.KernelMatrix.Tests;

public sealed class DebianVersionTests
{
    // Pairs in increasing order, as Debian's kernel packages spell them.
    public static TheoryData<string, string> Ordered => new()
    {
        { "7.3~rc7-1~exp1", "7.3.4-1~bpo13+1" },
        { "6.12.117-1~deb12u1", "6.12.117-1" },
        { "6.12.95-1~bpo12+1", "6.12.117-1~deb12u1" },
        { "6.1.192-2", "6.1.192-3" },
        { "6.1.180-1~deb11u1", "6.1.192-3" },
        { "5.10.262-1", "6.1.176-1" },
        { "6.9.1-1", "6.10.1-1" },
        { "1.0", "1:0.1" },
        { "1.0a", "1.0+" },
        { "1.0", "1.0a" },
        { "2.0~~", "2.0~" },
    };

    [Theory]
    [MemberData(nameof(Ordered))]
    public void Orders_as_dpkg_does(string lower, string higher)
    {
        var a = DebianVersion.Parse(lower);
        var b = DebianVersion.Parse(higher);
        Assert.True(a.CompareTo(b) < 0, $"{lower} < {higher}");
        Assert.True(b.CompareTo(a) > 0, $"{higher} > {lower}");
        Assert.Equal(0, a.CompareTo(DebianVersion.Parse(lower)));
    }

    [SkippableFact]
    public void Agrees_with_dpkg_compare_versions_on_every_pair()
    {
        Requirements.RequireTool("dpkg");
        var versions = Ordered.SelectMany(row => new[] { (string)row[0], (string)row[1] }).Concat(["6.12.118-1", "7.2.13-1", "0.0", "6.1.0-0"]).Distinct().ToList();
        foreach (var a in versions)
        {
            foreach (var b in versions)
            {
                var dpkgSaysLess = Tool.Run("dpkg", ["--compare-versions", a, "lt", b]).ExitCode == 0;
                Assert.True(dpkgSaysLess == DebianVersion.Parse(a).CompareTo(DebianVersion.Parse(b)) < 0, $"{a} < {b}: dpkg says {dpkgSaysLess}");
            }
        }
    }

    [Fact]
    public void Splits_epoch_upstream_and_revision()
    {
        var version = DebianVersion.Parse("1:7.3~rc7-1~exp1");
        Assert.Equal(1, version.Epoch);
        Assert.Equal("7.3~rc7", version.Upstream);
        Assert.Equal("1~exp1", version.Revision);
    }
}
