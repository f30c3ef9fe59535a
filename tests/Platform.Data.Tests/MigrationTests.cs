using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Data;
using Platform.Data.Entities;
using Platform.TestSupport;

namespace Platform.Data.Tests;

public sealed class MigrationTests
{
    [Fact]
    public async Task Migrations_create_every_table_on_a_fresh_database_and_are_idempotent()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var services = DataServices.Build(database.ConnectionString);
        var migrator = services.GetRequiredService<DatabaseMigrator>();

        await migrator.MigrateAsync(CancellationToken.None);
        await migrator.MigrateAsync(CancellationToken.None); // a second server start finds nothing to do

        var factory = services.GetRequiredService<IDbContextFactory<PlatformDbContext>>();
        await using var db = await factory.CreateDbContextAsync();
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.NotEmpty(await db.Database.GetAppliedMigrationsAsync());

        // Every entity's table answers, and a row with the JSON columns round-trips.
        Assert.Equal(0, await db.Packages.CountAsync());
        Assert.Equal(0, await db.Builds.CountAsync());
        Assert.Equal(0, await db.Instances.CountAsync());
        Assert.Equal(0, await db.Cells.CountAsync());
        Assert.Equal(0, await db.Routes.CountAsync());
        Assert.Equal(0, await db.Events.CountAsync());
        Assert.Equal(0, await db.LogLines.CountAsync());
        Assert.Equal(0, await db.Users.CountAsync());
        Assert.Equal(0, await db.Tokens.CountAsync());
        Assert.Equal(0, await db.OutboxMessages.CountAsync());
        var app = new AppEntity { Id = Guid.NewGuid(), SpaceId = Platform.Contracts.Tenancy.DefaultSpaceId, Name = "wms", Env = new() { ["A"] = "1" }, CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow };
        db.Apps.Add(app);
        await db.SaveChangesAsync();
        await using var again = await factory.CreateDbContextAsync();
        Assert.Equal("1", (await again.Apps.SingleAsync(a => a.Id == app.Id)).Env["A"]);
    }

    [Fact]
    public void The_model_has_no_changes_that_no_migration_covers()
    {
        // Fails when an entity changed without `dotnet ef migrations add` (see src/Platform.Data/README.md).
        using var db = new PlatformDbContextDesignTimeFactory().CreateDbContext([]);
        Assert.False(db.Database.HasPendingModelChanges(), "the model has changes no migration covers: add a migration");
    }

    [Fact]
    public void AddPlatformData_without_a_connection_string_says_which_setting_is_missing()
    {
        var config = new ConfigurationBuilder().Build();
        var error = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddPlatformData(config));
        Assert.Contains("ConnectionStrings:Platform", error.Message);
    }
}

/// <summary>Data services alone (no bus, no dispatcher), for tests that only need the database.</summary>
internal static class DataServices
{
    public static ServiceProvider Build(string connectionString) =>
        new ServiceCollection()
            .AddSingleton(typeof(Microsoft.Extensions.Logging.ILogger<>), typeof(NullLogger<>))
            .AddPlatformData(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:Platform"] = connectionString,
                ["Outbox:DispatcherEnabled"] = "false",
            }).Build())
            .BuildServiceProvider();
}
