using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Platform.Api.Access;
using Platform.Api.Infrastructure;
using Platform.Contracts.Api;
using Platform.Data;

namespace Platform.Api.Endpoints;

/// <summary>
/// <c>GET /v1/internal/route-table</c>: the platform-wide route table (all spaces) for routers, which hold no database
/// credentials. Authenticated with the router credential, not a user's token: <c>Authorization: Bearer</c> the value
/// of <c>Api:RouterToken</c> (routers are configured with the same value as <c>Router:ApiToken</c>), compared in
/// constant time and never logged.
/// </summary>
public static class RouteTableEndpoints
{
    public const string Path = "/v1/internal/route-table";
    public const string TokenSetting = "Api:RouterToken";

    public static IEndpointRouteBuilder MapRouteTableEndpoints(this IEndpointRouteBuilder app)
    {
        // Outside the user-token policy: its own credential is checked here.
        app.MapGet(Path, GetAsync).RouterOnly().Produces<RouteTableSnapshot>();
        return app;
    }

    private static async Task<IResult> GetAsync(HttpContext http, IConfiguration configuration, PlatformDbContext db, CancellationToken ct)
    {
        var expected = configuration[TokenSetting];
        if (string.IsNullOrEmpty(expected))
        {
            // No credential can be right: answered as any other refused credential, with what to configure.
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return ApiProblems.Unauthorized(
                $"this API has no router credential: set {TokenSetting} here and the same value as Router:ApiToken on the routers");
        }
        if (!IsRouter(http.Request.Headers.Authorization.ToString(), expected))
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return ApiProblems.Unauthorized($"the route table needs 'Authorization: Bearer <router token>' ({TokenSetting})");
        }

        var routes = await (
            from r in db.Routes.AsNoTracking()
            join a in db.Apps.AsNoTracking() on r.AppId equals (Guid?)a.Id
            orderby r.Host, r.Path
            select new RouteTableRoute(r.Host, r.Path, a.Id, a.Name, r.Protocol)).ToListAsync(ct);
        var appIds = routes.Select(r => r.AppId).Distinct().ToList();
        var instances = await db.Instances.AsNoTracking()
            .Where(i => appIds.Contains(i.AppId))
            .OrderBy(i => i.AppId).ThenBy(i => i.Index).ThenBy(i => i.Id)
            .Select(i => new RouteTableInstance(i.Id, i.AppId, i.Index, i.CellId, i.State, i.Address, i.HostAddress,
                i.ReportEpoch, i.ReportSequence))
            .ToListAsync(ct);
        return Results.Ok(new RouteTableSnapshot(routes, instances));
    }

    /// <summary>Compares hashes, so neither the token's content nor its length shows in the time taken.</summary>
    private static bool IsRouter(string header, string expected)
    {
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return false;
        var given = SHA256.HashData(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()));
        var wanted = SHA256.HashData(Encoding.UTF8.GetBytes(expected));
        return CryptographicOperations.FixedTimeEquals(given, wanted);
    }
}
