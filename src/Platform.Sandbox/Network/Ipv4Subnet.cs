using System.Net;
using System.Net.Sockets;

namespace Platform.Sandbox.Network;

/// <summary>An IPv4 subnet such as 10.244.0.0/16: the bridge takes the first host address, containers the rest.</summary>
public sealed record Ipv4Subnet(uint Network, int PrefixLength)
{
    public static Ipv4Subnet Parse(string cidr)
    {
        var slash = cidr.IndexOf('/');
        if (slash < 0 || !IPAddress.TryParse(cidr[..slash], out var ip) || ip.AddressFamily != AddressFamily.InterNetwork
            || !int.TryParse(cidr[(slash + 1)..], out var prefix) || prefix is < 8 or > 30)
            throw new ArgumentException($"'{cidr}' is not an IPv4 subnet like 10.244.0.0/16 (prefix 8..30)", nameof(cidr));
        var mask = uint.MaxValue << (32 - prefix);
        return new Ipv4Subnet(ToUInt(ip) & mask, prefix);
    }

    public uint Size => 1u << (32 - PrefixLength);
    public string Gateway => FromUInt(Network + 1);
    /// <summary>Offsets of container addresses: after the network and gateway, before the broadcast address.</summary>
    public uint FirstContainerOffset => 2;
    public uint LastContainerOffset => Size - 2;
    public string AddressAt(uint offset) => FromUInt(Network + offset);
    public uint OffsetOf(string address) => ToUInt(IPAddress.Parse(address)) - Network;
    public override string ToString() => $"{FromUInt(Network)}/{PrefixLength}";

    private static uint ToUInt(IPAddress ip)
    {
        var b = ip.GetAddressBytes();
        return (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
    }

    private static string FromUInt(uint v) => $"{v >> 24}.{(v >> 16) & 255}.{(v >> 8) & 255}.{v & 255}";
}
