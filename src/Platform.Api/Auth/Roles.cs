using System.Security.Claims;

namespace Platform.Api.Auth;

/// <summary>
/// The two roles a user can have. Admins may do everything, including running commands inside instances
/// (<c>POST /v1/apps/{name}/exec</c>) and creating users; developers may do everything else.
/// </summary>
public static class PlatformRoles
{
    public const string Admin = "admin";
    public const string Developer = "developer";

    public static readonly IReadOnlyList<string> All = [Admin, Developer];

    public static bool IsAdmin(ClaimsPrincipal user) => user.IsInRole(Admin);
}
