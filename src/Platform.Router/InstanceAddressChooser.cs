using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Platform.Router;

/// <summary>
/// Picks the address to proxy to for an instance (see <see cref="RouterOptions.PreferHostAddress"/>): a router on the
/// instance's host reaches it at its own address on the cell's bridge; a router elsewhere only at the cell's host port.
/// </summary>
public sealed class InstanceAddressChooser(IOptions<RouterOptions> options)
{
    private volatile (IPAddress Network, IPAddress Mask)[] _localNetworks = ReadLocalNetworks();

    /// <summary>Reads this host's networks again (a cell's bridge appears with its first instance).</summary>
    public void Refresh() => _localNetworks = ReadLocalNetworks();

    public string? Choose(string? address, string? hostAddress)
    {
        var own = string.IsNullOrWhiteSpace(address) ? null : address;
        var host = string.IsNullOrWhiteSpace(hostAddress) ? null : hostAddress;
        return options.Value.PreferHostAddress switch
        {
            true => host ?? own,
            false => own ?? host,
            null => own is not null && IsOnLocalNetwork(own) ? own : host ?? own,
        };
    }

    private bool IsOnLocalNetwork(string address)
    {
        if (!IPEndPoint.TryParse(address, out var endpoint) || endpoint.AddressFamily != AddressFamily.InterNetwork) return false;
        if (IPAddress.IsLoopback(endpoint.Address)) return true;
        var ip = endpoint.Address.GetAddressBytes();
        foreach (var (network, mask) in _localNetworks)
        {
            var n = network.GetAddressBytes();
            var m = mask.GetAddressBytes();
            var inside = true;
            for (var i = 0; i < 4 && inside; i++) inside = (ip[i] & m[i]) == (n[i] & m[i]);
            if (inside) return true;
        }
        return false;
    }

    private static (IPAddress, IPAddress)[] ReadLocalNetworks()
    {
        try
        {
            return NetworkInterface.GetAllNetworkInterfaces()
                .SelectMany(i => i.GetIPProperties().UnicastAddresses)
                .Where(a => a.Address.AddressFamily == AddressFamily.InterNetwork && a.IPv4Mask is not null)
                .Select(a => (a.Address, a.IPv4Mask))
                .ToArray();
        }
        catch (NetworkInformationException)
        {
            return [];
        }
    }
}
