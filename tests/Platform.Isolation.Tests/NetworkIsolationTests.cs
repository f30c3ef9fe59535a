using System.Net;
using System.Net.Sockets;

namespace Platform.Isolation.Tests;

/// <summary>
/// An instance reaches neither the host (the cell agent's and the platform's ports) nor other instances, except
/// what the operator allowlists; the host still reaches the instances.
/// </summary>
[Collection(IsolationCollection.Name)]
public sealed class NetworkIsolationTests(IsolationFixture fx)
{
    public static TheoryData<string> Runtimes => new() { "runc", "crun" };

    private static string Connect(string name, string address, int port) =>
        $"echo {name}=$(timeout 5 bash -c 'exec 3<>/dev/tcp/{address}/{port} && echo hello >&3' 2>/dev/null && echo connected || echo refused); ";

    [Theory, MemberData(nameof(Runtimes))]
    public async Task It_cannot_reach_the_hosts_own_ports_unless_allowed(string runtime)
    {
        var s = fx.For(runtime);
        var gateway = IPAddress.Parse(s.Gateway);
        using var onGateway = new TcpListener(gateway, 0);
        using var onLoopback = new TcpListener(IPAddress.Loopback, 0);
        using var allowed = new TcpListener(gateway, s.AllowedHostPort);
        onGateway.Start();
        onLoopback.Start();
        allowed.Start();
        var gatewayPort = ((IPEndPoint)onGateway.LocalEndpoint).Port;
        var loopbackPort = ((IPEndPoint)onLoopback.LocalEndpoint).Port;
        var accepted = allowed.AcceptTcpClientAsync();

        var (exit, output) = await Instances.RunToEndAsync(s, fx.Instance(IsolationFixture.NewId("hostports"),
            Connect("gateway", s.Gateway, gatewayPort) + Connect("loopback", "127.0.0.1", loopbackPort) +
            Connect("allowed", s.Gateway, s.AllowedHostPort)));
        Assert.True(exit.ExitCode == 0, $"{exit}\n{output}");
        Assert.Equal("refused", output.Value("gateway"));
        Assert.Equal("refused", output.Value("loopback"));
        Assert.False(onGateway.Pending(), "the listener on the bridge address got a connection");
        Assert.False(onLoopback.Pending(), "the listener on loopback got a connection");
        // The operator's allowlist entry (bridge address, one port) is the only way in: the network itself works.
        Assert.Equal("connected", output.Value("allowed"));
        using var client = await accepted.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Theory, MemberData(nameof(Runtimes))]
    public async Task It_cannot_reach_or_see_another_instance_except_through_the_router(string runtime)
    {
        var s = fx.For(runtime);
        var serverId = IsolationFixture.NewId("server");
        var serverOutput = new OutputCollector();
        var server = await s.Sandbox.StartAsync(fx.Instance(serverId,
            "echo secret > /tmp/secret-of-server; exec /opt/bb/busybox httpd -f -p 8080 -h /home/vcap/app") with
        {
            Mounts = [new BindMount("/bin/busybox", "/opt/bb/busybox")],
        }, serverOutput.Add, CancellationToken.None);
        try
        {
            // The host reaches it (as the router and the health check do), at its address and at its host port.
            using var http = new HttpClient(new HttpClientHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(5) };
            var failure = await Instances.UntilAsync(async () =>
                await http.GetStringAsync($"http://{server.IpAddress}:8080/index.html") == "app\n");
            Assert.True(failure is null, $"the host cannot reach the server: {failure}\n{serverOutput}");
            Assert.Equal("app\n", await http.GetStringAsync($"http://127.0.0.1:{server.HostPort}/index.html"));
            Assert.NotNull(server.IpAddress);
            Assert.NotNull(server.HostPort);
            var (listenExit, listenOut) = await Instances.RunToEndAsync(s, fx.Instance(IsolationFixture.NewId("peer"),
                Connect("direct", server.IpAddress!, 8080) + Connect("hostport", s.Gateway, server.HostPort!.Value) +
                "echo found=$(find / -xdev -name 'secret-of-*' 2>/dev/null | wc -l); " +
                "echo procs=$(grep -l 'htt[p]d' /proc/[0-9]*/cmdline 2>/dev/null | wc -l)"));
            Assert.True(listenExit.ExitCode == 0, $"{listenExit}\n{listenOut}");
            Assert.Equal("refused", listenOut.Value("direct"));
            Assert.Equal("refused", listenOut.Value("hostport"));
            Assert.Equal("0", listenOut.Value("found"));
            Assert.Equal("0", listenOut.Value("procs"));
            // The secret is there, in the server's own writable layer.
            Assert.True(File.Exists(Path.Combine(s.Sandbox.PathsOf(serverId).Upper, "tmp", "secret-of-server")));
        }
        finally { await s.Sandbox.DestroyAsync(serverId, TimeSpan.Zero, CancellationToken.None); }
    }
}
