using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Platform.Sandbox.Network;

/// <summary>One destination of an allow or deny list: an IPv4 CIDR and, optionally, a port range (TCP and UDP).</summary>
public sealed record EgressDestination(string Cidr, int? FirstPort, int? LastPort)
{
    /// <summary>Parses "10.0.0.0/8", "10.0.5.10" (a /32), "10.0.5.10/32:5432" or "10.0.0.0/8:8000-8100".</summary>
    public static EgressDestination Parse(string entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var text = entry.Trim();
        string address = text, ports = "";
        var colon = text.IndexOf(':');
        if (colon >= 0) { address = text[..colon]; ports = text[(colon + 1)..]; }
        var slash = address.IndexOf('/');
        var ipText = slash < 0 ? address : address[..slash];
        var prefix = 32;
        if (!IPAddress.TryParse(ipText, out var ip) || ip.AddressFamily != AddressFamily.InterNetwork || ipText.Count(c => c == '.') != 3
            || (slash >= 0 && (!int.TryParse(address[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > 32)))
            throw new ArgumentException($"'{entry}' is not an IPv4 destination like 10.0.0.0/8, 10.0.5.10/32:5432 or 10.0.0.0/8:8000-8100");
        int? first = null, last = null;
        if (colon >= 0)
        {
            var dash = ports.IndexOf('-');
            var lowText = dash < 0 ? ports : ports[..dash];
            var highText = dash < 0 ? ports : ports[(dash + 1)..];
            if (!int.TryParse(lowText, NumberStyles.None, CultureInfo.InvariantCulture, out var low)
                || !int.TryParse(highText, NumberStyles.None, CultureInfo.InvariantCulture, out var high)
                || low is < 1 or > 65535 || high is < 1 or > 65535 || high < low)
                throw new ArgumentException($"'{entry}' has no valid port or port range (1-65535) after ':'");
            (first, last) = (low, high);
        }
        return new EgressDestination($"{ipText}/{prefix}", first, last);
    }

    /// <summary>iptables match arguments, one set per protocol when there are ports.</summary>
    public IEnumerable<string> Matches()
    {
        if (FirstPort is null) { yield return $"-d {Cidr}"; yield break; }
        var ports = FirstPort == LastPort ? $"{FirstPort}" : $"{FirstPort}:{LastPort}";
        yield return $"-d {Cidr} -p tcp -m tcp --dport {ports}";
        yield return $"-d {Cidr} -p udp -m udp --dport {ports}";
    }

    public override string ToString() => FirstPort is null ? Cidr : FirstPort == LastPort ? $"{Cidr}:{FirstPort}" : $"{Cidr}:{FirstPort}-{LastPort}";
}

/// <summary>
/// Where containers may send traffic, as iptables filter rules in the sandbox's own chains. Replies to connections
/// made to a container always pass (the host, the router and health checks reach instances, not the reverse).
/// A container's new connections, in this order: the operator's allowlist passes; DNS to the configured
/// nameservers passes; the host itself (any of its addresses, through the INPUT chain) is refused; other
/// containers on the bridge, directly or through their mapped host ports, are refused (instance to instance only
/// through the router, which an operator allows by its address and port); the denied networks (the platform's
/// private ranges) are refused; anything else (the internet) passes when outbound traffic is allowed.
/// Refused means REJECT, so the app gets "connection refused" at once instead of a hang.
/// </summary>
public sealed class EgressPolicy
{
    public IReadOnlyList<EgressDestination> Allowed { get; }
    public IReadOnlyList<EgressDestination> Denied { get; }
    public IReadOnlyList<string> Nameservers { get; }
    public bool AllowOutbound { get; }

    public EgressPolicy(IEnumerable<string> allowed, IEnumerable<string> denied, IEnumerable<string> nameservers, bool allowOutbound)
    {
        Allowed = allowed.Select(a => Parse(a, "Sandbox:Network:AllowedNetworks")).ToList();
        Denied = denied.Select(d => Parse(d, "Sandbox:Network:DeniedNetworks")).ToList();
        if (Denied.FirstOrDefault(d => d.FirstPort is not null) is { } withPort)
            throw new ArgumentException($"Sandbox:Network:DeniedNetworks entry '{withPort}' has a port: denials are whole networks");
        Nameservers = nameservers.Where(n => IPAddress.TryParse(n, out var a) && a.AddressFamily == AddressFamily.InterNetwork).ToList();
        AllowOutbound = allowOutbound;
    }

    private static EgressDestination Parse(string entry, string key)
    {
        try { return EgressDestination.Parse(entry); }
        catch (ArgumentException e) { throw new ArgumentException($"{key}: {e.Message}", e); }
    }

    /// <summary>
    /// The rules of the filter table (for iptables-restore): the forward chain, the egress chain it sends the
    /// containers' traffic to, and the input chain for traffic from the bridge to the host itself.
    /// </summary>
    public string FilterRules(string bridge, string subnet, string forwardChain, string egressChain, string inputChain)
    {
        var r = new StringBuilder();
        const string reject = "-j REJECT --reject-with icmp-port-unreachable";
        r.AppendLine($":{forwardChain} - [0:0]");
        r.AppendLine($":{egressChain} - [0:0]");
        r.AppendLine($":{inputChain} - [0:0]");

        r.AppendLine($"-A {forwardChain} -o {bridge} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT");
        r.AppendLine($"-A {forwardChain} -i {bridge} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT");
        // To containers from elsewhere (a host port DNAT'ed from another host, the host's own routing).
        r.AppendLine($"-A {forwardChain} ! -i {bridge} -o {bridge} -j ACCEPT");
        r.AppendLine($"-A {forwardChain} -i {bridge} -j {egressChain}");

        foreach (var a in Allowed)
            foreach (var m in a.Matches()) r.AppendLine($"-A {egressChain} {m} -j ACCEPT");
        foreach (var ns in Nameservers)
            foreach (var proto in new[] { "udp", "tcp" })
                r.AppendLine($"-A {egressChain} -d {ns}/32 -p {proto} -m {proto} --dport 53 -j ACCEPT");
        // Back out onto the bridge = another container (also after a host port's DNAT).
        r.AppendLine($"-A {egressChain} -o {bridge} {reject}");
        r.AppendLine($"-A {egressChain} -d {subnet} {reject}");
        foreach (var d in Denied) r.AppendLine($"-A {egressChain} -d {d.Cidr} {reject}");
        r.AppendLine(AllowOutbound ? $"-A {egressChain} -j ACCEPT" : $"-A {egressChain} {reject}");

        r.AppendLine($"-A {inputChain} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT");
        foreach (var a in Allowed)
            foreach (var m in a.Matches()) r.AppendLine($"-A {inputChain} {m} -j ACCEPT");
        foreach (var ns in Nameservers)
            foreach (var proto in new[] { "udp", "tcp" })
                r.AppendLine($"-A {inputChain} -d {ns}/32 -p {proto} -m {proto} --dport 53 -j ACCEPT");
        r.AppendLine($"-A {inputChain} -p tcp {reject.Replace("icmp-port-unreachable", "tcp-reset")}");
        r.AppendLine($"-A {inputChain} {reject}");
        return r.ToString();
    }

    /// <summary>The IPv4 nameservers of a resolv.conf, minus loopback ones (a container cannot reach the host's loopback).</summary>
    public static List<string> NameserversOf(string resolvConfPath)
    {
        try
        {
            return File.ReadLines(resolvConfPath)
                .Select(l => l.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
                .Where(p => p.Length >= 2 && p[0] == "nameserver" && IPAddress.TryParse(p[1], out var a) && !IPAddress.IsLoopback(a))
                .Select(p => p[1])
                .ToList();
        }
        catch (IOException) { return []; }
    }
}
