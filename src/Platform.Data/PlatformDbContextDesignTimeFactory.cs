using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Platform.Data;

/// <summary>
/// Lets `dotnet ef migrations add NAME --project src/Platform.Data` build the model without a server.
/// Adding a migration does not connect; `dotnet ef database update` uses PLATFORM_ConnectionStrings__Platform.
/// </summary>
public sealed class PlatformDbContextDesignTimeFactory : IDesignTimeDbContextFactory<PlatformDbContext>
{
    public PlatformDbContext CreateDbContext(string[] args)
    {
        var connectionString = Environment.GetEnvironmentVariable("PLATFORM_ConnectionStrings__Platform")
            ?? "Host=127.0.0.1;Port=5432;Username=platform;Database=platform";
        return new PlatformDbContext(new DbContextOptionsBuilder<PlatformDbContext>().UseNpgsql(connectionString).Options);
    }
}
