using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Mvc;

namespace Platform.Api.Tests;

/// <summary>One API host for every test class of the collection (tests there run one at a time).</summary>
public sealed class ApiFixture : IAsyncLifetime
{
    public const long UploadLimit = 256 * 1024;

    private ApiHost? _host;
    public ApiHost Host => _host ?? throw new InvalidOperationException("host not started");
    public HttpClient Admin { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _host = await ApiHost.StartAsync(new Dictionary<string, string?>
        {
            ["Api:MaxUploadBytes"] = UploadLimit.ToString(),
            ["Api:AppsDomain"] = "apps.test",
        });
        Admin = await _host.AdminClientAsync();
    }

    public async Task DisposeAsync()
    {
        Admin.Dispose();
        if (_host is not null) await _host.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ApiCollection : ICollectionFixture<ApiFixture>
{
    public const string Name = "api";
}

public static class ProblemAssert
{
    /// <summary>Asserts the status, that the body is a problem, and that its detail contains <paramref name="detail"/>.</summary>
    public static async Task<ProblemDetails> IsProblemAsync(HttpResponseMessage response, HttpStatusCode status, string detail)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = System.Text.Json.JsonSerializer.Deserialize<ProblemDetails>(body, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web))!;
        Assert.False(string.IsNullOrEmpty(problem.Title), body);
        Assert.Contains(detail, problem.Detail ?? "", StringComparison.OrdinalIgnoreCase);
        return problem;
    }
}
