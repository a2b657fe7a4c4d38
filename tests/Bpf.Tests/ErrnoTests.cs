using OsqueryBpf.Bpf.Errors;
using OsqueryBpf.Bpf.Interop;
using Xunit;

namespace OsqueryBpf.Bpf.Tests;

public sealed class ErrnoTests
{
    [Theory]
    [InlineData(Errno.EPERM, "EPERM", "Operation not permitted")]
    [InlineData(Errno.EACCES, "EACCES", "Permission denied")]
    [InlineData(Errno.EINVAL, "EINVAL", "Invalid argument")]
    [InlineData(Errno.ENOSPC, "ENOSPC", "No space left on device")]
    [InlineData(Errno.E2BIG, "E2BIG", "Argument list too long")]
    public void ErrnoHasItsKernelNameAndLibcText(Errno errno, string name, string text)
    {
        Assert.Equal(name, errno.Name());
        Assert.Equal(text, errno.Text());
        Assert.Equal($"{text} ({name})", errno.Describe());
    }

    [Fact]
    public void KernelInternalEnotsuppHasAReadableText()
    {
        Assert.Equal(524, (int)Errno.ENOTSUPP);
        Assert.Equal("ENOTSUPP", Errno.ENOTSUPP.Name());
        Assert.DoesNotContain("Unknown", Errno.ENOTSUPP.Text());
    }

    [Fact]
    public void UnnamedErrnoIsShownByNumber() => Assert.Equal("errno 4000", ((Errno)4000).Name());

    [Theory]
    [InlineData("none [integrity] confidentiality\n", "integrity")]
    [InlineData("none integrity [confidentiality]\n", "confidentiality")]
    [InlineData("[none] integrity confidentiality", "none")]
    [InlineData("garbage", null)]
    [InlineData("[]", null)]
    public void LockdownModeIsTheBracketedOne(string text, string? mode) => Assert.Equal(mode, ErrorHints.ParseLockdownMode(text));

    [Fact]
    public void PrivilegeHintNamesTheCapabilitiesOrSaysRootIsNotTheProblem()
    {
        var hint = ErrorHints.PrivilegeHint();
        if (OsqueryBpf.TestSupport.Requirements.IsRoot)
            Assert.Contains("already runs as root", hint);
        else
            Assert.Contains("CAP_BPF with CAP_PERFMON", hint);
    }

    [Fact]
    public void EpermOnAMapWriteIsAboutFreezingNotPrivileges()
    {
        var hint = ErrorHints.For(BpfCmd.BPF_MAP_UPDATE_ELEM, Errno.EPERM);
        Assert.Contains("frozen", hint);
        Assert.DoesNotContain("CAP_BPF", hint);
    }

    [Theory]
    [InlineData("6.18.44-fc-v669", 6, 18)]
    [InlineData("5.15.0-91-generic", 5, 15)]
    [InlineData("4.19.0", 4, 19)]
    [InlineData("6.1rc2", 6, 1)]
    public void KernelReleaseIsParsedToMajorMinor(string release, int major, int minor) =>
        Assert.Equal(new Version(major, minor), KernelVersion.Parse(release));

    [Fact]
    public void ProgramAndMapTypesHaveMinimumKernels()
    {
        Assert.Equal("4.7", KernelFeatures.ProgramTypeMinimumKernel((uint)Object.ProgramType.TracePoint));
        Assert.Equal("4.17", KernelFeatures.ProgramTypeMinimumKernel((uint)Object.ProgramType.RawTracepoint));
        Assert.Equal("5.5", KernelFeatures.ProgramTypeMinimumKernel((uint)Object.ProgramType.Tracing));
        Assert.Equal("5.8", KernelFeatures.MapTypeMinimumKernel((uint)Object.MapType.RingBuf));
        Assert.Equal("netfilter", KernelFeatures.ProgramTypeName((uint)Object.ProgramType.Netfilter));
        Assert.Equal("arena", KernelFeatures.MapTypeName((uint)Object.MapType.Arena));
        Assert.Null(KernelFeatures.ProgramTypeMinimumKernel(999));
    }
}
