using Xunit;

namespace OsqueryBpf.Host.Tests;

public sealed class CommandLineTests
{
    [Fact]
    public void OsquerydsArgumentsParseInBothForms()
    {
        var separate = HostOptions.Parse(["--verbose", "--socket", "/var/osquery/osquery.em", "--timeout", "3", "--interval", "5"], out _)!;
        var joined = HostOptions.Parse(["--socket=/var/osquery/osquery.em", "--timeout=3", "--interval=5"], out _)!;
        foreach (var options in new[] { separate, joined })
        {
            Assert.Equal("/var/osquery/osquery.em", options.SocketPath);
            Assert.Equal(TimeSpan.FromSeconds(3), options.Timeout);
            Assert.Equal(TimeSpan.FromSeconds(5), options.Interval);
            Assert.False(options.Standalone);
        }
        Assert.True(separate.Verbose);
    }

    [Fact]
    public void QueryImpliesStandalone()
    {
        var options = HostOptions.Parse(["--query", "SELECT 1", "--collect", "2", "--json", "--database", ":memory:", "--config", "/x.json"], out _)!;
        Assert.True(options.Standalone);
        Assert.Equal("SELECT 1", options.Query);
        Assert.Equal(TimeSpan.FromSeconds(2), options.Collect);
        Assert.True(options.Json);
        Assert.Equal(":memory:", options.DatabasePath);
        Assert.Equal("/x.json", options.ConfigPath);
    }

    [Fact]
    public void ReadOnlyIsAFlagInBothSpellings()
    {
        Assert.True(HostOptions.Parse(["--read-only"], out _)!.ReadOnly);
        Assert.True(HostOptions.Parse(["--read_only", "--socket", "/s"], out _)!.ReadOnly);
        Assert.False(HostOptions.Parse(["--socket", "/s"], out _)!.ReadOnly);
        Assert.Contains("--read-only", HostOptions.Usage);
        Assert.Contains("SIGHUP", HostOptions.Usage);
    }

    [Fact]
    public void UnknownFlagsAreWarningsNotErrors()
    {
        var options = HostOptions.Parse(["--socket", "/s", "--extensions_require", "x", "--flagfile=/etc/osquery/osquery.flags"], out var error)!;
        Assert.Null(error);
        Assert.Equal(2, options.Warnings.Count);
    }

    [Theory]
    [InlineData("--timeout")]
    [InlineData("--query")]
    [InlineData("--collect", "soon")]
    public void AMissingOrBadValueIsAUsageError(params string[] args)
    {
        Assert.Null(HostOptions.Parse(args, out var error));
        Assert.Contains(args[0], error);
    }
}
