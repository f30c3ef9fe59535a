using System.Text.RegularExpressions;

namespace Platform.Contracts;

/// <summary>
/// What a route and a domain may look like, shared by the API (which enforces) and plat (which checks early): a host
/// label (a DNS label, or none for the domain itself), a domain of DNS labels, a path of plain segments, and the
/// protocol routers speak to the app on (Cloud Foundry's <c>--app-protocol</c>).
/// </summary>
public static partial class RouteRules
{
    public const string Http1 = "http1";
    public const string Http2 = "http2";
    public static readonly IReadOnlyList<string> Protocols = [Http1, Http2];

    /// <summary>A DNS name is at most 253 characters; a route's path at most this many.</summary>
    public const int MaxHostLength = 253;
    public const int MaxPathLength = 128;

    /// <summary>Null when <paramref name="hostname"/> ("" for none) is a usable host label, else why not.</summary>
    public static string? CheckHostname(string hostname)
    {
        if (hostname.Length == 0) return null;
        if (hostname == "*") return "wildcard routes ('*') are not supported: give a host name";
        if (hostname.Length > 63 || !Label().IsMatch(hostname))
            return $"'{hostname}' is not a valid host name: use 1 to 63 lowercase letters, digits and '-', starting and ending with a letter or digit";
        return null;
    }

    /// <summary>Null when <paramref name="domain"/> is a usable domain name (two or more DNS labels), else why not.</summary>
    public static string? CheckDomain(string? domain)
    {
        if (string.IsNullOrEmpty(domain)) return "give a domain name, such as apps.example.com";
        var labels = domain.Split('.');
        if (domain.Length > MaxHostLength || labels.Length < 2 || labels.Any(l => l.Length is 0 or > 63 || !Label().IsMatch(l)))
            return $"'{domain}' is not a valid domain name: use two or more labels of lowercase letters, digits and '-' separated by dots, such as apps.example.com";
        return null;
    }

    /// <summary>
    /// The path as routes keep it ("" for none; "/a/b" without a trailing slash), or null with <paramref name="error"/>
    /// set: a path must start with '/', and its segments may not be '.' or '..' (a router would match what a client's
    /// normalisation never sends) nor hold '?', '#', '%', spaces or control characters.
    /// </summary>
    public static string? NormalizePath(string? path, out string? error)
    {
        error = null;
        if (string.IsNullOrEmpty(path)) return "";
        if (!path.StartsWith('/'))
        {
            error = $"the route path '{path}' must start with '/'";
            return null;
        }
        if (path == "/")
        {
            error = "the route path may not be just '/': leave it out for the whole host";
            return null;
        }
        var trimmed = path.TrimEnd('/');
        var segments = trimmed[1..].Split('/');
        if (segments.Any(s => s is "" or "." or ".."))
        {
            error = $"the route path '{path}' may not have empty, '.' or '..' segments";
            return null;
        }
        if (trimmed.Length > MaxPathLength || trimmed.Any(c => c is '?' or '#' or '%' or ' ' or '\\' || char.IsControl(c) || c > '~'))
        {
            error = $"the route path '{path}' must be at most {MaxPathLength} characters of letters, digits and URL path characters (no '?', '#', '%', '\\' or spaces)";
            return null;
        }
        return trimmed;
    }

    /// <summary>The protocol ("http1" when not given), or null with <paramref name="error"/> set.</summary>
    public static string? NormalizeProtocol(string? protocol, out string? error)
    {
        error = null;
        if (string.IsNullOrEmpty(protocol)) return Http1;
        var lower = protocol.ToLowerInvariant();
        if (Protocols.Contains(lower)) return lower;
        error = $"the app protocol must be one of {string.Join(", ", Protocols)}, not '{protocol}'";
        return null;
    }

    /// <summary>The full host name of a route: "host.domain", or the domain for a route without a host.</summary>
    public static string FullHost(string hostname, string domain) => hostname.Length == 0 ? domain : hostname + "." + domain;

    /// <summary>"host.domain/path", as users write routes (cf's route URLs, manifests' <c>route:</c>).</summary>
    public static string Url(string hostname, string domain, string path) => FullHost(hostname, domain) + path;

    [GeneratedRegex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")]
    private static partial Regex Label();
}
