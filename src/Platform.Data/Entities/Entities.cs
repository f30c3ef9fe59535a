using Platform.Contracts;
using Platform.Contracts.Messages;

namespace Platform.Data.Entities;

/// <summary>An organisation: a team's home, holding spaces. Org names are unique on the platform.</summary>
public sealed class OrgEntity
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    /// <summary>The org quota (a <see cref="QuotaEntity"/> with no owner org), or none: unlimited.</summary>
    public Guid? QuotaId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>A space in an org: apps, routes, volumes, events and logs belong to one. Names are unique within the org.</summary>
public sealed class SpaceEntity
{
    public Guid Id { get; set; }
    public Guid OrgId { get; set; }
    public required string Name { get; set; }
    /// <summary>The space quota (a <see cref="QuotaEntity"/> owned by this org), or none: only the org's quota applies.</summary>
    public Guid? QuotaId { get; set; }
    /// <summary>Whether SpaceDevelopers may exec into the space's instances (plat allow-space-ssh / disallow-space-ssh).</summary>
    public bool AllowSsh { get; set; } = true;
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>
/// A quota definition, as Cloud Foundry's: an org quota (<see cref="OwnerOrgId"/> null, made by admins) or a space quota
/// (owned by one org, made by its managers). A null limit is unlimited.
/// </summary>
public sealed class QuotaEntity
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public Guid? OwnerOrgId { get; set; }
    /// <summary>Memory of all started instances together, in MB.</summary>
    public int? MemoryMb { get; set; }
    /// <summary>Memory of one instance, in MB.</summary>
    public int? InstanceMemoryMb { get; set; }
    /// <summary>Instances of all started apps together.</summary>
    public int? AppInstances { get; set; }
    public int? Apps { get; set; }
    public int? Routes { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>
/// One role of one user: an org role (<see cref="SpaceId"/> null) or a space role (both set; the org is the space's).
/// Role names are those of <see cref="Platform.Contracts.Tenancy"/>.
/// </summary>
public sealed class RoleAssignmentEntity
{
    public Guid Id { get; set; }
    public Guid UserId { get; set; }
    public Guid OrgId { get; set; }
    public Guid? SpaceId { get; set; }
    public required string Role { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>What a user asked for: an app, its size, and whether it should run. Names are unique within a space.</summary>
public sealed class AppEntity
{
    public Guid Id { get; set; }
    public Guid SpaceId { get; set; }
    public required string Name { get; set; }
    /// <summary>Whether exec into this app's instances is allowed (plat enable-ssh / disable-ssh), as well as the space's.</summary>
    public bool AllowSsh { get; set; } = true;
    /// <summary>Desired state: <see cref="AppStates.Started"/> or <see cref="AppStates.Stopped"/>.</summary>
    public string State { get; set; } = AppStates.Stopped;
    public int Instances { get; set; } = 1;
    public int MemoryMb { get; set; } = 256;
    public int DiskMb { get; set; } = 1024;
    public string? Buildpack { get; set; }
    public string? Command { get; set; }
    /// <summary><see cref="Platform.Contracts.HealthChecks"/>: port (default), http or process.</summary>
    public string HealthCheckType { get; set; } = Platform.Contracts.HealthChecks.Port;
    /// <summary>The path an http health check GETs (default "/").</summary>
    public string? HealthCheckEndpoint { get; set; }
    /// <summary>Seconds an instance has to pass its check after start; null: the cell's default.</summary>
    public int? HealthCheckTimeoutSeconds { get; set; }
    public Dictionary<string, string> Env { get; set; } = new();
    /// <summary>Named persistent volumes mounted into every instance (see Platform.Contracts.Volumes).</summary>
    public List<VolumeMount> Volumes { get; set; } = new();
    public Guid? CurrentDropletId { get; set; }
    /// <summary>The newest revision: the droplet and settings as the user last set them (null until first staged).</summary>
    public Guid? RevisionId { get; set; }
    /// <summary>
    /// The revision the scheduler runs (or is rolling out): it differs from <see cref="RevisionId"/> after an env or
    /// command change until a restart, and goes back to the previous one when a deployment is cancelled or fails.
    /// </summary>
    public Guid? TargetRevisionId { get; set; }
    /// <summary>Incremented by every deployment, so a restart replaces instances even when the revision stays.</summary>
    public int Generation { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>
/// A version of an app: a droplet with the env, command, volumes and health check it runs with. Every push, restage,
/// env or command change and rollback makes one; instances record the revision they run, and a rollback deploys an
/// older one again. Only the newest revisions (Api:KeptRevisions) keep their droplets.
/// </summary>
public sealed class RevisionEntity
{
    public Guid Id { get; set; }
    public Guid AppId { get; set; }
    /// <summary>1, 2, 3... per app.</summary>
    public int Version { get; set; }
    public Guid DropletId { get; set; }
    public Dictionary<string, string> Env { get; set; } = new();
    public string? Command { get; set; }
    public List<VolumeMount> Volumes { get; set; } = new();
    public string HealthCheckType { get; set; } = Platform.Contracts.HealthChecks.Port;
    public string? HealthCheckEndpoint { get; set; }
    public int? HealthCheckTimeoutSeconds { get; set; }
    /// <summary>What made it: "push", "env change", "rollback to 3", ...</summary>
    public string Description { get; set; } = "";
    /// <summary>Whether its droplet was released (only the newest revisions keep theirs): it cannot be rolled back to.</summary>
    public bool DropletReleased { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>
/// A rollout of a revision (Cloud Foundry's deployments): rolling (new instances first, an old one stopped once its
/// replacement passes its health check, at most <see cref="MaxInFlight"/> at a time) or recreate (stop all, start all).
/// It ends DEPLOYED, CANCELED (plat cancel-deployment: back to the previous revision) or FAILED (new instances kept
/// crashing: back to the previous revision, the old instances kept serving).
/// </summary>
public sealed class DeploymentEntity
{
    public Guid Id { get; set; }
    public Guid AppId { get; set; }
    public Guid RevisionId { get; set; }
    public Guid? PreviousRevisionId { get; set; }
    public int Generation { get; set; }
    public int PreviousGeneration { get; set; }
    public string Strategy { get; set; } = DeploymentStrategies.Rolling;
    public int MaxInFlight { get; set; } = 1;
    public string State { get; set; } = DeploymentStates.Deploying;
    /// <summary>Crashes of the new revision's instances during the rollout; too many fail it.</summary>
    public int Crashes { get; set; }
    public string? Reason { get; set; }
    public string Actor { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

public static class DeploymentStrategies
{
    public const string Rolling = "rolling";
    public const string Recreate = "recreate";
    public static readonly IReadOnlyList<string> All = [Rolling, Recreate];
}

public static class DeploymentStates
{
    public const string Deploying = "DEPLOYING";
    public const string Deployed = "DEPLOYED";
    public const string Canceled = "CANCELED";
    public const string Failed = "FAILED";
}

public static class AppStates
{
    public const string Started = "STARTED";
    public const string Stopped = "STOPPED";
}

/// <summary>An uploaded, validated app archive, stored in the blobstore under <see cref="Digest"/>.</summary>
public sealed class PackageEntity
{
    public Guid Id { get; set; }
    public Guid AppId { get; set; }
    public required string Digest { get; set; }
    public long SizeBytes { get; set; }
    /// <summary>
    /// <see cref="Platform.Contracts.Api.PackageResources.Fingerprint"/> of the package's entries (names, modes, contents):
    /// what plat compares to tell that a push has nothing new to upload. Null for packages stored before it existed.
    /// </summary>
    public string? Fingerprint { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>
/// A file content (by sha256) an org has uploaded in a package and the blobstore keeps: resource matching offers only
/// these to the org's pushes, so a digest seen elsewhere (another org's files, a droplet layer) is never handed out.
/// </summary>
public sealed class ResourceEntity
{
    public Guid OrgId { get; set; }
    /// <summary>"sha256:hex", the blob's key.</summary>
    public required string Digest { get; set; }
    public long Size { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

public sealed class BuildEntity
{
    public Guid Id { get; set; }
    public Guid AppId { get; set; }
    public Guid PackageId { get; set; }
    public string State { get; set; } = BuildStates.Staging;
    public string? Error { get; set; }
    public string? Buildpack { get; set; }
    public Guid? DropletId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
}

public static class BuildStates
{
    public const string Staging = "STAGING";
    public const string Staged = "STAGED";
    public const string Failed = "FAILED";
}

/// <summary>A staged app: its layers (bottom first) and start command.</summary>
public sealed class DropletEntity
{
    public Guid Id { get; set; }
    public Guid AppId { get; set; }
    public Guid BuildId { get; set; }
    public List<LayerRef> Layers { get; set; } = new();
    public required string StartCommand { get; set; }
    public string? Buildpack { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>
/// One placed instance, as the scheduler placed it and as its cell last reported it. A crashed instance
/// keeps its row (state CRASHED) until replaced; the replacement is a new row with the same index.
/// </summary>
public sealed class InstanceEntity
{
    public Guid Id { get; set; }
    public Guid AppId { get; set; }
    /// <summary>The app's space (copied at placement): events and egress rules of the instance are the space's.</summary>
    public Guid SpaceId { get; set; }
    public int Index { get; set; }
    public required string CellId { get; set; }
    public Guid DropletId { get; set; }
    public int MemoryMb { get; set; }
    public int DiskMb { get; set; }
    /// <summary>The revision (droplet, env, command, volumes, health check) the instance was started with.</summary>
    public Guid? RevisionId { get; set; }
    /// <summary>The app's <see cref="AppEntity.Generation"/> when the instance was placed: a restart makes a new one.</summary>
    public int Generation { get; set; }
    public string State { get; set; } = InstanceStates.Starting;
    /// <summary>ip:port a router on the cell's host uses.</summary>
    public string? Address { get; set; }
    /// <summary>host:port mapped to the instance, for routers on other hosts.</summary>
    public string? HostAddress { get; set; }
    public string? Reason { get; set; }
    public int? ExitCode { get; set; }
    /// <summary>Crashes of this index so far (carried over to replacements) for back-off.</summary>
    public int CrashCount { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>When the scheduler last changed the row's state, by the scheduler's own clock (never a cell's).</summary>
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>
    /// The version of the last report of its cell applied to this row (null until the cell has reported the instance):
    /// a state change or heartbeat no newer than this has nothing to say about it.
    /// </summary>
    public long? ReportEpoch { get; set; }
    public long? ReportSequence { get; set; }

    [System.ComponentModel.DataAnnotations.Schema.NotMapped]
    public ReportVersion? Reported
    {
        get => ReportEpoch is { } e && ReportSequence is { } s ? new ReportVersion(e, s) : null;
        set { ReportEpoch = value?.Epoch; ReportSequence = value?.Sequence; }
    }

    // Resource use from the cell's last heartbeat (null until the cell reports it).
    public double? CpuPercent { get; set; }
    public long? MemoryBytes { get; set; }
    public long? MemoryLimitBytes { get; set; }
    public long? DiskBytes { get; set; }
    public long? DiskLimitBytes { get; set; }
    /// <summary>When the instance's container started, by the scheduler's clock (its clock less the uptime the cell measured).</summary>
    public DateTimeOffset? StartedAt { get; set; }
    /// <summary>When the scheduler stored these metrics (its own clock).</summary>
    public DateTimeOffset? MetricsAt { get; set; }
}

public static class InstanceStates
{
    public const string Starting = "STARTING";
    public const string Running = "RUNNING";
    public const string Crashed = "CRASHED";
    public const string Stopping = "STOPPING";
    public const string Stopped = "STOPPED";
}

/// <summary>A cell as its heartbeats describe it.</summary>
public sealed class CellEntity
{
    public required string Id { get; set; }
    /// <summary>The cell's address (Cell:Host): routers on other hosts reach its instances there at their mapped ports.</summary>
    public required string Host { get; set; }
    /// <summary>The cell's zone (Cell:Zone), a failure domain: an app's instances are spread over zones first.</summary>
    public string Zone { get; set; } = "";
    /// <summary>The cell is stopping gracefully (Cell:Evacuate): nothing new is placed there and its instances move first.</summary>
    public bool Evacuating { get; set; }
    public int MemoryCapacityMb { get; set; }
    public int DiskCapacityMb { get; set; }
    public int MaxInstances { get; set; }
    /// <summary>When the last heartbeat arrived, by the scheduler's clock (liveness never reads the cell's).</summary>
    public DateTimeOffset LastHeartbeat { get; set; }

    /// <summary>The version of the newest heartbeat applied: an older one that arrives late is skipped.</summary>
    public long? HeartbeatEpoch { get; set; }
    public long? HeartbeatSequence { get; set; }

    [System.ComponentModel.DataAnnotations.Schema.NotMapped]
    public ReportVersion? Heartbeat
    {
        get => HeartbeatEpoch is { } e && HeartbeatSequence is { } s ? new ReportVersion(e, s) : null;
        set { HeartbeatEpoch = value?.Epoch; HeartbeatSequence = value?.Sequence; }
    }
    /// <summary>Where the cell's exec listener answers (from its heartbeat).</summary>
    public string? ExecUrl { get; set; }
    /// <summary>Unused since exec grants replaced the cell's static token; kept so that no migration is needed (drop it with the next one).</summary>
    public string? ExecToken { get; set; }
}

/// <summary>
/// A domain routes are made on, as Cloud Foundry's: shared (<see cref="OrgId"/> null, made by admins; the platform's
/// Api:AppsDomain is one) or private to one org (made by its managers). Names are unique on the platform.
/// </summary>
public sealed class DomainEntity
{
    public Guid Id { get; set; }
    /// <summary>Lowercase, without a trailing dot: "apps.example.com".</summary>
    public required string Name { get; set; }
    public Guid? OrgId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>
/// A route: a host name (a host label on a domain, or the domain itself) and an optional path prefix. It belongs to a
/// space and is mapped to one of its apps, or to none (made but unmapped: routers do not serve it).
/// </summary>
public sealed class RouteEntity
{
    public Guid Id { get; set; }
    public Guid SpaceId { get; set; }
    /// <summary>The app the route is mapped to; null: not mapped.</summary>
    public Guid? AppId { get; set; }
    /// <summary>The <see cref="DomainEntity"/> the route is on.</summary>
    public Guid DomainId { get; set; }
    /// <summary>The host label on the domain ("wms"), or "" for a route on the domain itself.</summary>
    public string Hostname { get; set; } = "";
    /// <summary>The full host name routers match, <see cref="Hostname"/>.domain (or the domain): what they are given.</summary>
    public required string Host { get; set; }
    /// <summary>"" for the whole host, else "/segment[/segment...]" (no trailing slash): the longest matching prefix wins.</summary>
    public string Path { get; set; } = "";
    /// <summary>
    /// How routers speak to the app's instances for this route: "http1" (HTTP/1.1, the default) or "http2" (HTTP/2
    /// with prior knowledge, for gRPC and other HTTP/2 apps), as Cloud Foundry's <c>--app-protocol</c>.
    /// </summary>
    public string Protocol { get; set; } = "http1";
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>
/// An audit event: what happened and who did it ("app.create", "app.crash", "user.login-failed", ...). An app's events
/// carry its space and org; org and space events their own; platform events (users, logins) neither.
/// </summary>
public sealed class EventEntity
{
    public Guid Id { get; set; }
    public Guid? AppId { get; set; }
    public Guid? SpaceId { get; set; }
    public Guid? OrgId { get; set; }
    public required string Type { get; set; }
    public required string Actor { get; set; }
    public string Description { get; set; } = "";
    public DateTimeOffset Timestamp { get; set; }
}

/// <summary>A stored log line of an app (staging, app output, router, cell). Old lines are trimmed per app.</summary>
public sealed class LogLineEntity
{
    public long Id { get; set; }
    public Guid AppId { get; set; }
    public DateTimeOffset Timestamp { get; set; }
    public required string Source { get; set; }
    public int SourceIndex { get; set; }
    public string Stream { get; set; } = "OUT";
    public required string Text { get; set; }
}

public sealed class UserEntity
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    /// <summary>PBKDF2-SHA256: "pbkdf2$iterations$salt-base64$hash-base64".</summary>
    public required string PasswordHash { get; set; }
    /// <summary>"admin" (the platform admin: every right everywhere) or "user" (rights through org and space roles only).</summary>
    public string Role { get; set; } = UserRoles.User;
    public DateTimeOffset CreatedAt { get; set; }
}

public static class UserRoles
{
    public const string Admin = "admin";
    public const string User = "user";
}

/// <summary>
/// A bearer credential: a session from a login (plat login, the dashboard), or a long-lived API token a user made for
/// scripts (plat create-token), which acts with the user's roles or, when <see cref="SpaceId"/> is set, only in that space.
/// </summary>
public sealed class TokenEntity
{
    public Guid Id { get; set; }
    public Guid UserId { get; set; }
    /// <summary>SHA-256 of the token, hex: the token itself is never stored.</summary>
    public required string TokenHash { get; set; }
    /// <summary><see cref="TokenKinds.Session"/> or <see cref="TokenKinds.Api"/>.</summary>
    public string Kind { get; set; } = TokenKinds.Session;
    /// <summary>An API token's name, unique per user; null for sessions.</summary>
    public string? Name { get; set; }
    /// <summary>The one space an API token may act in, or null: wherever its user may.</summary>
    public Guid? SpaceId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    /// <summary>When the token last authenticated a request (updated at most once a minute).</summary>
    public DateTimeOffset? LastUsedAt { get; set; }
}

public static class TokenKinds
{
    public const string Session = "session";
    public const string Api = "api";
}

/// <summary>
/// An application security group, as Cloud Foundry's: named allow rules for what instances may reach. It applies to
/// the instances of the spaces it is bound to (<see cref="SecurityGroupSpaceEntity"/>) and, when
/// <see cref="RunningDefault"/>, to every running instance on the platform. Names are unique on the platform.
/// </summary>
public sealed class SecurityGroupEntity
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public List<SecurityGroupRule> Rules { get; set; } = new();
    /// <summary>One of the platform's default running groups (plat bind-running-security-group).</summary>
    public bool RunningDefault { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>A security group bound to a space for its running instances (plat bind-security-group).</summary>
public sealed class SecurityGroupSpaceEntity
{
    public Guid SecurityGroupId { get; set; }
    public Guid SpaceId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
