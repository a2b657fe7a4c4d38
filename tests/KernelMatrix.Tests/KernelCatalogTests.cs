using Xunit;

namespace OsqueryBpf.KernelMatrix.Tests;

/// <summary>The kernel list made from real apt-cache output (testdata/, captured 2026-12-01 from the private state).</summary>
public sealed class KernelCatalogTests
{
    private static readonly IReadOnlyList<DebianKernel> Kernels = DebianArchive.ParseKernels("cloud-amd64",
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "testdata", "apt-cache-show.txt")),
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "testdata", "apt-cache-madison.txt")));

    private static DebianKernel Kernel(string version) => Kernels.Single(k => k.Version.Text == version);

    [Fact]
    public void Meta_packages_are_not_kernels()
    {
        Assert.DoesNotContain(Kernels, k => k.ImagePackage is "linux-image-6.1-cloud-amd64" or "linux-image-6.12-cloud-amd64");
        // Experimental's ABI is "7.3": its linux-image depends on linux-binary, not on another image, so it is a kernel.
        Assert.Equal("linux-binary-7.3-cloud-amd64", Kernel("7.3~rc7-1~exp1").KernelPackage);
    }

    [Fact]
    public void From_6_19_the_kernel_is_in_linux_binary()
    {
        Assert.Equal("linux-binary-6.19.14+deb13-cloud-amd64", Kernel("6.19.14-1~bpo13+1").KernelPackage);
        Assert.Equal("linux-binary-7.3.4+deb13-cloud-amd64", Kernel("7.3.4-1~bpo13+1").KernelPackage);
        Assert.Equal("linux-image-6.16.12+deb13-cloud-amd64", Kernel("6.16.12-1~bpo13+1").KernelPackage);
        Assert.Equal("linux-image-6.1.0-57-cloud-amd64", Kernel("6.1.192-3").KernelPackage);
    }

    [Fact]
    public void A_build_in_two_suites_is_one_kernel_with_both()
    {
        var kernel = Kernel("6.1.176-1");
        Assert.Equal(["bookworm", "bookworm-security"], kernel.Suites);
        Assert.Equal("6.1.0-50-cloud-amd64", kernel.Release);
        Assert.Equal("6.1", kernel.Series);
        Assert.Equal("6.1.176", kernel.KernelVersion);
        // The same upstream version built for Debian 12 and 13 are two kernels.
        Assert.Equal(2, Kernels.Count(k => k.KernelVersion == "6.12.117"));
    }

    [Fact]
    public void Ci_boots_the_newest_of_each_series_and_the_newest_release()
    {
        var ci = KernelSelection.Ci(Kernels).Select(k => k.Version.Text).ToList();
        Assert.Equal(["5.10.262-1", "6.1.192-3", "6.12.118-1", "6.16.12-1~bpo13+1", "7.3.4-1~bpo13+1"], ci);
    }

    [Fact]
    public void Served_is_the_newest_of_each_series_in_each_suite()
    {
        var served = KernelSelection.Served(Kernels).Select(k => k.Version.Text).ToList();
        Assert.Contains("5.10.223-1", served);         // bullseye
        Assert.Contains("5.10.262-1", served);         // bullseye-security
        Assert.Contains("6.1.176-1", served);          // bookworm
        Assert.Contains("6.1.192-3", served);          // bookworm-security
        Assert.DoesNotContain("6.1.192-2", served);    // superseded in bookworm-security
        Assert.Contains("6.12.95-1~bpo12+1", served);  // bookworm-backports
        Assert.DoesNotContain("6.16.3-1~bpo13+1", served);
        Assert.Contains("6.16.12-1~bpo13+1", served);
        Assert.Contains("7.3~rc7-1~exp1", served);     // experimental
        Assert.Equal(served.Count, served.Distinct().Count());
    }

    [Theory]
    [InlineData("6.1", new[] { "6.1.176-1", "6.1.180-1~deb11u1", "6.1.192-2", "6.1.192-3" })]
    [InlineData("6.12.118", new[] { "6.12.118-1" })]
    [InlineData("6.1.192-2", new[] { "6.1.192-2" })]
    [InlineData("experimental", new[] { "7.3~rc7-1~exp1" })]
    [InlineData("newest", new[] { "7.3.4-1~bpo13+1" })]
    [InlineData("linux-image-5.10.0-32-cloud-amd64", new[] { "5.10.223-1" })]
    public void Patterns_select_by_version_prefix_suite_or_package(string pattern, string[] expected)
    {
        Assert.Equal(expected, KernelSelection.Match(Kernels, [pattern]).Select(k => k.Version.Text));
    }

    [Fact]
    public void Release_candidates_are_kernels_but_not_the_newest_release()
    {
        Assert.True(Kernel("7.3~rc7-1~exp1").IsReleaseCandidate);
        Assert.Equal("7.3-rc7", Kernel("7.3~rc7-1~exp1").KernelVersion);
        Assert.Equal("7.3.4-1~bpo13+1", KernelSelection.Pick(Kernels, "newest")!.Version.Text);
        Assert.Null(KernelSelection.Pick(Kernels, "4.19"));
    }
}
