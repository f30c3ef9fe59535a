using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Platform.Contracts.Api;
using Platform.Api.Catalog;
using Platform.Api.Access;

namespace Platform.Api.Endpoints;

/// <summary>GET /v1/buildpacks and /v1/stacks: what the stagers advertise (see <see cref="StagerCatalogs"/>).</summary>
public static class CatalogEndpoints
{
    public static RouteGroupBuilder MapCatalogEndpoints(this RouteGroupBuilder app)
    {
        app.MapGet("/buildpacks", (StagerCatalogs catalogs) => Results.Ok(catalogs.Buildpacks())).AnyUser().Produces<List<BuildpackResponse>>();
        app.MapGet("/stacks", (StagerCatalogs catalogs) => Results.Ok(catalogs.Stacks())).AnyUser().Produces<List<StackResponse>>();
        return app;
    }
}
