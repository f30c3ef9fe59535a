using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Api.Infrastructure;
using Platform.Data;
using Platform.Data.Entities;

namespace Platform.Api.Routing;

/// <summary>
/// The domains routes are made on: finds one by name for an org (a shared domain, or one private to that org), and the
/// platform's default shared domain, Api:AppsDomain, which every app's default route is on.
/// </summary>
public sealed class DomainCatalog(PlatformDbContext db, IDbContextFactory<PlatformDbContext> contexts, IOptions<ApiOptions> options, TimeProvider time)
{
    public string DefaultName => Normalize(options.Value.AppsDomain);

    /// <summary>Domain names compare lowercase and without a trailing dot.</summary>
    public static string Normalize(string name) => name.Trim().TrimEnd('.').ToLowerInvariant();

    /// <summary>The default shared domain, made now if the start-up seeding (<see cref="DefaultDomainSeeder"/>) has not run yet.</summary>
    public async Task<DomainEntity> DefaultAsync(CancellationToken ct)
    {
        var name = DefaultName;
        if (await db.Domains.FirstOrDefaultAsync(d => d.Name == name, ct) is { } found) return found;
        // In a context of its own: the caller may be inside a transaction that a lost race must not abort.
        await EnsureAsync(contexts, name, time, ct);
        return await db.Domains.FirstAsync(d => d.Name == name, ct);
    }

    /// <summary>Makes the shared domain <paramref name="name"/> unless a domain of that name exists.</summary>
    internal static async Task EnsureAsync(IDbContextFactory<PlatformDbContext> contexts, string name, TimeProvider time, CancellationToken ct)
    {
        await using var own = await contexts.CreateDbContextAsync(ct);
        if (await own.Domains.AnyAsync(d => d.Name == name, ct)) return;
        own.Domains.Add(new DomainEntity { Id = Guid.NewGuid(), Name = name, CreatedAt = time.GetUtcNow() });
        try
        {
            await own.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Another API process made it at the same moment; anything else is a real failure.
            await using var fresh = await contexts.CreateDbContextAsync(ct);
            if (!await fresh.Domains.AnyAsync(d => d.Name == name, ct)) throw;
        }
    }

    public Task<DomainEntity?> FindAsync(string name, CancellationToken ct)
    {
        var normalized = Normalize(name);
        return db.Domains.AsNoTracking().FirstOrDefaultAsync(d => d.Name == normalized, ct);
    }

    /// <summary>The domain of that name if the org may make routes on it; else the refusal (unknown, or another org's).</summary>
    public async Task<(DomainEntity? Domain, ApiError? Error)> UsableAsync(Guid orgId, string name, CancellationToken ct)
    {
        var domain = await FindAsync(name, ct);
        if (domain is null)
            return (null, ApiError.NotFound("Domain not found",
                $"the domain '{Normalize(name)}' does not exist: plat domains lists the domains you can use"));
        if (domain.OrgId is { } owner && owner != orgId)
            return (null, ApiError.Unprocessable("Domain not usable",
                $"the domain '{domain.Name}' is private to another org: use a shared domain or one of your org's (plat domains)"));
        return (domain, null);
    }
}
