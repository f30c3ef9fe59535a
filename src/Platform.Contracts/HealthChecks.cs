namespace Platform.Contracts;

/// <summary>
/// How a cell decides an instance is healthy, as Cloud Foundry's health checks: "port" (it accepts TCP connections on
/// $PORT; the default), "http" (GET <see cref="Endpoint"/> on $PORT answers 2xx) or "process" (it runs). An instance gets
/// traffic only once its check passes within <see cref="TimeoutSeconds"/>; after that the cell keeps checking, and an
/// instance whose check fails is taken out of the routes and restarted.
/// </summary>
public sealed record HealthCheck(string Type = HealthChecks.Port, string? Endpoint = null, int? TimeoutSeconds = null);

public static class HealthChecks
{
    public const string Port = "port";
    public const string Http = "http";
    public const string Process = "process";
    public static readonly IReadOnlyList<string> Types = [Port, Http, Process];

    /// <summary>Cloud Foundry's longest start timeout.</summary>
    public const int MaxTimeoutSeconds = 600;

    /// <summary>Null when the health check settings are acceptable, else why not.</summary>
    public static string? Check(string? type, string? endpoint, int? timeoutSeconds)
    {
        if (type is not null && !Types.Contains(type))
            return $"health check type must be one of {string.Join(", ", Types)}, not '{type}'";
        if (endpoint is not null)
        {
            if (type is not null && type != Http) return "a health check endpoint is only for the http health check type";
            if (!endpoint.StartsWith('/') || endpoint.Length > 1024 || endpoint.Any(c => char.IsControl(c) || c == ' '))
                return $"the health check endpoint must be a path starting with '/', without spaces, not '{endpoint}'";
        }
        if (timeoutSeconds is < 1 or > MaxTimeoutSeconds)
            return $"the health check timeout must be between 1 and {MaxTimeoutSeconds} seconds, not {timeoutSeconds}";
        return null;
    }
}
