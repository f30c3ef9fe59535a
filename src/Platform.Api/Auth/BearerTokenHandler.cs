using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Api.Infrastructure;
using Platform.Data;

namespace Platform.Api.Auth;

/// <summary>
/// Authenticates "Authorization: Bearer &lt;token&gt;" against the tokens table (by hash, unexpired) and
/// answers a failed challenge with a 401 problem that says what to do.
/// </summary>
public sealed class BearerTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    PlatformDbContext db,
    TimeProvider time)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "PlatformToken";
    public const string Policy = "PlatformApi";
    private const string FailureKey = "platform.auth.failure";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header))
            return AuthenticateResult.NoResult();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
            return Fail("the Authorization header must be 'Bearer <token>'");

        return await AuthenticateTokenAsync(header[7..].Trim());
    }

    /// <summary>Finds the unexpired token with this value and signs its user in, with the token's kind and space.</summary>
    internal async Task<AuthenticateResult> AuthenticateTokenAsync(string token)
    {
        var hash = TokenHasher.Hash(token);
        var now = time.GetUtcNow();
        var found = await (
            from t in db.Tokens
            join u in db.Users on t.UserId equals u.Id
            where t.TokenHash == hash && t.ExpiresAt > now
            select new { TokenId = t.Id, t.Kind, t.SpaceId, t.LastUsedAt, UserId = u.Id, u.Name, u.Role }).FirstOrDefaultAsync(Context.RequestAborted);
        if (found is null)
            return Fail("the token is unknown, revoked or has expired: log in again (plat login)");

        // When it was last used, for plat tokens; at most once a minute, so a busy script does not write on every call.
        if (found.LastUsedAt is not { } last || now - last > TimeSpan.FromMinutes(1))
            await db.Tokens.Where(t => t.Id == found.TokenId)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.LastUsedAt, now), Context.RequestAborted);

        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, found.UserId.ToString()),
            new(ClaimTypes.Name, found.Name),
            new(ClaimTypes.Role, found.Role),
            new(Caller.TokenClaim, found.TokenId.ToString()),
            new(Caller.TokenKindClaim, found.Kind),
        };
        if (found.SpaceId is { } space) claims.Add(new Claim(Caller.SpaceClaim, space.ToString()));
        var identity = new ClaimsIdentity(claims, SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    private AuthenticateResult Fail(string why)
    {
        Context.Items[FailureKey] = why;
        return AuthenticateResult.Fail(why);
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var detail = Context.Items[FailureKey] as string
            ?? "this endpoint needs 'Authorization: Bearer <token>': get a token with POST /v1/tokens (plat login)";
        Response.Headers.WWWAuthenticate = "Bearer";
        await ApiProblemWriter.WriteAsync(Context, StatusCodes.Status401Unauthorized, "Unauthorized", detail);
    }
}
