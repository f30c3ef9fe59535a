using System.Net;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Platform.Api.Auth;
using Platform.Api.Exec;
using Platform.Api.Infrastructure;
using Platform.Api.Access;
using Platform.Contracts.Api;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Api.OpenApi;

namespace Platform.Api.Endpoints;

/// <summary>
/// POST /v1/spaces/{space}/apps/{name}/exec: run a command in one running instance (SpaceDevelopers and admins, as
/// `cf ssh`, unless exec is disabled for the space or the app). The API finds the instance's cell,
/// proxies the request to that cell's exec listener (the URL from its heartbeat) with a grant signed for this user,
/// instance and command (<see cref="CellExecClient"/>), and streams the cell's NDJSON answer through unchanged:
/// output frames as they come, then the exit code.
/// </summary>
public static class ExecEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static RouteGroupBuilder MapExecEndpoints(this RouteGroupBuilder space)
    {
        space.MapPost("/apps/{name}/exec", ExecAsync).InSpace(SpaceAction.Exec).JsonBody<ExecRequest>()
            .Produces<ExecFrame>(StatusCodes.Status200OK, "application/x-ndjson")
            .Problems(StatusCodes.Status502BadGateway, StatusCodes.Status503ServiceUnavailable);
        return space;
    }

    /// <summary>1 MiB of stdin in base64 (4/3 of it) and room for the command and its arguments.</summary>
    private const int MaxExecBodyBytes = (ExecRequest.MaxStdinBytes + 2) / 3 * 4 + JsonBody.MaxBytes;

    private static async Task<IResult> ExecAsync(
        string name, HttpRequest request, ClaimsPrincipal user, RequestScope scope, PlatformDbContext db, TimeProvider time,
        CellExecClient cells, ILoggerFactory loggers, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync<ExecRequest>(request, MaxExecBodyBytes, ct);
        if (problem is not null) return problem;
        if ((body!.CommandProblem() ?? body.DecodeStdin().Error) is { } error) return ApiProblems.BadRequest(error);

        var app = await Apps.FindAsync(db, scope, name, ct, tracking: false);
        if (app is null) return ApiProblems.AppNotFound(name);
        var space = scope.Space.Space;
        if (!space.AllowSsh)
            return ApiProblems.Forbidden($"exec is disabled for space {scope.Space.Org.Name}/{space.Name} (a space manager can allow it: plat allow-space-ssh {space.Name})");
        if (!app.AllowSsh)
            return ApiProblems.Forbidden($"exec is disabled for app {name} (a developer can enable it: plat enable-ssh {name})");
        var instance = await db.Instances.AsNoTracking()
            .Where(i => i.AppId == app.Id && i.Index == body!.Index && i.State == InstanceStates.Running)
            .OrderByDescending(i => i.UpdatedAt).FirstOrDefaultAsync(ct);
        if (instance is null)
        {
            var running = await db.Instances.Where(i => i.AppId == app.Id && i.State == InstanceStates.Running)
                .Select(i => i.Index).Distinct().OrderBy(i => i).ToListAsync(ct);
            return ApiProblems.NotFound("Instance not running", running.Count == 0
                ? $"app '{name}' has no running instance"
                : $"instance {body!.Index} of app '{name}' is not running; running: {string.Join(", ", running)}");
        }
        var cell = await db.Cells.AsNoTracking().FirstOrDefaultAsync(c => c.Id == instance.CellId, ct);
        if (cell?.ExecUrl is not { Length: > 0 } execUrl)
            return ApiProblems.Unavailable("Exec unavailable", $"cell {instance.CellId} has not advertised an exec endpoint (is it running?)");
        if (cells.KeyProblem is { } keyProblem) return ApiProblems.Unavailable("Exec unavailable", "this API cannot sign exec grants: " + keyProblem);

        var logger = loggers.CreateLogger(typeof(ExecEndpoints));
        HttpResponseMessage cellResponse;
        try
        {
            cellResponse = await cells.SendAsync(execUrl, instance.Id, user.UserName(), body, ct);
        }
        catch (HttpRequestException e)
        {
            logger.LogWarning(e, "exec: cell {Cell} at {Url} unreachable", cell.Id, execUrl);
            return ApiProblems.BadGateway($"could not reach cell {cell.Id} at {execUrl}: {e.Message}");
        }

        if (cellResponse.StatusCode != HttpStatusCode.OK)
        {
            using (cellResponse)
            {
                var detail = await CellErrorAsync(cellResponse, ct);
                return cellResponse.StatusCode switch
                {
                    HttpStatusCode.NotFound => ApiProblems.NotFound("Instance not running", $"instance {body.Index} of app '{name}': {detail}"),
                    HttpStatusCode.BadRequest => ApiProblems.BadRequest(detail),
                    // The cell refused the grant: say why (the API and the cell disagree on a key, a nonce, ...).
                    HttpStatusCode.Forbidden => ApiProblems.Forbidden($"cell {cell.Id} refused the exec grant: {detail}"),
                    HttpStatusCode.Unauthorized => ApiProblems.BadGateway($"cell {cell.Id} refused the API's exec grant: {detail}"),
                    _ => ApiProblems.BadGateway($"cell {cell.Id} answered {(int)cellResponse.StatusCode}: {detail}"),
                };
            }
        }

        // Audited like `cf ssh`: who ran what where. Written before the command runs, so a long one is seen at once.
        var now = time.GetUtcNow();
        db.AddEvent(EventSubject.App(app), "app.exec", user.UserName(), $"instance {body.Index}: {Describe(body.Command!)}", now);
        await db.SaveChangesAsync(ct);
        return new StreamedExec(cellResponse);
    }

    private static string Describe(IReadOnlyList<string> command)
    {
        var text = string.Join(' ', command);
        return text.Length > 200 ? text[..200] + "..." : text;
    }

    private static async Task<string> CellErrorAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        try
        {
            return JsonSerializer.Deserialize<ExecFrame>(text, Json)?.Error ?? text;
        }
        catch (JsonException)
        {
            return text.Length > 500 ? text[..500] : text;
        }
    }

    /// <summary>Copies the cell's NDJSON stream to the client, flushing every chunk so output arrives live.</summary>
    private sealed class StreamedExec(HttpResponseMessage cellResponse) : IResult
    {
        public async Task ExecuteAsync(HttpContext context)
        {
            using (cellResponse)
            {
                var response = context.Response;
                var ct = context.RequestAborted;
                response.StatusCode = StatusCodes.Status200OK;
                response.ContentType = "application/x-ndjson";
                response.Headers.CacheControl = "no-cache";
                await response.StartAsync(ct);
                await using var from = await cellResponse.Content.ReadAsStreamAsync(ct);
                var buffer = new byte[16 * 1024];
                try
                {
                    int n;
                    while ((n = await from.ReadAsync(buffer, ct)) > 0)
                    {
                        await response.Body.WriteAsync(buffer.AsMemory(0, n), ct);
                        await response.Body.FlushAsync(ct);
                    }
                }
                catch (IOException) when (!ct.IsCancellationRequested)
                {
                    // The cell went away mid-stream: say so in the stream's own terms; the client sees no exit code.
                    var frame = JsonSerializer.SerializeToUtf8Bytes(new ExecFrame(Error: "the connection to the cell broke"), Json);
                    await response.Body.WriteAsync(frame, ct);
                    await response.Body.WriteAsync("\n"u8.ToArray(), ct);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    // The client went away; disposing the cell response cancels the command there.
                }
            }
        }
    }
}
