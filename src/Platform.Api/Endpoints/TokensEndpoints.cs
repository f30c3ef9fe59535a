using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Api.Auth;
using Platform.Api.Infrastructure;
using Platform.Api.Access;
using Platform.Contracts.Api;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Api.OpenApi;

namespace Platform.Api.Endpoints;

/// <summary>
/// Sign-in and sign-out: POST /v1/tokens trades a username and password for a session token (no auth needed);
/// DELETE /v1/tokens/current revokes the token the request was made with (plat logout).
/// </summary>
public static class TokensEndpoints
{
    public static RouteGroupBuilder MapTokensEndpoints(this RouteGroupBuilder v1)
    {
        v1.MapPost("/tokens", CreateAsync).Anonymous().JsonBody<TokenRequest>().Produces<TokenResponse>()
            .Problems(StatusCodes.Status401Unauthorized, StatusCodes.Status429TooManyRequests);
        v1.MapDelete("/tokens/current", RevokeCurrentAsync).AnyUser().Produces(StatusCodes.Status204NoContent);
        return v1;
    }

    private static async Task<IResult> CreateAsync(
        HttpContext context, PlatformDbContext db, LoginThrottle throttle, IOptions<ApiOptions> options, TimeProvider time, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync<TokenRequest>(context.Request, ct);
        if (problem is not null) return problem;
        if (string.IsNullOrEmpty(body!.Username) || string.IsNullOrEmpty(body.Password))
            return ApiProblems.BadRequest("give both username and password");
        var (user, failure) = await SignInAsync(context, db, throttle, time, body.Username, body.Password, ct);
        if (failure is not null) return failure;

        var token = await IssueSessionAsync(db, user!, TimeSpan.FromDays(options.Value.TokenLifetimeDays), time, ct);
        return Results.Ok(new TokenResponse(token, "Bearer", user!.Name));
    }

    /// <summary>
    /// Checks a username and password with the hardening every sign-in needs (the CLI's and the dashboard's): attempts
    /// per client address and failures per username are limited (429), an unknown name costs what a wrong password
    /// costs, failures and refusals are audited as platform events, and an old hash is upgraded on success.
    /// </summary>
    internal static async Task<(UserEntity? User, IResult? Failure)> SignInAsync(
        HttpContext context, PlatformDbContext db, LoginThrottle throttle, TimeProvider time, string username, string password, CancellationToken ct)
    {
        var address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        var now = time.GetUtcNow();
        if (!throttle.TryAttempt(address) || !throttle.MayTry(username))
        {
            db.AddEvent(EventSubject.Platform, "user.login-throttled", Short(username), $"login refused: too many attempts (from {address})", now);
            await db.SaveChangesAsync(ct);
            context.Response.Headers.RetryAfter = "60";
            return (null, ApiProblems.TooManyRequests("too many login attempts: wait a minute and try again"));
        }

        var user = await db.Users.FirstOrDefaultAsync(u => u.Name == username, ct);
        // The same work and the same answer for an unknown user and a wrong password, so names cannot be probed.
        var valid = PasswordHasher.Verify(password, user?.PasswordHash ?? PasswordHasher.DecoyHash.Value) && user is not null;
        if (!valid)
        {
            throttle.Failed(username);
            db.AddEvent(EventSubject.Platform, "user.login-failed", Short(username), $"wrong username or password (from {address})", now);
            await db.SaveChangesAsync(ct);
            return (null, ApiProblems.Unauthorized("wrong username or password"));
        }
        if (PasswordHasher.NeedsRehash(user!.PasswordHash))
        {
            user.PasswordHash = PasswordHasher.Hash(password);
            await db.SaveChangesAsync(ct);
        }
        return (user, null);
    }

    /// <summary>A new session token for the user (only its hash is stored).</summary>
    internal static async Task<string> IssueSessionAsync(PlatformDbContext db, UserEntity user, TimeSpan lifetime, TimeProvider time, CancellationToken ct)
    {
        var token = TokenHasher.NewToken();
        var now = time.GetUtcNow();
        db.Tokens.Add(new TokenEntity
        {
            Id = Guid.NewGuid(),
            UserId = user.Id,
            TokenHash = TokenHasher.Hash(token),
            Kind = TokenKinds.Session,
            CreatedAt = now,
            ExpiresAt = now + lifetime,
        });
        await db.SaveChangesAsync(ct);
        return token;
    }

    private static async Task<IResult> RevokeCurrentAsync(ClaimsPrincipal user, PlatformDbContext db, CancellationToken ct)
    {
        if (user.TokenId() is { } id) await db.Tokens.Where(t => t.Id == id).ExecuteDeleteAsync(ct);
        return Results.NoContent();
    }

    /// <summary>A username as typed, bounded, for the actor of an audit event (it may be anything an attacker sent).</summary>
    private static string Short(string name) => name.Length <= 64 ? name : name[..64] + "...";
}
