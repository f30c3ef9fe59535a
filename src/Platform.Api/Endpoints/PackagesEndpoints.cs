using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Api.Auth;
using Platform.Api.Infrastructure;
using Platform.Api.Packages;
using Platform.Api.Access;
using Platform.Blobstore;
using Platform.Data;
using Platform.Data.Entities;

namespace Platform.Api.Endpoints;

/// <summary>PUT /v1/spaces/{space}/apps/{name}/package: upload, validate and store an app archive.</summary>
public static class PackagesEndpoints
{
    public static RouteGroupBuilder MapPackagesEndpoints(this RouteGroupBuilder space)
    {
        space.MapPut("/apps/{name}/package", UploadAsync).InSpace(SpaceAction.Write);
        return space;
    }

    private static async Task<IResult> UploadAsync(
        string name,
        HttpContext context,
        ClaimsPrincipal user,
        RequestScope scope,
        PlatformDbContext db,
        IBlobStore blobs,
        IOptions<ApiOptions> options,
        TimeProvider time,
        ILoggerFactory loggers,
        CancellationToken ct)
    {
        var limit = options.Value.MaxUploadBytes;
        var app = await Apps.FindAsync(db, scope, name, ct, tracking: false);
        if (app is null) return ApiProblems.AppNotFound(name);
        if (context.Request.ContentLength > limit) return ApiProblems.TooLarge(limit);

        // Kestrel's own 30 MB default would cut uploads short; the spooler enforces our limit instead.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
            sizeFeature.MaxRequestBodySize = null;

        var temp = Path.Combine(Path.GetTempPath(), $"platform-upload-{Guid.NewGuid():N}.zip");
        try
        {
            long size;
            try
            {
                size = await UploadSpooler.SpoolAsync(context.Request.Body, temp, limit, ct);
            }
            catch (UploadTooLargeException)
            {
                return ApiProblems.TooLarge(limit);
            }
            if (size == 0)
                return ApiProblems.BadRequest("the request body is empty: send the app archive (a zip, war or jar) as the body");
            if (await ArchiveValidator.ValidateAsync(temp, ct) is { } invalid)
                return ApiProblems.Unprocessable("Invalid archive", invalid);

            var blob = await blobs.PutFileAsync(temp, ct);
            var now = time.GetUtcNow();
            var package = new PackageEntity { Id = Guid.NewGuid(), AppId = app.Id, Digest = blob.Digest, SizeBytes = blob.Size, CreatedAt = now };
            db.Packages.Add(package);
            db.AddEvent(EventSubject.App(app), "app.upload", user.UserName(), $"package {blob.Digest} ({blob.Size} bytes)", now);
            await db.SaveChangesAsync(ct);
            return Results.Created($"/v1/spaces/{app.SpaceId}/apps/{name}/package", Mapping.ToResponse(package));
        }
        finally
        {
            try
            {
                File.Delete(temp);
            }
            catch (IOException e)
            {
                loggers.CreateLogger(typeof(PackagesEndpoints)).LogWarning(e, "Could not delete upload temp file {Path}", temp);
            }
        }
    }
}
