using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Platform.Api.Auth;
using Platform.Contracts.Api;
using Platform.Data.Entities;
using Platform.TestSupport;
using Xunit.Abstractions;

namespace Platform.Api.Tests;

/// <summary>
/// Sign-in hardening (an unknown name costs what a wrong password costs, rate limits, audit events, old hashes
/// upgraded), logout, and API tokens for scripts (shown once, listed with last use, narrowed to a space, revoked).
/// </summary>
public sealed class SignInAndTokenTests(ITestOutputHelper output)
{
    private static async Task<HttpResponseMessage> LoginAsync(HttpClient client, string user, string password) =>
        await client.PostAsJsonAsync("/v1/tokens", new TokenRequest(user, password));

    private static HttpClient WithToken(ApiHost host, string token)
    {
        var client = host.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    [Fact]
    public async Task An_unknown_username_takes_as_long_as_a_wrong_password()
    {
        await using var host = await ApiHost.StartAsync(new Dictionary<string, string?>
        {
            ["Api:LoginFailuresPerUserPerMinute"] = "1000", ["Api:LoginAttemptsPerAddressPerMinute"] = "1000",
        });
        using var client = host.Client();
        await LoginAsync(client, "admin", "wrong"); // warm up
        await LoginAsync(client, "nobody", "wrong");
        var known = new List<double>();
        var unknown = new List<double>();
        for (var i = 0; i < 24; i++)
        {
            // Interleaved, so drift of the machine's load affects both alike.
            foreach (var (name, into) in new[] { ("admin", known), ($"ghost-{i}", unknown) })
            {
                var sw = Stopwatch.StartNew();
                var r = await LoginAsync(client, name, "wrong-password");
                into.Add(sw.Elapsed.TotalMilliseconds);
                Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            }
        }
        static double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);
        var (mk, mu) = (Median(known), Median(unknown));
        output.WriteLine($"median wrong password {mk:F1} ms, unknown user {mu:F1} ms ({known.Count} tries each)");
        // Without the decoy hash an unknown name would answer in ~1 ms against hundreds for a wrong password. The
        // distributions must overlap: each median lies within the other's interquartile range.
        static (double, double) Iqr(List<double> xs) { var o = xs.Order().ToList(); return (o[o.Count / 4], o[3 * o.Count / 4]); }
        var (kq1, kq3) = Iqr(known);
        var (uq1, uq3) = Iqr(unknown);
        Assert.True(mu >= kq1 * 0.8 && mu <= kq3 * 1.25, $"unknown-user median {mu:F1} ms outside wrong-password IQR {kq1:F1}..{kq3:F1} ms");
        Assert.True(mk >= uq1 * 0.8 && mk <= uq3 * 1.25, $"wrong-password median {mk:F1} ms outside unknown-user IQR {uq1:F1}..{uq3:F1} ms");
    }

    [Fact]
    public async Task Failed_logins_are_rate_limited_per_username_and_per_address_and_audited()
    {
        await using var host = await ApiHost.StartAsync(new Dictionary<string, string?>
        {
            ["Api:LoginFailuresPerUserPerMinute"] = "3", ["Api:LoginAttemptsPerAddressPerMinute"] = "8",
        });
        using var client = host.Client();
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync(client, "admin", "guess-" + i)).StatusCode);
        // The right password now waits too: the name is locked for the minute.
        var locked = await LoginAsync(client, "admin", host.AdminPassword);
        await ProblemAssert.IsProblemAsync(locked, HttpStatusCode.TooManyRequests, "too many login attempts");
        Assert.Equal("60", locked.Headers.GetValues("Retry-After").Single());
        // Other names from this address, until the address has used its 8 attempts.
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++) statuses.Add((await LoginAsync(client, "someone-" + i, "x")).StatusCode);
        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests], statuses);

        await using var db = host.Db();
        var events = await db.Events.Where(e => e.Type.StartsWith("user.login")).ToListAsync();
        Assert.Equal(7, events.Count(e => e.Type == "user.login-failed"));
        Assert.Equal(2, events.Count(e => e.Type == "user.login-throttled"));
        Assert.All(events, e => Assert.Null(e.SpaceId));
        Assert.Contains(events, e => e.Actor == "admin" && e.Description.Contains("from 127.0.0.1"));
        // Audit events are for admins: GET /v1/events shows them to the admin.
        using var admin = await LoginAfterLimitAsync(host);
        Assert.Null(admin); // the address is still limited: a fresh login waits a minute, as it should
    }

    private static async Task<HttpClient?> LoginAfterLimitAsync(ApiHost host)
    {
        using var client = host.Client();
        var r = await LoginAsync(client, "admin", host.AdminPassword);
        return r.StatusCode == HttpStatusCode.OK ? WithToken(host, (await r.Content.ReadFromJsonAsync<TokenResponse>())!.AccessToken) : null;
    }

    [Fact]
    public async Task An_old_password_hash_is_upgraded_at_the_next_login()
    {
        await using var host = await ApiHost.StartAsync();
        await using (var db = host.Db())
        {
            db.Users.Add(new UserEntity { Id = Guid.NewGuid(), Name = "oldtimer", PasswordHash = PasswordHasher.Hash("old-password", 100_000), CreatedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }
        using var client = host.Client();
        Assert.Equal(HttpStatusCode.OK, (await LoginAsync(client, "oldtimer", "old-password")).StatusCode);
        await using var check = host.Db();
        var hash = (await check.Users.SingleAsync(u => u.Name == "oldtimer")).PasswordHash;
        Assert.StartsWith($"pbkdf2${PasswordHasher.Iterations}$", hash);
        Assert.True(PasswordHasher.Verify("old-password", hash));
        Assert.Equal(HttpStatusCode.OK, (await LoginAsync(client, "oldtimer", "old-password")).StatusCode);
    }

    [Fact]
    public async Task Logout_revokes_the_session_and_a_password_change_ends_the_other_sessions()
    {
        await using var host = await ApiHost.StartAsync();
        (await (await host.AdminClientAsync()).PostAsJsonAsync("/v1/users", new UserRequest("pat", "pat-password"))).EnsureSuccessStatusCode();
        using var anon = host.Client();
        var first = (await (await LoginAsync(anon, "pat", "pat-password")).Content.ReadFromJsonAsync<TokenResponse>())!.AccessToken;
        var second = (await (await LoginAsync(anon, "pat", "pat-password")).Content.ReadFromJsonAsync<TokenResponse>())!.AccessToken;
        using var a = WithToken(host, first);
        using var b = WithToken(host, second);
        Assert.Equal(HttpStatusCode.OK, (await a.GetAsync("/v1/me")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await a.DeleteAsync("/v1/tokens/current")).StatusCode);
        await ProblemAssert.IsProblemAsync(await a.GetAsync("/v1/me"), HttpStatusCode.Unauthorized, "revoked");
        Assert.Equal(HttpStatusCode.OK, (await b.GetAsync("/v1/me")).StatusCode);

        await ProblemAssert.IsProblemAsync(await b.PutAsJsonAsync("/v1/me/password", new PasswordRequest("wrong", "new-password-1")), HttpStatusCode.Forbidden, "current password is wrong");
        await ProblemAssert.IsProblemAsync(await b.PutAsJsonAsync("/v1/me/password", new PasswordRequest("pat-password", "short")), HttpStatusCode.BadRequest, "at least 8");
        var third = (await (await LoginAsync(anon, "pat", "pat-password")).Content.ReadFromJsonAsync<TokenResponse>())!.AccessToken;
        Assert.Equal(HttpStatusCode.NoContent, (await b.PutAsJsonAsync("/v1/me/password", new PasswordRequest("pat-password", "new-password-1"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await b.GetAsync("/v1/me")).StatusCode); // the session that changed it stays
        using var c = WithToken(host, third);
        Assert.Equal(HttpStatusCode.Unauthorized, (await c.GetAsync("/v1/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync(anon, "pat", "pat-password")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await LoginAsync(anon, "pat", "new-password-1")).StatusCode);
    }

    [Fact]
    public async Task Api_tokens_are_shown_once_stored_hashed_listed_with_last_use_narrowed_to_a_space_and_revocable()
    {
        await using var host = await ApiHost.StartAsync();
        using var admin = await host.AdminClientAsync();
        var org = (await (await admin.PostAsJsonAsync("/v1/orgs", new NameRequest("tok-org"))).Content.ReadFromJsonAsync<OrgResponse>())!.Id;
        var other = (await (await admin.PostAsJsonAsync($"/v1/orgs/{org}/spaces", new NameRequest("other"))).Content.ReadFromJsonAsync<SpaceResponse>())!.Id;
        var dev = Guid.Parse(TestSpaces.Default["/v1/spaces/".Length..]);

        var created = await admin.PostAsJsonAsync("/v1/api-tokens", new ApiTokenRequest("ci", "30d", dev));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var token = (await created.Content.ReadFromJsonAsync<ApiTokenResponse>())!;
        Assert.False(string.IsNullOrEmpty(token.Token));
        Assert.InRange(token.ExpiresAt - token.CreatedAt, TimeSpan.FromDays(29.9), TimeSpan.FromDays(30.1));
        await using (var db = host.Db())
        {
            var row = await db.Tokens.SingleAsync(t => t.Name == "ci");
            Assert.Equal((TokenKinds.Api, dev), (row.Kind, row.SpaceId));
            Assert.NotEqual(token.Token, row.TokenHash);
            Assert.Equal(TokenHasher.Hash(token.Token!), row.TokenHash);
        }

        using var ci = WithToken(host, token.Token!);
        Assert.Equal(HttpStatusCode.OK, (await ci.GetAsync($"{TestSpaces.Default}/apps")).StatusCode);
        // Narrowed: another space does not exist for it, nor do admin-wide changes; it cannot mint tokens.
        await ProblemAssert.IsProblemAsync(await ci.GetAsync($"/v1/spaces/{other}/apps"), HttpStatusCode.NotFound, "not found");
        await ProblemAssert.IsProblemAsync(await ci.PostAsJsonAsync("/v1/orgs", new NameRequest("x")), HttpStatusCode.Forbidden, "narrowed");
        await ProblemAssert.IsProblemAsync(await ci.PostAsJsonAsync("/v1/api-tokens", new ApiTokenRequest("again")), HttpStatusCode.Forbidden, "login session");
        Assert.Equal([dev], (await ci.GetFromJsonAsync<List<SpaceResponse>>("/v1/spaces"))!.Select(s => s.Id));

        var listed = (await admin.GetFromJsonAsync<List<ApiTokenResponse>>("/v1/api-tokens"))!.Single();
        Assert.Equal(("ci", (string?)null, (Guid?)dev), (listed.Name, listed.Token, listed.SpaceId));
        Assert.NotNull(listed.LastUsedAt);

        await ProblemAssert.IsProblemAsync(await admin.PostAsJsonAsync("/v1/api-tokens", new ApiTokenRequest("ci")), HttpStatusCode.Conflict, "named 'ci' already");
        await ProblemAssert.IsProblemAsync(await admin.PostAsJsonAsync("/v1/api-tokens", new ApiTokenRequest("bad", "forever")), HttpStatusCode.BadRequest, "not a duration");
        await ProblemAssert.IsProblemAsync(await admin.PostAsJsonAsync("/v1/api-tokens", new ApiTokenRequest("Bad Name")), HttpStatusCode.BadRequest, "not a valid token name");
        await ProblemAssert.IsProblemAsync(await admin.PostAsJsonAsync("/v1/api-tokens", new ApiTokenRequest("nowhere", SpaceId: Guid.NewGuid())), HttpStatusCode.NotFound, "space");

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync("/v1/api-tokens/ci")).StatusCode);
        await ProblemAssert.IsProblemAsync(await ci.GetAsync($"{TestSpaces.Default}/apps"), HttpStatusCode.Unauthorized, "revoked");
        await ProblemAssert.IsProblemAsync(await admin.DeleteAsync("/v1/api-tokens/ci"), HttpStatusCode.NotFound, "no API token named 'ci'");

        // An expired token is refused.
        var expiring = (await (await admin.PostAsJsonAsync("/v1/api-tokens", new ApiTokenRequest("short", "1m"))).Content.ReadFromJsonAsync<ApiTokenResponse>())!;
        await using (var db = host.Db())
        {
            var row = await db.Tokens.SingleAsync(t => t.Name == "short");
            row.ExpiresAt = DateTimeOffset.UtcNow.AddSeconds(-1);
            await db.SaveChangesAsync();
        }
        using var late = WithToken(host, expiring.Token!);
        await ProblemAssert.IsProblemAsync(await late.GetAsync("/v1/me"), HttpStatusCode.Unauthorized, "expired");
    }
}
