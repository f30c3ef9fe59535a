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
    public DbSet<AppEntity> Apps => Set<AppEntity>();
    public DbSet<PackageEntity> Packages => Set<PackageEntity>();
    public DbSet<BuildEntity> Builds => Set<BuildEntity>();
    public DbSet<DropletEntity> Droplets => Set<DropletEntity>();
    public DbSet<InstanceEntity> Instances => Set<InstanceEntity>();
    public DbSet<CellEntity> Cells => Set<CellEntity>();
    public DbSet<RouteEntity> Routes => Set<RouteEntity>();
    public DbSet<EventEntity> Events => Set<EventEntity>();
    public DbSet<LogLineEntity> LogLines => Set<LogLineEntity>();
    public DbSet<UserEntity> Users => Set<UserEntity>();
    public DbSet<TokenEntity> Tokens => Set<TokenEntity>();
    public DbSet<OutboxMessage> OutboxMessages => Set<OutboxMessage>();

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    protected override void OnModelCreating(ModelBuilder b)
    {
        b.Entity<AppEntity>(e =>
        {
            e.ToTable("apps");
            e.HasIndex(x => x.Name).IsUnique();
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
            e.HasIndex(x => new { x.Host, x.Path }).IsUnique();
            e.HasIndex(x => x.AppId);
        });
        b.Entity<EventEntity>(e =>
        {
            e.ToTable("events");
            e.HasIndex(x => new { x.AppId, x.Timestamp });
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
        });
        b.Entity<OutboxMessage>(e => e.ToTable("outbox_messages"));
    }
}
