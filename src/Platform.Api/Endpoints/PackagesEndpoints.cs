using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Npgsql;
using Platform.Api.Access;
using Platform.Api.Auth;
using Platform.Api.Infrastructure;
using Platform.Api.Packages;
using Platform.Blobstore;
using Platform.Contracts.Api;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Api.OpenApi;

namespace Platform.Api.Endpoints;

/// <summary>
/// An app's package, and resource matching (as Cloud Foundry's): POST /v1/spaces/{space}/resource_match answers which
/// file contents the platform already has for the space's org, and PUT .../apps/{name}/package takes either the whole
/// archive (a zip, war or jar as the body) or, as multipart/form-data, the full resource list ("resources", JSON) and a
/// zip of only the contents it lacks ("bits"), from which the API writes the package. Either way the package is
/// validated (<see cref="ArchiveValidator"/>) before it is stored, and one equal to the app's latest is not stored again.
/// </summary>
public static class PackagesEndpoints
{
    /// <summary>A resource list is JSON of about 150 bytes an entry: this holds <see cref="PackageResources.MaxEntries"/>.</summary>
    public const int MaxResourceListBytes = 32 * 1024 * 1024;

    public static RouteGroupBuilder MapPackagesEndpoints(this RouteGroupBuilder space)
    {
        space.MapPut("/apps/{name}/package", UploadAsync).InSpace(SpaceAction.Write)
            .RawBody("the app's archive (zip, war or jar); or multipart/form-data with a 'resources' part (JSON PackageResource list, " +
                     "the entries the platform has, from POST .../resource_match) and a 'bits' part (a zip of the other entries)",
                binary: true, "application/zip", "application/octet-stream", "multipart/form-data")
            .Produces<PackageResponse>(StatusCodes.Status201Created).Produces<PackageResponse>()
            .Problems(StatusCodes.Status422UnprocessableEntity);
        space.MapPost("/resource_match", MatchAsync).InSpace(SpaceAction.Write).JsonBody<ResourceMatchRequest>().Produces<ResourceMatchResponse>();
        return space;
    }

    private static async Task<IResult> MatchAsync(HttpRequest request, RequestScope scope, PlatformDbContext db, CancellationToken ct)
    {
        if (!request.HasJsonContentType()) return ApiProblems.BadRequest("send a JSON body with Content-Type: application/json");
        var (body, problem) = await JsonBody.ReadAsync<ResourceMatchRequest>(request.Body, request.ContentLength, MaxResourceListBytes, ct);
        if (problem is not null) return problem;
        if (body!.Resources is not { } asked) return ApiProblems.BadRequest("give the contents to match: {\"resources\": [{\"digest\": \"sha256:...\", \"size\": N}]}");
        if (asked.Count > PackageResources.MaxEntries) return ApiProblems.BadRequest($"at most {PackageResources.MaxEntries} resources may be matched at once");
        if (asked.FirstOrDefault(r => r is null || !PackageResources.IsDigest(r.Digest) || r.Size < 0) is { } bad)
            return ApiProblems.BadRequest($"'{bad?.Digest}' is not a content digest (sha256:<64 hex digits>) with a size");
        var known = await KnownAsync(db, scope.Space.Org.Id, asked.Select(r => r.Digest), ct);
        return Results.Ok(new ResourceMatchResponse(asked.Where(r => known.TryGetValue(r.Digest, out var size) && size == r.Size).DistinctBy(r => r.Digest).ToList()));
    }

    /// <summary>The contents (digest -> size) of these the org has uploaded before.</summary>
    private static async Task<Dictionary<string, long>> KnownAsync(PlatformDbContext db, Guid orgId, IEnumerable<string> digests, CancellationToken ct)
    {
        var wanted = digests.Distinct(StringComparer.Ordinal).ToList();
        var known = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var chunk in wanted.Chunk(10_000))
            foreach (var r in await db.Resources.AsNoTracking().Where(r => r.OrgId == orgId && chunk.Contains(r.Digest)).Select(r => new { r.Digest, r.Size }).ToListAsync(ct))
                known[r.Digest] = r.Size;
        return known;
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
        if (context.Request.ContentLength > limit + MaxResourceListBytes) return ApiProblems.TooLarge(limit);

        // Kestrel's own 30 MB default would cut uploads short; the spooler enforces our limit instead.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
            sizeFeature.MaxRequestBodySize = null;

        var work = Directory.CreateTempSubdirectory("platform-upload-").FullName;
        try
        {
            var multipart = MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var type)
                && type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase);
            var (package, problem) = multipart
                ? await AssembleAsync(context.Request, type!, scope, db, blobs, limit, work, ct)
                : await WholeAsync(context.Request, limit, work, ct);
            if (problem is not null) return problem;
            var (zip, resources, uploaded, matched) = package!.Value;

            if (await ArchiveValidator.ValidateAsync(zip, ct) is { } invalid)
                return ApiProblems.Unprocessable("Invalid archive", invalid);
            var blob = await blobs.PutFileAsync(zip, ct);
            var latest = await db.Packages.AsNoTracking().Where(p => p.AppId == app.Id).OrderByDescending(p => p.CreatedAt).FirstOrDefaultAsync(ct);
            if (latest is not null && latest.Digest == blob.Digest)
                return Results.Ok(Mapping.ToResponse(latest) with { Reused = true, UploadedFiles = uploaded, MatchedFiles = matched });

            var now = time.GetUtcNow();
            var entity = new PackageEntity
            {
                Id = Guid.NewGuid(), AppId = app.Id, Digest = blob.Digest, SizeBytes = blob.Size,
                Fingerprint = PackageResources.Fingerprint(resources), CreatedAt = now,
            };
            db.Packages.Add(entity);
            db.AddEvent(EventSubject.App(app), "app.upload", user.UserName(),
                $"package {blob.Digest} ({blob.Size} bytes){(uploaded is { } u ? $", {u} file(s) uploaded, {matched} matched" : "")}", now);
            await db.SaveChangesAsync(ct);
            return Results.Created($"/v1/spaces/{app.SpaceId}/apps/{name}/package",
                Mapping.ToResponse(entity) with { UploadedFiles = uploaded, MatchedFiles = matched });
        }
        finally
        {
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException e)
            {
                loggers.CreateLogger(typeof(PackagesEndpoints)).LogWarning(e, "Could not delete upload work directory {Path}", work);
            }
        }
    }

    /// <summary>The archive as the body.</summary>
    private static async Task<((string, IReadOnlyList<PackageResource>, int?, int?)? Package, IResult? Problem)> WholeAsync(
        HttpRequest request, long limit, string work, CancellationToken ct)
    {
        var zip = Path.Combine(work, "package.zip");
        long size;
        try
        {
            size = await UploadSpooler.SpoolAsync(request.Body, zip, limit, ct);
        }
        catch (UploadTooLargeException)
        {
            return (null, ApiProblems.TooLarge(limit));
        }
        if (size == 0)
            return (null, ApiProblems.BadRequest("the request body is empty: send the app archive (a zip, war or jar) as the body"));
        try
        {
            return ((zip, await ZipResources.ReadAsync(zip, ct), null, null), null);
        }
        catch (InvalidDataException e)
        {
            return (null, ApiProblems.Unprocessable("Invalid archive", $"the archive is not a valid zip file: {e.Message}"));
        }
    }

    /// <summary>multipart/form-data: "resources" (the whole list, JSON) and "bits" (a zip of the contents the platform lacks).</summary>
    private static async Task<((string, IReadOnlyList<PackageResource>, int?, int?)? Package, IResult? Problem)> AssembleAsync(
        HttpRequest request, MediaTypeHeaderValue type, RequestScope scope, PlatformDbContext db, IBlobStore blobs, long limit, string work, CancellationToken ct)
    {
        var boundary = HeaderUtilities.RemoveQuotes(type.Boundary).Value;
        if (string.IsNullOrEmpty(boundary)) return (null, ApiProblems.BadRequest("the multipart body has no boundary"));
        var reader = new MultipartReader(boundary, request.Body);
        List<PackageResource>? resources = null;
        string? bits = null;
        try
        {
            while (await reader.ReadNextSectionAsync(ct) is { } section)
            {
                var part = ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    ? HeaderUtilities.RemoveQuotes(disposition.Name).Value : null;
                switch (part)
                {
                    case "resources":
                        var (list, problem) = await JsonBody.ReadAsync<List<PackageResource>>(section.Body, null, MaxResourceListBytes, ct);
                        if (problem is not null) return (null, problem);
                        resources = list;
                        break;
                    case "bits":
                        bits = Path.Combine(work, "bits.zip");
                        try { await UploadSpooler.SpoolAsync(section.Body, bits, limit, ct); }
                        catch (UploadTooLargeException) { return (null, ApiProblems.TooLarge(limit)); }
                        break;
                    default:
                        return (null, ApiProblems.BadRequest($"unexpected part '{part}': send 'resources' (JSON) and 'bits' (a zip)"));
                }
            }
        }
        catch (IOException e)
        {
            return (null, ApiProblems.BadRequest($"the multipart body is malformed: {e.Message}"));
        }
        if (resources is null) return (null, ApiProblems.BadRequest("the multipart upload needs a 'resources' part: the package's entries as JSON"));
        if (PackageResources.Check(resources) is { } listError) return (null, ApiProblems.BadRequest(listError));
        if (resources.Select(r => ArchiveValidator.CheckPath(r.Path)).FirstOrDefault(e => e is not null) is { } pathError)
            return (null, ApiProblems.Unprocessable("Invalid archive", pathError));

        var orgId = scope.Space.Org.Id;
        var known = await KnownAsync(db, orgId, resources.Where(r => !r.IsDirectory).Select(r => r.Digest!), ct);
        var contents = Path.Combine(work, "contents");
        Directory.CreateDirectory(contents);
        var zip = Path.Combine(work, "package.zip");
        var assembled = await new PackageAssembler(blobs).AssembleAsync(resources, bits, known.ContainsKey, contents, zip, ct);
        if (assembled.Error is not null) return (null, ApiProblems.Unprocessable("Invalid upload", assembled.Error));
        if (new FileInfo(zip).Length > limit) return (null, ApiProblems.TooLarge(limit));

        // The new contents go into the blobstore before their rows: a row never names a blob that is not there.
        await Parallel.ForEachAsync(assembled.Uploaded, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct },
            async (u, token) => await blobs.PutFileAsync(u.File, token));
        if (assembled.Uploaded.Count > 0)
            await db.Database.ExecuteSqlRawAsync(
                """
                INSERT INTO resources ("OrgId", "Digest", "Size", "CreatedAt")
                SELECT @org, d, s, now() FROM unnest(@digests, @sizes) AS t(d, s)
                ON CONFLICT DO NOTHING
                """,
                [new NpgsqlParameter("org", orgId),
                 new NpgsqlParameter("digests", assembled.Uploaded.Select(u => u.Digest).ToArray()),
                 new NpgsqlParameter("sizes", assembled.Uploaded.Select(u => u.Size).ToArray())], ct);
        var files = resources.Count(r => !r.IsDirectory);
        var sent = assembled.Uploaded.Select(u => u.Digest).ToHashSet(StringComparer.Ordinal);
        var uploadedFiles = resources.Count(r => !r.IsDirectory && sent.Contains(r.Digest!));
        return ((zip, resources, uploadedFiles, files - uploadedFiles), null);
    }
}
