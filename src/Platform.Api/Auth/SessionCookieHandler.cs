using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Api.Infrastructure;
using Platform.Data;
using Platform.Data.Entities;

namespace Platform.Api.Auth;

/// <summary>
/// The dashboard's authentication scheme, beside the bearer tokens: the session cookie's token, checked as a bearer
/// token is (<see cref="TokenAuthenticator"/>). Only session tokens are taken from a cookie. A failed challenge
/// answers 401 with a problem that tells the page to log in again, and drops the dead cookie.
/// </summary>
public sealed class SessionCookieHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    PlatformDbContext db,
    TimeProvider time)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "PlatformSession";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (SessionCookie.Read(Request) is not { } token) return AuthenticateResult.NoResult();
        var principal = await TokenAuthenticator.AuthenticateAsync(db, time, token, SchemeName, Context.RequestAborted);
        if (principal is null || principal.FindFirst(Caller.TokenKindClaim)?.Value != TokenKinds.Session)
            return AuthenticateResult.Fail("the session has ended");
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        SessionCookie.Clear(Context);
        await ApiProblemWriter.WriteAsync(Context, StatusCodes.Status401Unauthorized, "Session expired",
            "your session has ended or was revoked: log in again");
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        await ApiProblemWriter.WriteAsync(Context, StatusCodes.Status403Forbidden, "Forbidden", "you may not do this");
}

/// <summary>
/// The scheme the API's policy authenticates with: a request with an Authorization header is a bearer request (plat,
/// scripts; a cookie beside it is ignored), else one with the session cookie is the dashboard's.
/// </summary>
public static class PlatformAuthentication
{
    public const string SchemeName = "Platform";

    public static string Select(HttpContext context) =>
        context.Request.Headers.Authorization.Count == 0 && SessionCookie.IsPresent(context.Request)
            ? SessionCookieHandler.SchemeName
            : BearerTokenHandler.SchemeName;
}
