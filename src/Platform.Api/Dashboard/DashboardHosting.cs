using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;
using Platform.Api.Access;
using Platform.Api.Infrastructure;

namespace Platform.Api.Dashboard;

/// <summary>
/// Serves the dashboard (web/dist) at / of the API's URL, the same origin as /v1 (no CORS): hashed files under
/// /assets/ are cached for good, index.html never; every other path that is not the API's gets index.html (the single
/// page app routes it); every page carries a Content-Security-Policy that allows no inline script.
/// </summary>
public static class DashboardHosting
{
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; " +
        "manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private const string Immutable = "public, max-age=31536000, immutable";
    private const string Never = "no-store, max-age=0";

    public static string Directory(ApiOptions options) =>
        options.DashboardDir is { Length: > 0 } dir ? Path.GetFullPath(dir) : Path.Combine(AppContext.BaseDirectory, "dashboard");

    /// <summary>Static files first (before authentication: they are public and need no database), then the SPA fallback.</summary>
    public static WebApplication UsePlatformDashboardFiles(this WebApplication app)
    {
        var dir = Directory(app.Services.GetRequiredService<IOptions<ApiOptions>>().Value);
        if (!System.IO.Directory.Exists(dir)) return app;
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = new PhysicalFileProvider(dir),
            OnPrepareResponse = file => SetHeaders(file.Context, file.Context.Request.Path.StartsWithSegments("/assets")),
        });
        return app;
    }

    public static WebApplication MapPlatformDashboard(this WebApplication app)
    {
        var dir = Directory(app.Services.GetRequiredService<IOptions<ApiOptions>>().Value);
        var index = Path.Combine(dir, "index.html");
        app.MapFallback(async (HttpContext context) =>
        {
            var path = context.Request.Path;
            if (path.StartsWithSegments("/v1") || path.StartsWithSegments("/healthz") || path.StartsWithSegments("/openapi")
                || path.StartsWithSegments(OpenApi.PlatformOpenApi.ReferencePath))
                return ApiProblems.NotFound("Not found",
                    $"there is no API endpoint {context.Request.Method} {path}: see {OpenApi.PlatformOpenApi.DocumentPath} or {OpenApi.PlatformOpenApi.ReferencePath}");
            if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
                return Results.Problem(title: "Method not allowed", detail: "the dashboard's pages are read with GET",
                    statusCode: StatusCodes.Status405MethodNotAllowed);
            // A missing hashed file is a stale page asking for an old build: a 404, not the page itself.
            if (path.StartsWithSegments("/assets") || !File.Exists(index))
                return File.Exists(index)
                    ? Results.NotFound()
                    : ApiProblems.NotFound("Dashboard not built",
                        $"no dashboard in {dir}: build it (cd web && npm ci && npm run build) or set Api:DashboardDir");
            SetHeaders(context, immutable: false);
            return Results.File(index, "text/html; charset=utf-8");
        }).Anonymous().ExcludeFromDescription();
        return app;
    }

    private static void SetHeaders(HttpContext context, bool immutable)
    {
        var headers = context.Response.Headers;
        headers.CacheControl = immutable ? Immutable : Never;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "same-origin";
        headers.XFrameOptions = "DENY";
    }
}
