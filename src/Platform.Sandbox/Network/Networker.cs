using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace Platform.Sandbox.Network;

/// <summary>A container's network: its namespace, address, host-side veth and mapped host port.</summary>
public sealed record ContainerNetwork(string NamespaceName, string NamespacePath, string IpAddress, string HostVeth, int HostPort, int ContainerPort);

/// <summary>
/// Gives containers their network: a host bridge, a namespace per container joined to it by a veth pair, an
/// address from the subnet, and a host port DNAT'ed to the container's port (also from 127.0.0.1 on the host).
/// The veths are isolated bridge ports (no frame goes from one container to another at layer 2), and the
/// <see cref="EgressPolicy"/> decides what containers may reach at layer 3: not the host, not each other, not
/// the denied networks, unless the operator's allowlist says so. Uses ip and iptables in batches to keep forks
/// few: three per container.
/// </summary>
public sealed partial class Networker
{
    private const string NetnsDirectory = "/var/run/netns";
    private readonly SandboxNetworkOptions _options;
    private readonly ILogger _logger;
    private readonly Ipv4Subnet _subnet;
    private readonly Reservations _addresses;
    private readonly EgressPolicy _egress;
    private readonly Reservations _ports;
    private readonly SemaphoreSlim _hostSetup = new(1, 1);
    private bool _hostReady;
    private readonly string _chainPrefix;

    public Networker(SandboxNetworkOptions options, string stateDirectory, ILogger logger)
    {
        _options = options;
        _logger = logger;
        _subnet = Ipv4Subnet.Parse(options.Subnet);
        if (options.Bridge is not { Length: > 0 and <= 15 } || !ValidName().IsMatch(options.Bridge))
            throw new ArgumentException($"Sandbox:Network:Bridge '{options.Bridge}' is not a valid interface name");
        if (VethName(_subnet.LastContainerOffset).Length > 15)
            throw new ArgumentException($"Sandbox:Network:Bridge '{options.Bridge}' is too long to name veth devices after it on subnet {_subnet}");
        if (options.HostPortRangeStart is < 1 or > 65535 || options.HostPortRangeEnd < options.HostPortRangeStart || options.HostPortRangeEnd > 65535)
            throw new ArgumentException($"Sandbox:Network host port range {options.HostPortRangeStart}-{options.HostPortRangeEnd} is not valid");
        _chainPrefix = options.EffectiveChainPrefix;
        // iptables chain names are at most 28 characters; the longest suffix is "-POSTROUTING" (12).
        if (!ValidName().IsMatch(_chainPrefix) || _chainPrefix.Length > 16)
            throw new ArgumentException($"Sandbox:Network:ChainPrefix '{_chainPrefix}' must be at most 16 letters, digits, '-' or '_'");
        _egress = new EgressPolicy(options.AllowedNetworks, options.DeniedNetworks,
            options.Nameservers.Count > 0 ? options.Nameservers : EgressPolicy.NameserversOf("/etc/resolv.conf"), options.AllowOutbound);
        _addresses = new Reservations(Path.Combine(stateDirectory, "addresses"), _subnet.FirstContainerOffset, _subnet.LastContainerOffset);
        _ports = new Reservations(Path.Combine(stateDirectory, "ports"), options.HostPortRangeStart, options.HostPortRangeEnd);
    }

    public string Bridge => _options.Bridge;
    public string BridgeAddress => _subnet.Gateway;
    public string DnatChain => $"{_chainPrefix}-DNAT";
    public string PostroutingChain => $"{_chainPrefix}-POSTROUTING";
    public string ForwardChain => $"{_chainPrefix}-FORWARD";
    public string EgressChain => $"{_chainPrefix}-EGRESS";
    public string InputChain => $"{_chainPrefix}-INPUT";
    public EgressPolicy Egress => _egress;

    /// <summary>
    /// Whether this process's network namespace has the interface. Not /sys/class/net: sysfs shows the namespace of
    /// whoever mounted it, so a cell agent started in a namespace of its own (a host of ./deploy/cluster.sh, entered
    /// with nsenter --net) would see the machine's interfaces there; /proc/sys/net is always the reader's namespace.
    /// </summary>
    internal static bool InterfaceExists(string name) => Directory.Exists($"/proc/sys/net/ipv4/conf/{name}");

    public static string NamespaceNameFor(string id) => $"plat-{id}";
    public static string NamespacePathFor(string id) => Path.Combine(NetnsDirectory, NamespaceNameFor(id));
    private string VethName(uint offset) => $"{_options.Bridge}v{offset:x}";
    private string RuleComment(string id) => $"{_chainPrefix}:{id}";

    /// <summary>
    /// Creates the bridge, turns on forwarding and route_localnet, and installs this sandbox's chains and the
    /// jumps to them. Idempotent; runs once per process (and again after <see cref="RemoveHostNetworkAsync"/>).
    /// </summary>
    public async Task EnsureHostNetworkAsync(CancellationToken cancellationToken)
    {
        if (_hostReady) return;
        await _hostSetup.WaitAsync(cancellationToken);
        try
        {
            if (_hostReady) return;
            var bridge = _options.Bridge;
            var batch = new StringBuilder();
            if (!InterfaceExists(bridge)) batch.AppendLine($"link add {bridge} type bridge");
            batch.AppendLine($"addr replace {_subnet.Gateway}/{_subnet.PrefixLength} dev {bridge}");
            batch.AppendLine($"link set {bridge} up");
            await HostCommand.RunCheckedAsync("ip", ["-batch", "-"], batch.ToString(), cancellationToken);

            await File.WriteAllTextAsync("/proc/sys/net/ipv4/ip_forward", "1", cancellationToken);
            // Lets the host's 127.0.0.1:port be DNAT'ed to a container behind the bridge.
            await File.WriteAllTextAsync($"/proc/sys/net/ipv4/conf/{bridge}/route_localnet", "1", cancellationToken);
            // Containers are IPv4 only: without an IPv6 address on the bridge the host cannot be reached over a
            // link-local IPv6 address, which the IPv4 rules below would not see.
            var ipv6 = $"/proc/sys/net/ipv6/conf/{bridge}/disable_ipv6";
            if (File.Exists(ipv6)) await File.WriteAllTextAsync(ipv6, "1", cancellationToken);

            var saved = (await HostCommand.RunCheckedAsync("iptables-save", [], null, cancellationToken)).StandardOutput;
            var existing = ChainsAndRules(saved);
            var subnet = _subnet.ToString();
            var rules = new StringBuilder();
            rules.AppendLine("*nat");
            // Declaring a chain in a --noflush restore creates or flushes it: fine for the static chains, but the
            // DNAT chain holds the running containers' rules, so it is only declared when it does not exist yet.
            rules.AppendLine($":{PostroutingChain} - [0:0]");
            if (!existing.Chains.Contains(("nat", DnatChain))) rules.AppendLine($":{DnatChain} - [0:0]");
            rules.AppendLine($"-A {PostroutingChain} -s 127.0.0.0/8 -o {bridge} -j MASQUERADE");
            // Hairpin: a container reaching another (or itself) through a host port must see the reply come back
            // through the host, not straight across the bridge.
            rules.AppendLine($"-A {PostroutingChain} -s {subnet} -o {bridge} -m conntrack --ctstate DNAT -j MASQUERADE");
            if (_options.AllowOutbound) rules.AppendLine($"-A {PostroutingChain} -s {subnet} ! -o {bridge} -j MASQUERADE");
            AddJump("nat", "PREROUTING", $"-m addrtype --dst-type LOCAL -j {DnatChain}", insert: false);
            AddJump("nat", "OUTPUT", $"-m addrtype --dst-type LOCAL -j {DnatChain}", insert: false);
            AddJump("nat", "POSTROUTING", $"-j {PostroutingChain}", insert: false);
            rules.AppendLine("COMMIT");
            rules.AppendLine("*filter");
            rules.Append(_egress.FilterRules(bridge, subnet, ForwardChain, EgressChain, InputChain));
            AddJump("filter", "FORWARD", $"-j {ForwardChain}", insert: true);
            AddJump("filter", "INPUT", $"-i {bridge} -j {InputChain}", insert: true);
            rules.AppendLine("COMMIT");
            await HostCommand.RunCheckedAsync("iptables-restore", ["-w", "--noflush"], rules.ToString(), cancellationToken);
            _hostReady = true;
            _logger.LogInformation("Host network ready: bridge {Bridge} {Address}/{Prefix}, chains {Prefix}-*",
                bridge, _subnet.Gateway, _subnet.PrefixLength, _chainPrefix);

            void AddJump(string table, string chain, string spec, bool insert)
            {
                if (!existing.Rules.Contains((table, $"-A {chain} {spec}")))
                    rules.AppendLine($"{(insert ? "-I" : "-A")} {chain} {spec}");
            }
        }
        finally { _hostSetup.Release(); }
    }

    /// <summary>
    /// Creates the container's namespace, veth pair, address, route and port mapping. The reservation of the
    /// address and port is on disk before anything is created, so a crash midway can be cleaned up by id.
    /// </summary>
    public async Task<ContainerNetwork> CreateAsync(string id, int containerPort, CancellationToken cancellationToken)
    {
        if (containerPort is < 1 or > 65535) throw new ArgumentOutOfRangeException(nameof(containerPort), containerPort, "not a TCP port");
        await EnsureHostNetworkAsync(cancellationToken);
        var offset = (uint)_addresses.Reserve(id);
        var hostPort = (int)_ports.Reserve(id);
        var ip = _subnet.AddressAt(offset);
        var veth = VethName(offset);
        var ns = NamespaceNameFor(id);
        var network = new ContainerNetwork(ns, NamespacePathFor(id), ip, veth, hostPort, containerPort);

        if (File.Exists(network.NamespacePath) || InterfaceExists(veth))
            await RemoveDevicesAsync(ns, veth, cancellationToken); // left over from a crash

        await HostCommand.RunCheckedAsync("ip", ["-batch", "-"],
            $"""
            netns add {ns}
            link add {veth} type veth peer name eth0 netns {ns}
            link set {veth} master {_options.Bridge}
            link set {veth} type bridge_slave isolated on
            link set {veth} up

            """, cancellationToken);
        await HostCommand.RunCheckedAsync("ip", ["-n", ns, "-batch", "-"],
            $"""
            link set lo up
            addr add {ip}/{_subnet.PrefixLength} dev eth0
            link set eth0 up
            route add default via {_subnet.Gateway}

            """, cancellationToken);
        await HostCommand.RunCheckedAsync("iptables-restore", ["-w", "--noflush"],
            $"""
            *nat
            -A {DnatChain} -p tcp -m tcp --dport {hostPort} -m comment --comment {RuleComment(id)} -j DNAT --to-destination {ip}:{containerPort}
            COMMIT

            """, cancellationToken);
        return network;
    }

    /// <summary>
    /// Removes everything the container's network had: the veth, the namespace, its DNAT rules and its
    /// address and port reservations. Works from the id alone, so half-created networks go too.
    /// </summary>
    public async Task DestroyAsync(string id, CancellationToken cancellationToken)
    {
        var ns = NamespaceNameFor(id);
        var offsets = _addresses.HeldBy(id).ToList();
        var ports = _ports.HeldBy(id).ToList();
        foreach (var offset in offsets.DefaultIfEmpty(-1))
            await RemoveDevicesAsync(ns, offset >= 0 ? VethName((uint)offset) : null, cancellationToken);
        // Rules are written only after both reservations are on disk: with neither held there are none, and the
        // iptables-save that looks for them (10-40 ms, under the xtables lock) is skipped. Most staging steps and
        // every destroy-before-create have no network.
        if (offsets.Count > 0 || ports.Count > 0) await RemoveRulesAsync(id, cancellationToken);
        // Read once above: the container's gate keeps anything else from reserving for this id meanwhile.
        _addresses.Release(offsets);
        _ports.Release(ports);
    }

    private static async Task RemoveDevicesAsync(string ns, string? veth, CancellationToken cancellationToken)
    {
        var batch = new StringBuilder();
        // Deleting the host end removes the pair at once; a namespace's devices go only when the kernel gets to it.
        if (veth is not null && InterfaceExists(veth)) batch.AppendLine($"link del {veth}");
        if (File.Exists(Path.Combine(NetnsDirectory, ns))) batch.AppendLine($"netns del {ns}");
        if (batch.Length == 0) return;
        var result = await HostCommand.RunAsync("ip", ["-force", "-batch", "-"], batch.ToString(), cancellationToken);
        if ((veth is not null && InterfaceExists(veth)) || File.Exists(Path.Combine(NetnsDirectory, ns)))
            throw new SandboxException($"removing network namespace {ns} / veth {veth} failed: {result.StandardError.Trim()}");
    }

    private async Task RemoveRulesAsync(string id, CancellationToken cancellationToken)
    {
        var saved = (await HostCommand.RunCheckedAsync("iptables-save", ["-t", "nat"], null, cancellationToken)).StandardOutput;
        var comment = RuleComment(id);
        var deletes = saved.Split('\n')
            .Where(l => l.StartsWith("-A ", StringComparison.Ordinal) && MentionsComment(l, comment))
            .Select(l => "-D " + l[3..])
            .ToList();
        if (deletes.Count == 0) return;
        await HostCommand.RunCheckedAsync("iptables-restore", ["-w", "--noflush"],
            "*nat\n" + string.Join('\n', deletes) + "\nCOMMIT\n", cancellationToken);
    }

    private static bool MentionsComment(string rule, string comment) =>
        rule.Contains($"--comment {comment} ", StringComparison.Ordinal) ||
        rule.Contains($"--comment \"{comment}\" ", StringComparison.Ordinal);

    /// <summary>Removes the bridge and this sandbox's chains (for uninstalling, and for tests cleaning up).</summary>
    public async Task RemoveHostNetworkAsync(CancellationToken cancellationToken)
    {
        await _hostSetup.WaitAsync(cancellationToken);
        try
        {
            var saved = (await HostCommand.RunCheckedAsync("iptables-save", [], null, cancellationToken)).StandardOutput;
            var existing = ChainsAndRules(saved);
            var mine = new[] { ("nat", DnatChain), ("nat", PostroutingChain), ("filter", ForwardChain), ("filter", EgressChain), ("filter", InputChain) };
            var script = new StringBuilder();
            foreach (var table in new[] { "nat", "filter" })
            {
                script.AppendLine($"*{table}");
                foreach (var (t, rule) in existing.Rules)
                    if (t == table && mine.Any(m => m.Item1 == table && rule.EndsWith($"-j {m.Item2}", StringComparison.Ordinal)))
                        script.AppendLine("-D " + rule[3..]);
                foreach (var (t, chain) in mine)
                    if (t == table && existing.Chains.Contains((t, chain))) script.AppendLine($"-F {chain}");
                foreach (var (t, chain) in mine)
                    if (t == table && existing.Chains.Contains((t, chain))) script.AppendLine($"-X {chain}");
                script.AppendLine("COMMIT");
            }
            await HostCommand.RunCheckedAsync("iptables-restore", ["-w", "--noflush"], script.ToString(), cancellationToken);
            if (InterfaceExists(_options.Bridge))
                await HostCommand.RunCheckedAsync("ip", ["link", "del", _options.Bridge], null, cancellationToken);
            _hostReady = false;
        }
        finally { _hostSetup.Release(); }
    }

    /// <summary>The chains and "-A" rules of an iptables-save dump, keyed by table.</summary>
    private static (HashSet<(string, string)> Chains, HashSet<(string, string)> Rules) ChainsAndRules(string saved)
    {
        var chains = new HashSet<(string, string)>();
        var rules = new HashSet<(string, string)>();
        var table = "";
        foreach (var raw in saved.Split('\n'))
        {
            var line = raw.TrimEnd();
            if (line.StartsWith('*')) table = line[1..];
            else if (line.StartsWith(':')) chains.Add((table, line[1..].Split(' ')[0]));
            else if (line.StartsWith("-A ", StringComparison.Ordinal)) rules.Add((table, line));
        }
        return (chains, rules);
    }

    [GeneratedRegex("^[A-Za-z0-9_.-]+$")]
    private static partial Regex ValidName();
}
