namespace Platform.Router;

/// <summary>How the router speaks to an app's instances (Cloud Foundry's <c>--app-protocol</c>).</summary>
public static class RouteProtocols
{
    /// <summary>HTTP/1.1 (the default); WebSocket upgrades work over it.</summary>
    public const string Http1 = "http1";

    /// <summary>HTTP/2 with prior knowledge (h2c), for apps that speak it, such as gRPC servers.</summary>
    public const string Http2 = "http2";

    /// <summary>The protocol a route names, or http1 for anything else (null, empty, unknown).</summary>
    public static string Normalize(string? protocol) =>
        string.Equals(protocol?.Trim(), Http2, StringComparison.OrdinalIgnoreCase) ? Http2 : Http1;
}
