using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Platform.Data;

namespace Platform.Api.Routing;

/// <summary>
/// At start, makes the platform's Api:AppsDomain a shared domain if it is not one yet (a new platform, or a changed
/// setting): the configuration decides it, so a migration cannot. Domains made for an earlier setting stay.
/// </summary>
public sealed class DefaultDomainSeeder(IDbContextFactory<PlatformDbContext> contexts, IOptions<ApiOptions> options, TimeProvider time) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        DomainCatalog.EnsureAsync(contexts, DomainCatalog.Normalize(options.Value.AppsDomain), time, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
