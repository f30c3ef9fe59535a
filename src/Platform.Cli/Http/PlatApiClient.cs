using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Contracts.Api;

namespace Platform.Cli.Http;

/// <summary>An error answer from the API, carrying its problem's title and detail.</summary>
public sealed class ApiException(HttpStatusCode status, string message, JsonElement? problem = null) : CliException(message)
{
    public HttpStatusCode Status { get; } = status;

    /// <summary>The problem's members beyond title and detail (RFC 9457 extensions), such as where in a manifest it is.</summary>
    public JsonElement? Problem { get; } = problem;

    public string? Member(string name) =>
        Problem is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public int? IntMember(string name) =>
        Problem is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;
}

/// <summary>
/// The /v1 REST API as the CLI uses it. Error answers become <see cref="ApiException"/> with the problem's
/// title and detail; an unreachable server becomes a <see cref="CliException"/> naming the URL.
/// </summary>
public sealed class PlatApiClient : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly HttpClient _http;

    /// <param name="space">The targeted space, which app commands act in (plat target -s).</param>
    public PlatApiClient(string baseUrl, string? token, Guid? space = null)
    {
        Space = space;
        if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            throw new CliException($"'{baseUrl}' is not an API URL: use http://host:port or https://host");
        BaseUrl = baseUrl.TrimEnd('/');
        // Uploads of large apps take their time; polling requests are short anyway.
        _http = new HttpClient { BaseAddress = new Uri(BaseUrl + "/"), Timeout = TimeSpan.FromMinutes(30) };
        if (token is not null)
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public string BaseUrl { get; }
    public Guid? Space { get; }

    /// <summary>/v1/spaces/{space} of the targeted space, or an error telling the user to target one.</summary>
    private string SpacePath => Space is { } s
        ? $"v1/spaces/{s}"
        : throw new CliException("no space targeted: run 'plat target -o ORG -s SPACE' first");

    private string AppPath(string name) => $"{SpacePath}/apps/{Esc(name)}";

    public Task<InfoResponse> InfoAsync(CancellationToken ct) => GetAsync<InfoResponse>("v1/info", ct);
    public Task<TokenResponse> LoginAsync(string user, string password, CancellationToken ct) =>
        SendAsync<TokenResponse>(HttpMethod.Post, "v1/tokens", JsonContent.Create(new TokenRequest(user, password), options: Json), ct);

    // The caller, their tokens, orgs, spaces, roles, quotas and users (docs/tenancy.md).
    public Task<MeResponse> MeAsync(CancellationToken ct) => GetAsync<MeResponse>("v1/me", ct);
    public Task LogoutAsync(CancellationToken ct) => SendAsync<object>(HttpMethod.Delete, "v1/tokens/current", null, ct);
    public Task ChangePasswordAsync(string oldPassword, string newPassword, CancellationToken ct) =>
        SendAsync<object>(HttpMethod.Put, "v1/me/password", Body(new PasswordRequest(oldPassword, newPassword)), ct);
    public Task<List<ApiTokenResponse>> ApiTokensAsync(CancellationToken ct) => GetAsync<List<ApiTokenResponse>>("v1/api-tokens", ct);
    public Task<ApiTokenResponse> CreateApiTokenAsync(ApiTokenRequest body, CancellationToken ct) =>
        SendAsync<ApiTokenResponse>(HttpMethod.Post, "v1/api-tokens", Body(body), ct);
    public Task RevokeApiTokenAsync(string name, CancellationToken ct) => SendAsync<object>(HttpMethod.Delete, $"v1/api-tokens/{Esc(name)}", null, ct);

    public Task<List<OrgResponse>> OrgsAsync(string? name, CancellationToken ct) =>
        GetAsync<List<OrgResponse>>("v1/orgs" + (name is null ? "" : $"?name={Esc(name)}"), ct);
    public Task<OrgResponse> CreateOrgAsync(string name, CancellationToken ct) => SendAsync<OrgResponse>(HttpMethod.Post, "v1/orgs", Body(new NameRequest(name)), ct);
    public Task<List<SpaceResponse>> SpacesAsync(Guid org, string? name, CancellationToken ct) =>
        GetAsync<List<SpaceResponse>>($"v1/orgs/{org}/spaces" + (name is null ? "" : $"?name={Esc(name)}"), ct);
    public Task<SpaceResponse> CreateSpaceAsync(Guid org, string name, CancellationToken ct) =>
        SendAsync<SpaceResponse>(HttpMethod.Post, $"v1/orgs/{org}/spaces", Body(new NameRequest(name)), ct);
    public Task<SpaceResponse> SpaceAsync(Guid space, CancellationToken ct) => GetAsync<SpaceResponse>($"v1/spaces/{space}", ct);

    /// <summary>The org of that name, or an error saying it is not found (or not visible to the user, which reads the same).</summary>
    public async Task<OrgResponse> OrgNamedAsync(string name, CancellationToken ct) =>
        (await OrgsAsync(name, ct)).FirstOrDefault() ?? throw new CliException($"org '{name}' not found");

    public async Task<SpaceResponse> SpaceNamedAsync(OrgResponse org, string name, CancellationToken ct) =>
        (await SpacesAsync(org.Id, name, ct)).FirstOrDefault() ?? throw new CliException($"space '{name}' not found in org {org.Name}");

    public Task<List<MemberResponse>> OrgUsersAsync(Guid org, CancellationToken ct) => GetAsync<List<MemberResponse>>($"v1/orgs/{org}/users", ct);
    public Task<List<MemberResponse>> SpaceUsersAsync(Guid space, CancellationToken ct) => GetAsync<List<MemberResponse>>($"v1/spaces/{space}/users", ct);
    public Task SetOrgRoleAsync(Guid org, string user, string role, bool set, CancellationToken ct) =>
        SendAsync<object>(set ? HttpMethod.Put : HttpMethod.Delete, $"v1/orgs/{org}/users/{Esc(user)}/roles/{Esc(role)}", null, ct);
    public Task SetSpaceRoleAsync(Guid space, string user, string role, bool set, CancellationToken ct) =>
        SendAsync<object>(set ? HttpMethod.Put : HttpMethod.Delete, $"v1/spaces/{space}/users/{Esc(user)}/roles/{Esc(role)}", null, ct);

    public Task<List<QuotaResponse>> OrgQuotasAsync(CancellationToken ct) => GetAsync<List<QuotaResponse>>("v1/org-quotas", ct);
    public Task<QuotaResponse> CreateOrgQuotaAsync(QuotaRequest body, CancellationToken ct) => SendAsync<QuotaResponse>(HttpMethod.Post, "v1/org-quotas", Body(body), ct);
    public Task<List<QuotaResponse>> SpaceQuotasAsync(Guid org, CancellationToken ct) => GetAsync<List<QuotaResponse>>($"v1/orgs/{org}/space-quotas", ct);
    public Task<QuotaResponse> CreateSpaceQuotaAsync(Guid org, QuotaRequest body, CancellationToken ct) =>
        SendAsync<QuotaResponse>(HttpMethod.Post, $"v1/orgs/{org}/space-quotas", Body(body), ct);
    public Task<OrgResponse> SetOrgQuotaAsync(Guid org, string? quota, CancellationToken ct) =>
        SendAsync<OrgResponse>(HttpMethod.Put, $"v1/orgs/{org}/quota", Body(new AssignQuotaRequest(quota)), ct);
    public Task<SpaceResponse> SetSpaceQuotaAsync(Guid space, string? quota, CancellationToken ct) =>
        SendAsync<SpaceResponse>(HttpMethod.Put, $"v1/spaces/{space}/quota", Body(new AssignQuotaRequest(quota)), ct);
    public Task<FeatureResponse> SetSpaceSshAsync(Guid space, bool enabled, CancellationToken ct) =>
        SendAsync<FeatureResponse>(HttpMethod.Put, $"v1/spaces/{space}/features/ssh", Body(new FeatureRequest(enabled)), ct);
    public Task<FeatureResponse> SetAppSshAsync(string app, bool enabled, CancellationToken ct) =>
        SendAsync<FeatureResponse>(HttpMethod.Put, $"{AppPath(app)}/features/ssh", Body(new FeatureRequest(enabled)), ct);

    public Task<List<UserResponse>> UsersAsync(CancellationToken ct) => GetAsync<List<UserResponse>>("v1/users", ct);
    public Task<UserResponse> CreateUserAsync(UserRequest body, CancellationToken ct) => SendAsync<UserResponse>(HttpMethod.Post, "v1/users", Body(body), ct);
    public Task DeleteUserAsync(string name, CancellationToken ct) => SendAsync<object>(HttpMethod.Delete, $"v1/users/{Esc(name)}", null, ct);

    private static JsonContent Body<T>(T body) => JsonContent.Create(body, options: Json);

    public Task<AppEnvResponse> EnvAsync(string app, CancellationToken ct) => GetAsync<AppEnvResponse>($"{AppPath(app)}/env", ct);
    public Task<AppEnvResponse> SetEnvAsync(string app, string variable, string value, CancellationToken ct) =>
        SendAsync<AppEnvResponse>(HttpMethod.Put, $"{AppPath(app)}/env/{Esc(variable)}", Body(new EnvValueRequest(value)), ct);
    public Task<AppEnvResponse> UnsetEnvAsync(string app, string variable, CancellationToken ct) =>
        SendAsync<AppEnvResponse>(HttpMethod.Delete, $"{AppPath(app)}/env/{Esc(variable)}", null, ct);

    public Task<DeploymentResponse> DeployAsync(string app, DeploymentRequest body, CancellationToken ct) =>
        SendAsync<DeploymentResponse>(HttpMethod.Post, $"{AppPath(app)}/deployments", Body(body), ct);
    public Task<DeploymentResponse> CancelDeploymentAsync(string app, CancellationToken ct) =>
        SendAsync<DeploymentResponse>(HttpMethod.Post, $"{AppPath(app)}/deployments/cancel", null, ct);
    public Task<List<RevisionResponse>> RevisionsAsync(string app, CancellationToken ct) => GetAsync<List<RevisionResponse>>($"{AppPath(app)}/revisions", ct);

    // Security groups.
    public Task<List<SecurityGroupResponse>> SecurityGroupsAsync(CancellationToken ct) => GetAsync<List<SecurityGroupResponse>>("v1/security-groups", ct);
    public Task<SecurityGroupResponse> SecurityGroupAsync(string name, CancellationToken ct) => GetAsync<SecurityGroupResponse>($"v1/security-groups/{Esc(name)}", ct);
    public Task<SecurityGroupResponse> CreateSecurityGroupAsync(SecurityGroupRequest body, CancellationToken ct) =>
        SendAsync<SecurityGroupResponse>(HttpMethod.Post, "v1/security-groups", Body(body), ct);
    public Task<SecurityGroupResponse> UpdateSecurityGroupAsync(string name, SecurityGroupRequest body, CancellationToken ct) =>
        SendAsync<SecurityGroupResponse>(HttpMethod.Put, $"v1/security-groups/{Esc(name)}", Body(body), ct);
    public Task DeleteSecurityGroupAsync(string name, CancellationToken ct) => SendAsync<object>(HttpMethod.Delete, $"v1/security-groups/{Esc(name)}", null, ct);
    public Task SetRunningSecurityGroupAsync(string name, bool running, CancellationToken ct) =>
        SendAsync<object>(running ? HttpMethod.Put : HttpMethod.Delete, $"v1/security-groups/{Esc(name)}/running", null, ct);
    public Task BindSecurityGroupAsync(string name, Guid space, bool bind, CancellationToken ct) =>
        SendAsync<object>(bind ? HttpMethod.Put : HttpMethod.Delete, $"v1/security-groups/{Esc(name)}/spaces/{space}", null, ct);
    public Task<List<SpaceSecurityGroupResponse>> SpaceSecurityGroupsAsync(Guid space, CancellationToken ct) =>
        GetAsync<List<SpaceSecurityGroupResponse>>($"v1/spaces/{space}/security-groups", ct);

    // Domains and routes.
    public Task<List<DomainResponse>> DomainsAsync(CancellationToken ct) => GetAsync<List<DomainResponse>>("v1/domains", ct);
    public Task<DomainResponse> CreateSharedDomainAsync(string name, CancellationToken ct) =>
        SendAsync<DomainResponse>(HttpMethod.Post, "v1/domains", Body(new NameRequest(name)), ct);
    public Task<DomainResponse> CreatePrivateDomainAsync(Guid org, string name, CancellationToken ct) =>
        SendAsync<DomainResponse>(HttpMethod.Post, $"v1/orgs/{org}/domains", Body(new NameRequest(name)), ct);
    public Task DeleteSharedDomainAsync(string name, CancellationToken ct) => SendAsync<object>(HttpMethod.Delete, $"v1/domains/{Esc(name)}", null, ct);
    public Task DeletePrivateDomainAsync(Guid org, string name, CancellationToken ct) =>
        SendAsync<object>(HttpMethod.Delete, $"v1/orgs/{org}/domains/{Esc(name)}", null, ct);
    public Task<List<RouteResponse>> RoutesAsync(CancellationToken ct) => GetAsync<List<RouteResponse>>($"{SpacePath}/routes", ct);
    public Task<RouteResponse> CreateRouteAsync(RouteRequest route, CancellationToken ct) =>
        SendAsync<RouteResponse>(HttpMethod.Post, $"{SpacePath}/routes", Body(route), ct);
    public Task DeleteRouteAsync(RouteRequest route, CancellationToken ct) =>
        SendAsync<object>(HttpMethod.Delete, $"{SpacePath}/routes{RouteQuery(route)}", null, ct);
    public Task<AppResponse> MapRouteAsync(string app, RouteRequest route, CancellationToken ct) =>
        SendAsync<AppResponse>(HttpMethod.Post, $"{AppPath(app)}/routes", Body(route), ct);
    public Task<AppResponse> UnmapRouteAsync(string app, RouteRequest route, CancellationToken ct) =>
        SendAsync<AppResponse>(HttpMethod.Delete, $"{AppPath(app)}/routes{RouteQuery(route)}", null, ct);

    private static string RouteQuery(RouteRequest route) =>
        $"?domain={Esc(route.Domain ?? "")}" + (route.Host is { Length: > 0 } h ? $"&host={Esc(h)}" : "") + (route.Path is { Length: > 0 } p ? $"&path={Esc(p)}" : "");

    public Task<List<AppResponse>> AppsAsync(CancellationToken ct) => GetAsync<List<AppResponse>>($"{SpacePath}/apps", ct);
    public Task<List<BuildpackResponse>> BuildpacksAsync(CancellationToken ct) => GetAsync<List<BuildpackResponse>>("v1/buildpacks", ct);
    public Task<List<StackResponse>> StacksAsync(CancellationToken ct) => GetAsync<List<StackResponse>>("v1/stacks", ct);
    public Task<List<CellResponse>> CellsAsync(CancellationToken ct) => GetAsync<List<CellResponse>>("v1/cells", ct);
    public Task<AppDetailResponse> AppAsync(string name, CancellationToken ct) => GetAsync<AppDetailResponse>(AppPath(name), ct);

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
        SendAsync<AppResponse>(HttpMethod.Post, $"{SpacePath}/apps", JsonContent.Create(body, options: Json), ct);
    public Task<AppResponse> UpdateAppAsync(string name, AppRequest body, CancellationToken ct) =>
        SendAsync<AppResponse>(HttpMethod.Patch, AppPath(name), JsonContent.Create(body, options: Json), ct);
    public Task<AppResponse> ScaleAsync(string name, ScaleRequest body, CancellationToken ct) =>
        SendAsync<AppResponse>(HttpMethod.Post, $"{AppPath(name)}/scale", JsonContent.Create(body, options: Json), ct);
    public Task<AppResponse> StartAsync(string name, CancellationToken ct) => SendAsync<AppResponse>(HttpMethod.Post, $"{AppPath(name)}/start", null, ct);
    public Task<AppResponse> StopAsync(string name, CancellationToken ct) => SendAsync<AppResponse>(HttpMethod.Post, $"{AppPath(name)}/stop", null, ct);
    public Task<AppResponse> RestartAsync(string name, CancellationToken ct) => SendAsync<AppResponse>(HttpMethod.Post, $"{AppPath(name)}/restart", null, ct);
    public Task DeleteAppAsync(string name, CancellationToken ct) => SendAsync<object>(HttpMethod.Delete, AppPath(name), null, ct);

    public Task<PackageResponse> UploadPackageAsync(string name, Stream archive, CancellationToken ct)
    {
        var content = new StreamContent(archive, 81920);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        return SendAsync<PackageResponse>(HttpMethod.Put, $"{AppPath(name)}/package", content, ct);
    }

    /// <summary>The resource list and a zip of the contents the platform lacks (null: it has them all), as multipart/form-data.</summary>
    public Task<PackageResponse> UploadResourcesAsync(string name, IReadOnlyList<PackageResource> resources, Stream? bits, CancellationToken ct)
    {
        var content = new MultipartFormDataContent();
        content.Add(JsonContent.Create(resources, options: Json), "resources");
        if (bits is not null)
        {
            var part = new StreamContent(bits, 81920);
            part.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
            content.Add(part, "bits", "bits.zip");
        }
        return SendAsync<PackageResponse>(HttpMethod.Put, $"{AppPath(name)}/package", content, ct);
    }

    public Task<ResourceMatchResponse> ResourceMatchAsync(IReadOnlyList<ResourceDigest> resources, CancellationToken ct) =>
        SendAsync<ResourceMatchResponse>(HttpMethod.Post, $"{SpacePath}/resource_match", Body(new ResourceMatchRequest(resources)), ct);

    /// <summary>Applies a manifest to the targeted space, or (<paramref name="dryRun"/>) says what applying it would change.</summary>
    public Task<ManifestApplyResponse> ApplyManifestAsync(string yaml, bool dryRun, CancellationToken ct)
    {
        var content = new StringContent(yaml, System.Text.Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-yaml");
        return SendAsync<ManifestApplyResponse>(HttpMethod.Post, $"{SpacePath}/manifest{(dryRun ? "/diff" : "")}", content, ct);
    }

    /// <summary>The app as a manifest (YAML).</summary>
    public async Task<string> AppManifestAsync(string name, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{AppPath(name)}/manifest");
        HttpResponseMessage response;
        try { response = await _http.SendAsync(request, ct); }
        catch (HttpRequestException e) { throw new CliException($"could not reach the API at {BaseUrl}: {e.Message}"); }
        using (response)
        {
            if (!response.IsSuccessStatusCode) throw await ErrorAsync(response, ct);
            return await response.Content.ReadAsStringAsync(ct);
        }
    }

    public Task<BuildResponse> CreateBuildAsync(string name, CancellationToken ct) =>
        SendAsync<BuildResponse>(HttpMethod.Post, $"{AppPath(name)}/builds", null, ct);
    public Task<BuildResponse> BuildAsync(string name, Guid id, CancellationToken ct) => GetAsync<BuildResponse>($"{AppPath(name)}/builds/{id}", ct);

    public Task<List<LogLineResponse>> LogsAsync(string name, long? after, int? limit, CancellationToken ct)
    {
        var query = new List<string>();
        if (after is { } a) query.Add($"after={a}");
        if (limit is { } l) query.Add($"limit={l}");
        return GetAsync<List<LogLineResponse>>($"{AppPath(name)}/logs" + (query.Count > 0 ? "?" + string.Join('&', query) : ""), ct);
    }

    /// <summary>
    /// Follows the app's log stream (GET .../logs/stream, Server-Sent Events): the lines after <paramref name="after"/>,
    /// or the <paramref name="recent"/> newest first, then each new line as it comes. A stream the server ends (it does
    /// every few minutes) or that breaks is opened again after the last line seen, so nothing is missed or repeated.
    /// Ends with <paramref name="ct"/>; an error answer (the app is gone, the login expired) throws.
    /// </summary>
    public async IAsyncEnumerable<LogLineResponse> FollowLogsAsync(string name, long? after, int recent,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var last = after;
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            var path = $"{AppPath(name)}/logs/stream" + (last is { } id ? $"?after={id}" : $"?recent={recent}");
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
            HttpResponseMessage? response = null;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            }
            catch (HttpRequestException e)
            {
                if (++failures > 5) throw new CliException($"could not reach the API at {BaseUrl}: {e.Message}");
            }
            if (response is null)
            {
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(10, failures)), ct);
                continue;
            }
            using (response)
            {
                if (!response.IsSuccessStatusCode) throw await ErrorAsync(response, ct);
                failures = 0;
                var lines = new List<LogLineResponse>();
                await using var stream = await response.Content.ReadAsStreamAsync(ct);
                var events = System.Net.ServerSentEvents.SseParser.Create(stream).EnumerateAsync(ct).GetAsyncEnumerator(ct);
                while (true)
                {
                    LogLineResponse? line = null;
                    try
                    {
                        if (!await events.MoveNextAsync()) break;
                        if (events.Current.EventType == "message")
                            line = JsonSerializer.Deserialize<LogLineResponse>(events.Current.Data, Json);
                    }
                    catch (IOException)
                    {
                        break; // the connection broke: open it again after the last line
                    }
                    catch (HttpRequestException)
                    {
                        break;
                    }
                    catch (JsonException e)
                    {
                        throw new CliException($"the API's log stream sent a line that is not a log line: {e.Message}");
                    }
                    if (line is null || line.Id <= (last ?? 0)) continue;
                    last = line.Id;
                    yield return line;
                }
                await events.DisposeAsync();
            }
            // The server closes streams now and then: start again where it stopped; a log stream with no line yet
            // starts after the newest line there is.
            last ??= 0;
        }
    }


    public Task<List<EventResponse>> EventsAsync(string name, CancellationToken ct) => GetAsync<List<EventResponse>>($"{AppPath(name)}/events", ct);

    /// <summary>
    /// Runs a command in an instance and hands each NDJSON frame of the streamed answer to <paramref name="onFrame"/> as
    /// it arrives. Returns the last frame (the one with the exit code or an error), or null when the stream ended
    /// without one.
    /// </summary>
    public async Task<ExecFrame?> ExecAsync(string name, ExecRequest body, Func<ExecFrame, Task> onFrame, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{AppPath(name)}/exec")
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
        JsonElement? problem = null;
        try
        {
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            problem = doc.RootElement.Clone();
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
        return new ApiException(response.StatusCode, message, problem);
    }

    private static string Esc(string s) => Uri.EscapeDataString(s);

    public void Dispose() => _http.Dispose();
}
