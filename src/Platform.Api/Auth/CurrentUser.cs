using System.Security.Claims;

namespace Platform.Api.Auth;

public static class CurrentUser
{
    /// <summary>The authenticated user's name, recorded as the actor of events.</summary>
    public static string Name(ClaimsPrincipal user) => user.Identity?.Name ?? "unknown";
}
