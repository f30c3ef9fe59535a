namespace Platform.Router;

/// <summary>Bound from the "Router" configuration section.</summary>
public sealed class RouterOptions
{
    public const string SectionName = "Router";

    /// <summary>Where the router's own Kestrel endpoint listens (separate from the API's). Port 0 picks a free port.</summary>
    public string Url { get; set; } = "http://127.0.0.1:7080";

    /// <summary>Apps get routes <c>NAME.AppsDomain</c>; used in messages and docs, the route table holds full hosts.</summary>
    public string AppsDomain { get; set; } = "apps.localhost";

    /// <summary>Full reload of the route table this often, in case a bus message was lost.</summary>
    public int ResyncSeconds { get; set; } = 5;

    /// <summary>
    /// Proxy to an instance's <c>HostAddress</c> (the host port mapped to it) rather than its own <c>Address</c>:
    /// for routers that do not run on the instance's host.
    /// </summary>
    public bool UseHostAddress { get; set; }

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
