using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Platform.Api.Access;
using Platform.Contracts.Api;

namespace Platform.Api.Endpoints;

/// <summary>Unauthenticated endpoints: /healthz and /v1/info.</summary>
public static class InfoEndpoints
{
    private static readonly string Version =
        typeof(InfoEndpoints).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    public static IEndpointRouteBuilder MapInfoEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => Results.Text("ok")).Anonymous().Produces<string>(StatusCodes.Status200OK, "text/plain");
        app.MapGet("/v1/info", (IOptions<ApiOptions> options) =>
            Results.Ok(new InfoResponse(Version, options.Value.AppsDomain, options.Value.RouterUrl, options.Value.MaxUploadBytes)))
            .Anonymous().Produces<InfoResponse>();
        return app;
    }
}
