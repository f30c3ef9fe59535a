using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Platform.Data;

namespace Platform.Api.Auth;

/// <summary>
/// Turns a token (from the Authorization header or the session cookie) into the caller: the unexpired token row with
/// that hash and its user, with the token's kind and space as claims. Both authentication schemes use it.
/// </summary>
internal static class TokenAuthenticator
{
    public static async Task<ClaimsPrincipal?> AuthenticateAsync(PlatformDbContext db, TimeProvider time, string token, string scheme, CancellationToken ct)
    {
        var hash = TokenHasher.Hash(token);
        var now = time.GetUtcNow();
        var found = await (
            from t in db.Tokens
            join u in db.Users on t.UserId equals u.Id
            where t.TokenHash == hash && t.ExpiresAt > now
            select new { TokenId = t.Id, t.Kind, t.SpaceId, t.LastUsedAt, t.ExpiresAt, UserId = u.Id, u.Name, u.Role }).FirstOrDefaultAsync(ct);
        if (found is null) return null;

        // When it was last used, for plat tokens; at most once a minute, so a busy script does not write on every call.
        if (found.LastUsedAt is not { } last || now - last > TimeSpan.FromMinutes(1))
            await db.Tokens.Where(t => t.Id == found.TokenId)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.LastUsedAt, now), ct);

        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, found.UserId.ToString()),
            new(ClaimTypes.Name, found.Name),
            new(ClaimTypes.Role, found.Role),
            new(Caller.TokenClaim, found.TokenId.ToString()),
            new(Caller.TokenKindClaim, found.Kind),
            new(Caller.ExpiresClaim, found.ExpiresAt.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
        if (found.SpaceId is { } space) claims.Add(new Claim(Caller.SpaceClaim, space.ToString()));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme));
    }
}
