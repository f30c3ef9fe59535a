using System.Diagnostics;
using Platform.Contracts.Messages;

namespace Platform.Isolation.Tests;

/// <summary>
/// Each instance's own egress rules (ContainerSpec.Egress, from StartInstance.Egress): allow rules on top of the
/// cell's defaults, in a chain of the instance's own, gone when it is destroyed and back after a new agent's host setup.
/// The "service" is a test host on a private address (10/8, which the cell's defaults refuse), in a network
/// namespace made here, with two listening ports.
/// </summary>
[Collection(IsolationCollection.Name)]
public sealed class EgressRuleTests(IsolationFixture fx)
{
    public static TheoryData<string> Runtimes => new() { "runc", "crun" };

    private const int AllowedPort = 8081;
    private const int OtherPort = 8082;

    private static string Connect(string name, string address, int port) =>
        $"echo {name}=$(timeout 5 bash -c 'exec 3<>/dev/tcp/{address}/{port} && echo hello >&3' 2>/dev/null && echo connected || echo refused); ";

    [Theory, MemberData(nameof(Runtimes))]
    public async Task Two_instances_with_different_rules_reach_what_their_own_rules_allow(string runtime)
    {
        var s = fx.For(runtime);
        await using var host = await TestHost.StartAsync(runtime == "runc" ? 0 : 1, AllowedPort, OtherPort);
        var script = Connect("allowed", host.Address, AllowedPort) + Connect("other", host.Address, OtherPort);
        var withRule = IsolationFixture.NewId("egress-a");
        var without = IsolationFixture.NewId("egress-b");
        var outA = new OutputCollector();
        var outB = new OutputCollector();
        try
        {
            var a = await s.Sandbox.StartAsync(fx.Instance(withRule, script) with
            {
                Egress = [new EgressRule("tcp", $"{host.Address}/32", $"{AllowedPort}")],
            }, outA.Add, CancellationToken.None);
            // Rules of its own too, but for another address: the test host stays refused to it.
            var b = await s.Sandbox.StartAsync(fx.Instance(without, script) with
            {
                Egress = [new EgressRule("tcp", host.OtherAddress, $"{AllowedPort},{OtherPort}"), new EgressRule("icmp", "10.0.0.0/8")],
            }, outB.Add, CancellationToken.None);
            Assert.NotEqual(a.IpAddress, b.IpAddress);
            var rules = await IptablesSaveAsync();
            Assert.Contains($"{s.Options.Network.ChainPrefix}:{withRule}", rules);
            Assert.Contains($"{s.Options.Network.ChainPrefix}:{without}", rules);

            var exitA = await a.Exited.WaitAsync(TimeSpan.FromSeconds(60));
            var exitB = await b.Exited.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(exitA.ExitCode == 0, $"{exitA}\n{outA}");
            Assert.True(exitB.ExitCode == 0, $"{exitB}\n{outB}");
            Assert.Equal("connected", outA.Value("allowed"));
            Assert.Equal("refused", outA.Value("other"));
            Assert.Equal("refused", outB.Value("allowed"));
            Assert.Equal("refused", outB.Value("other"));
            // Both ports do listen: what refused the other port was the firewall.
            Assert.True(await host.AcceptsFromHostAsync(OtherPort), "the test host's other port does not answer the host");
        }
        finally
        {
            await s.Sandbox.DestroyAsync(withRule, TimeSpan.Zero, CancellationToken.None);
            await s.Sandbox.DestroyAsync(without, TimeSpan.Zero, CancellationToken.None);
        }
        await AssertNoRulesLeftAsync(s, withRule, without);
    }

    [Theory, MemberData(nameof(Runtimes))]
    public async Task An_adopted_instance_keeps_its_rules_after_a_new_agent_sets_up_the_host_network(string runtime)
    {
        var s = fx.For(runtime);
        await using var host = await TestHost.StartAsync(runtime == "runc" ? 2 : 3, AllowedPort, OtherPort);
        var id = IsolationFixture.NewId("egress-adopt");
        var output = new OutputCollector();
        // The instance waits for the test's go (a file it sees in its /tmp) before it connects.
        var script = "echo waiting; while [ ! -e /tmp/go ]; do sleep 0.05; done; " + Connect("allowed", host.Address, AllowedPort);
        Platform.Sandbox.Sandbox? next = null;
        try
        {
            await s.Sandbox.StartAsync(fx.Instance(id, script) with
            {
                Egress = [new EgressRule("all", $"{host.Address}-{host.Address}")],
            }, (_, _) => { }, CancellationToken.None);
            // A new agent on the same root: its host setup declares (so flushes) the cell's chains, then adopts.
            next = new Platform.Sandbox.Sandbox(Microsoft.Extensions.Options.Options.Create(s.Options));
            await next.Networker.EnsureHostNetworkAsync(CancellationToken.None);
            var adopted = await next.AdoptAsync(id, _ => line => output.Add(line.Stream, line.Text), CancellationToken.None);
            Assert.NotNull(adopted);
            await File.WriteAllTextAsync(Path.Combine(next.PathsOf(id).Rootfs, "tmp", "go"), "");
            var exit = await adopted.Container.Exited.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(exit.ExitCode == 0, $"{exit}\n{output}");
            Assert.Equal("connected", output.Value("allowed"));
        }
        finally { await (next ?? s.Sandbox).DestroyAsync(id, TimeSpan.Zero, CancellationToken.None); }
        await AssertNoRulesLeftAsync(s, id);
    }

    [Theory]
    [InlineData("sctp", "10.0.0.0/8", null, "protocol")]
    [InlineData("tcp", "10.0.0.0/33", null, "destination")]
    [InlineData("tcp", "fd00::/8", null, "destination")]
    [InlineData("tcp", "10.0.0.9-10.0.0.1", null, "ends before")]
    [InlineData("tcp", "10.0.0.1", "0", "ports")]
    [InlineData("tcp", "10.0.0.1", "80,", "ports")]
    [InlineData("udp", "10.0.0.1", "90-80", "ports")]
    [InlineData("icmp", "10.0.0.1", "80", "ports are for tcp and udp")]
    [InlineData("all", "10.0.0.1", "80", "ports are for tcp and udp")]
    public async Task A_bad_rule_is_refused_before_anything_is_made(string protocol, string destination, string? ports, string expected)
    {
        var s = fx.For("runc");
        var id = IsolationFixture.NewId("egress-bad");
        var error = await Assert.ThrowsAsync<ArgumentException>(() => s.Sandbox.StartAsync(
            fx.Instance(id, "true") with { Egress = [new EgressRule(protocol, destination, ports)] }, (_, _) => { }, CancellationToken.None));
        Assert.Contains(expected, error.Message);
        Assert.False(Directory.Exists(s.Sandbox.PathsOf(id).Directory));
    }

    private static async Task AssertNoRulesLeftAsync(RuntimeSandbox s, params string[] ids)
    {
        var rules = await IptablesSaveAsync();
        foreach (var id in ids) Assert.DoesNotContain($"{s.Options.Network.ChainPrefix}:{id}", rules);
        // No container's own chain is left (the fixture's other tests give none).
        Assert.DoesNotContain($":{s.Options.Network.ChainPrefix}-C", rules);
        Assert.Empty(Directory.Exists(Path.Combine(s.Options.Root, "network", "egress"))
            ? Directory.GetFiles(Path.Combine(s.Options.Root, "network", "egress")) : []);
    }

    private static async Task<string> IptablesSaveAsync()
    {
        var (code, output) = await IsolationFixture.RunAsync("iptables-save");
        Assert.Equal(0, code);
        return output;
    }

    /// <summary>
    /// A host on a private address, 10.231.N.2, in a network namespace of its own behind a veth from the host
    /// (10.231.N.1): busybox httpd listens on each of the ports. Removed on dispose.
    /// </summary>
    private sealed class TestHost : IAsyncDisposable
    {
        private readonly string _namespace;
        private readonly string _veth;
        private readonly string _directory;
        private readonly List<Process> _servers = [];

        private TestHost(int n)
        {
            _namespace = $"plat-isoegt{n}";
            _veth = $"platisoegt{n}";
            _directory = Path.Combine("/var/tmp/platform-isolation-tests", $"egress-host-{Guid.NewGuid():N}");
            Address = $"10.231.{n}.2";
            OtherAddress = $"10.231.{n}.3";
            Gateway = $"10.231.{n}.1";
        }

        public string Address { get; }
        /// <summary>An address beside it that nothing answers on.</summary>
        public string OtherAddress { get; }
        private string Gateway { get; }

        public static async Task<TestHost> StartAsync(int n, params int[] ports)
        {
            var host = new TestHost(n);
            try
            {
                await host.RemoveDevicesAsync(); // left by an earlier run that died
                await Run("ip", "netns", "add", host._namespace);
                await Run("ip", "link", "add", host._veth, "type", "veth", "peer", "name", "eth0", "netns", host._namespace);
                await Run("ip", "addr", "add", $"{host.Gateway}/24", "dev", host._veth);
                await Run("ip", "link", "set", host._veth, "up");
                await Run("ip", "-n", host._namespace, "addr", "add", $"{host.Address}/24", "dev", "eth0");
                await Run("ip", "-n", host._namespace, "link", "set", "eth0", "up");
                await Run("ip", "-n", host._namespace, "link", "set", "lo", "up");
                await Run("ip", "-n", host._namespace, "route", "add", "default", "via", host.Gateway);
                Directory.CreateDirectory(host._directory);
                await File.WriteAllTextAsync(Path.Combine(host._directory, "index.html"), "service\n");
                foreach (var port in ports)
                {
                    var psi = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true };
                    foreach (var a in new[] { "netns", "exec", host._namespace, "busybox", "httpd", "-f", "-p", $"{host.Address}:{port}", "-h", host._directory })
                        psi.ArgumentList.Add(a);
                    host._servers.Add(Process.Start(psi)!);
                }
                foreach (var port in ports)
                    Assert.Null(await Instances.UntilAsync(() => host.AcceptsFromHostAsync(port)));
                return host;
            }
            catch
            {
                await host.DisposeAsync();
                throw;
            }
        }

        public async Task<bool> AcceptsFromHostAsync(int port)
        {
            using var http = new HttpClient(new HttpClientHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(5) };
            return await http.GetStringAsync($"http://{Address}:{port}/index.html") == "service\n";
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var server in _servers)
            {
                try { server.Kill(); await server.WaitForExitAsync(); }
                catch (InvalidOperationException) { }
                server.Dispose();
            }
            await RemoveDevicesAsync();
            if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
        }

        private async Task RemoveDevicesAsync()
        {
            if (Directory.Exists($"/sys/class/net/{_veth}")) await Run("ip", "link", "del", _veth);
            if (File.Exists($"/var/run/netns/{_namespace}")) await Run("ip", "netns", "del", _namespace);
        }

        private static async Task Run(string file, params string[] args)
        {
            var (code, output) = await IsolationFixture.RunAsync(file, args);
            if (code != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)}: {output}");
        }
    }
}
