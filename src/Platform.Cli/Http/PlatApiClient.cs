using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Contracts.Api;

namespace Platform.Cli.Http;

/// <summary>An error answer from the API, carrying its problem's title and detail.</summary>
public sealed class ApiException(HttpStatusCode status, string message) : CliException(message)
{
    public HttpStatusCode Status { get; } = status;
}

/// <summary>
/// The /v1 REST API as the CLI uses it. Error answers become <see cref="ApiException"/> with the problem's
/// title and detail; an unreachable server becomes a <see cref="CliException"/> naming the URL.
/// </summary>
public sealed class PlatApiClient : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly HttpClient _http;

    public PlatApiClient(string baseUrl, string? token)
    {
        if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            throw new CliException($"'{baseUrl}' is not an API URL: use http://host:port or https://host");
        BaseUrl = baseUrl.TrimEnd('/');
        // Uploads of large apps take their time; polling requests are short anyway.
        _http = new HttpClient { BaseAddress = new Uri(BaseUrl + "/"), Timeout = TimeSpan.FromMinutes(30) };
        if (token is not null)
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public string BaseUrl { get; }

    public Task<InfoResponse> InfoAsync(CancellationToken ct) => GetAsync<InfoResponse>("v1/info", ct);
    public Task<TokenResponse> LoginAsync(string user, string password, CancellationToken ct) =>
        SendAsync<TokenResponse>(HttpMethod.Post, "v1/tokens", JsonContent.Create(new TokenRequest(user, password), options: Json), ct);

    public Task<List<AppResponse>> AppsAsync(CancellationToken ct) => GetAsync<List<AppResponse>>("v1/apps", ct);
    public Task<List<BuildpackResponse>> BuildpacksAsync(CancellationToken ct) => GetAsync<List<BuildpackResponse>>("v1/buildpacks", ct);
    public Task<List<StackResponse>> StacksAsync(CancellationToken ct) => GetAsync<List<StackResponse>>("v1/stacks", ct);
    public Task<AppDetailResponse> AppAsync(string name, CancellationToken ct) => GetAsync<AppDetailResponse>($"v1/apps/{Esc(name)}", ct);

    /// <summary>The app, or null when it does not exist.</summary>
    public async Task<AppDetailResponse?> FindAppAsync(string name, CancellationToken ct)
    {
        try
        {
            return await AppAsync(name, ct);
        }
        catch (ApiException e) when (e.Status == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public Task<AppResponse> CreateAppAsync(AppRequest body, CancellationToken ct) =>
        SendAsync<AppResponse>(HttpMethod.Post, "v1/apps", JsonContent.Create(body, options: Json), ct);
    public Task<AppResponse> UpdateAppAsync(string name, AppRequest body, CancellationToken ct) =>
        SendAsync<AppResponse>(HttpMethod.Patch, $"v1/apps/{Esc(name)}", JsonContent.Create(body, options: Json), ct);
    public Task<AppResponse> ScaleAsync(string name, ScaleRequest body, CancellationToken ct) =>
        SendAsync<AppResponse>(HttpMethod.Post, $"v1/apps/{Esc(name)}/scale", JsonContent.Create(body, options: Json), ct);
    public Task<AppResponse> StartAsync(string name, CancellationToken ct) => SendAsync<AppResponse>(HttpMethod.Post, $"v1/apps/{Esc(name)}/start", null, ct);
    public Task<AppResponse> StopAsync(string name, CancellationToken ct) => SendAsync<AppResponse>(HttpMethod.Post, $"v1/apps/{Esc(name)}/stop", null, ct);
    public Task<AppResponse> RestartAsync(string name, CancellationToken ct) => SendAsync<AppResponse>(HttpMethod.Post, $"v1/apps/{Esc(name)}/restart", null, ct);
    public Task DeleteAppAsync(string name, CancellationToken ct) => SendAsync<object>(HttpMethod.Delete, $"v1/apps/{Esc(name)}", null, ct);

    public Task<PackageResponse> UploadPackageAsync(string name, Stream archive, CancellationToken ct)
    {
        var content = new StreamContent(archive, 81920);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        return SendAsync<PackageResponse>(HttpMethod.Put, $"v1/apps/{Esc(name)}/package", content, ct);
    }

    public Task<BuildResponse> CreateBuildAsync(string name, CancellationToken ct) =>
        SendAsync<BuildResponse>(HttpMethod.Post, $"v1/apps/{Esc(name)}/builds", null, ct);
    public Task<BuildResponse> BuildAsync(Guid id, CancellationToken ct) => GetAsync<BuildResponse>($"v1/builds/{id}", ct);

    public Task<List<LogLineResponse>> LogsAsync(string name, long? after, int? limit, CancellationToken ct)
    {
        var query = new List<string>();
        if (after is { } a) query.Add($"after={a}");
        if (limit is { } l) query.Add($"limit={l}");
        return GetAsync<List<LogLineResponse>>($"v1/apps/{Esc(name)}/logs" + (query.Count > 0 ? "?" + string.Join('&', query) : ""), ct);
    }

    public Task<List<EventResponse>> EventsAsync(string name, CancellationToken ct) => GetAsync<List<EventResponse>>($"v1/apps/{Esc(name)}/events", ct);

    /// <summary>
    /// Runs a command in an instance and hands each NDJSON frame of the streamed answer to <paramref name="onFrame"/> as
    /// it arrives. Returns the last frame (the one with the exit code or an error), or null when the stream ended
    /// without one.
    /// </summary>
    public async Task<ExecFrame?> ExecAsync(string name, ExecRequest body, Func<ExecFrame, Task> onFrame, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"v1/apps/{Esc(name)}/exec")
        {
            Content = JsonContent.Create(body, options: Json),
        };
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (HttpRequestException e)
        {
            throw new CliException($"could not reach the API at {BaseUrl}: {e.Message}");
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode) throw await ErrorAsync(response, ct);
            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            using var reader = new StreamReader(stream);
            ExecFrame? last = null;
            try
            {
                while (await reader.ReadLineAsync(ct) is { } line)
                {
                    if (line.Length == 0) continue;
                    var frame = JsonSerializer.Deserialize<ExecFrame>(line, Json)
                        ?? throw new CliException("the API sent an empty exec frame");
                    if (frame.ExitCode is not null || frame.Error is not null) last = frame;
                    else await onFrame(frame);
                }
            }
            catch (JsonException e)
            {
                throw new CliException($"the API's exec stream is not NDJSON exec frames: {e.Message}");
            }
            catch (IOException e)
            {
                throw new CliException($"the exec stream from {BaseUrl} broke: {e.Message}");
            }
            return last;
        }
    }

    private Task<T> GetAsync<T>(string path, CancellationToken ct) => SendAsync<T>(HttpMethod.Get, path, null, ct);

    private async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? content, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, ct);
        }
        catch (HttpRequestException e)
        {
            throw new CliException($"could not reach the API at {BaseUrl}: {e.Message}");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new CliException($"the API at {BaseUrl} did not answer {method} /{path} in time");
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
                throw await ErrorAsync(response, ct);
            if (response.StatusCode == HttpStatusCode.NoContent || typeof(T) == typeof(object))
                return default!;
            try
            {
                return (await response.Content.ReadFromJsonAsync<T>(Json, ct))!;
            }
            catch (JsonException e)
            {
                throw new CliException($"the server at {BaseUrl} answered /{path} with something that is not the API's JSON ({e.Message}): is -a the right URL?");
            }
        }
    }

    private async Task<ApiException> ErrorAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        string message;
        try
        {
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            var title = doc.RootElement.TryGetProperty("title", out var t) ? t.GetString() : null;
            var detail = doc.RootElement.TryGetProperty("detail", out var d) ? d.GetString() : null;
            message = (title, detail) switch
            {
                (not null, not null) => $"{title}: {detail}",
                (null, not null) => detail,
                (not null, null) => title,
                _ => $"the API answered {status} {response.ReasonPhrase}",
            };
        }
        catch (JsonException)
        {
            message = $"the API answered {status} {response.ReasonPhrase}";
        }
        if (response.StatusCode == HttpStatusCode.Unauthorized && !message.Contains("login", StringComparison.OrdinalIgnoreCase))
            message += " (run plat login)";
        return new ApiException(response.StatusCode, message);
    }

    private static string Esc(string s) => Uri.EscapeDataString(s);

    public void Dispose() => _http.Dispose();
}
