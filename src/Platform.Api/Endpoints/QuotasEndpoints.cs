using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Platform.Api.Auth;
using Platform.Api.Infrastructure;
using Platform.Api.Access;
using Platform.Contracts;
using Platform.Contracts.Api;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Api.OpenApi;

namespace Platform.Api.Endpoints;

/// <summary>
/// Quota definitions: org quotas (/v1/org-quotas: admins make them, plat create-org-quota) and space quotas (made per
/// org, see OrgsEndpoints: plat create-space-quota). Limits are checked by <see cref="QuotaPolicy"/>.
/// </summary>
public static class QuotasEndpoints
{
    /// <summary>Largest count a quota may hold (instances, apps, routes): anything above is a typo, not a plan.</summary>
    public const int MaxCount = 1_000_000;

    public static RouteGroupBuilder MapQuotasEndpoints(this RouteGroupBuilder v1)
    {
        v1.MapGet("/org-quotas", ListAsync).AnyUser().Produces<List<QuotaResponse>>();
        v1.MapPost("/org-quotas", (HttpRequest request, ClaimsPrincipal user, PlatformDbContext db, TimeProvider time, CancellationToken ct) =>
            CreateAsync(request, user, null, db, time, ct)).AdminOnly()
            .JsonBody<QuotaRequest>().Produces<QuotaResponse>(StatusCodes.Status201Created).Problems(StatusCodes.Status409Conflict);
        return v1;
    }

    private static async Task<IResult> ListAsync(PlatformDbContext db, CancellationToken ct)
    {
        var quotas = await db.Quotas.AsNoTracking().Where(q => q.OwnerOrgId == null).OrderBy(q => q.Name).ToListAsync(ct);
        return Results.Ok(quotas.Select(ToResponse).ToList());
    }

    /// <summary>Creates an org quota (<paramref name="ownerOrgId"/> null) or a space quota of that org.</summary>
    internal static async Task<IResult> CreateAsync(HttpRequest request, ClaimsPrincipal user, Guid? ownerOrgId, PlatformDbContext db, TimeProvider time, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync<QuotaRequest>(request, ct);
        if (problem is not null) return problem;
        if (Tenancy.CheckName("quota", body!.Name) is { } bad) return ApiProblems.BadRequest(bad);
        int? memory = null, perInstance = null;
        if (body.Memory is not null && (memory = Sizes.TryParseMegabytes(body.Memory, out var e1)) is null)
            return ApiProblems.BadRequest($"memory: {e1}");
        if (body.InstanceMemory is not null && (perInstance = Sizes.TryParseMegabytes(body.InstanceMemory, out var e2)) is null)
            return ApiProblems.BadRequest($"instance memory: {e2}");
        foreach (var (field, value) in new[] { ("appInstances", body.AppInstances), ("apps", body.Apps), ("routes", body.Routes) })
            if (value is < 0 or > MaxCount) return ApiProblems.BadRequest($"{field} must be between 0 and {MaxCount}, not {value}");
        if (memory is { } m && perInstance is { } p && p > m)
            return ApiProblems.BadRequest($"the memory per instance ({p}M) cannot be more than the total memory ({m}M)");
        if (await db.Quotas.AnyAsync(q => q.OwnerOrgId == ownerOrgId && q.Name == body.Name, ct))
            return ApiProblems.Conflict($"a quota named '{body.Name}' exists already");
        var now = time.GetUtcNow();
        var quota = new QuotaEntity
        {
            Id = Guid.NewGuid(), Name = body.Name!, OwnerOrgId = ownerOrgId, MemoryMb = memory, InstanceMemoryMb = perInstance,
            AppInstances = body.AppInstances, Apps = body.Apps, Routes = body.Routes, CreatedAt = now,
        };
        db.Quotas.Add(quota);
        db.AddEvent(ownerOrgId is { } org ? EventSubject.Org(org) : EventSubject.Platform, "quota.create", user.UserName(),
            $"{(ownerOrgId is null ? "org" : "space")} quota {quota.Name}", now);
        try { await db.SaveChangesAsync(ct); }
        catch (DbUpdateException) { return ApiProblems.Conflict($"a quota named '{body.Name}' exists already"); }
        return Results.Created(ownerOrgId is { } o ? $"/v1/orgs/{o}/space-quotas" : "/v1/org-quotas", ToResponse(quota));
    }

    internal static QuotaResponse ToResponse(QuotaEntity q) =>
        new(q.Id, q.Name, q.OwnerOrgId, q.MemoryMb, q.InstanceMemoryMb, q.AppInstances, q.Apps, q.Routes, q.CreatedAt);
}
