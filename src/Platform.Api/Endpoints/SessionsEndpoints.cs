using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Api.Access;
using Platform.Api.Auth;
using Platform.Api.Infrastructure;
using Platform.Contracts.Api;
using Platform.Data;
using Platform.Api.OpenApi;

namespace Platform.Api.Endpoints;

/// <summary>
/// The dashboard's sign-in: POST /v1/sessions checks a username and password as POST /v1/tokens does (the same rate
/// limits, decoy hash and audit events) and answers with an HttpOnly session cookie instead of a token in the body;
/// GET /v1/sessions/current says who the cookie is and gives the CSRF token again (after a reload); DELETE
/// /v1/sessions revokes the session on the server and drops the cookie.
/// </summary>
public static class SessionsEndpoints
{
    public static RouteGroupBuilder MapSessionsEndpoints(this RouteGroupBuilder v1)
    {
        v1.MapPost("/sessions", CreateAsync).Anonymous().JsonBody<TokenRequest>().Produces<SessionResponse>()
            .Problems(StatusCodes.Status401Unauthorized, StatusCodes.Status429TooManyRequests);
        v1.MapGet("/sessions/current", Current).AnyUser().Produces<SessionResponse>();
        v1.MapDelete("/sessions", DeleteAsync).AnyUser().Produces(StatusCodes.Status204NoContent).Problems(StatusCodes.Status400BadRequest);
        return v1;
    }

    private static async Task<IResult> CreateAsync(
        HttpContext context, PlatformDbContext db, LoginThrottle throttle, IOptions<ApiOptions> options, TimeProvider time, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync<TokenRequest>(context.Request, ct);
        if (problem is not null) return problem;
        if (string.IsNullOrEmpty(body!.Username) || string.IsNullOrEmpty(body.Password))
            return ApiProblems.BadRequest("give both username and password");
        var (user, failure) = await TokensEndpoints.SignInAsync(context, db, throttle, time, body.Username, body.Password, ct);
        if (failure is not null) return failure;

        var lifetime = TimeSpan.FromHours(options.Value.SessionCookieHours);
        var token = await TokensEndpoints.IssueSessionAsync(db, user!, lifetime, time, ct);
        var expires = time.GetUtcNow() + lifetime;
        SessionCookie.Issue(context, token, expires);
        context.Response.Headers.CacheControl = "no-store";
        return Results.Ok(new SessionResponse(user!.Name, user.Role == Data.Entities.UserRoles.Admin, SessionCookie.CsrfToken(token), expires));
    }

    private static IResult Current(HttpContext context, ClaimsPrincipal user)
    {
        context.Response.Headers.CacheControl = "no-store";
        var csrf = user.ByCookie() && SessionCookie.Read(context.Request) is { } token ? SessionCookie.CsrfToken(token) : null;
        return Results.Ok(new SessionResponse(user.UserName(), user.IsAdmin(), csrf, user.Expires()));
    }

    private static async Task<IResult> DeleteAsync(HttpContext context, ClaimsPrincipal user, PlatformDbContext db, CancellationToken ct)
    {
        if (!user.ByCookie())
            return ApiProblems.BadRequest("this request has no session cookie: a bearer token is revoked with DELETE /v1/tokens/current (plat logout)");
        if (user.TokenId() is { } id) await db.Tokens.Where(t => t.Id == id).ExecuteDeleteAsync(ct);
        SessionCookie.Clear(context);
        return Results.NoContent();
    }
}
