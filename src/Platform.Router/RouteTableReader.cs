using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Data;
using Platform.Data.Entities;

namespace Platform.Router;

/// <summary>Builds a <see cref="RouteTable"/> from the database: routes joined with RUNNING instances that have an address.</summary>
public sealed class RouteTableReader(
    IDbContextFactory<PlatformDbContext> contexts,
    IOptions<RouterOptions> options,
    ILogger<RouteTableReader> logger)
{
    public async Task<RouteTable> ReadAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var routes = await db.Routes.AsNoTracking()
            .Select(r => new { r.Host, r.Path, r.AppId })
            .ToListAsync(cancellationToken);
        var appIds = routes.Select(r => r.AppId).Distinct().ToList();
        var names = await db.Apps.AsNoTracking()
            .Where(a => appIds.Contains(a.Id))
            .Select(a => new { a.Id, a.Name })
            .ToDictionaryAsync(a => a.Id, a => a.Name, cancellationToken);
        var instances = await db.Instances.AsNoTracking()
            .Where(i => i.State == InstanceStates.Running && appIds.Contains(i.AppId))
            .OrderBy(i => i.Index).ThenBy(i => i.Id)
            .Select(i => new { i.Id, i.AppId, i.Index, i.Address, i.HostAddress })
            .ToListAsync(cancellationToken);

        var useHostAddress = options.Value.UseHostAddress;
        var backendsByApp = instances
            .Select(i => (i.AppId, Backend: ToBackend(i.Id, i.Index, useHostAddress ? i.HostAddress : i.Address)))
            .Where(x => x.Backend is not null)
            .GroupBy(x => x.AppId)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<Backend>)g.Select(x => x.Backend!).ToList());

        return new RouteTable(routes.Select(r => new AppRoute(
            r.Host,
            r.Path,
            r.AppId,
            names.GetValueOrDefault(r.AppId) ?? r.AppId.ToString(),
            backendsByApp.GetValueOrDefault(r.AppId) ?? [])));
    }

    private Backend? ToBackend(Guid instanceId, int index, string? address)
    {
        if (string.IsNullOrWhiteSpace(address)) return null;
        // An address we cannot turn into a URL would break the whole proxy config; leave that instance out.
        if (!Uri.TryCreate($"http://{address}/", UriKind.Absolute, out var uri) || uri.Port <= 0 || uri.AbsolutePath != "/")
        {
            logger.LogWarning("Instance {InstanceId} has an unusable address '{Address}'; not routing to it", instanceId, address);
            return null;
        }
        return new Backend(instanceId, index, address);
    }
}
