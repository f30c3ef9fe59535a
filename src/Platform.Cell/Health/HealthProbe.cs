using System.Net;
using System.Net.Sockets;
using Platform.Contracts;

namespace Platform.Cell.Health;

/// <summary>One look at an instance's health, by its <see cref="HealthCheck"/>.</summary>
public readonly record struct ProbeResult(bool Healthy, string? Failure)
{
    public static readonly ProbeResult Ok = new(true, null);
    public static ProbeResult Failed(string why) => new(false, why);
}

/// <summary>
/// Probes an instance as Cloud Foundry's health checks do: "port" connects to $PORT, "http" GETs the endpoint on $PORT
/// and wants a 2xx, "process" asks only that it runs (its exit is noticed anyway). A readiness probe gets a second (it is
/// tried again at once); a liveness probe of a serving instance two, so a busy host is not taken for a dead app.
/// </summary>
public static class HealthProbe
{
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan LivenessTimeout = TimeSpan.FromSeconds(2);

    // One client for every http probe on the cell: no proxy, no cookies, short-lived pooled connections.
    private static readonly HttpClient Http = new(new SocketsHttpHandler
    {
        UseProxy = false,
        UseCookies = false,
        AllowAutoRedirect = false,
        PooledConnectionLifetime = TimeSpan.FromSeconds(30),
        ConnectTimeout = LivenessTimeout,
    })
    { Timeout = Timeout.InfiniteTimeSpan };

    public static HealthCheck Default { get; } = new();

    public static async Task<ProbeResult> CheckAsync(HealthCheck check, string? address, int port, CancellationToken ct, TimeSpan? timeout = null)
    {
        if (check.Type == HealthChecks.Process) return ProbeResult.Ok;
        if (address is null) return ProbeResult.Failed("the instance has no address");
        var limit = timeout ?? AttemptTimeout;
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
        attempt.CancelAfter(limit);
        try
        {
            if (check.Type == HealthChecks.Http)
            {
                var path = string.IsNullOrEmpty(check.Endpoint) ? "/" : check.Endpoint;
                using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{address}:{port}{path}");
                using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, attempt.Token);
                return (int)response.StatusCode is >= 200 and < 300
                    ? ProbeResult.Ok
                    : ProbeResult.Failed($"GET {path} answered {(int)response.StatusCode}");
            }
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(IPAddress.Parse(address), port, attempt.Token);
            return ProbeResult.Ok;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return ProbeResult.Failed(check.Type == HealthChecks.Http
                ? $"GET {(string.IsNullOrEmpty(check.Endpoint) ? "/" : check.Endpoint)} did not answer within {limit.TotalSeconds:0} s"
                : $"port {port} did not accept a connection within {limit.TotalSeconds:0} s");
        }
        catch (Exception e) when (e is SocketException or HttpRequestException or IOException)
        {
            return ProbeResult.Failed(check.Type == HealthChecks.Http
                ? $"GET {(string.IsNullOrEmpty(check.Endpoint) ? "/" : check.Endpoint)} failed: {Root(e).Message}"
                : $"nothing listens on port {port}");
        }
    }

    private static Exception Root(Exception e) => e.InnerException is { } inner ? Root(inner) : e;
}
