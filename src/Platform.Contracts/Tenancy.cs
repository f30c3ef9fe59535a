namespace Platform.Contracts;

/// <summary>
/// Cloud Foundry's tenancy model: orgs contain spaces; apps, routes, volumes, events and logs belong to a space. The
/// role names, the well-known default org and space, and the rules for names, shared by the API and the CLI.
/// </summary>
public static class Tenancy
{
    /// <summary>The org every platform has from its first start, and where the tenancy migration moved existing apps.</summary>
    public const string DefaultOrgName = "default";
    public const string DefaultSpaceName = "dev";
    public static readonly Guid DefaultOrgId = Guid.Parse("00000000-0000-4000-8000-0000000000a1");
    public static readonly Guid DefaultSpaceId = Guid.Parse("00000000-0000-4000-8000-0000000000b1");

    public static class OrgRoles
    {
        public const string Manager = "OrgManager";
        public const string Auditor = "OrgAuditor";
        public const string User = "OrgUser";
        public static readonly IReadOnlyList<string> All = [Manager, Auditor, User];
    }

    public static class SpaceRoles
    {
        public const string Developer = "SpaceDeveloper";
        public const string Manager = "SpaceManager";
        public const string Auditor = "SpaceAuditor";
        public static readonly IReadOnlyList<string> All = [Developer, Manager, Auditor];
    }

    /// <summary>The role as it is spelt, whatever the case the user typed ("spacedeveloper" -> "SpaceDeveloper"), or null.</summary>
    public static string? CanonicalOrgRole(string? role) => OrgRoles.All.FirstOrDefault(r => string.Equals(r, role, StringComparison.OrdinalIgnoreCase));

    public static string? CanonicalSpaceRole(string? role) => SpaceRoles.All.FirstOrDefault(r => string.Equals(r, role, StringComparison.OrdinalIgnoreCase));

    /// <summary>Null when the org, space, quota or token name is acceptable (a DNS label, as app names), else why not.</summary>
    public static string? CheckName(string kind, string? name) =>
        Names.IsValidAppName(name)
            ? null
            : $"'{name}' is not a valid {kind} name: use 1 to 63 lowercase letters, digits and '-', starting and ending with a letter or digit";
}
