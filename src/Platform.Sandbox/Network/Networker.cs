using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Platform.Contracts.Messages;

namespace Platform.Sandbox.Network;

/// <summary>A container's network as reserved, and the making of its devices and rules (<see cref="Ready"/>).</summary>
public sealed record PendingNetwork(ContainerNetwork Network, Task Ready);

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
    private readonly string _egressDirectory;
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
        _egressDirectory = Path.Combine(stateDirectory, "egress");
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
            // Declaring the cell's chains above flushed them: the running containers' jumps to their own egress
            // chains go back in (first, before the cell's refusals).
            foreach (var container in ContainerEgress.ReadAll(_egressDirectory))
            {
                container.AppendChain(rules);
                foreach (var (from, spec) in container.Jumps(EgressChain, InputChain, RuleComment(container.Id)))
                    rules.AppendLine($"-I {from} {spec}");
            }
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
    public async Task<ContainerNetwork> CreateAsync(string id, int containerPort, CancellationToken cancellationToken) =>
        await CreateAsync(id, containerPort, null, cancellationToken);

    /// <summary>
    /// As <see cref="CreateAsync(string, int, CancellationToken)"/>, with the container's own egress rules (allow rules
    /// on top of the cell's defaults) in a chain of its own, installed in the same iptables call as its port mapping.
    /// </summary>
    public async Task<ContainerNetwork> CreateAsync(string id, int containerPort, IReadOnlyList<EgressRule>? egress,
        CancellationToken cancellationToken)
    {
        var pending = await BeginCreateAsync(id, containerPort, egress, cancellationToken);
        await pending.Ready;
        return pending.Network;
    }

    /// <summary>
    /// Reserves the container's address and host port and starts making its devices and rules: the network is known
    /// (for /etc/hosts and the bundle) before it is <see cref="PendingNetwork.Ready"/>, so the caller can go on meanwhile.
    /// </summary>
    public async Task<PendingNetwork> BeginCreateAsync(string id, int containerPort, IReadOnlyList<EgressRule>? egress,
        CancellationToken cancellationToken)
    {
        if (EgressRule.Problem(egress) is { } problem) throw new ArgumentException(problem, nameof(egress));
        if (containerPort is < 1 or > 65535) throw new ArgumentOutOfRangeException(nameof(containerPort), containerPort, "not a TCP port");
        await EnsureHostNetworkAsync(cancellationToken);
        var offset = (uint)_addresses.Reserve(id);
        var hostPort = (int)_ports.Reserve(id);
        var ip = _subnet.AddressAt(offset);
        var veth = VethName(offset);
        var ns = NamespaceNameFor(id);
        var network = new ContainerNetwork(ns, NamespacePathFor(id), ip, veth, hostPort, containerPort);
        ContainerEgress? own = null;
        if (egress is { Count: > 0 })
        {
            own = new ContainerEgress(id, ContainerEgress.ChainFor(_chainPrefix, offset), ip, egress);
            own.Write(_egressDirectory); // on disk before it exists, so a destroy by id finds it
        }
        return new PendingNetwork(network, ConnectAsync(id, network, own, cancellationToken));
    }

    /// <summary>The devices (two `ip` batches) and the rules (one iptables-restore), which do not wait for each other.</summary>
    private async Task ConnectAsync(string id, ContainerNetwork network, ContainerEgress? egress, CancellationToken cancellationToken)
    {
        var rules = new StringBuilder();
        rules.AppendLine("*nat");
        rules.AppendLine($"-A {DnatSpec(id, network)}");
        rules.AppendLine("COMMIT");
        if (egress is not null)
        {
            rules.AppendLine("*filter");
            egress.AppendChain(rules);
            foreach (var (from, spec) in egress.Jumps(EgressChain, InputChain, RuleComment(id))) rules.AppendLine($"-I {from} {spec}");
            rules.AppendLine("COMMIT");
        }
        var devices = CreateDevicesAsync(network, cancellationToken);
        var installed = HostCommand.RunCheckedAsync("iptables-restore", ["-w", "--noflush"], rules.ToString(), cancellationToken);
        await Task.WhenAll(devices, installed); // both finish before a failure is reported: a destroy may follow at once
    }

    private async Task CreateDevicesAsync(ContainerNetwork network, CancellationToken cancellationToken)
    {
        var (ns, veth, ip) = (network.NamespaceName, network.HostVeth, network.IpAddress);
        if (File.Exists(network.NamespacePath) || InterfaceExists(veth))
            await RemoveDevicesAsync(ns, veth, cancellationToken); // left over from a crash, or not yet freed by the kernel

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
    }

    /// <summary>
    /// Removes everything the container's network had: the veth, the namespace, its DNAT rules and its
    /// address and port reservations. Works from the id alone, so half-created networks go too.
    /// </summary>
    public Task DestroyAsync(string id, CancellationToken cancellationToken) => DestroyAsync(id, null, cancellationToken);

    /// <summary>
    /// As <see cref="DestroyAsync(string, CancellationToken)"/>; <paramref name="recorded"/>, the network as the
    /// container's state recorded it, lets its rules be deleted exactly, without reading every rule first.
    /// </summary>
    public async Task DestroyAsync(string id, ContainerNetwork? recorded, CancellationToken cancellationToken)
    {
        var ns = NamespaceNameFor(id);
        var offsets = _addresses.HeldBy(id).ToList();
        var ports = _ports.HeldBy(id).ToList();
        var egress = ContainerEgress.TryRead(_egressDirectory, id);
        // No process is left in the namespace: once it is unmounted the kernel frees it, and with it eth0 and so the
        // host's end of the pair, within milliseconds and without an `ip` process (a leftover veth of the same name
        // is removed when the address is next handed out).
        ReleaseNamespace(ns);
        // Rules are written only after both reservations are on disk: with neither held there are none, and the
        // iptables-save that looks for them (10-40 ms, under the xtables lock) is skipped. Most staging steps and
        // every destroy-before-create have no network.
        if (offsets.Count > 0 || ports.Count > 0 || egress is not null)
        {
            var exact = recorded is not null && ports.Contains(recorded.HostPort) && offsets.Contains(_subnet.OffsetOf(recorded.IpAddress))
                && await TryRemoveRecordedRulesAsync(id, recorded, egress, cancellationToken);
            if (!exact) await RemoveRulesAsync(id, egress, cancellationToken);
        }
        if (egress is not null) File.Delete(ContainerEgress.FileOf(_egressDirectory, id));
        // Read once above: the container's gate keeps anything else from reserving for this id meanwhile.
        _addresses.Release(offsets);
        _ports.Release(ports);
    }

    /// <summary>Makes sure an adopted container's own egress chain and its jumps are in place (a host setup may have flushed them).</summary>
    public async Task RestoreEgressAsync(string id, CancellationToken cancellationToken)
    {
        await EnsureHostNetworkAsync(cancellationToken);
        if (ContainerEgress.TryRead(_egressDirectory, id) is not { } egress) return;
        var saved = (await HostCommand.RunCheckedAsync("iptables-save", ["-t", "filter"], null, cancellationToken)).StandardOutput;
        var comment = RuleComment(id);
        var rules = new StringBuilder("*filter\n");
        egress.AppendChain(rules);
        foreach (var (from, spec) in egress.Jumps(EgressChain, InputChain, comment))
        {
            var present = saved.Split('\n').Any(l => l.StartsWith($"-A {from} ", StringComparison.Ordinal) && MentionsComment(l, comment)
                                                      && l.TrimEnd().EndsWith($"-j {egress.Chain}", StringComparison.Ordinal));
            if (!present) rules.AppendLine($"-I {from} {spec}");
        }
        rules.AppendLine("COMMIT");
        await HostCommand.RunCheckedAsync("iptables-restore", ["-w", "--noflush"], rules.ToString(), cancellationToken);
    }

    private string DnatSpec(string id, ContainerNetwork network) =>
        $"{DnatChain} -p tcp -m tcp --dport {network.HostPort} -m comment --comment {RuleComment(id)} -j DNAT --to-destination {network.IpAddress}:{network.ContainerPort}";

    /// <summary>
    /// Deletes the rules the container was given, as recorded, in one iptables-restore (which applies all or nothing).
    /// False when one of them is not there (a half-made network, chains flushed meanwhile): then they are looked for.
    /// </summary>
    private async Task<bool> TryRemoveRecordedRulesAsync(string id, ContainerNetwork recorded, ContainerEgress? egress, CancellationToken cancellationToken)
    {
        var rules = new StringBuilder();
        rules.AppendLine("*nat");
        rules.AppendLine($"-D {DnatSpec(id, recorded)}");
        rules.AppendLine("COMMIT");
        if (egress is not null)
        {
            rules.AppendLine("*filter");
            foreach (var (from, spec) in egress.Jumps(EgressChain, InputChain, RuleComment(id))) rules.AppendLine($"-D {from} {spec}");
            rules.AppendLine($"-F {egress.Chain}");
            rules.AppendLine($"-X {egress.Chain}");
            rules.AppendLine("COMMIT");
        }
        var result = await HostCommand.RunAsync("iptables-restore", ["-w", "--noflush"], rules.ToString(), cancellationToken);
        if (!result.Succeeded)
            _logger.LogDebug("Container {Id}'s recorded rules were not all there ({Error}); looking for them", id, result.StandardError.Trim());
        return result.Succeeded;
    }

    /// <summary>`ip netns del` in-process: the namespace's bind mount is detached and its file removed.</summary>
    private static void ReleaseNamespace(string ns)
    {
        var path = Path.Combine(NetnsDirectory, ns);
        if (!File.Exists(path)) return;
        // EINVAL: not mounted (any more); the file is left over from a crash.
        if (Native.Libc.Umount2(path, Native.Libc.MNT_DETACH) != 0 && Native.Libc.LastError is not (Native.Libc.EINVAL or Native.Libc.ENOENT))
            throw new SandboxException($"removing network namespace {ns} failed: {Native.Libc.Failure("umount2", path).Message}");
        File.Delete(path);
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

    /// <summary>Finds and deletes every rule naming the container (and its own egress chain) in the nat and filter tables.</summary>
    private async Task RemoveRulesAsync(string id, ContainerEgress? egress, CancellationToken cancellationToken)
    {
        var comment = RuleComment(id);
        var script = new StringBuilder();
        var nat = (await HostCommand.RunCheckedAsync("iptables-save", ["-t", "nat"], null, cancellationToken)).StandardOutput;
        var natDeletes = DeletesOf(nat, comment);
        if (natDeletes.Count > 0) script.Append("*nat\n").AppendJoin('\n', natDeletes).Append("\nCOMMIT\n");
        if (egress is not null)
        {
            // Only a container given rules of its own has any in the filter table.
            var filter = (await HostCommand.RunCheckedAsync("iptables-save", ["-t", "filter"], null, cancellationToken)).StandardOutput;
            var filterDeletes = DeletesOf(filter, comment);
            var chainExists = filter.Split('\n').Any(l => l.StartsWith($":{egress.Chain} ", StringComparison.Ordinal));
            if (filterDeletes.Count > 0 || chainExists)
            {
                script.Append("*filter\n").AppendJoin('\n', filterDeletes).Append('\n');
                if (chainExists) script.Append($"-F {egress.Chain}\n-X {egress.Chain}\n");
                script.Append("COMMIT\n");
            }
        }
        if (script.Length == 0) return;
        await HostCommand.RunCheckedAsync("iptables-restore", ["-w", "--noflush"], script.ToString(), cancellationToken);

        static List<string> DeletesOf(string saved, string comment) => saved.Split('\n')
            .Where(l => l.StartsWith("-A ", StringComparison.Ordinal) && MentionsComment(l, comment))
            .Select(l => "-D " + l[3..].TrimEnd())
            .ToList();
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
            var mine = new[] { ("nat", DnatChain), ("nat", PostroutingChain), ("filter", ForwardChain), ("filter", EgressChain), ("filter", InputChain) }
                // and any container's own egress chain left behind
                .Concat(existing.Chains.Where(c => c.Item1 == "filter" && c.Item2.StartsWith($"{_chainPrefix}-C", StringComparison.Ordinal)))
                .ToArray();
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
