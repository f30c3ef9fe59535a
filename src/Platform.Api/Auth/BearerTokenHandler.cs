using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
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
        var principal = await TokenAuthenticator.AuthenticateAsync(db, time, token, SchemeName, Context.RequestAborted);
        return principal is null
            ? Fail("the token is unknown, revoked or has expired: log in again (plat login)")
            : AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
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
