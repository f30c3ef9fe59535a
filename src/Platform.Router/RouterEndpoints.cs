using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Platform.Router;

/// <summary>Binds a router URL (<c>http://127.0.0.1:7080</c>, <c>https://0.0.0.0:7443</c>, port 0 for a free one) to a Kestrel endpoint.</summary>
internal static class RouterEndpoints
{
    public static void Listen(KestrelServerOptions kestrel, string url, HttpProtocols protocols, Action<ListenOptions>? configure = null)
    {
        var uri = new Uri(url);
        void Configure(ListenOptions listen)
        {
            listen.Protocols = protocols;
            configure?.Invoke(listen);
        }
        if (uri.Host is "localhost") kestrel.ListenLocalhost(uri.Port, Configure);
        else if (uri.Host is "*" or "+" or "0.0.0.0" or "[::]") kestrel.ListenAnyIP(uri.Port, Configure);
        else if (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip)) kestrel.Listen(ip, uri.Port, Configure);
        else throw new InvalidOperationException($"router URL '{url}' must name an IP address, localhost or 0.0.0.0 to listen on");
    }
}
