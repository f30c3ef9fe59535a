using System.Security.Claims;
using Platform.Data.Entities;

namespace Platform.Api.Auth;

/// <summary>
/// The platform-wide kinds of user: admins may do everything everywhere; users have the rights their org and space
/// roles give them (see Tenancy/Permissions.cs).
/// </summary>
public static class PlatformRoles
{
    public const string Admin = UserRoles.Admin;
    public const string User = UserRoles.User;

    public static readonly IReadOnlyList<string> All = [Admin, User];

    public static bool IsAdmin(ClaimsPrincipal user) => user.IsInRole(Admin);
}
