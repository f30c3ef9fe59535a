using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Platform.Contracts.Api;
using Platform.Api.Infrastructure;
using Platform.Api.Access;
using Platform.Data;
using Platform.Api.OpenApi;

namespace Platform.Api.Endpoints;

/// <summary>
/// GET /v1/spaces/{space}/apps/{name}/logs?after=ID&amp;limit=N: lines in ascending id order. With after, the lines that
/// follow it (clients poll with the last id they saw); without, the most recent N ("--recent").
/// </summary>
public static class LogsEndpoints
{
    public const int DefaultLimit = 500;
    public const int MaxLimit = 5000;

    public static RouteGroupBuilder MapLogsEndpoints(this RouteGroupBuilder space)
    {
        space.MapGet("/apps/{name}/logs", ListAsync).InSpace(SpaceAction.Read).Produces<List<LogLineResponse>>().Problems(StatusCodes.Status400BadRequest);
        return space;
    }

    private static async Task<IResult> ListAsync(string name, long? after, int? limit, RequestScope scope, PlatformDbContext db, CancellationToken ct)
    {
        if (limit is < 1 or > MaxLimit)
            return ApiProblems.BadRequest($"limit must be between 1 and {MaxLimit}, not {limit}");
        var take = limit ?? DefaultLimit;
        var appId = await Apps.IdAsync(db, scope, name, ct);
        if (appId is null) return ApiProblems.AppNotFound(name);

        var lines = db.LogLines.AsNoTracking().Where(l => l.AppId == appId);
        var page = after is { } a
            ? await lines.Where(l => l.Id > a).OrderBy(l => l.Id).Take(take).ToListAsync(ct)
            : (await lines.OrderByDescending(l => l.Id).Take(take).ToListAsync(ct)).OrderBy(l => l.Id).ToList();
        return Results.Ok(page.Select(Mapping.ToResponse).ToList());
    }
}
