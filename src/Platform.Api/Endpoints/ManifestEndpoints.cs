using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Platform.Contracts.Api;
using Platform.Api.Access;
using Platform.Api.AppModel;
using Platform.Api.Auth;
using Platform.Api.Infrastructure;
using Platform.Data;
using Platform.Manifests;
using Platform.Api.OpenApi;

namespace Platform.Api.Endpoints;

/// <summary>
/// Manifests on the server, so a script without plat can push the same way: POST /v1/spaces/{space}/manifest applies
/// a manifest.yml (the YAML as the body), POST .../manifest/diff says what applying it would change and changes
/// nothing, GET .../apps/{name}/manifest writes an app as a manifest (with its env: SpaceDevelopers only). Bits are not
/// part of a manifest: upload them with PUT .../apps/{name}/package, then build and start.
/// </summary>
public static class ManifestEndpoints
{
    /// <summary>A manifest is text; one larger than this is no one's.</summary>
    public const int MaxBytes = 1024 * 1024;
    private const string Source = "manifest";

    public static RouteGroupBuilder MapManifestEndpoints(this RouteGroupBuilder space)
    {
        space.MapPost("/manifest", (HttpRequest request, ClaimsPrincipal user, RequestScope scope, ManifestApplier applier, CancellationToken ct) =>
            ApplyAsync(request, user, scope, applier, dryRun: false, ct)).InSpace(SpaceAction.Write).ManifestBody();
        space.MapPost("/manifest/diff", (HttpRequest request, ClaimsPrincipal user, RequestScope scope, ManifestApplier applier, CancellationToken ct) =>
            ApplyAsync(request, user, scope, applier, dryRun: true, ct)).InSpace(SpaceAction.Write).ManifestBody();
        space.MapGet("/apps/{name}/manifest", ShowAsync).InSpace(SpaceAction.ReadSecrets).Produces<string>(StatusCodes.Status200OK, "application/x-yaml");
        return space;
    }

    /// <summary>The YAML read as the body; what applying it does (or would do); refusals of the manifest's apps and routes.</summary>
    private static RouteHandlerBuilder ManifestBody(this RouteHandlerBuilder endpoint) =>
        endpoint.RawBody("a manifest.yml (Cloud Foundry's schema), UTF-8", binary: false, "application/x-yaml", "text/yaml")
            .Produces<ManifestApplyResponse>()
            .Problems(StatusCodes.Status409Conflict, StatusCodes.Status422UnprocessableEntity);

    private static async Task<IResult> ApplyAsync(HttpRequest request, ClaimsPrincipal user, RequestScope scope, ManifestApplier applier, bool dryRun, CancellationToken ct)
    {
        if (request.ContentLength > MaxBytes) return TooLarge();
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int n;
        while ((n = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + n > MaxBytes) return TooLarge();
            buffer.Write(chunk, 0, n);
        }
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
        catch (DecoderFallbackException)
        {
            return ApiProblems.BadRequest("the manifest is not UTF-8 text: send the manifest.yml as the body (Content-Type: application/x-yaml)");
        }
        var parsed = ManifestParser.Parse(text, Source);
        if (!parsed.Ok)
            return Results.Problem(title: "Invalid manifest", detail: string.Join("\n", parsed.Errors), statusCode: StatusCodes.Status400BadRequest,
                extensions: new Dictionary<string, object?> { ["errors"] = parsed.Errors });
        var (response, error) = await applier.ApplyAsync(scope.Space, parsed.Manifest!, Source, user.UserName(), dryRun, ct);
        if (error is not null) return error.ToResult();
        return Results.Ok(response! with { Warnings = [.. parsed.Warnings, .. response.Warnings] });
    }

    private static async Task<IResult> ShowAsync(string name, RequestScope scope, PlatformDbContext db, ManifestApplier applier, CancellationToken ct)
    {
        var app = await Apps.FindAsync(db, scope, name, ct, tracking: false);
        if (app is null) return ApiProblems.AppNotFound(name);
        return Results.Text(ManifestWriter.Write(await applier.ManifestOfAsync(app, ct)), "application/x-yaml", Encoding.UTF8);
    }

    private static IResult TooLarge() =>
        Results.Problem(title: "Request too large", detail: $"the manifest is larger than {MaxBytes / 1024} KB", statusCode: StatusCodes.Status413PayloadTooLarge);
}
