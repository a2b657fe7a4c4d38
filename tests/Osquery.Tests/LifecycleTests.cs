using OsqueryBpf.Osquery.Server;
using Xunit;

namespace OsqueryBpf.Osquery.Tests;

/// <summary>osquery-protocol.md 8.5 points 5 and 6: health checks, re-registration, refusal, shutdown.</summary>
public sealed class LifecycleTests
{
    [Fact]
    public async Task ForgottenUuidIsRegisteredAgainWithANewSocket()
    {
        await using var h = await ServerHarness.StartRegisteredAsync();
        var oldSocket = h.Server.ExtensionSocketPath!;
        h.Manager.ForgetAll();

        var second = await h.Manager.WaitForRegistrationAsync(2);
        Assert.Equal(12346, second.Reply.Uuid);
        Assert.True(await ServerHarness.EventuallyAsync(() => h.Server.Uuid == 12346 && h.Server.ExtensionSocketPath is not null));
        Assert.False(File.Exists(oldSocket));
        var pong = h.Manager.CallerFor(12346).Ping();
        Assert.Equal(0, pong.Code);
        Assert.Equal(12346, pong.Uuid);
        Assert.Equal(0, h.Manager.CallerFor(12346).Generate("synthetic_table", "{}").Status.Code);
        Assert.False(h.Run.IsCompleted);
    }

    [Fact]
    public async Task ManagerThatDisappearsEndsTheRunWithoutDeregistering()
    {
        await using var h = await ServerHarness.StartRegisteredAsync();
        var socket = h.Server.ExtensionSocketPath!;
        h.Manager.Disappear();
        Assert.Equal(ExtensionExitReason.ManagerGone, await h.WaitForExitAsync());
        Assert.False(File.Exists(socket));
        Assert.Empty(h.Manager.Deregistrations);
    }

    [Fact]
    public async Task DuplicateNameRefusalIsRetriedUntilAccepted()
    {
        await using var h = await ServerHarness.StartRegisteredAsync(configureManager: m => m.RefuseDuplicateTimes = 2);
        var attempts = h.Manager.Registrations;
        Assert.Equal(3, attempts.Count);
        Assert.Equal("Duplicate extension registered", attempts[0].Reply.Message);
        Assert.Equal(0, attempts[2].Reply.Code);
        Assert.Equal(0, h.Caller.Ping().Code);
    }

    [Fact]
    public async Task DuplicateNameUntilTheTimeoutEndsWithDuplicateName()
    {
        await using var h = ServerHarness.Create(configureManager: m => m.RefuseDuplicateTimes = int.MaxValue, timeout: TimeSpan.FromSeconds(1)).Start();
        Assert.Equal(ExtensionExitReason.DuplicateName, await h.WaitForExitAsync());
        Assert.True(h.Manager.Registrations.Count >= 2);
    }

    [Fact]
    public async Task ConflictingTableIsARefusalNotARetry()
    {
        const string conflict = "Registry item synthetic_table conflicts with another item of the same name.";
        await using var h = ServerHarness.Create(configureManager: m => m.RefuseWithMessage = conflict).Start();
        Assert.Equal(ExtensionExitReason.RegistrationRefused, await h.WaitForExitAsync());
        Assert.Single(h.Manager.Registrations);
    }

    [Fact]
    public async Task CancellationDeregistersAndRemovesTheSocket()
    {
        var h = await ServerHarness.StartRegisteredAsync();
        var socket = h.Server.ExtensionSocketPath!;
        var uuid = h.Server.Uuid;
        await h.DisposeAsync(); // cancels RunAsync
        Assert.Equal(ExtensionExitReason.Cancelled, await h.Run);
        Assert.Equal([uuid], h.Manager.Deregistrations);
        Assert.False(File.Exists(socket));
    }

    [Fact]
    public async Task ManagerIsPingedAndAskedForExtensionsEveryInterval()
    {
        await using var h = await ServerHarness.StartRegisteredAsync();
        Assert.True(await ServerHarness.EventuallyAsync(() => h.Manager.Calls.Count(c => c.Method == "extensions") >= 2));
        Assert.Contains(h.Manager.Calls, c => c.Method == "ping");
        Assert.Equal(1, h.Server.Registrations);
    }
}
