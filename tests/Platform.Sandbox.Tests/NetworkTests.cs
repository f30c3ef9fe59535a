namespace Platform.Sandbox.Tests;

[Collection(SandboxCollection.Name)]
public sealed class NetworkTests(SandboxFixture fx)
{
    private ContainerSpec HttpServer(string id) => fx.Spec(id,
        "mkdir -p /tmp/www && echo hello-from-$(hostname) > /tmp/www/index.html && exec /opt/bb/busybox httpd -f -p 8080 -h /tmp/www") with
    {
        Mounts = [new BindMount(SandboxFixture.Busybox, "/opt/bb/busybox")],
        ContainerPort = 8080,
    };

    [Fact]
    public async Task A_server_in_the_container_is_reachable_at_its_address_and_at_the_host_port_on_loopback()
    {
        var id = SandboxFixture.NewId("http");
        var output = new OutputCollector();
        var container = await fx.Sandbox.StartAsync(HttpServer(id), output.Add, CancellationToken.None);
        var clientId = SandboxFixture.NewId("client");
        try
        {
            Assert.NotNull(container.IpAddress);
            Assert.NotNull(container.HostPort);
            Assert.StartsWith("10.245.", container.IpAddress);
            Assert.InRange(container.HostPort!.Value, 62000, 62999);
            var expected = $"hello-from-{HttpServer(id).Hostname}\n";

            using var http = new HttpClient(new HttpClientHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(5) };
            string? body = null;
            var failure = await Wait.UntilAsync(async () =>
            {
                body = await http.GetStringAsync($"http://{container.IpAddress}:8080/index.html");
                return true;
            });
            Assert.True(failure is null, $"direct request failed: {failure}\n{output}");
            Assert.Equal(expected, body);
            Assert.Equal(expected, await http.GetStringAsync($"http://127.0.0.1:{container.HostPort}/index.html"));

            // Another container does not reach it, neither through the host port on the bridge's address nor at its
            // own address: instance to instance only through the router.
            var client = fx.Spec(clientId,
                $"/opt/bb/busybox wget -q -T 5 -O - http://{fx.Sandbox.Networker.BridgeAddress}:{container.HostPort}/index.html && echo via-host-port;",
                $"/opt/bb/busybox wget -q -T 5 -O - http://{container.IpAddress}:8080/index.html && echo direct; echo done") with
            {
                Mounts = [new BindMount(SandboxFixture.Busybox, "/opt/bb/busybox")],
                ContainerPort = 8080,
            };
            var clientOutput = new OutputCollector();
            var clientContainer = await fx.Sandbox.StartAsync(client, clientOutput.Add, CancellationToken.None);
            var clientExit = await Wait.Bounded(clientContainer.Exited);
            Assert.True(clientExit.ExitCode == 0, $"{clientExit}\n{clientOutput}");
            Assert.Equal(["done"], clientOutput.Out);
        }
        finally
        {
            await fx.Sandbox.DestroyAsync(clientId, TimeSpan.Zero, CancellationToken.None);
            await fx.Sandbox.DestroyAsync(id, TimeSpan.Zero, CancellationToken.None);
        }
    }

    [Fact]
    public async Task Without_a_port_the_container_has_only_loopback()
    {
        var spec = fx.Spec(SandboxFixture.NewId("lo"), "ls /sys/class/net") with { ContainerPort = null };
        var output = new OutputCollector();
        var container = await fx.Sandbox.StartAsync(spec, output.Add, CancellationToken.None);
        try
        {
            Assert.Null(container.IpAddress);
            Assert.Null(container.HostPort);
            Assert.Equal(0, (await Wait.Bounded(container.Exited)).ExitCode);
            Assert.Equal(["lo"], output.Out);
        }
        finally { await fx.Sandbox.DestroyAsync(spec.Id, TimeSpan.Zero, CancellationToken.None); }
    }
}
