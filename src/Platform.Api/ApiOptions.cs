namespace Platform.Api;

/// <summary>Settings of the API role, bound from the "Api" configuration section.</summary>
public sealed class ApiOptions
{
    public const string Section = "Api";

    /// <summary>Every app gets the route <c>&lt;name&gt;.&lt;AppsDomain&gt;</c>.</summary>
    public string AppsDomain { get; set; } = "apps.localhost";

    /// <summary>Where the router listens, shown to users by /v1/info.</summary>
    public string RouterUrl { get; set; } = "http://127.0.0.1:7080";

    /// <summary>Largest app archive accepted by PUT /v1/apps/{name}/package.</summary>
    public long MaxUploadBytes { get; set; } = 1L << 30;

    /// <summary>Where bootstrap-admin.json (the first admin's password) is written; defaults to the top-level DataDir.</summary>
    public string DataDir { get; set; } = "/var/lib/platform";

    /// <summary>Log lines kept per app; older ones are trimmed every <see cref="LogTrimIntervalSeconds"/>.</summary>
    public int MaxLogLinesPerApp { get; set; } = 2000;

    /// <summary>A cell silent this long is shown as lost (keep it equal to the scheduler's Scheduler:CellTimeoutSeconds).</summary>
    public double CellTimeoutSeconds { get; set; } = 30;

    public int LogTrimIntervalSeconds { get; set; } = 30;

    /// <summary>Lifetime of a session token issued by POST /v1/tokens (plat login); plat logout revokes it sooner.</summary>
    public int TokenLifetimeDays { get; set; } = 30;

    /// <summary>Revisions per app that keep their droplet for a rollback; older ones release it.</summary>
    public int KeptRevisions { get; set; } = 5;

    /// <summary>Lifetime of a dashboard session (POST /v1/sessions); logging out ends it sooner.</summary>
    public int SessionCookieHours { get; set; } = 12;

    /// <summary>
    /// Where the dashboard's built files are (web/dist); default: the "dashboard" folder beside platd, where the build
    /// copies them. Without an index.html there, / answers 404 saying how to build it.
    /// </summary>
    public string? DashboardDir { get; set; }

    /// <summary>How often the live streams (apps, instances, cells) look for changes, in milliseconds: one query per watched space or app per interval, however many pages watch.</summary>
    public int LiveIntervalMilliseconds { get; set; } = 1000;

    /// <summary>How often the log streams look for new lines written by other processes (routers, other API instances).</summary>
    public int LogPollMilliseconds { get; set; } = 250;

    /// <summary>
    /// A live stream (Server-Sent Events) is closed after this long and the browser reconnects where it left off
    /// (Last-Event-ID): credentials and access are checked again, and load spreads over API instances.
    /// </summary>
    public int StreamMaxSeconds { get; set; } = 300;


    /// <summary>How much metrics history is kept per instance and app, in minutes (GET .../metrics).</summary>
    public int MetricsHistoryMinutes { get; set; } = 60;

    /// <summary>The metrics history's resolution: at most one sample per instance (and one router sum per app) per this many seconds.</summary>
    public int MetricsResolutionSeconds { get; set; } = 5;

    /// <summary>Lifetime of an API token (plat create-token) made without --expires.</summary>
    public int ApiTokenLifetimeDays { get; set; } = 90;

    /// <summary>Failed logins allowed per username per minute; more answer 429 until the minute has passed.</summary>
    public int LoginFailuresPerUserPerMinute { get; set; } = 5;

    /// <summary>Login attempts allowed per client address per minute (failed or not); more answer 429.</summary>
    public int LoginAttemptsPerAddressPerMinute { get; set; } = 30;

    /// <summary>
    /// The secret `plat exec` grants are signed with; every cell's Cell:ExecGrantKey must be the same (at least 16
    /// characters; never logged). platd makes one up per run when the api and cell roles share a process.
    /// </summary>
    public string? ExecGrantKey { get; set; }
}
