using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Platform.Api.Access;
using Platform.Api.Infrastructure;
using Platform.Contracts;
using Platform.Contracts.Api;
using Platform.Contracts.Messages;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Data.Outbox;

namespace Platform.Api.Routing;

/// <summary>
/// A route as a request or a manifest names it, checked: a host label (or none), a domain the space's org may use, a
/// path, and the protocol (null: leave a mapped route's as it is; http1 for a new one).
/// </summary>
public sealed record RouteTarget(string Hostname, DomainEntity Domain, string Path, string? Protocol)
{
    public string Host => RouteRules.FullHost(Hostname, Domain.Name);
    public string Url => RouteRules.Url(Hostname, Domain.Name, Path);
}

/// <summary>
/// Makes, maps, unmaps and deletes a space's routes, as cf create-route, map-route, unmap-route and delete-route: a
/// route belongs to one space and is mapped to one of its apps or to none; an app may have many routes, and apps may
/// share a host by path (routers pick the longest path prefix). Every change of what routers serve puts
/// <see cref="AppDesiredStateChanged"/> in the outbox with it, so they reload at once. Each change is saved when made; callers
/// that need several to happen together run them in a transaction.
/// </summary>
public sealed class RouteMapper(PlatformDbContext db, DomainCatalog domains, QuotaPolicy quotas, TimeProvider time)
{
    private static readonly string[] Adjectives =
        ["brave", "calm", "eager", "fancy", "gentle", "happy", "jolly", "kind", "lively", "merry", "nice", "proud", "quiet", "shiny", "silly", "witty"];
    private static readonly string[] Nouns =
        ["badger", "beaver", "crane", "dingo", "eagle", "ferret", "gecko", "heron", "ibex", "koala", "lemur", "marmot", "otter", "panda", "quokka", "walrus"];

    /// <summary>The route a request names by domain, host and path.</summary>
    public async Task<(RouteTarget? Target, ApiError? Error)> ResolveAsync(SpaceAccess space, RouteRequest request, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Domain))
            return (null, ApiError.BadRequest("give the route's domain (plat domains lists them), and optionally its host name and path"));
        var hostname = (request.Host ?? "").Trim().ToLowerInvariant();
        if (RouteRules.CheckHostname(hostname) is { } hostError) return (null, ApiError.BadRequest(hostError));
        var path = RouteRules.NormalizePath(request.Path?.Trim(), out var pathError);
        if (path is null) return (null, ApiError.BadRequest(pathError!));
        string? protocol = null;
        if (request.Protocol is not null && (protocol = RouteRules.NormalizeProtocol(request.Protocol, out var protocolError)) is null)
            return (null, ApiError.BadRequest(protocolError!));
        var (domain, error) = await domains.UsableAsync(space.Org.Id, request.Domain, ct);
        if (error is not null) return (null, error);
        if (RouteRules.FullHost(hostname, domain!.Name).Length > RouteRules.MaxHostLength)
            return (null, ApiError.BadRequest($"the host name {RouteRules.FullHost(hostname, domain.Name)} is longer than {RouteRules.MaxHostLength} characters"));
        return (new RouteTarget(hostname, domain, path, protocol), null);
    }

    /// <summary>
    /// The route a URL names, "host.domain/path" as in a manifest's <c>route:</c>: the longest domain the host name ends
    /// with wins, as in Cloud Foundry (the whole host name when it is a domain, a route on the domain itself; else what
    /// follows the first label, which is the route's host name).
    /// </summary>
    public async Task<(RouteTarget? Target, ApiError? Error)> ResolveUrlAsync(SpaceAccess space, string url, string? protocol, CancellationToken ct)
    {
        var text = url.Trim();
        if (text.Contains("://", StringComparison.Ordinal))
            return (null, ApiError.BadRequest($"a route is host.domain[/path], without a scheme: not '{url}'"));
        var slash = text.IndexOf('/');
        var host = (slash < 0 ? text : text[..slash]).TrimEnd('.').ToLowerInvariant();
        var path = slash < 0 ? "" : text[slash..];
        if (host.Contains(':'))
            return (null, ApiError.BadRequest($"the route '{url}' has a port: TCP routes are not supported, give host.domain[/path]"));
        if (host.Length == 0) return (null, ApiError.BadRequest($"the route '{url}' has no host name"));
        if (await domains.FindAsync(host, ct) is { } whole)
            return await ResolveAsync(space, new RouteRequest(whole.Name, "", path, protocol), ct);
        var dot = host.IndexOf('.');
        if (dot <= 0 || RouteRules.CheckDomain(host[(dot + 1)..]) is not null)
            return (null, ApiError.NotFound("Domain not found",
                $"the route '{url}' is on no domain: give host.domain[/path] with a domain from plat domains"));
        return await ResolveAsync(space, new RouteRequest(host[(dot + 1)..], host[..dot], path, protocol), ct);
    }

    /// <summary>The app's default route, NAME.&lt;Api:AppsDomain&gt;.</summary>
    public async Task<RouteTarget> DefaultAsync(string appName, CancellationToken ct) =>
        new(appName, await domains.DefaultAsync(ct), "", null);

    /// <summary>A route on the default domain no one has yet: NAME-adjective-noun (cf push --random-route).</summary>
    public async Task<RouteTarget> RandomAsync(string appName, CancellationToken ct)
    {
        var domain = await domains.DefaultAsync(ct);
        while (true)
        {
            var suffix = $"-{Adjectives[RandomNumberGenerator.GetInt32(Adjectives.Length)]}-{Nouns[RandomNumberGenerator.GetInt32(Nouns.Length)]}";
            var hostname = (appName.Length + suffix.Length > 63 ? appName[..(63 - suffix.Length)].TrimEnd('-') : appName) + suffix;
            var target = new RouteTarget(hostname, domain, "", null);
            if (!await db.Routes.AnyAsync(r => r.Host == target.Host && r.Path == "", ct)) return target;
        }
    }

    /// <summary>Null when <paramref name="target"/> could be mapped to the app (or made, for none) now, else why not.</summary>
    public async Task<ApiError?> CheckAvailableAsync(SpaceAccess space, Guid? appId, RouteTarget target, CancellationToken ct) =>
        await ConflictAsync(space, await FindAsync(target, ct), appId, target, ct);

    /// <summary>Maps the route to the app, making it first if it does not exist. False (and no error) when it already was.</summary>
    public async Task<(bool Changed, ApiError? Error)> MapAsync(SpaceAccess space, AppEntity app, RouteTarget target, string actor, CancellationToken ct)
    {
        var route = await FindAsync(target, ct);
        if (await ConflictAsync(space, route, app.Id, target, ct) is { } conflict) return (false, conflict);
        if (route is null)
        {
            if (await quotas.CheckRoutesAsync(space.Space, 1, ct) is { } quota) return (false, ApiError.QuotaExceeded(quota));
            db.Routes.Add(New(space, target, app.Id));
        }
        else
        {
            var protocol = target.Protocol ?? (route.AppId == app.Id ? route.Protocol : RouteRules.Http1);
            if (route.AppId == app.Id && route.Protocol == protocol) return (false, null);
            (route.AppId, route.Protocol) = (app.Id, protocol);
        }
        var now = time.GetUtcNow();
        db.AddEvent(EventSubject.App(app), "app.map-route", actor, $"route {target.Url}{(target.Protocol == RouteRules.Http2 ? " (http2)" : "")}", now);
        db.AddToOutbox(new AppDesiredStateChanged(app.Id, now));
        return await SaveAsync(target, ct);
    }

    /// <summary>Unmaps the route from the app; it stays in the space, unserved, until deleted.</summary>
    public async Task<(bool Changed, ApiError? Error)> UnmapAsync(SpaceAccess space, AppEntity app, RouteTarget target, string actor, CancellationToken ct)
    {
        var route = await FindAsync(target, ct);
        if (route is null || route.SpaceId != space.Space.Id || route.AppId != app.Id)
            return (false, ApiError.NotFound("Route not mapped", $"the route {target.Url} is not mapped to the app {app.Name} (plat routes lists the space's routes)"));
        await UnmapAsync(app, route, target.Url, actor, ct);
        return (true, null);
    }

    /// <summary>Unmaps every route of the app (a manifest's <c>no-route: true</c>); returns their URLs.</summary>
    public async Task<List<string>> UnmapAllAsync(AppEntity app, string actor, CancellationToken ct)
    {
        var urls = new List<string>();
        foreach (var (route, domain) in await RoutesOfAsync(db.Routes.Where(r => r.AppId == app.Id), ct))
        {
            var url = RouteRules.Url(route.Hostname, domain, route.Path);
            await UnmapAsync(app, route, url, actor, ct);
            urls.Add(url);
        }
        return urls;
    }

    private async Task UnmapAsync(AppEntity app, RouteEntity route, string url, string actor, CancellationToken ct)
    {
        route.AppId = null;
        var now = time.GetUtcNow();
        db.AddEvent(EventSubject.App(app), "app.unmap-route", actor, $"route {url}", now);
        db.AddToOutbox(new AppDesiredStateChanged(app.Id, now));
        await db.SaveChangesAsync(ct);
    }

    /// <summary>Makes the route in the space, mapped to nothing; an existing route of the space is no error.</summary>
    public async Task<(bool Created, ApiError? Error)> CreateAsync(SpaceAccess space, RouteTarget target, string actor, CancellationToken ct)
    {
        var route = await FindAsync(target, ct);
        if (route is not null)
            return route.SpaceId == space.Space.Id ? (false, null) : (false, await ConflictAsync(space, route, null, target, ct));
        if (await quotas.CheckRoutesAsync(space.Space, 1, ct) is { } quota) return (false, ApiError.QuotaExceeded(quota));
        db.Routes.Add(New(space, target, null));
        db.AddEvent(EventSubject.Space(space.Space.Id, space.Org.Id), "route.create", actor, $"route {target.Url}", time.GetUtcNow());
        return await SaveAsync(target, ct);
    }

    /// <summary>Deletes the space's route, unmapping it from its app first.</summary>
    public async Task<ApiError?> DeleteAsync(SpaceAccess space, RouteTarget target, string actor, CancellationToken ct)
    {
        var route = await FindAsync(target, ct);
        if (route is null || route.SpaceId != space.Space.Id)
            return ApiError.NotFound("Route not found", $"the space has no route {target.Url} (plat routes lists them)");
        var now = time.GetUtcNow();
        if (route.AppId is { } appId) db.AddToOutbox(new AppDesiredStateChanged(appId, now));
        db.Routes.Remove(route);
        db.AddEvent(EventSubject.Space(space.Space.Id, space.Org.Id), "route.delete", actor, $"route {target.Url}", now);
        await db.SaveChangesAsync(ct);
        return null;
    }

    /// <summary>The space's routes with their domains and apps, by URL.</summary>
    public async Task<List<RouteResponse>> ListAsync(Guid spaceId, CancellationToken ct)
    {
        var rows = await (
            from r in db.Routes.AsNoTracking()
            where r.SpaceId == spaceId
            join d in db.Domains.AsNoTracking() on r.DomainId equals d.Id
            join a in db.Apps.AsNoTracking() on r.AppId equals (Guid?)a.Id into mapped
            from a in mapped.DefaultIfEmpty()
            select new { Route = r, Domain = d.Name, App = a == null ? null : a.Name }).ToListAsync(ct);
        return rows
            .Select(x => new RouteResponse(x.Route.Id, x.Route.Hostname, x.Domain, x.Route.Path,
                RouteRules.Url(x.Route.Hostname, x.Domain, x.Route.Path), x.Route.Protocol, x.App, x.Route.CreatedAt))
            .OrderBy(r => r.Url, StringComparer.Ordinal).ToList();
    }

    /// <summary>The app's routes as a manifest writes them (host.domain/path) with their protocols.</summary>
    public async Task<List<(string Url, string Protocol)>> OfAppAsync(Guid appId, CancellationToken ct) =>
        (await RoutesOfAsync(db.Routes.AsNoTracking().Where(r => r.AppId == appId), ct))
        .Select(x => (RouteRules.Url(x.Route.Hostname, x.Domain, x.Route.Path), x.Route.Protocol))
        .OrderBy(x => x.Item1, StringComparer.Ordinal).ToList();

    private async Task<List<(RouteEntity Route, string Domain)>> RoutesOfAsync(IQueryable<RouteEntity> routes, CancellationToken ct) =>
        (await (from r in routes join d in db.Domains.AsNoTracking() on r.DomainId equals d.Id select new { r, d.Name }).ToListAsync(ct))
        .Select(x => (x.r, x.Name)).ToList();

    private Task<RouteEntity?> FindAsync(RouteTarget target, CancellationToken ct)
    {
        var host = target.Host;
        var path = target.Path;
        return db.Routes.FirstOrDefaultAsync(r => r.Host == host && r.Path == path, ct);
    }

    private async Task<ApiError?> ConflictAsync(SpaceAccess space, RouteEntity? route, Guid? appId, RouteTarget target, CancellationToken ct)
    {
        if (route is null) return null;
        if (route.SpaceId != space.Space.Id)
            return ApiError.Conflict($"the route {target.Url} is taken by another space: choose another host name or path");
        if (route.AppId is { } other && other != appId)
        {
            var name = await db.Apps.Where(a => a.Id == other).Select(a => a.Name).FirstOrDefaultAsync(ct) ?? other.ToString();
            return ApiError.Conflict($"the route {target.Url} is mapped to the app {name}: unmap it first (plat unmap-route {name} ...)");
        }
        return null;
    }

    private RouteEntity New(SpaceAccess space, RouteTarget target, Guid? appId) => new()
    {
        Id = Guid.NewGuid(),
        SpaceId = space.Space.Id,
        AppId = appId,
        DomainId = target.Domain.Id,
        Hostname = target.Hostname,
        Host = target.Host,
        Path = target.Path,
        Protocol = target.Protocol ?? RouteRules.Http1,
        CreatedAt = time.GetUtcNow(),
    };

    private async Task<(bool, ApiError?)> SaveAsync(RouteTarget target, CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
            return (true, null);
        }
        catch (DbUpdateException)
        {
            // Lost a race for the same host and path (unique index).
            return (false, ApiError.Conflict($"the route {target.Url} was just taken: choose another host name or path"));
        }
    }
}
