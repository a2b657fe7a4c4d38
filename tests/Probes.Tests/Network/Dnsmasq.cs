using System.Diagnostics;
using OsqueryBpf.TestSupport;
using Xunit;

namespace OsqueryBpf.Probes.Tests.Network;

/// <summary>
/// A real dnsmasq answering on port 53 of a loopback address of its own (127.53.x.y, so parallel runs and
/// other tests do not collide), with local records only. Killed on Dispose.
/// </summary>
internal sealed class Dnsmasq : IDisposable
{
    public const string Zone = "osqbpf.test";
    public const string ARecordAddress = "10.1.2.3";

    private readonly Process _process;

    public Dnsmasq(string longText, params string[] extraArgs)
    {
        Requirements.RequireTool("dnsmasq");
        Requirements.RequireTool("dig");
        Address = $"127.53.{Random.Shared.Next(1, 255)}.{Random.Shared.Next(1, 255)}";
        var start = new ProcessStartInfo(Requirements.FindTool("dnsmasq")!)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        foreach (var arg in new[]
                 {
                     "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--pid-file",
                     "--bind-interfaces", "--listen-address=" + Address, "--port=53",
                     $"--address=/{Zone}/{ARecordAddress}", $"--txt-record=long.{Zone},{longText}",
                 }.Concat(extraArgs))
            start.ArgumentList.Add(arg);
        _process = Process.Start(start)!;
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        WaitUntilAnswering();
    }

    /// <summary>The loopback address it answers on.</summary>
    public string Address { get; }

    /// <summary>Its process id.</summary>
    public int Pid => _process.Id;

    /// <summary>Runs dig against this server; returns dig's pid and its output.</summary>
    public (int Pid, string Output) Dig(params string[] args)
    {
        var start = new ProcessStartInfo(Requirements.FindTool("dig")!) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("@" + Address);
        start.ArgumentList.Add("+tries=1");
        start.ArgumentList.Add("+time=5");
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(30_000), "dig finished within 30 s");
        Assert.True(process.ExitCode == 0, $"dig {string.Join(' ', args)} exited with {process.ExitCode}: {output} {stderr.Result}");
        return (process.Id, output);
    }

    private void WaitUntilAnswering()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            Assert.False(_process.HasExited, $"dnsmasq on {Address} exited with {(_process.HasExited ? _process.ExitCode : 0)}.");
            try
            {
                if (Dig("+short", "ready." + Zone).Output.Contains(ARecordAddress))
                    return;
            }
            catch (Xunit.Sdk.XunitException) when (DateTime.UtcNow < deadline)
            {
            }
            Assert.True(DateTime.UtcNow < deadline, $"dnsmasq on {Address} did not answer within 30 s.");
            Thread.Sleep(200);
        }
    }

    public void Dispose()
    {
        try
        {
            _process.Kill();
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}
