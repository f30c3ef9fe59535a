using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Api.Auth;
using Platform.Api.Infrastructure;
using Platform.Contracts.Api;
using Platform.Data;
using Platform.Data.Entities;

namespace Platform.Api.Endpoints;

/// <summary>POST /v1/tokens: trade a username and password for a bearer token (no auth needed).</summary>
public static class TokensEndpoints
{
    public static RouteGroupBuilder MapTokensEndpoints(this RouteGroupBuilder v1)
    {
        v1.MapPost("/tokens", CreateAsync).AllowAnonymous();
        return v1;
    }

    private static async Task<IResult> CreateAsync(
        HttpRequest request, PlatformDbContext db, IOptions<ApiOptions> options, TimeProvider time, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync<TokenRequest>(request, ct);
        if (problem is not null) return problem;
        if (string.IsNullOrEmpty(body!.Username) || string.IsNullOrEmpty(body.Password))
            return ApiProblems.BadRequest("give both username and password");

        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Name == body.Username, ct);
        // The same answer for an unknown user and a wrong password, so names cannot be probed.
        if (user is null || !PasswordHasher.Verify(body.Password, user.PasswordHash))
            return ApiProblems.Unauthorized("wrong username or password");

        var token = TokenHasher.NewToken();
        var now = time.GetUtcNow();
        db.Tokens.Add(new TokenEntity
        {
            Id = Guid.NewGuid(),
            UserId = user.Id,
            TokenHash = TokenHasher.Hash(token),
            CreatedAt = now,
            ExpiresAt = now.AddDays(options.Value.TokenLifetimeDays),
        });
        await db.SaveChangesAsync(ct);
        return Results.Ok(new TokenResponse(token, "Bearer", user.Name));
    }
}
