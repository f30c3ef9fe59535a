using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Platform.Contracts;
using Platform.Contracts.Messages;
using Platform.Data.Entities;
using Platform.Data.Outbox;

namespace Platform.Data;

/// <summary>The one source of truth for what users asked for and the last known actual state.</summary>
public sealed class PlatformDbContext(DbContextOptions<PlatformDbContext> options) : DbContext(options)
{
    public DbSet<OrgEntity> Orgs => Set<OrgEntity>();
    public DbSet<SpaceEntity> Spaces => Set<SpaceEntity>();
    public DbSet<QuotaEntity> Quotas => Set<QuotaEntity>();
    public DbSet<RoleAssignmentEntity> RoleAssignments => Set<RoleAssignmentEntity>();
    public DbSet<AppEntity> Apps => Set<AppEntity>();
    public DbSet<RevisionEntity> Revisions => Set<RevisionEntity>();
    public DbSet<DeploymentEntity> Deployments => Set<DeploymentEntity>();
    public DbSet<PackageEntity> Packages => Set<PackageEntity>();
    public DbSet<BuildEntity> Builds => Set<BuildEntity>();
    public DbSet<DropletEntity> Droplets => Set<DropletEntity>();
    public DbSet<InstanceEntity> Instances => Set<InstanceEntity>();
    public DbSet<CellEntity> Cells => Set<CellEntity>();
    public DbSet<DomainEntity> Domains => Set<DomainEntity>();
    public DbSet<SecurityGroupEntity> SecurityGroups => Set<SecurityGroupEntity>();
    public DbSet<SecurityGroupSpaceEntity> SecurityGroupSpaces => Set<SecurityGroupSpaceEntity>();
    public DbSet<RouteEntity> Routes => Set<RouteEntity>();
    public DbSet<ResourceEntity> Resources => Set<ResourceEntity>();
    public DbSet<EventEntity> Events => Set<EventEntity>();
    public DbSet<LogLineEntity> LogLines => Set<LogLineEntity>();
    public DbSet<UserEntity> Users => Set<UserEntity>();
    public DbSet<TokenEntity> Tokens => Set<TokenEntity>();
    public DbSet<OutboxMessage> OutboxMessages => Set<OutboxMessage>();

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    protected override void OnModelCreating(ModelBuilder b)
    {
        b.Entity<OrgEntity>(e =>
        {
            e.ToTable("orgs");
            e.HasIndex(x => x.Name).IsUnique();
            e.Property(x => x.Name).HasMaxLength(63);
        });
        b.Entity<SpaceEntity>(e =>
        {
            e.ToTable("spaces");
            e.HasIndex(x => new { x.OrgId, x.Name }).IsUnique();
            e.Property(x => x.Name).HasMaxLength(63);
            e.Property(x => x.AllowSsh).HasDefaultValue(true);
        });
        b.Entity<QuotaEntity>(e =>
        {
            e.ToTable("quotas");
            // Org quotas (no owner) have names unique among themselves; space quotas within their org.
            e.HasIndex(x => new { x.OwnerOrgId, x.Name }).IsUnique().AreNullsDistinct(false);
            e.Property(x => x.Name).HasMaxLength(63);
        });
        b.Entity<RoleAssignmentEntity>(e =>
        {
            e.ToTable("role_assignments");
            e.HasIndex(x => new { x.UserId, x.OrgId, x.SpaceId, x.Role }).IsUnique().AreNullsDistinct(false);
            e.HasIndex(x => x.SpaceId);
            e.HasIndex(x => x.OrgId);
        });
        b.Entity<AppEntity>(e =>
        {
            e.ToTable("apps");
            e.HasIndex(x => new { x.SpaceId, x.Name }).IsUnique();
            e.Property(x => x.AllowSsh).HasDefaultValue(true);
            e.Property(x => x.HealthCheckType).HasDefaultValue(Platform.Contracts.HealthChecks.Port);
            e.Property(x => x.Name).HasMaxLength(63);
            e.Property(x => x.Env).HasColumnType("jsonb").HasConversion(
                v => JsonSerializer.Serialize(v, Json),
                v => JsonSerializer.Deserialize<Dictionary<string, string>>(v, Json) ?? new(),
                new ValueComparer<Dictionary<string, string>>(
                    (a, c) => JsonSerializer.Serialize(a, Json) == JsonSerializer.Serialize(c, Json),
                    v => JsonSerializer.Serialize(v, Json).GetHashCode(),
                    v => new Dictionary<string, string>(v)));
            e.Property(x => x.Volumes).HasColumnType("jsonb").HasDefaultValueSql("'[]'::jsonb").HasConversion(
                v => JsonSerializer.Serialize(v, Json),
                v => JsonSerializer.Deserialize<List<VolumeMount>>(v, Json) ?? new(),
                new ValueComparer<List<VolumeMount>>(
                    (a, c) => a!.SequenceEqual(c!),
                    v => v.Aggregate(0, (h, m) => HashCode.Combine(h, m.GetHashCode())),
                    v => v.ToList()));
        });
        b.Entity<RevisionEntity>(e =>
        {
            e.ToTable("revisions");
            e.HasIndex(x => new { x.AppId, x.Version }).IsUnique();
            e.Property(x => x.Env).HasColumnType("jsonb").HasConversion(
                v => JsonSerializer.Serialize(v, Json),
                v => JsonSerializer.Deserialize<Dictionary<string, string>>(v, Json) ?? new(),
                new ValueComparer<Dictionary<string, string>>(
                    (a, c) => JsonSerializer.Serialize(a, Json) == JsonSerializer.Serialize(c, Json),
                    v => JsonSerializer.Serialize(v, Json).GetHashCode(),
                    v => new Dictionary<string, string>(v)));
            e.Property(x => x.Volumes).HasColumnType("jsonb").HasConversion(
                v => JsonSerializer.Serialize(v, Json),
                v => JsonSerializer.Deserialize<List<VolumeMount>>(v, Json) ?? new(),
                new ValueComparer<List<VolumeMount>>(
                    (a, c) => a!.SequenceEqual(c!),
                    v => v.Aggregate(0, (h, m) => HashCode.Combine(h, m.GetHashCode())),
                    v => v.ToList()));
        });
        b.Entity<DeploymentEntity>(e =>
        {
            e.ToTable("deployments");
            e.HasIndex(x => new { x.AppId, x.CreatedAt });
            e.HasIndex(x => x.State);
        });
        b.Entity<PackageEntity>(e =>
        {
            e.ToTable("packages");
            e.HasIndex(x => x.AppId);
        });
        b.Entity<BuildEntity>(e =>
        {
            e.ToTable("builds");
            e.HasIndex(x => x.AppId);
        });
        b.Entity<DropletEntity>(e =>
        {
            e.ToTable("droplets");
            e.HasIndex(x => x.AppId);
            e.Property(x => x.Layers).HasColumnType("jsonb").HasConversion(
                v => JsonSerializer.Serialize(v, Json),
                v => JsonSerializer.Deserialize<List<LayerRef>>(v, Json) ?? new(),
                new ValueComparer<List<LayerRef>>(
                    (a, c) => a!.SequenceEqual(c!),
                    v => v.Aggregate(0, (h, l) => HashCode.Combine(h, l.GetHashCode())),
                    v => v.ToList()));
        });
        b.Entity<InstanceEntity>(e =>
        {
            e.ToTable("instances");
            e.HasIndex(x => new { x.AppId, x.Index });
            e.HasIndex(x => x.CellId);
        });
        b.Entity<CellEntity>(e => e.ToTable("cells"));
        b.Entity<RouteEntity>(e =>
        {
            e.ToTable("routes");
            e.Property(x => x.Protocol).HasDefaultValue("http1");
            e.Property(x => x.Hostname).HasDefaultValue("").HasMaxLength(63);
            e.HasIndex(x => new { x.Host, x.Path }).IsUnique();
            e.HasIndex(x => x.AppId);
            e.HasIndex(x => x.SpaceId);
            e.HasIndex(x => x.DomainId);
        });
        b.Entity<DomainEntity>(e =>
        {
            e.ToTable("domains");
            e.HasIndex(x => x.Name).IsUnique();
            e.HasIndex(x => x.OrgId);
            e.Property(x => x.Name).HasMaxLength(253);
        });
        b.Entity<SecurityGroupEntity>(e =>
        {
            e.ToTable("security_groups");
            e.HasIndex(x => x.Name).IsUnique();
            e.HasIndex(x => x.RunningDefault);
            e.Property(x => x.Name).HasMaxLength(63);
            e.Property(x => x.Rules).HasColumnType("jsonb").HasConversion(
                v => JsonSerializer.Serialize(v, Json),
                v => JsonSerializer.Deserialize<List<SecurityGroupRule>>(v, Json) ?? new(),
                new ValueComparer<List<SecurityGroupRule>>(
                    (a, c) => a!.SequenceEqual(c!),
                    v => v.Aggregate(0, (h, r) => HashCode.Combine(h, r.GetHashCode())),
                    v => v.ToList()));
        });
        b.Entity<SecurityGroupSpaceEntity>(e =>
        {
            e.ToTable("security_group_spaces");
            e.HasKey(x => new { x.SecurityGroupId, x.SpaceId });
            e.HasIndex(x => x.SpaceId);
        });
        b.Entity<ResourceEntity>(e =>
        {
            e.ToTable("resources");
            e.HasKey(x => new { x.OrgId, x.Digest });
            e.Property(x => x.Digest).HasMaxLength(71);
        });
        b.Entity<EventEntity>(e =>
        {
            e.ToTable("events");
            e.HasIndex(x => new { x.AppId, x.Timestamp });
            e.HasIndex(x => new { x.SpaceId, x.Timestamp });
            e.HasIndex(x => x.Timestamp);
        });
        b.Entity<LogLineEntity>(e =>
        {
            e.ToTable("log_lines");
            e.HasIndex(x => new { x.AppId, x.Id });
        });
        b.Entity<UserEntity>(e =>
        {
            e.ToTable("users");
            e.HasIndex(x => x.Name).IsUnique();
        });
        b.Entity<TokenEntity>(e =>
        {
            e.ToTable("tokens");
            e.HasIndex(x => x.TokenHash).IsUnique();
            e.HasIndex(x => new { x.UserId, x.Name }).IsUnique().HasFilter("\"Name\" IS NOT NULL");
            e.Property(x => x.Kind).HasDefaultValue(TokenKinds.Session);
        });
        b.Entity<OutboxMessage>(e => e.ToTable("outbox_messages"));
    }
}
