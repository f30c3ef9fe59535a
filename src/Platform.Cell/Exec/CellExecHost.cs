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
using Platform.Contracts.Exec;
using Platform.Contracts.Messages;
using Platform.Hosting;
using Platform.Sandbox;
using Platform.Sandbox.Exec;

namespace Platform.Cell.Exec;

/// <summary>
/// The cell's exec listener, as Diego's rep answers the BBS: a small HTTP endpoint of its own (<c>Cell:ExecUrl</c>,
/// loopback by default) that the API proxies `plat exec` to. The API first asks <c>POST /v1/nonce</c> for a nonce
/// (outstanding for Cell:ExecGrantSeconds by this cell's clock), then sends <c>POST /v1/instances/{id}/exec</c> with
/// <c>Authorization: ExecGrant &lt;grant&gt;</c> (see <see cref="ExecGrant"/>) and <c>{"command": [...]}</c>. The
/// grant must be signed with Cell:ExecGrantKey, name an outstanding nonce (used up by this request, whatever comes of
/// it), this instance and this command; only then does the command run in the instance's container, its
/// <see cref="ExecFrame"/>s streamed as NDJSON: output chunks as they come, then the exit code.
/// </summary>
public sealed class CellExecHost(
    InstanceManager instances,
    ISandbox sandbox,
    ExecNonces nonces,
    ILoggerFactory loggerFactory,
    IOptions<CellOptions> options) : InnerWebApplication(loggerFactory)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly ILogger _logger = loggerFactory.CreateLogger<CellExecHost>();
    private readonly CellOptions _options = options.Value;

    private readonly (ExecGrantKey? Key, string? Error) _grantKey = ExecGrantKey.Parse(options.Value.ExecGrantKey, "Cell:ExecGrantKey");

    /// <summary>Where the API reaches this listener, once started; null before (or when it failed to start).</summary>
    public string? AdvertisedUrl { get; private set; }

    protected override string ListenUrl => _options.ExecUrl;

    protected override void Configure(WebApplication app)
    {
        app.MapPost("/v1/nonce", NonceAsync);
        app.MapPost("/v1/instances/{instanceId:guid}/exec", ExecAsync);
    }

    protected override void OnStarted()
    {
        var bound = Urls.FirstOrDefault();
        AdvertisedUrl = _options.ExecAdvertiseUrl is { Length: > 0 } advertised ? advertised.TrimEnd('/') : Advertise(bound, _options.Host);
        _logger.LogInformation("Cell exec listener on {Bound}, advertised as {Url}", bound, AdvertisedUrl);
        if (_grantKey.Error is not null) _logger.LogWarning("Cell exec listener refuses every exec: {Problem}", _grantKey.Error);
    }

    /// <summary>A wildcard listen address is not reachable as such: the cell's Host stands in for it.</summary>
    internal static string? Advertise(string? bound, string host)
    {
        if (bound is null || !Uri.TryCreate(bound, UriKind.Absolute, out var uri)) return null;
        var wildcard = uri.Host is "0.0.0.0" or "[::]" or "::" or "+" or "*";
        return new UriBuilder(uri) { Host = wildcard ? host : uri.Host }.Uri.ToString().TrimEnd('/');
    }

    private async Task NonceAsync(HttpContext context)
    {
        if (_grantKey.Key is not { } key)
        {
            await WriteErrorAsync(context.Response, StatusCodes.Status503ServiceUnavailable, "this cell cannot exec: " + _grantKey.Error);
            return;
        }
        if (nonces.Issue() is not { } nonce)
        {
            await WriteErrorAsync(context.Response, StatusCodes.Status503ServiceUnavailable, "too many exec nonces outstanding; try again shortly");
            return;
        }
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(new ExecNonce(nonce, (int)nonces.Lifetime.TotalSeconds), Json));
    }

    private async Task ExecAsync(Guid instanceId, HttpContext context)
    {
        var response = context.Response;
        if (_grantKey.Key is not { } key)
        {
            await WriteErrorAsync(response, StatusCodes.Status503ServiceUnavailable, "this cell cannot exec: " + _grantKey.Error);
            return;
        }
        string? header = context.Request.Headers.Authorization;
        if (header is null || !header.StartsWith(ExecGrant.Scheme + " ", StringComparison.Ordinal))
        {
            await WriteErrorAsync(response, StatusCodes.Status401Unauthorized, $"an exec grant is required (Authorization: {ExecGrant.Scheme} ...)");
            return;
        }
        if (ExecGrant.Verify(header[(ExecGrant.Scheme.Length + 1)..].Trim(), key) is not { } grant)
        {
            await WriteErrorAsync(response, StatusCodes.Status401Unauthorized,
                "the exec grant's signature is not valid (is the API's Api:ExecGrantKey this cell's Cell:ExecGrantKey?)");
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
        if (GrantProblem(grant, instanceId, body.Command!) is { } refused)
        {
            _logger.LogWarning("exec in instance {InstanceId} for {User} refused: {Reason}", instanceId, grant.User, refused);
            await WriteErrorAsync(response, StatusCodes.Status403Forbidden, refused);
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
        _logger.LogInformation("exec in instance {InstanceId} for {User}: {Command}", instanceId, grant.User, command[0]);
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

    /// <summary>Why a validly signed grant does not allow this exec, or null. Its nonce is used up either way.</summary>
    private string? GrantProblem(ExecGrant grant, Guid instanceId, IReadOnlyList<string> command)
    {
        switch (nonces.Consume(grant.Nonce))
        {
            case ExecNonces.Outcome.Unknown:
                return "the exec grant's nonce is not outstanding on this cell (already used, or never issued here)";
            case ExecNonces.Outcome.Expired:
                return $"the exec grant's nonce has expired (good for {nonces.Lifetime.TotalSeconds:0} s)";
        }
        if (grant.InstanceId != instanceId) return $"the exec grant is for instance {grant.InstanceId}, not {instanceId}";
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(grant.CommandDigest), Encoding.ASCII.GetBytes(ExecGrant.DigestOf(command))))
            return "the exec grant is for another command";
        return null;
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
