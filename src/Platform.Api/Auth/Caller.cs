using System.Security.Claims;
using Platform.Data.Entities;

namespace Platform.Api.Auth;

/// <summary>Who made the request, as the bearer token (or session cookie) said: the claims the handlers set.</summary>
public static class Caller
{
    /// <summary>Claim of a token narrowed to one space: the space's id.</summary>
    public const string SpaceClaim = "platform:space";
    /// <summary>Claim holding the id of the token (row) that authenticated the request.</summary>
    public const string TokenClaim = "platform:token";
    /// <summary>Claim holding the token's kind (session or api).</summary>
    public const string TokenKindClaim = "platform:token-kind";
    /// <summary>Claim holding when the credential expires (Unix seconds).</summary>
    public const string ExpiresClaim = "platform:expires";

    public static Guid UserId(this ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), out var id) ? id : Guid.Empty;

    public static string UserName(this ClaimsPrincipal user) => user.Identity?.Name ?? "unknown";

    public static bool IsAdmin(this ClaimsPrincipal user) => user.IsInRole(UserRoles.Admin);

    /// <summary>The one space the credential may act in, or null: wherever its user may.</summary>
    public static Guid? TokenSpace(this ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue(SpaceClaim), out var id) ? id : null;

    /// <summary>Whether the request was authenticated by the dashboard's session cookie (not a bearer token).</summary>
    public static bool ByCookie(this ClaimsPrincipal user) => user.Identity?.AuthenticationType == SessionCookieHandler.SchemeName;

    public static DateTimeOffset? Expires(this ClaimsPrincipal user) =>
        long.TryParse(user.FindFirstValue(ExpiresClaim), out var s) ? DateTimeOffset.FromUnixTimeSeconds(s) : null;

    public static Guid? TokenId(this ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue(TokenClaim), out var id) ? id : null;
}
