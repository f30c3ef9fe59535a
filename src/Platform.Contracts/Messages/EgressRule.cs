using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Platform.Contracts.Messages;

/// <summary>
/// One allow rule for what an instance may reach, as in a Cloud Foundry application security group:
/// <see cref="Protocol"/> "tcp", "udp", "icmp" or "all"; <see cref="Destination"/> an IPv4 address ("10.0.5.10"), a
/// CIDR ("10.0.0.0/8") or a range ("10.0.5.10-10.0.5.20"); <see cref="Ports"/> (tcp and udp only) a comma-separated
/// list of ports and ranges ("5432", "80,443", "8000-8100"), null for every port; <see cref="IcmpType"/> and
/// <see cref="IcmpCode"/> (icmp only), null for any. Rules only allow: an instance's defaults (the internet
/// allowed; the host, other instances and the private ranges refused) hold for whatever no rule allows.
/// </summary>
public sealed record EgressRule(string Protocol, string Destination, string? Ports = null, int? IcmpType = null, int? IcmpCode = null)
{
    public static readonly IReadOnlyList<string> Protocols = ["tcp", "udp", "icmp", "all"];

    /// <summary>Most rules one instance may carry (each becomes an iptables rule per port entry).</summary>
    public const int MaxRules = 256;

    /// <summary>Null when the rule is acceptable, else why not (for a 400 or a refused start).</summary>
    public string? Problem()
    {
        if (Protocol is null || !Protocols.Contains(Protocol))
            return $"egress rule protocol must be one of {string.Join(", ", Protocols)}, not '{Protocol}'";
        if (ParseDestination(Destination) is { Error: { } destinationError }) return destinationError;
        if (Ports is not null)
        {
            if (Protocol is not ("tcp" or "udp")) return $"egress rule ports are for tcp and udp, not {Protocol}";
            if (ParsePorts(Ports) is { Error: { } portsError }) return portsError;
        }
        if ((IcmpType is not null || IcmpCode is not null) && Protocol != "icmp")
            return $"egress rule ICMP type and code are for icmp, not {Protocol}";
        if (IcmpType is < 0 or > 255) return $"egress rule ICMP type must be 0-255, not {IcmpType}";
        if (IcmpCode is < 0 or > 255) return $"egress rule ICMP code must be 0-255, not {IcmpCode}";
        if (IcmpCode is not null && IcmpType is null) return "egress rule ICMP code needs an ICMP type";
        return null;
    }

    /// <summary>The first problem among the rules, or null; a list may also be absent.</summary>
    public static string? Problem(IReadOnlyList<EgressRule>? rules)
    {
        if (rules is null) return null;
        if (rules.Count > MaxRules) return $"at most {MaxRules} egress rules, not {rules.Count}";
        for (var i = 0; i < rules.Count; i++)
        {
            if (rules[i] is null) return $"egress rule {i} is null";
            if (rules[i].Problem() is { } problem) return $"egress rule {i}: {problem}";
        }
        return null;
    }

    /// <summary>The destination as a CIDR ("10.0.0.0/8", host bits cleared) or a range (First..Last), or why it is none.</summary>
    public static (EgressDestinationRange? Range, string? Error) ParseDestination(string? destination)
    {
        const string form = "an IPv4 address, CIDR (10.0.0.0/8) or range (10.0.5.10-10.0.5.20)";
        if (string.IsNullOrWhiteSpace(destination)) return (null, $"egress rule destination must be {form}");
        var text = destination.Trim();
        var dash = text.IndexOf('-');
        if (dash >= 0)
        {
            if (ParseAddress(text[..dash]) is not { } first || ParseAddress(text[(dash + 1)..]) is not { } last)
                return (null, $"egress rule destination '{destination}' is not {form}");
            if (last < first) return (null, $"egress rule destination range '{destination}' ends before it starts");
            return (new EgressDestinationRange(first, last), null);
        }
        var slash = text.IndexOf('/');
        var prefix = 32;
        if ((slash < 0 ? ParseAddress(text) : ParseAddress(text[..slash])) is not { } address
            || (slash >= 0 && (!int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > 32)))
            return (null, $"egress rule destination '{destination}' is not {form}");
        var mask = prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);
        return (new EgressDestinationRange(address & mask, (address & mask) | ~mask), null);
    }

    /// <summary>The ports as (first, last) pairs, or why they are not ports.</summary>
    public static (IReadOnlyList<(int First, int Last)> Ranges, string? Error) ParsePorts(string ports)
    {
        var error = $"egress rule ports '{ports}' must be ports or ranges of 1-65535, comma-separated (80,443,8000-8100)";
        var ranges = new List<(int, int)>();
        foreach (var part in ports.Split(','))
        {
            var entry = part.Trim();
            var dash = entry.IndexOf('-');
            var lowText = dash < 0 ? entry : entry[..dash];
            var highText = dash < 0 ? entry : entry[(dash + 1)..];
            if (!int.TryParse(lowText, NumberStyles.None, CultureInfo.InvariantCulture, out var low)
                || !int.TryParse(highText, NumberStyles.None, CultureInfo.InvariantCulture, out var high)
                || low is < 1 or > 65535 || high is < 1 or > 65535 || high < low)
                return ([], error);
            ranges.Add((low, high));
        }
        return ranges.Count is > 0 and <= 64 ? (ranges, null) : ([], error);
    }

    private static uint? ParseAddress(string text)
    {
        text = text.Trim();
        if (text.Count(c => c == '.') != 3 || !IPAddress.TryParse(text, out var ip) || ip.AddressFamily != AddressFamily.InterNetwork)
            return null;
        var b = ip.GetAddressBytes();
        return (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
    }
}

/// <summary>An inclusive range of IPv4 addresses (as numbers), which is a CIDR when it is aligned.</summary>
public readonly record struct EgressDestinationRange(uint First, uint Last)
{
    /// <summary>The prefix length when the range is exactly one CIDR block, else null.</summary>
    public int? PrefixLength
    {
        get
        {
            var size = (ulong)Last - First + 1;
            if ((size & (size - 1)) != 0) return null;
            var prefix = 32 - System.Numerics.BitOperations.Log2(size);
            return (First & (uint)(size - 1)) == 0 ? prefix : null;
        }
    }

    public static string Format(uint address) =>
        $"{address >> 24}.{(address >> 16) & 0xff}.{(address >> 8) & 0xff}.{address & 0xff}";

    public override string ToString() => PrefixLength is { } p ? $"{Format(First)}/{p}" : $"{Format(First)}-{Format(Last)}";
}
