using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Contracts.Api;
using Platform.Contracts.Messages;
using Platform.Hosting;
using Platform.Sandbox;
using Platform.Sandbox.Exec;

namespace Platform.Cell.Exec;

/// <summary>
/// The cell's exec listener, as Diego's rep answers the BBS: a small HTTP endpoint of its own (<c>Cell:ExecUrl</c>,
/// loopback by default) that the API proxies `plat exec` to. <c>POST /v1/instances/{id}/exec</c> with
/// <c>Authorization: Bearer &lt;token&gt;</c> and <c>{"command": [...]}</c> runs the command in that instance's
/// container and streams <see cref="ExecFrame"/>s as NDJSON: output chunks as they come, then the exit code.
/// The token is <c>Cell:ExecSecret</c>, or a random one per start; the heartbeat tells the API both.
/// </summary>
public sealed class CellExecHost(
    InstanceManager instances,
    ISandbox sandbox,
    ILoggerFactory loggerFactory,
    IOptions<CellOptions> options) : InnerWebApplication(loggerFactory)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly ILogger _logger = loggerFactory.CreateLogger<CellExecHost>();
    private readonly CellOptions _options = options.Value;

    /// <summary>The bearer token callers must present.</summary>
    public string Token { get; } = string.IsNullOrEmpty(options.Value.ExecSecret)
        ? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32))
        : options.Value.ExecSecret;

    /// <summary>Where the API reaches this listener, once started; null before (or when it failed to start).</summary>
    public string? AdvertisedUrl { get; private set; }

    protected override string ListenUrl => _options.ExecUrl;

    protected override void Configure(WebApplication app) => app.MapPost("/v1/instances/{instanceId:guid}/exec", ExecAsync);

    protected override void OnStarted()
    {
        var bound = Urls.FirstOrDefault();
        AdvertisedUrl = _options.ExecAdvertiseUrl is { Length: > 0 } advertised ? advertised.TrimEnd('/') : Advertise(bound, _options.Host);
        _logger.LogInformation("Cell exec listener on {Bound}, advertised as {Url}", bound, AdvertisedUrl);
    }

    /// <summary>A wildcard listen address is not reachable as such: the cell's Host stands in for it.</summary>
    internal static string? Advertise(string? bound, string host)
    {
        if (bound is null || !Uri.TryCreate(bound, UriKind.Absolute, out var uri)) return null;
        var wildcard = uri.Host is "0.0.0.0" or "[::]" or "::" or "+" or "*";
        return new UriBuilder(uri) { Host = wildcard ? host : uri.Host }.Uri.ToString().TrimEnd('/');
    }

    private async Task ExecAsync(Guid instanceId, HttpContext context)
    {
        var response = context.Response;
        if (!Authorized(context.Request))
        {
            await WriteErrorAsync(response, StatusCodes.Status401Unauthorized, "a valid cell exec token is required");
            return;
        }
        ExecRequest? body;
        try { body = await JsonSerializer.DeserializeAsync<ExecRequest>(context.Request.Body, Json, context.RequestAborted); }
        catch (JsonException e)
        {
            await WriteErrorAsync(response, StatusCodes.Status400BadRequest, "the body is not an exec request: " + e.Message);
            return;
        }
        if (body is null)
        {
            await WriteErrorAsync(response, StatusCodes.Status400BadRequest, "the body is empty: send an exec request");
            return;
        }
        var (stdin, stdinError) = body.DecodeStdin();
        if ((body.CommandProblem() ?? stdinError) is { } problem)
        {
            await WriteErrorAsync(response, StatusCodes.Status400BadRequest, problem);
            return;
        }
        var command = body.Command!;
        if (!instances.IsRunning(instanceId))
        {
            await WriteErrorAsync(response, StatusCodes.Status404NotFound, $"instance {instanceId} is not running on this cell");
            return;
        }
        if (sandbox is not Sandbox.Sandbox real)
        {
            await WriteErrorAsync(response, StatusCodes.Status501NotImplemented, "this cell's sandbox cannot exec");
            return;
        }

        var ct = context.RequestAborted;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/x-ndjson";
        response.Headers.CacheControl = "no-cache";
        await response.StartAsync(ct);
        _logger.LogInformation("exec in instance {InstanceId}: {Command}", instanceId, command[0]);
        ExecFrame last;
        try
        {
            var exitCode = await new ContainerExec(real).RunAsync(InstanceManager.ContainerId(instanceId), command, stdin,
                (stream, data, token) => WriteFrameAsync(response,
                    new ExecFrame(stream == ExecStream.Stdout ? "stdout" : "stderr", Convert.ToBase64String(data.Span)), token), ct);
            last = new ExecFrame(ExitCode: exitCode);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            _logger.LogInformation("exec in instance {InstanceId} cancelled: the caller went away", instanceId);
            return;
        }
        catch (SandboxException e)
        {
            last = new ExecFrame(Error: e.Message);
        }
        await WriteFrameAsync(response, last, ct);
    }

    private bool Authorized(HttpRequest request)
    {
        string? header = request.Headers.Authorization;
        if (header is null || !header.StartsWith("Bearer ", StringComparison.Ordinal)) return false;
        var presented = Encoding.UTF8.GetBytes(header[7..].Trim());
        return CryptographicOperations.FixedTimeEquals(presented, Encoding.UTF8.GetBytes(Token));
    }

    internal static async ValueTask WriteFrameAsync(HttpResponse response, ExecFrame frame, CancellationToken ct)
    {
        var line = JsonSerializer.SerializeToUtf8Bytes(frame, Json);
        await response.Body.WriteAsync(line, ct);
        await response.Body.WriteAsync("\n"u8.ToArray(), ct);
        await response.Body.FlushAsync(ct);
    }

    private static async Task WriteErrorAsync(HttpResponse response, int status, string message)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        await response.WriteAsync(JsonSerializer.Serialize(new ExecFrame(Error: message), Json));
    }
}
