using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.Options;
using Platform.Contracts.Api;

namespace Platform.Router;

/// <summary>Loads the route table snapshot from the API (<c>Router:ApiUrl</c>) with the router credential (<c>Router:ApiToken</c>).</summary>
public sealed class RouteSnapshotClient : IDisposable
{
    public const string Path = "/v1/internal/route-table";
    private readonly HttpClient _http;

    public RouteSnapshotClient(IOptions<RouterOptions> options)
    {
        var o = options.Value;
        _http = new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        })
        {
            BaseAddress = new Uri(o.ApiUrl ?? "http://127.0.0.1:7070"),
            Timeout = TimeSpan.FromSeconds(30),
        };
        if (!string.IsNullOrEmpty(o.ApiToken))
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", o.ApiToken);
    }

    public async Task<RouteTableSnapshot> GetAsync(CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(Path, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            // The API's problem detail says what is wrong (no router credential configured, a wrong one); the token is not in it.
            var detail = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new HttpRequestException(
                $"the API answered {(int)response.StatusCode} for {Path}: {detail[..Math.Min(detail.Length, 500)]}", null, response.StatusCode);
        }
        return await response.Content.ReadFromJsonAsync<RouteTableSnapshot>(cancellationToken)
            ?? throw new HttpRequestException($"the API sent an empty route table from {Path}");
    }

    public void Dispose() => _http.Dispose();
}
