using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Platform.Api.Access;
using Platform.Api.Auth;
using Platform.Api.Infrastructure;
using Platform.Api.Routing;
using Platform.Contracts;
using Platform.Contracts.Api;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Api.OpenApi;

namespace Platform.Api.Endpoints;

/// <summary>
/// Domains, as Cloud Foundry's: shared ones (/v1/domains; admins make and delete them) that every org may make routes
/// on, and private ones of an org (/v1/orgs/{org}/domains; its managers make and delete them). Api:AppsDomain is the
/// default shared domain. A private domain may not be, nor be under or above, a domain that is not its org's: an org
/// cannot take over host names on another org's or the shared domains.
/// </summary>
public static class DomainsEndpoints
{
    public static RouteGroupBuilder MapDomainsEndpoints(this RouteGroupBuilder v1)
    {
        v1.MapGet("/domains", ListAsync).AnyUser().Produces<List<DomainResponse>>();
        v1.MapPost("/domains", CreateSharedAsync).AdminOnly().JsonBody<NameRequest>().Produces<DomainResponse>(StatusCodes.Status201Created).Problems(StatusCodes.Status409Conflict);
        v1.MapDelete("/domains/{domain}", DeleteSharedAsync).AdminOnly().Produces(StatusCodes.Status204NoContent).Problems(StatusCodes.Status404NotFound, StatusCodes.Status422UnprocessableEntity);
        v1.MapPost("/orgs/{org}/domains", CreatePrivateAsync).InOrg(OrgAction.Manage).JsonBody<NameRequest>().Produces<DomainResponse>(StatusCodes.Status201Created)
            .Problems(StatusCodes.Status409Conflict, StatusCodes.Status422UnprocessableEntity);
        v1.MapDelete("/orgs/{org}/domains/{domain}", DeletePrivateAsync).InOrg(OrgAction.Manage).Produces(StatusCodes.Status204NoContent).Problems(StatusCodes.Status422UnprocessableEntity);
        return v1;
    }

    /// <summary>The shared domains and the private domains of the orgs the caller sees.</summary>
    private static async Task<IResult> ListAsync(ClaimsPrincipal user, AccessResolver access, DomainCatalog catalog, PlatformDbContext db, CancellationToken ct)
    {
        var orgs = await access.ReadableOrgsAsync(user, ct);
        var rows = await (
            from d in db.Domains.AsNoTracking()
            where d.OrgId == null || orgs == null || orgs.Contains(d.OrgId.Value)
            join o in db.Orgs.AsNoTracking() on d.OrgId equals (Guid?)o.Id into owners
            from o in owners.DefaultIfEmpty()
            select new { Domain = d, Org = o == null ? null : o.Name }).ToListAsync(ct);
        var defaultName = catalog.DefaultName;
        return Results.Ok(rows
            .Select(r => new DomainResponse(r.Domain.Id, r.Domain.Name, r.Domain.OrgId is null, r.Org, r.Domain.Name == defaultName, r.Domain.CreatedAt))
            .OrderByDescending(d => d.Default).ThenBy(d => d.Shared ? 0 : 1).ThenBy(d => d.Name, StringComparer.Ordinal).ToList());
    }

    private static Task<IResult> CreateSharedAsync(HttpRequest request, ClaimsPrincipal user, PlatformDbContext db, TimeProvider time, CancellationToken ct) =>
        CreateAsync(request, user, null, db, time, ct);

    private static Task<IResult> CreatePrivateAsync(HttpRequest request, ClaimsPrincipal user, RequestScope scope, PlatformDbContext db, TimeProvider time, CancellationToken ct) =>
        CreateAsync(request, user, scope.Org.Org, db, time, ct);

    private static async Task<IResult> CreateAsync(HttpRequest request, ClaimsPrincipal user, OrgEntity? org, PlatformDbContext db, TimeProvider time, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync<NameRequest>(request, ct);
        if (problem is not null) return problem;
        var name = DomainCatalog.Normalize(body!.Name ?? "");
        if (RouteRules.CheckDomain(name) is { } bad) return ApiProblems.BadRequest(bad);
        if (await db.Domains.AnyAsync(d => d.Name == name, ct)) return ApiProblems.Conflict($"the domain {name} exists already");
        if (org is not null)
        {
            // Any domain not this org's that the new one equals, lies under, or holds under it.
            var others = await db.Domains.Where(d => d.OrgId == null || d.OrgId != org.Id).Select(d => new { d.Name, d.OrgId }).ToListAsync(ct);
            var clash = others.FirstOrDefault(d => name.EndsWith("." + d.Name, StringComparison.Ordinal) || d.Name.EndsWith("." + name, StringComparison.Ordinal));
            if (clash is not null)
                return ApiProblems.Unprocessable("Domain not allowed",
                    $"the domain {name} overlaps the {(clash.OrgId is null ? "shared" : "private")} domain {clash.Name}, which is not org {org.Name}'s: choose a domain of your own");
        }
        var now = time.GetUtcNow();
        var domain = new DomainEntity { Id = Guid.NewGuid(), Name = name, OrgId = org?.Id, CreatedAt = now };
        db.Domains.Add(domain);
        db.AddEvent(org is null ? EventSubject.Platform : EventSubject.Org(org.Id), "domain.create", user.UserName(),
            $"{(org is null ? "shared" : "private")} domain {name}", now);
        try { await db.SaveChangesAsync(ct); }
        catch (DbUpdateException) { return ApiProblems.Conflict($"the domain {name} exists already"); }
        return Results.Created($"/v1/domains/{name}", new DomainResponse(domain.Id, name, org is null, org?.Name, false, now));
    }

    private static async Task<IResult> DeleteSharedAsync(string domain, ClaimsPrincipal user, DomainCatalog catalog, PlatformDbContext db, TimeProvider time, CancellationToken ct)
    {
        var entity = await db.Domains.FirstOrDefaultAsync(d => d.Name == DomainCatalog.Normalize(domain), ct);
        if (entity is null || entity.OrgId is not null)
            return ApiProblems.NotFound("Domain not found", $"there is no shared domain {domain} (a private domain is deleted from its org)");
        return await DeleteAsync(entity, user, catalog, db, time, ct);
    }

    private static async Task<IResult> DeletePrivateAsync(string domain, ClaimsPrincipal user, RequestScope scope, DomainCatalog catalog, PlatformDbContext db,
        TimeProvider time, CancellationToken ct)
    {
        var orgId = scope.Org.Org.Id;
        var entity = await db.Domains.FirstOrDefaultAsync(d => d.Name == DomainCatalog.Normalize(domain) && d.OrgId == orgId, ct);
        if (entity is null) return ApiProblems.NotFound("Domain not found", $"org {scope.Org.Org.Name} has no private domain {domain}");
        return await DeleteAsync(entity, user, catalog, db, time, ct);
    }

    private static async Task<IResult> DeleteAsync(DomainEntity domain, ClaimsPrincipal user, DomainCatalog catalog, PlatformDbContext db, TimeProvider time, CancellationToken ct)
    {
        if (domain.Name == catalog.DefaultName)
            return ApiProblems.Unprocessable("Domain in use", $"{domain.Name} is the platform's default domain (Api:AppsDomain): it stays");
        var routes = await db.Routes.CountAsync(r => r.DomainId == domain.Id, ct);
        if (routes > 0)
            return ApiProblems.Unprocessable("Domain in use", $"the domain {domain.Name} has {routes} route(s): delete them first (plat delete-route)");
        db.Domains.Remove(domain);
        db.AddEvent(domain.OrgId is { } org ? EventSubject.Org(org) : EventSubject.Platform, "domain.delete", user.UserName(), $"domain {domain.Name}", time.GetUtcNow());
        await db.SaveChangesAsync(ct);
        return Results.NoContent();
    }
}
