namespace Platform.Contracts.Api;

// Bodies of the tenancy API: orgs, spaces, roles, quotas, the caller and their tokens. See docs/tenancy.md.

/// <summary>Body of POST /v1/orgs (admins) and POST /v1/orgs/{org}/spaces (org managers).</summary>
public sealed record NameRequest(string? Name = null);

public sealed record OrgResponse(Guid Id, string Name, string? Quota, DateTimeOffset CreatedAt);

/// <summary>
/// A space and what the caller may do in it: <see cref="Roles"/> are the caller's roles (org roles included),
/// <see cref="Actions"/> the space actions they allow (Read, ReadSecrets, Write, Exec, Manage, ManageQuota, BindSecurityGroups).
/// </summary>
public sealed record SpaceResponse(
    Guid Id, string Name, Guid OrgId, string OrgName, string? Quota, bool AllowSsh,
    IReadOnlyList<string> Roles, IReadOnlyList<string> Actions, DateTimeOffset CreatedAt);

/// <summary>
/// Body of POST /v1/org-quotas (admins) and POST /v1/orgs/{org}/space-quotas (org managers). Sizes as elsewhere
/// ("1G", "512M"); a missing limit is unlimited.
/// </summary>
public sealed record QuotaRequest(
    string? Name = null, string? Memory = null, string? InstanceMemory = null, int? AppInstances = null, int? Apps = null, int? Routes = null);

public sealed record QuotaResponse(
    Guid Id, string Name, Guid? OrgId, int? MemoryMb, int? InstanceMemoryMb, int? AppInstances, int? Apps, int? Routes, DateTimeOffset CreatedAt);

/// <summary>Body of PUT /v1/orgs/{org}/quota and PUT /v1/spaces/{space}/quota: the quota's name (null: none).</summary>
public sealed record AssignQuotaRequest(string? Quota = null);

/// <summary>A user and their roles in one org or space (plat org-users, plat space-users).</summary>
public sealed record MemberResponse(string Username, IReadOnlyList<string> Roles);

/// <summary>Body of PUT .../features/ssh: plat enable-ssh, allow-space-ssh and their opposites.</summary>
public sealed record FeatureRequest(bool Enabled);
public sealed record FeatureResponse(string Name, bool Enabled);

/// <summary>GET /v1/me: who the credential is, and what kind of credential.</summary>
public sealed record MeResponse(Guid Id, string Username, bool Admin, string TokenKind, Guid? TokenSpaceId);

/// <summary>Body of PUT /v1/me/password (plat passwd).</summary>
public sealed record PasswordRequest(string? OldPassword = null, string? NewPassword = null);

/// <summary>
/// Body of POST /v1/api-tokens (plat create-token NAME [--expires 30d] [--space GUID]): a long-lived token for scripts,
/// acting with the user's roles, or only in <see cref="SpaceId"/>. <see cref="ExpiresIn"/> is a duration: 30d, 12h, 90m.
/// </summary>
public sealed record ApiTokenRequest(string? Name = null, string? ExpiresIn = null, Guid? SpaceId = null);

/// <summary>An API token; <see cref="Token"/> only in the answer to its creation (it is stored hashed, shown once).</summary>
public sealed record ApiTokenResponse(
    string Name, string? Token, Guid? SpaceId, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset? LastUsedAt);

/// <summary>
/// Body of POST /v1/security-groups (name and rules) and PUT /v1/security-groups/{name} (the new rules, which replace
/// the old; a name renames). Rules in Cloud Foundry's JSON form, see <see cref="SecurityGroupRule"/>.
/// </summary>
public sealed record SecurityGroupRequest(string? Name = null, List<SecurityGroupRule?>? Rules = null);

/// <summary>A security group, the spaces it is bound to and whether it is one of the platform's running defaults.</summary>
public sealed record SecurityGroupResponse(
    Guid Id, string Name, IReadOnlyList<SecurityGroupRule> Rules, bool RunningDefault,
    IReadOnlyList<SecurityGroupSpaceResponse> Spaces, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

public sealed record SecurityGroupSpaceResponse(Guid SpaceId, string Space, Guid OrgId, string Org);

/// <summary>
/// GET /v1/spaces/{space}/security-groups: a group whose rules the space's instances get, because it is bound to the
/// space (<see cref="BoundToSpace"/>) or is a running default of the platform (<see cref="RunningDefault"/>), or both.
/// </summary>
public sealed record SpaceSecurityGroupResponse(string Name, IReadOnlyList<SecurityGroupRule> Rules, bool BoundToSpace, bool RunningDefault);
