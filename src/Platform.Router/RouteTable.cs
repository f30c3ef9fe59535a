using System.Collections.Frozen;

namespace Platform.Router;

/// <summary>One running instance the router can send traffic to.</summary>
/// <param name="Address">"ip:port" of the instance (or of its host port).</param>
public sealed record Backend(Guid InstanceId, int Index, string Address);

/// <summary>
/// A host (and optional path prefix) routed to an app, with the app's running instances. <paramref name="Protocol"/> is
/// how the router speaks to them: <see cref="RouteProtocols.Http1"/> (HTTP/1.1) or <see cref="RouteProtocols.Http2"/>
/// (HTTP/2 with prior knowledge, h2c: gRPC apps), as Cloud Foundry's <c>--app-protocol</c>.
/// </summary>
public sealed record AppRoute(string Host, string Path, Guid AppId, string AppName, IReadOnlyList<Backend> Backends,
    string Protocol = RouteProtocols.Http1);

/// <summary>
/// An immutable snapshot of where traffic goes: host (+ path prefix) -> app -> running instances.
/// A new snapshot replaces the old one on each reload, so readers never see a half-built table.
/// Lookups allocate nothing: the host is normalised into a stack buffer and looked up through the frozen
/// dictionary's span alternate lookup.
/// </summary>
public sealed class RouteTable
{
    public static readonly RouteTable Empty = new([]);

    // Hosts longer than this cannot be DNS names (253 characters); they match nothing.
    private const int MaxHostLength = 255;

    // Per host, its routes longest path first, so the most specific prefix wins.
    private readonly FrozenDictionary<string, AppRoute[]> _byHost;
    private readonly FrozenDictionary<string, AppRoute[]>.AlternateLookup<ReadOnlySpan<char>> _bySpan;

    public RouteTable(IEnumerable<AppRoute> routes)
    {
        Routes = routes
            .Select(r => r with { Host = NormalizeHost(r.Host), Path = NormalizePath(r.Path) })
            .ToList();
        _byHost = Routes
            .GroupBy(r => r.Host, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => g.OrderByDescending(r => r.Path.Length).ToArray(), StringComparer.Ordinal);
        _bySpan = _byHost.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public IReadOnlyList<AppRoute> Routes { get; }

    /// <summary>The route a request for <paramref name="host"/> (a Host header, port allowed) and path goes to.</summary>
    public AppRoute? Match(ReadOnlySpan<char> host, ReadOnlySpan<char> path)
    {
        Span<char> buffer = stackalloc char[MaxHostLength];
        if (!TryNormalizeHost(host, buffer, out var length)) return null;
        if (!_bySpan.TryGetValue(buffer[..length], out var candidates)) return null;
        foreach (var route in candidates)
            if (IsUnderPrefix(path, route.Path))
                return route;
        return null;
    }

    /// <summary>Lowercase, without a port and a trailing dot: "Site.Apps.Localhost.:7080" -> "site.apps.localhost".</summary>
    public static string NormalizeHost(string host)
    {
        Span<char> buffer = stackalloc char[MaxHostLength];
        return TryNormalizeHost(host, buffer, out var length)
            ? new string(buffer[..length])
            : host.Trim().ToLowerInvariant();
    }

    /// <summary>Writes the normalised host into <paramref name="destination"/>; false when it does not fit.</summary>
    private static bool TryNormalizeHost(ReadOnlySpan<char> host, Span<char> destination, out int length)
    {
        var h = host.Trim();
        if (h.StartsWith('['))
        {
            // An IPv6 literal keeps its brackets; the port after them goes.
            var end = h.IndexOf(']');
            if (end > 0) h = h[..(end + 1)];
        }
        else if (h.IndexOf(':') is var colon and >= 0)
        {
            h = h[..colon];
        }
        h = h.TrimEnd('.');
        length = h.Length;
        if (h.Length > destination.Length) return false;
        // Hosts are ASCII (IDNs arrive as punycode); ToLowerInvariant leaves anything else as the dictionary has it.
        h.ToLowerInvariant(destination);
        return true;
    }

    /// <summary>"" for the whole host; otherwise "/segment[/segment...]" without a trailing slash.</summary>
    public static string NormalizePath(string? path)
    {
        var p = (path ?? "").Trim().TrimEnd('/');
        if (p.Length == 0) return "";
        return p.StartsWith('/') ? p : "/" + p;
    }

    // "/api" covers "/api" and "/api/x" but not "/apix".
    private static bool IsUnderPrefix(ReadOnlySpan<char> path, string prefix) =>
        prefix.Length == 0
        || (path.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)
            && (path.Length == prefix.Length || path[prefix.Length] == '/'));
}
