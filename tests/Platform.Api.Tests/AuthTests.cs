using Platform.TestSupport;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Platform.Api.Auth;
using Platform.Contracts.Api;
using Platform.Data.Entities;

namespace Platform.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class AuthTests(ApiFixture fixture)
{
    private ApiHost Host => fixture.Host;

    [Fact]
    public async Task Healthz_and_info_need_no_token()
    {
        using var http = Host.Client();
        Assert.Equal("ok", await http.GetStringAsync("/healthz"));
        var info = await http.GetFromJsonAsync<InfoResponse>("/v1/info");
        Assert.Equal("apps.test", info!.AppsDomain);
        Assert.Equal(ApiFixture.UploadLimit, info.MaxUploadBytes);
    }

    [Fact]
    public async Task A_missing_token_is_401_with_a_problem_that_says_how_to_log_in()
    {
        using var http = Host.Client();
        var resp = await http.GetAsync(TestSpaces.Default + "/apps");
        await ProblemAssert.IsProblemAsync(resp, HttpStatusCode.Unauthorized, "POST /v1/tokens");
    }

    [Fact]
    public async Task A_wrong_token_is_401()
    {
        using var http = Host.Client();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "not-a-real-token");
        var resp = await http.GetAsync(TestSpaces.Default + "/apps");
        await ProblemAssert.IsProblemAsync(resp, HttpStatusCode.Unauthorized, "unknown, revoked or has expired");
    }

    [Fact]
    public async Task An_expired_token_is_401()
    {
        var token = TokenHasher.NewToken();
        await using (var db = Host.Db())
        {
            var admin = db.Users.Single(u => u.Name == "admin");
            db.Tokens.Add(new TokenEntity
            {
                Id = Guid.NewGuid(),
                UserId = admin.Id,
                TokenHash = TokenHasher.Hash(token),
                CreatedAt = DateTimeOffset.UtcNow.AddDays(-31),
                ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(-1),
            });
            await db.SaveChangesAsync();
        }
        using var http = Host.Client();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var resp = await http.GetAsync(TestSpaces.Default + "/apps");
        await ProblemAssert.IsProblemAsync(resp, HttpStatusCode.Unauthorized, "expired");
    }

    [Fact]
    public async Task A_wrong_password_is_401_and_issues_no_token()
    {
        int before;
        await using (var db = Host.Db()) before = db.Tokens.Count();
        using var http = Host.Client();
        var resp = await http.PostAsJsonAsync("/v1/tokens", new TokenRequest("admin", "wrong"));
        await ProblemAssert.IsProblemAsync(resp, HttpStatusCode.Unauthorized, "wrong username or password");
        var unknown = await http.PostAsJsonAsync("/v1/tokens", new TokenRequest("nobody", "x"));
        await ProblemAssert.IsProblemAsync(unknown, HttpStatusCode.Unauthorized, "wrong username or password");
        await using (var db = Host.Db()) Assert.Equal(before, db.Tokens.Count());
    }

    [Fact]
    public async Task A_login_issues_a_token_that_works_and_only_its_hash_is_stored()
    {
        using var http = Host.Client();
        var resp = await http.PostAsJsonAsync("/v1/tokens", new TokenRequest("admin", Host.AdminPassword));
        resp.EnsureSuccessStatusCode();
        var token = (await resp.Content.ReadFromJsonAsync<TokenResponse>())!;
        Assert.Equal("Bearer", token.TokenType);
        Assert.Equal("admin", token.Username);
        await using (var db = Host.Db())
        {
            Assert.DoesNotContain(db.Tokens, t => t.TokenHash == token.AccessToken);
            var stored = db.Tokens.Single(t => t.TokenHash == TokenHasher.Hash(token.AccessToken));
            Assert.InRange(stored.ExpiresAt - stored.CreatedAt, TimeSpan.FromDays(29.9), TimeSpan.FromDays(30.1));
        }
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.AccessToken);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(TestSpaces.Default + "/apps")).StatusCode);
    }

    [Fact]
    public void The_bootstrap_admin_file_is_readable_by_the_owner_only_and_holds_a_hashed_password()
    {
        var path = Path.Combine(Host.DataDir, "bootstrap-admin.json");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        using var db = Host.Db();
        var admin = db.Users.Single(u => u.Name == "admin");
        Assert.StartsWith("pbkdf2$", admin.PasswordHash);
        Assert.DoesNotContain(Host.AdminPassword, admin.PasswordHash);
        Assert.True(PasswordHasher.Verify(Host.AdminPassword, admin.PasswordHash));
        Assert.False(PasswordHasher.Verify(Host.AdminPassword + "x", admin.PasswordHash));
    }
}
