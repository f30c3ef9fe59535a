using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.Contracts;
using Platform.Data.Entities;
using Platform.TestSupport;

namespace Platform.Data.Tests;

/// <summary>
/// The tenancy migration against a database made by the schema before it (the last one that landed without orgs and
/// spaces): every app, route, instance and event moves into default/dev, developers keep their rights there, admins
/// stay admins, and nothing is lost.
/// </summary>
public sealed class TenancyMigrationTests
{
    private const string SchemaBeforeTenancy = "20261122032541_InstanceMetricsExecVolumes";

    [Fact]
    public async Task Existing_apps_routes_instances_events_and_users_move_into_the_default_org_and_space()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var services = DataServices.Build(database.ConnectionString);
        var factory = services.GetRequiredService<IDbContextFactory<PlatformDbContext>>();
        await using (var db = await factory.CreateDbContextAsync())
            await db.GetService<IMigrator>().MigrateAsync(SchemaBeforeTenancy);

        // Rows as the old platform wrote them (its columns only).
        var (app, other, instance, admin, developer) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await using (var conn = new NpgsqlConnection(database.ConnectionString))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($$"""
                INSERT INTO apps ("Id", "Name", "State", "Instances", "MemoryMb", "DiskMb", "Env", "Volumes", "CreatedAt", "UpdatedAt")
                    VALUES ('{{app}}', 'wms', 'STARTED', 2, 512, 1024, '{"A":"1"}', '[{"name":"data","path":"/data"}]', now(), now()),
                           ('{{other}}', 'site', 'STOPPED', 1, 256, 1024, '{}', '[]', now(), now());
                INSERT INTO routes ("Id", "AppId", "Host", "Path", "CreatedAt") VALUES (gen_random_uuid(), '{{app}}', 'wms.apps.localhost', '', now());
                INSERT INTO instances ("Id", "AppId", "Index", "CellId", "DropletId", "MemoryMb", "DiskMb", "State", "CrashCount", "CreatedAt", "UpdatedAt")
                    VALUES ('{{instance}}', '{{app}}', 0, 'cell-a', gen_random_uuid(), 512, 1024, 'RUNNING', 0, now(), now());
                INSERT INTO events ("Id", "AppId", "Type", "Actor", "Description", "Timestamp")
                    VALUES (gen_random_uuid(), '{{app}}', 'app.create', 'admin', 'made', now()),
                           (gen_random_uuid(), NULL, 'user.create', 'admin', 'user dev', now());
                INSERT INTO users ("Id", "Name", "PasswordHash", "Role", "CreatedAt")
                    VALUES ('{{admin}}', 'admin', 'pbkdf2$100000$x$y', 'admin', now()), ('{{developer}}', 'dev', 'pbkdf2$100000$x$y', 'developer', now());
                INSERT INTO tokens ("Id", "UserId", "TokenHash", "CreatedAt", "ExpiresAt") VALUES (gen_random_uuid(), '{{developer}}', 'abc', now(), now() + interval '1 day');
                """, conn);
            await cmd.ExecuteNonQueryAsync();
        }

        await services.GetRequiredService<DatabaseMigrator>().MigrateAsync(CancellationToken.None);

        await using var after = await factory.CreateDbContextAsync();
        var org = await after.Orgs.SingleAsync();
        var space = await after.Spaces.SingleAsync();
        Assert.Equal((Tenancy.DefaultOrgId, Tenancy.DefaultOrgName), (org.Id, org.Name));
        Assert.Equal((Tenancy.DefaultSpaceId, Tenancy.DefaultSpaceName, org.Id), (space.Id, space.Name, space.OrgId));
        var apps = await after.Apps.OrderBy(a => a.Name).ToListAsync();
        Assert.Equal(["site", "wms"], apps.Select(a => a.Name));
        Assert.All(apps, a => Assert.Equal(space.Id, a.SpaceId));
        var wms = apps.Single(a => a.Name == "wms");
        Assert.Equal(("1", "data", 2, AppStates.Started), (wms.Env["A"], wms.Volumes.Single().Name, wms.Instances, wms.State));
        Assert.Equal(space.Id, (await after.Routes.SingleAsync()).SpaceId);
        Assert.Equal((space.Id, InstanceStates.Running), (await after.Instances.Select(i => new { i.SpaceId, i.State }).SingleAsync()) is var i ? (i.SpaceId, i.State) : default);
        var events = await after.Events.ToListAsync();
        Assert.Equal(space.Id, events.Single(e => e.AppId == app).SpaceId);
        Assert.Null(events.Single(e => e.AppId == null).SpaceId); // a platform event stays the admins'

        var users = await after.Users.ToDictionaryAsync(u => u.Name, u => u.Role);
        Assert.Equal(UserRoles.Admin, users["admin"]);
        Assert.Equal(UserRoles.User, users["dev"]);
        var roles = await after.RoleAssignments.Where(r => r.UserId == developer).Select(r => new { r.Role, r.SpaceId }).ToListAsync();
        Assert.Contains(roles, r => r.Role == Tenancy.OrgRoles.User && r.SpaceId == null);
        Assert.Contains(roles, r => r.Role == Tenancy.SpaceRoles.Developer && r.SpaceId == space.Id);
        Assert.False(await after.RoleAssignments.AnyAsync(r => r.UserId == admin));
        Assert.Equal(TokenKinds.Session, (await after.Tokens.SingleAsync()).Kind);
    }

    [Fact]
    public async Task A_fresh_platform_has_the_default_org_and_space()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var services = DataServices.Build(database.ConnectionString);
        await services.GetRequiredService<DatabaseMigrator>().MigrateAsync(CancellationToken.None);
        await using var db = await services.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        Assert.Equal(Tenancy.DefaultOrgName, (await db.Orgs.SingleAsync()).Name);
        Assert.Equal(Tenancy.DefaultSpaceName, (await db.Spaces.SingleAsync()).Name);
    }
}
