using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using OsqueryBpf.TestSupport;

namespace OsqueryBpf.Tls.Tests;

/// <summary>What a <see cref="CapturingRelay"/> saw of one connection, in the order and pieces it read them.</summary>
internal sealed record Capture(byte[] ClientBytes, byte[] ServerBytes, List<byte[]> ClientReads, string ClientOutput);

/// <summary>
/// Real TLS handshakes on loopback: openssl s_server (or s_server -www as an HTTPS server) behind a TCP relay
/// that records every byte each side sends, and a real client (openssl s_client, curl) connecting through it.
/// The relay listens on a random port of 127.0.0.1 or ::1 so parallel tests and other users of the host do not
/// meet. Everything started here is ended here, by its own process handle.
/// </summary>
internal sealed class LoopbackTls : IDisposable
{
    private readonly string _dir;

    public LoopbackTls()
    {
        Requirements.RequireTool("openssl");
        _dir = Path.Combine(Path.GetTempPath(), $"tlsparse-tests-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_dir);
        Run("openssl", $"req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=loopback.test " +
                       $"-keyout {Key} -out {Cert}");
    }

    private string Key => Path.Combine(_dir, "key.pem");

    private string Cert => Path.Combine(_dir, "cert.pem");

    /// <summary>Runs <c>openssl s_client</c> with <paramref name="clientArgs"/> against s_server through the relay.</summary>
    public Capture OpensslHandshake(string clientArgs, string serverArgs = "", bool ipv6 = false)
    {
        using var server = StartServer(serverArgs);
        using var relay = new CapturingRelay(ipv6, server.Port);
        var host = ipv6 ? "[::1]" : "127.0.0.1";
        var output = RunClient("openssl", $"s_client -connect {host}:{relay.Port} {clientArgs}",
            done: text => text.Contains("Verify return code", StringComparison.Ordinal) || text.Contains("DONE", StringComparison.Ordinal));
        return relay.Finish(output);
    }

    /// <summary>Runs curl against s_server -www (an HTTPS server) through the relay, for https://name:port/.</summary>
    public Capture CurlRequest(string name, string curlArgs = "", string serverArgs = "", bool ipv6 = false)
    {
        Requirements.RequireTool("curl");
        using var server = StartServer($"-www {serverArgs}");
        using var relay = new CapturingRelay(ipv6, server.Port);
        var address = ipv6 ? "::1" : "127.0.0.1";
        var output = RunClient("curl", $"-sS -k -v --max-time 10 --resolve {name}:{relay.Port}:{address} {curlArgs} https://{name}:{relay.Port}/ -o /dev/null",
            done: null);
        return relay.Finish(output);
    }

    private sealed class Server(Process process, int port) : IDisposable
    {
        public int Port { get; } = port;

        public void Dispose()
        {
            try
            {
                if (!process.HasExited)
                    process.Kill();
                process.WaitForExit(5000);
            }
            catch (InvalidOperationException)
            {
            }
            process.Dispose();
        }
    }

    private Server StartServer(string args)
    {
        // A port of our own: bind port 0, note it, free it, and let s_server take it (retried if someone else did).
        for (int attempt = 0; ; attempt++)
        {
            int port;
            using (var probe = new TcpListener(IPAddress.Loopback, 0))
            {
                probe.Start();
                port = ((IPEndPoint)probe.LocalEndpoint).Port;
            }
            var psi = new ProcessStartInfo("openssl", $"s_server -accept 127.0.0.1:{port} -cert {Cert} -key {Key} -naccept 1 {args}")
            {
                RedirectStandardInput = true, // s_server stops at end of input: keep it open
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            var process = Process.Start(psi)!;
            var ready = new TaskCompletionSource();
            var log = new StringBuilder();
            process.OutputDataReceived += (_, e) =>
            {
                lock (log)
                    log.AppendLine(e.Data);
                if (e.Data == "ACCEPT")
                    ready.TrySetResult();
            };
            process.ErrorDataReceived += (_, e) =>
            {
                lock (log)
                    log.AppendLine(e.Data);
            };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            if (ready.Task.Wait(TimeSpan.FromSeconds(10)))
                return new Server(process, port);
            process.Kill();
            process.WaitForExit(5000);
            if (attempt == 3)
                throw new InvalidOperationException($"openssl s_server did not start: {log}");
        }
    }

    private static string RunClient(string program, string args, Func<string, bool>? done)
    {
        var psi = new ProcessStartInfo(program, args)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(psi)!;
        var output = new StringBuilder();
        var finished = new TaskCompletionSource();
        void OnLine(string? line)
        {
            if (line is null)
                return;
            lock (output)
            {
                output.AppendLine(line);
                if (done is not null && done(output.ToString()))
                    finished.TrySetResult();
            }
        }
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        // s_client ends at end of input, also in the middle of the handshake: close its input only once it is done.
        if (done is not null)
            finished.Task.Wait(TimeSpan.FromSeconds(20));
        process.StandardInput.Close();
        if (!process.WaitForExit(20_000))
        {
            process.Kill();
            process.WaitForExit(5000);
        }
        process.WaitForExit(); // flushes the asynchronous readers
        lock (output)
            return output.ToString();
    }

    private void Run(string program, string args)
    {
        var psi = new ProcessStartInfo(program, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {args} failed: {stderr.Result}");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>
/// A TCP relay for one connection: accepts the client on loopback, connects to the server, copies bytes both
/// ways and records them, each read as one piece (the kernel's segments, roughly).
/// </summary>
internal sealed class CapturingRelay : IDisposable
{
    private readonly TcpListener _listener;
    private readonly Task _pump;
    private readonly MemoryStream _fromClient = new();
    private readonly MemoryStream _fromServer = new();
    private readonly List<byte[]> _clientReads = [];

    public CapturingRelay(bool ipv6, int serverPort)
    {
        _listener = new TcpListener(ipv6 ? IPAddress.IPv6Loopback : IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _pump = Task.Run(async () =>
        {
            using var client = await _listener.AcceptTcpClientAsync();
            using var server = new TcpClient();
            await server.ConnectAsync(IPAddress.Loopback, serverPort);
            client.NoDelay = server.NoDelay = true;
            var up = Copy(client, server, _fromClient, _clientReads);
            var down = Copy(server, client, _fromServer, null);
            await Task.WhenAll(up, down);
        });
    }

    public int Port { get; }

    private static async Task Copy(TcpClient from, TcpClient to, MemoryStream record, List<byte[]>? reads)
    {
        var buffer = new byte[65536];
        var source = from.GetStream();
        var sink = to.GetStream();
        try
        {
            int n;
            while ((n = await source.ReadAsync(buffer)) > 0)
            {
                lock (record)
                {
                    record.Write(buffer, 0, n);
                    reads?.Add(buffer.AsSpan(0, n).ToArray());
                }
                await sink.WriteAsync(buffer.AsMemory(0, n));
            }
            to.Client.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // One side reset the connection; what was read is recorded.
        }
    }

    public Capture Finish(string clientOutput)
    {
        _pump.Wait(TimeSpan.FromSeconds(10));
        lock (_fromClient)
            lock (_fromServer)
                return new Capture(_fromClient.ToArray(), _fromServer.ToArray(), [.. _clientReads], clientOutput);
    }

    public void Dispose() => _listener.Stop();
}
