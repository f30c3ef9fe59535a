using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Api.Auth;
using Platform.Api.Infrastructure;
using Platform.Api.Access;
using Platform.Contracts;
using Platform.Contracts.Api;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Api.OpenApi;

namespace Platform.Api.Endpoints;

/// <summary>
/// The caller's own things: who they are (GET /v1/me), their password (PUT /v1/me/password, plat passwd) and their API
/// tokens for scripts (/v1/api-tokens, plat create-token / tokens / revoke-token).
/// </summary>
public static class MeEndpoints
{
    public static RouteGroupBuilder MapMeEndpoints(this RouteGroupBuilder v1)
    {
        v1.MapGet("/me", Me).AnyUser().Produces<MeResponse>();
        v1.MapPut("/me/password", ChangePasswordAsync).AnyUser().JsonBody<PasswordRequest>().Produces(StatusCodes.Status204NoContent).Problems(StatusCodes.Status403Forbidden);
        v1.MapGet("/api-tokens", ListTokensAsync).AnyUser().Produces<List<ApiTokenResponse>>();
        v1.MapPost("/api-tokens", CreateTokenAsync).AnyUser().JsonBody<ApiTokenRequest>().Produces<ApiTokenResponse>(StatusCodes.Status201Created)
            .Problems(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        v1.MapDelete("/api-tokens/{tokenName}", RevokeTokenAsync).AnyUser().Produces(StatusCodes.Status204NoContent).Problems(StatusCodes.Status404NotFound);
        return v1;
    }

    private static IResult Me(ClaimsPrincipal user) =>
        Results.Ok(new MeResponse(user.UserId(), user.UserName(), user.IsAdmin(),
            user.FindFirstValue(Caller.TokenKindClaim) ?? TokenKinds.Session, user.TokenSpace()));

    private static bool IsSession(ClaimsPrincipal user) => user.FindFirstValue(Caller.TokenKindClaim) is null or TokenKinds.Session;

    private static async Task<IResult> ChangePasswordAsync(HttpRequest request, ClaimsPrincipal user, PlatformDbContext db, TimeProvider time, CancellationToken ct)
    {
        if (!IsSession(user)) return ApiProblems.Forbidden("an API token cannot change its user's password: log in (plat login) to do that");
        var (body, problem) = await JsonBody.ReadAsync<PasswordRequest>(request, ct);
        if (problem is not null) return problem;
        if (string.IsNullOrEmpty(body!.OldPassword)) return ApiProblems.BadRequest("give the current password (oldPassword)");
        if (UsersEndpoints.PasswordProblem(body.NewPassword) is { } weak) return ApiProblems.BadRequest(weak);
        var userId = user.UserId();
        var entity = await db.Users.FirstOrDefaultAsync(u => u.Id == userId, ct);
        if (entity is null || !PasswordHasher.Verify(body.OldPassword, entity.PasswordHash))
            return ApiProblems.Forbidden("the current password is wrong");
        entity.PasswordHash = PasswordHasher.Hash(body.NewPassword!);
        // Other sessions of the user end with the old password; this one and the user's API tokens stay.
        var current = user.TokenId();
        await db.Tokens.Where(t => t.UserId == userId && t.Kind == TokenKinds.Session && t.Id != current).ExecuteDeleteAsync(ct);
        db.AddEvent(EventSubject.Platform, "user.password", entity.Name, "password changed", time.GetUtcNow());
        await db.SaveChangesAsync(ct);
        return Results.NoContent();
    }

    private static async Task<IResult> ListTokensAsync(ClaimsPrincipal user, PlatformDbContext db, TimeProvider time, CancellationToken ct)
    {
        var userId = user.UserId();
        var now = time.GetUtcNow();
        var tokens = await db.Tokens.AsNoTracking()
            .Where(t => t.UserId == userId && t.Kind == TokenKinds.Api && t.ExpiresAt > now)
            .OrderBy(t => t.Name).ToListAsync(ct);
        return Results.Ok(tokens.Select(t => new ApiTokenResponse(t.Name!, null, t.SpaceId, t.CreatedAt, t.ExpiresAt, t.LastUsedAt)).ToList());
    }

    private static async Task<IResult> CreateTokenAsync(HttpRequest request, ClaimsPrincipal user, PlatformDbContext db, AccessResolver access,
        IOptions<ApiOptions> options, TimeProvider time, CancellationToken ct)
    {
        // A token must not be able to make itself immortal by minting successors.
        if (!IsSession(user)) return ApiProblems.Forbidden("API tokens are made from a login session (plat login), not with another API token");
        var (body, problem) = await JsonBody.ReadAsync<ApiTokenRequest>(request, ct);
        if (problem is not null) return problem;
        if (Tenancy.CheckName("token", body!.Name) is { } badName) return ApiProblems.BadRequest(badName);
        TimeSpan lifetime;
        if (body.ExpiresIn is null) lifetime = TimeSpan.FromDays(options.Value.ApiTokenLifetimeDays);
        else if (ParseDuration(body.ExpiresIn) is { } parsed) lifetime = parsed;
        else return ApiProblems.BadRequest($"expiresIn '{body.ExpiresIn}' is not a duration: use e.g. 30d, 12h or 90m (at most 3650d)");
        if (body.SpaceId is { } spaceId && await access.SpaceAsync(user, spaceId, ct) is null)
            return ApiProblems.NotFound("Space not found", $"space '{spaceId}' not found");

        var userId = user.UserId();
        var now = time.GetUtcNow();
        if (await db.Tokens.AnyAsync(t => t.UserId == userId && t.Name == body.Name && t.ExpiresAt > now, ct))
            return ApiProblems.Conflict($"you have a token named '{body.Name}' already: revoke it first (plat revoke-token {body.Name})");
        // An expired token of that name is gone for good; its name is free again.
        await db.Tokens.Where(t => t.UserId == userId && t.Name == body.Name).ExecuteDeleteAsync(ct);
        var token = TokenHasher.NewToken();
        var entity = new TokenEntity
        {
            Id = Guid.NewGuid(),
            UserId = userId,
            TokenHash = TokenHasher.Hash(token),
            Kind = TokenKinds.Api,
            Name = body.Name,
            SpaceId = body.SpaceId,
            CreatedAt = now,
            ExpiresAt = now + lifetime,
        };
        db.Tokens.Add(entity);
        db.AddEvent(EventSubject.Platform, "user.token-create", user.UserName(),
            $"API token {body.Name}{(body.SpaceId is { } s ? $" for space {s}" : "")}, expires {entity.ExpiresAt:yyyy-MM-dd}", now);
        await db.SaveChangesAsync(ct);
        return Results.Created($"/v1/api-tokens/{body.Name}",
            new ApiTokenResponse(entity.Name!, token, entity.SpaceId, entity.CreatedAt, entity.ExpiresAt, null));
    }

    private static async Task<IResult> RevokeTokenAsync(string tokenName, ClaimsPrincipal user, PlatformDbContext db, TimeProvider time, CancellationToken ct)
    {
        var userId = user.UserId();
        var removed = await db.Tokens.Where(t => t.UserId == userId && t.Kind == TokenKinds.Api && t.Name == tokenName).ExecuteDeleteAsync(ct);
        if (removed == 0) return ApiProblems.NotFound("Token not found", $"you have no API token named '{tokenName}'");
        db.AddEvent(EventSubject.Platform, "user.token-revoke", user.UserName(), $"API token {tokenName}", time.GetUtcNow());
        await db.SaveChangesAsync(ct);
        return Results.NoContent();
    }

    /// <summary>"30d", "12h", "90m" -> the duration (at most ten years), or null.</summary>
    internal static TimeSpan? ParseDuration(string text)
    {
        if (text.Length < 2 || !int.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0) return null;
        TimeSpan? span = text[^1] switch
        {
            'd' => TimeSpan.FromDays(n),
            'h' => TimeSpan.FromHours(n),
            'm' => TimeSpan.FromMinutes(n),
            _ => null,
        };
        return span is { } s && s <= TimeSpan.FromDays(3650) ? s : null;
    }
}
