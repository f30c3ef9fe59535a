using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Platform.Api.Infrastructure;
using Platform.Data;

namespace Platform.Api.Endpoints;

/// <summary>Audit events, newest first: one app's, or everyone's.</summary>
public static class EventsEndpoints
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public static RouteGroupBuilder MapEventsEndpoints(this RouteGroupBuilder v1)
    {
        v1.MapGet("/apps/{name}/events", ForAppAsync);
        v1.MapGet("/events", AllAsync);
        return v1;
    }

    private static async Task<IResult> ForAppAsync(string name, int? limit, PlatformDbContext db, CancellationToken ct)
    {
        if (limit is < 1 or > MaxLimit)
            return ApiProblems.BadRequest($"limit must be between 1 and {MaxLimit}, not {limit}");
        var appId = await db.Apps.Where(a => a.Name == name).Select(a => (Guid?)a.Id).FirstOrDefaultAsync(ct);
        if (appId is null) return ApiProblems.AppNotFound(name);
        var events = await db.Events.AsNoTracking().Where(e => e.AppId == appId)
            .OrderByDescending(e => e.Timestamp).Take(limit ?? DefaultLimit).ToListAsync(ct);
        return Results.Ok(events.Select(Mapping.ToResponse).ToList());
    }

    private static async Task<IResult> AllAsync(int? limit, PlatformDbContext db, CancellationToken ct)
    {
        if (limit is < 1 or > MaxLimit)
            return ApiProblems.BadRequest($"limit must be between 1 and {MaxLimit}, not {limit}");
        var events = await db.Events.AsNoTracking()
            .OrderByDescending(e => e.Timestamp).Take(limit ?? DefaultLimit).ToListAsync(ct);
        return Results.Ok(events.Select(Mapping.ToResponse).ToList());
    }
}
