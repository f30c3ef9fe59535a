namespace Platform.Router;

/// <summary>One running instance the router can send traffic to.</summary>
/// <param name="Address">"ip:port" of the instance (or of its host port).</param>
public sealed record Backend(Guid InstanceId, int Index, string Address);

/// <summary>A host (and optional path prefix) routed to an app, with the app's running instances.</summary>
public sealed record AppRoute(string Host, string Path, Guid AppId, string AppName, IReadOnlyList<Backend> Backends);

/// <summary>
/// An immutable snapshot of where traffic goes: host (+ path prefix) -> app -> running instances.
/// A new snapshot replaces the old one on each reload, so readers never see a half-built table.
/// </summary>
public sealed class RouteTable
{
    public static readonly RouteTable Empty = new([]);

    // Per host, its routes longest path first, so the most specific prefix wins.
    private readonly Dictionary<string, AppRoute[]> _byHost;

    public RouteTable(IEnumerable<AppRoute> routes)
    {
        Routes = routes
            .Select(r => r with { Host = NormalizeHost(r.Host), Path = NormalizePath(r.Path) })
            .ToList();
        _byHost = Routes
            .GroupBy(r => r.Host, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderByDescending(r => r.Path.Length).ToArray(), StringComparer.Ordinal);
    }

    public IReadOnlyList<AppRoute> Routes { get; }

    /// <summary>The route a request for <paramref name="host"/> (a Host header, port allowed) and path goes to.</summary>
    public AppRoute? Match(string host, string path)
    {
        if (!_byHost.TryGetValue(NormalizeHost(host), out var candidates)) return null;
        foreach (var route in candidates)
            if (IsUnderPrefix(path, route.Path))
                return route;
        return null;
    }

    /// <summary>Lowercase, without a port and a trailing dot: "Site.Apps.Localhost.:7080" -> "site.apps.localhost".</summary>
    public static string NormalizeHost(string host)
    {
        var h = host.Trim();
        if (h.StartsWith('['))
        {
            var end = h.IndexOf(']');
            h = end > 0 ? h[..(end + 1)] : h;
        }
        else if (h.IndexOf(':') is var colon and >= 0)
        {
            h = h[..colon];
        }
        return h.TrimEnd('.').ToLowerInvariant();
    }

    /// <summary>"" for the whole host; otherwise "/segment[/segment...]" without a trailing slash.</summary>
    public static string NormalizePath(string? path)
    {
        var p = (path ?? "").Trim().TrimEnd('/');
        if (p.Length == 0) return "";
        return p.StartsWith('/') ? p : "/" + p;
    }

    // "/api" covers "/api" and "/api/x" but not "/apix".
    private static bool IsUnderPrefix(string path, string prefix) =>
        prefix.Length == 0
        || (path.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)
            && (path.Length == prefix.Length || path[prefix.Length] == '/'));
}
