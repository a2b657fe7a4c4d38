using System.Text.RegularExpressions;
using OsqueryBpf.OsquerydDouble.Codec;
using Xunit;

namespace OsqueryBpf.Osquery.Tests;

/// <summary>osquery-protocol.md 8.5 point 1: the shape of registerExtension and the listener at &lt;sock&gt;.&lt;uuid&gt;.</summary>
public sealed class RegistrationTests
{
    private static readonly HashSet<string> TypeNames = ["TEXT", "INTEGER", "BIGINT", "UNSIGNED BIGINT", "DOUBLE", "BLOB"];

    [Fact]
    public async Task RegistrationCarriesInfoAndTableRoutesWithExactTypes()
    {
        await using var h = await ServerHarness.StartRegisteredAsync();
        var reg = h.Manager.Registrations.Single();

        Assert.Equal("osquery-bpf-test", reg.Name);
        Assert.Equal("1.2.3", reg.Version);
        // osqueryd refuses numeric sdk versions below 1.7.7; empty always passes.
        Assert.Equal("", reg.SdkVersion);
        Assert.Equal(TType.String, reg.RawInfo.TypeOf(1));
        Assert.Equal(TType.String, reg.RawInfo.TypeOf(4));

        // Wire types: map<string, map<string, list<map<string,string>>>>.
        Assert.Equal(TType.String, reg.RawRegistry.KeyType);
        Assert.Equal(TType.Map, reg.RawRegistry.ValueType);
        Assert.Equal(["config", "distributed", "logger", "table"], reg.Registry.Keys.Order());
        Assert.Empty(reg.Registry["config"]);
        var tables = (ThriftMap)reg.RawRegistry.Entries.Single(e => (string)e.Key == "table").Value;
        Assert.Equal((TType.String, TType.List), (tables.KeyType, tables.ValueType));
        Assert.Equal(TType.Map, ((ThriftList)tables.Entries[0].Value).ElementType);

        var routes = reg.Registry["table"]["synthetic_table"];
        Assert.NotEmpty(routes);
        Assert.All(routes, r => Assert.True(r.ContainsKey("id")));
        var columns = routes.Where(r => r["id"] == "column").ToList();
        Assert.Equal(SyntheticTable.ColumnList.Select(c => c.Name), columns.Select(c => c["name"]));
        Assert.All(columns, c => Assert.Contains(c["type"], TypeNames));
        Assert.All(columns, c => Assert.Matches(new Regex("^(0|[1-9][0-9]*)$"), c["op"]));
        Assert.Equal("UNSIGNED BIGINT", columns.Single(c => c["name"] == "big")["type"]);
        Assert.Equal("5", columns.Single(c => c["name"] == "time")["op"]);  // INDEX | ADDITIONAL
        Assert.Equal("17", columns.Single(c => c["name"] == "eid")["op"]);  // HIDDEN | INDEX
        Assert.Equal("0", columns.Single(c => c["name"] == "name")["op"]);
        var attributes = routes.Single(r => r["id"] == "attributes");
        Assert.Equal("4", attributes["attributes"]);                           // EVENT_BASED
    }

    [Fact]
    public async Task ListensOnManagerPathDotUuidAndReadsOptions()
    {
        await using var h = await ServerHarness.StartRegisteredAsync();
        Assert.Equal(12345, h.Server.Uuid);
        Assert.Equal(h.Manager.SocketPath + ".12345", h.Server.ExtensionSocketPath);
        Assert.True(File.Exists(h.Manager.SocketPath + ".12345"));
        var pong = h.Manager.CallerFor(12345).Ping();
        Assert.Equal(0, pong.Code);
        Assert.Equal(12345, pong.Uuid);
        Assert.Equal(3600, h.Server.ManagerOptions.GetInt64("events_expiry"));
        Assert.Equal(false, h.Server.ManagerOptions.GetBoolean("disable_events"));
        Assert.Contains(h.Manager.Calls, c => c.Method == "options");
    }

    [Fact]
    public async Task StaleSocketFileAtTheExtensionPathIsReplaced()
    {
        await using var h = ServerHarness.Create();
        await File.WriteAllTextAsync(h.Manager.SocketPath + ".12345", "stale");
        h.Start();
        await h.Server.Registered.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(0, h.Caller.Ping().Code);
    }

    [Fact]
    public void ManagerPathLongerThan97CharactersIsRefused()
    {
        var longPath = "/tmp/" + new string('x', 93);
        Assert.Equal(98, longPath.Length);
        var e = Assert.Throws<ArgumentException>(() => new Server.ExtensionServer(
            new Server.ExtensionServerOptions { ManagerSocketPath = longPath }, [new SyntheticTable()], ServerHarness.TestLogger));
        Assert.Contains("97", e.Message);
    }

    [Fact]
    public async Task WaitsForAManagerThatAppearsLate()
    {
        await using var h = ServerHarness.Create(startManager: false).Start();
        await Task.Delay(500);
        Assert.False(h.Server.Registered.IsCompleted);
        h.Manager.Start();
        await h.Server.Registered.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(0, h.Caller.Ping().Code);
    }

    [Fact]
    public async Task NoManagerWithinTheTimeoutEndsWithManagerUnavailable()
    {
        await using var h = ServerHarness.Create(startManager: false, timeout: TimeSpan.FromMilliseconds(500)).Start();
        Assert.Equal(Server.ExtensionExitReason.ManagerUnavailable, await h.WaitForExitAsync());
        await Assert.ThrowsAnyAsync<Exception>(() => h.Server.Registered);
    }
}
