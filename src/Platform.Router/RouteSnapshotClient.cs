using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.Options;
using Platform.Contracts.Api;

namespace Platform.Router;

/// <summary>
/// Loads the route table snapshot from the API (<c>Router:ApiUrl</c>) with the router credential (<c>Router:ApiToken</c>).
/// With several APIs (one per control host) it asks them in turn, starting with the one that answered last, so a
/// router keeps loading its table while a control host is down.
/// </summary>
public sealed class RouteSnapshotClient : IDisposable
{
    public const string Path = "/v1/internal/route-table";
    private readonly HttpClient _http;
    private readonly IReadOnlyList<Uri> _apis;
    private int _current;

    public RouteSnapshotClient(IOptions<RouterOptions> options)
    {
        var o = options.Value;
        _apis = o.ApiUrls.Count > 0 ? o.ApiUrls : [new Uri("http://127.0.0.1:7070")];
        _http = new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(_apis.Count > 1 ? 2 : 5),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        })
        {
            Timeout = TimeSpan.FromSeconds(30),
        };
        if (!string.IsNullOrEmpty(o.ApiToken))
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", o.ApiToken);
    }

    /// <summary>The API asked first next time: the one that answered last.</summary>
    public Uri CurrentApi => _apis[Volatile.Read(ref _current)];

    public async Task<RouteTableSnapshot> GetAsync(CancellationToken cancellationToken)
    {
        var first = Volatile.Read(ref _current);
        for (var attempt = 0; ; attempt++)
        {
            var index = (first + attempt) % _apis.Count;
            try
            {
                var snapshot = await GetFromAsync(_apis[index], cancellationToken);
                Volatile.Write(ref _current, index);
                return snapshot;
            }
            catch (Exception e) when (attempt + 1 < _apis.Count && e is HttpRequestException or TaskCanceledException
                                      && !cancellationToken.IsCancellationRequested)
            {
                // That control host is away: the next one.
            }
        }
    }

    private async Task<RouteTableSnapshot> GetFromAsync(Uri api, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(new Uri(api, Path), cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            // The API's problem detail says what is wrong (no router credential configured, a wrong one); the token is not in it.
            var detail = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new HttpRequestException(
                $"{api} answered {(int)response.StatusCode} for {Path}: {detail[..Math.Min(detail.Length, 500)]}", null, response.StatusCode);
        }
        return await response.Content.ReadFromJsonAsync<RouteTableSnapshot>(cancellationToken)
            ?? throw new HttpRequestException($"{api} sent an empty route table from {Path}");
    }

    public void Dispose() => _http.Dispose();
}
