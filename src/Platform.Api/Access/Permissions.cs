using Platform.Contracts;

namespace Platform.Api.Access;

/// <summary>What a call does in a space; each needs one of the roles <see cref="Permissions"/> lists for it.</summary>
public enum SpaceAction
{
    /// <summary>See the space, its apps, instances, routes, events, logs and metrics.</summary>
    Read,
    /// <summary>Read env variable values (they hold secrets).</summary>
    ReadSecrets,
    /// <summary>Push, scale, start, stop, restart, delete, change env and routes.</summary>
    Write,
    /// <summary>Run commands in instances (plat exec, as cf ssh).</summary>
    Exec,
    /// <summary>Give and take space roles, turn exec on or off for the space.</summary>
    Manage,
    /// <summary>Assign the space a quota (an org manager's right).</summary>
    ManageQuota,
    /// <summary>Bind security groups to the space and unbind them (an org manager's right, limited to groups they see).</summary>
    BindSecurityGroups,
}

/// <summary>What a call does in an org.</summary>
public enum OrgAction
{
    /// <summary>See the org, its spaces (those the caller may see), users and quotas.</summary>
    Read,
    /// <summary>Create spaces, give and take org roles, define space quotas.</summary>
    Manage,
}

/// <summary>
/// Cloud Foundry's rights, as a table: which roles may do what. The platform admin may do everything. Developers push,
/// scale, read logs and exec; auditors read; managers manage roles and settings; org managers see and manage every
/// space of their org but do not push.
/// </summary>
public static class Permissions
{
    private static readonly Dictionary<SpaceAction, string[]> SpaceRights = new()
    {
        [SpaceAction.Read] = [Tenancy.OrgRoles.Manager, Tenancy.SpaceRoles.Manager, Tenancy.SpaceRoles.Developer, Tenancy.SpaceRoles.Auditor],
        [SpaceAction.ReadSecrets] = [Tenancy.SpaceRoles.Developer],
        [SpaceAction.Write] = [Tenancy.SpaceRoles.Developer],
        [SpaceAction.Exec] = [Tenancy.SpaceRoles.Developer],
        [SpaceAction.Manage] = [Tenancy.OrgRoles.Manager, Tenancy.SpaceRoles.Manager],
        [SpaceAction.ManageQuota] = [Tenancy.OrgRoles.Manager],
        [SpaceAction.BindSecurityGroups] = [Tenancy.OrgRoles.Manager],
    };

    private static readonly Dictionary<OrgAction, string[]> OrgRights = new()
    {
        // Anyone with a role in the org or in one of its spaces sees the org (space roles count: see AccessResolver).
        [OrgAction.Read] = [Tenancy.OrgRoles.Manager, Tenancy.OrgRoles.Auditor, Tenancy.OrgRoles.User,
            Tenancy.SpaceRoles.Developer, Tenancy.SpaceRoles.Manager, Tenancy.SpaceRoles.Auditor],
        [OrgAction.Manage] = [Tenancy.OrgRoles.Manager],
    };

    /// <summary>The roles (besides admin) that allow the action.</summary>
    public static IReadOnlyList<string> RolesFor(SpaceAction action) => SpaceRights[action];
    public static IReadOnlyList<string> RolesFor(OrgAction action) => OrgRights[action];

    public static bool Allows(IEnumerable<string> roles, SpaceAction action) => roles.Intersect(SpaceRights[action]).Any();
    public static bool Allows(IEnumerable<string> roles, OrgAction action) => roles.Intersect(OrgRights[action]).Any();

    /// <summary>Every action the roles allow, for the dashboard to show only what the user may do.</summary>
    public static IReadOnlyList<string> ActionsOf(IReadOnlyCollection<string> roles, bool admin) =>
        Enum.GetValues<SpaceAction>().Where(a => admin || Allows(roles, a)).Select(a => a.ToString()).ToList();

    public static string Describe(SpaceAction action) => action switch
    {
        SpaceAction.Read => "see this space",
        SpaceAction.ReadSecrets => "read environment variables",
        SpaceAction.Write => "change apps (push, scale, start, stop, delete, env, routes)",
        SpaceAction.Exec => "run commands in instances",
        SpaceAction.Manage => "manage the space's roles and settings",
        SpaceAction.ManageQuota => "assign the space a quota",
        SpaceAction.BindSecurityGroups => "bind security groups to the space",
        _ => action.ToString(),
    };

    public static string Describe(OrgAction action) => action switch
    {
        OrgAction.Read => "see this org",
        OrgAction.Manage => "manage the org (spaces, roles, quotas)",
        _ => action.ToString(),
    };
}
