namespace Platform.Router;

/// <summary>Bound from the "Router" configuration section.</summary>
public sealed class RouterOptions
{
    public const string SectionName = "Router";

    /// <summary>Where the router's own Kestrel endpoint listens (separate from the API's). Port 0 picks a free port.</summary>
    public string Url { get; set; } = "http://127.0.0.1:7080";

    /// <summary>
    /// Optional plain endpoint for HTTP/2 with prior knowledge (h2c), e.g. <c>http://0.0.0.0:7081</c>, for gRPC clients
    /// without TLS. Kestrel cannot serve h2c and HTTP/1.1 on one cleartext port, so <see cref="Url"/> speaks HTTP/1.1.
    /// </summary>
    public string? H2cUrl { get; set; }

    /// <summary>
    /// Optional HTTPS endpoint (e.g. <c>https://0.0.0.0:7443</c>) with <see cref="CertificatePath"/>: HTTP/1.1 and HTTP/2,
    /// chosen by ALPN.
    /// </summary>
    public string? TlsUrl { get; set; }

    /// <summary>The TLS certificate: a PEM file (with <see cref="CertificateKeyPath"/>) or a PKCS#12 (.pfx/.p12) file.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The PEM private key of <see cref="CertificatePath"/> (not needed for PKCS#12, or when the PEM holds the key).</summary>
    public string? CertificateKeyPath { get; set; }

    /// <summary>Password of an encrypted key or PKCS#12 file.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>Apps get routes <c>NAME.AppsDomain</c>; used in messages and docs, the route table holds full hosts.</summary>
    public string AppsDomain { get; set; } = "apps.localhost";

    /// <summary>Full reload of the route table this often, in case a bus message was lost.</summary>
    public int ResyncSeconds { get; set; } = 5;

    /// <summary>
    /// Where the router loads its route table from: the API's base URL (the API serves <c>/v1/internal/route-table</c>).
    /// The router holds no database credentials. platd sets it to its own API when it runs both roles.
    /// </summary>
    public string? ApiUrl { get; set; }

    /// <summary>
    /// <see cref="ApiUrl"/> as a list: several APIs (one per control host) may be given separated by commas; the
    /// router asks them in turn and stays with the one that last answered.
    /// </summary>
    public IReadOnlyList<Uri> ApiUrls =>
        (ApiUrl ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(u => Uri.TryCreate(u, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri : null)
            .OfType<Uri>().ToList();

    /// <summary>Whether every comma-separated part of <see cref="ApiUrl"/> is an absolute http(s) URL (and there is one).</summary>
    public bool ApiUrlsValid =>
        (ApiUrl ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) is { Length: > 0 } parts
        && parts.Length == ApiUrls.Count;

    /// <summary>The router credential the API wants (the API's <c>Api:RouterToken</c>). Never logged.</summary>
    public string? ApiToken { get; set; }

    /// <summary>
    /// Which address of an instance to proxy to. true: its <c>HostAddress</c> (its cell's host and the port mapped to it),
    /// for routers on other hosts; false: its own <c>Address</c> (reachable only from the cell's host). Unset (the default):
    /// detect, per instance: its own address when that lies on a network this host is attached to (the cell's bridge),
    /// else its host address. Either way the other is used when the preferred one is missing.
    /// </summary>
    public bool? PreferHostAddress { get; set; }

    /// <summary>How long a backend that failed a request stays out of the rotation before it is tried again.</summary>
    public int PassiveHealthReactivationSeconds { get; set; } = 30;

    /// <summary>Sticky sessions: pin a client to one instance with a cookie (YARP's "Cookie" affinity policy).</summary>
    public bool StickySessions { get; set; }

    /// <summary>
    /// Cloud Foundry's stickiness for Java sessions: a response that sets JSESSIONID also gets a __VCAP_ID__
    /// cookie naming its instance, and requests carrying it go back to that instance while it runs.
    /// </summary>
    public bool JSessionIdStickiness { get; set; } = true;

    /// <summary>Access lines waiting to be written beyond this are dropped rather than slowing requests down.</summary>
    public int AccessLogQueueCapacity { get; set; } = 10_000;

    /// <summary>Seconds between the per-app request reports (RouterAppStats) the router publishes for the dashboard's charts.</summary>
    public int StatsSeconds { get; set; } = 5;
}
