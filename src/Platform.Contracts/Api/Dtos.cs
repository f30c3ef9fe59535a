namespace Platform.Contracts.Api;

// The REST API's bodies (/v1), shared by the API and the CLI so the two cannot drift.
// JSON is camelCase. Errors are RFC 9457 problem details (application/problem+json).

public sealed record TokenRequest(string Username, string Password);
public sealed record TokenResponse(string AccessToken, string TokenType, string Username);

/// <summary>Body of POST /v1/apps (create) and PATCH /v1/apps/{name} (update: null fields stay as they are).</summary>
public sealed record AppRequest(
    string? Name = null,
    int? Instances = null,
    string? Memory = null,
    string? Disk = null,
    string? Buildpack = null,
    string? Command = null,
    Dictionary<string, string>? Env = null,
    List<Platform.Contracts.VolumeMount>? Volumes = null,
    string? HealthCheckType = null,
    string? HealthCheckEndpoint = null,
    int? HealthCheckTimeout = null);

/// <summary>Body of POST /v1/apps/{name}/scale.</summary>
public sealed record ScaleRequest(int? Instances = null, string? Memory = null, string? Disk = null);

/// <param name="PackageFingerprint">The <see cref="PackageResources.Fingerprint"/> of the package the app's current
/// droplet was staged from (null without one): a push of the same files has nothing to upload or stage.</param>
public sealed record AppResponse(
    Guid Id,
    string Name,
    string State,
    int Instances,
    int MemoryMb,
    int DiskMb,
    string? Buildpack,
    string? Command,
    IReadOnlyList<string> Routes,
    int RunningInstances,
    Guid? DropletId,
    string? DetectedBuildpack,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? LastUploadedAt = null,
    IReadOnlyList<Platform.Contracts.VolumeMount>? Volumes = null,
    Platform.Contracts.HealthCheck? HealthCheck = null,
    string? PackageFingerprint = null);

public sealed record InstanceResponse(
    Guid Id,
    int Index,
    string State,
    string? CellId,
    string? Address,
    string? Reason,
    DateTimeOffset Since,
    double? CpuPercent = null,
    long? MemoryBytes = null,
    long? MemoryLimitBytes = null,
    long? DiskBytes = null,
    long? DiskLimitBytes = null,
    DateTimeOffset? StartedAt = null,
    long? UptimeSeconds = null,
    DateTimeOffset? MetricsAt = null,
    int? Revision = null,
    bool Outdated = false);

/// <summary>
/// An app with its instances and its latest deployment (null before the first); <see cref="StartCommand"/>,
/// <see cref="DropletDigest"/> (sha256 over its layer digests) and <see cref="Stack"/> are its current droplet's (null before staging).
/// </summary>
public sealed record AppDetailResponse(
    AppResponse App, IReadOnlyList<InstanceResponse> InstanceDetails, DeploymentResponse? Deployment = null,
    string? StartCommand = null, string? DropletDigest = null, string? Stack = null);

/// <summary>
/// Body of POST /v1/spaces/{space}/apps/{name}/deployments: roll out the app's newest revision (or <see cref="Revision"/>,
/// a rollback), "rolling" (default) or "recreate", at most <see cref="MaxInFlight"/> instances at a time (default 1).
/// </summary>
public sealed record DeploymentRequest(string? Strategy = null, int? MaxInFlight = null, int? Revision = null);

/// <summary>State is DEPLOYING, DEPLOYED, CANCELED or FAILED (then <see cref="Reason"/> says why).</summary>
public sealed record DeploymentResponse(
    Guid Id, string State, string Strategy, int MaxInFlight, int Revision, int? PreviousRevision, string? Reason,
    string Actor, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>
/// A revision of an app (plat revisions): what made it, and whether it is what runs (<see cref="Deployed"/>), the
/// newest, and still has its droplet for a rollback.
/// </summary>
public sealed record RevisionResponse(int Version, string Description, Guid DropletId, bool Deployed, bool Newest, bool DropletKept, DateTimeOffset CreatedAt);

/// <param name="Reused">The upload gave the same package as the app's latest: no new package was made.</param>
/// <param name="UploadedFiles">Of a resource-matched upload, the files whose content was sent.</param>
/// <param name="MatchedFiles">Of a resource-matched upload, the files whose content the platform had already.</param>
public sealed record PackageResponse(Guid Id, Guid AppId, string Digest, long SizeBytes, DateTimeOffset CreatedAt,
    string? Fingerprint = null, bool Reused = false, int? UploadedFiles = null, int? MatchedFiles = null);

/// <summary>State is STAGING, STAGED or FAILED.</summary>
public sealed record BuildResponse(
    Guid Id,
    Guid AppId,
    Guid PackageId,
    string State,
    string? Error,
    string? Buildpack,
    Guid? DropletId,
    DateTimeOffset CreatedAt,
    DateTimeOffset? CompletedAt);

/// <summary>One stored log line; <see cref="Id"/> increases, so clients poll with ?after=Id.</summary>
public sealed record LogLineResponse(long Id, DateTimeOffset Timestamp, string Source, int SourceIndex, string Stream, string Text)
{
    /// <summary>The line as Cloud Foundry prints it: <c>2026-01-02T03:04:05.67+0000 [APP/PROC/WEB/0] OUT hello</c>.</summary>
    public string Render() =>
        $"{Timestamp.UtcDateTime:yyyy-MM-ddTHH:mm:ss.ff}+0000 [{Source}/{SourceIndex}] {Stream} {Text}";
}

public sealed record EventResponse(Guid Id, Guid? AppId, string Type, string Actor, string Description, DateTimeOffset Timestamp, Guid? SpaceId = null, Guid? OrgId = null);

/// <summary>
/// Body of POST /v1/apps/{name}/exec: run <see cref="Command"/> (argv, no shell) in instance <see cref="Index"/>.
/// <see cref="Stdin"/>, base64, is the command's standard input (at most <see cref="MaxStdinBytes"/> bytes, then end
/// of file); without it the command's stdin is empty. The answer is application/x-ndjson, one
/// <see cref="ExecFrame"/> per line, streamed as the command runs.
/// </summary>
public sealed record ExecRequest(IReadOnlyList<string>? Command = null, int Index = 0, string? Stdin = null)
{
    public const int MaxArguments = 256;
    public const int MaxCommandBytes = 64 * 1024;
    public const int MaxStdinBytes = 1024 * 1024;

    /// <summary>
    /// Null when the command and index are acceptable, else why not. The API checks it before proxying to a cell,
    /// and the cell again, since its listener can be called directly.
    /// </summary>
    public string? CommandProblem()
    {
        if (Command is not { Count: > 0 } command || string.IsNullOrEmpty(command[0]))
            return "command must be a non-empty list of arguments, e.g. [\"ls\", \"-l\"]";
        if (command.Count > MaxArguments) return $"command may have at most {MaxArguments} arguments";
        if (command.Any(a => a is null || a.Contains('\0'))) return "command arguments may not be null or contain NUL";
        if (command.Sum(a => System.Text.Encoding.UTF8.GetByteCount(a)) > MaxCommandBytes)
            return $"command may be at most {MaxCommandBytes} bytes";
        if (Index < 0) return $"index must be 0 or more, not {Index}";
        return null;
    }

    /// <summary>The stdin bytes, or an error when <see cref="Stdin"/> is not base64 or is too long.</summary>
    public (byte[] Bytes, string? Error) DecodeStdin()
    {
        if (Stdin is null) return ([], null);
        // Checked on the encoded length first: a huge body is refused before it is decoded.
        if (Stdin.Length > (MaxStdinBytes + 2) / 3 * 4)
            return ([], $"stdin may be at most {MaxStdinBytes} bytes (1 MiB)");
        try
        {
            var bytes = Convert.FromBase64String(Stdin);
            return bytes.Length > MaxStdinBytes ? ([], $"stdin may be at most {MaxStdinBytes} bytes (1 MiB)") : (bytes, null);
        }
        catch (FormatException)
        {
            return ([], "stdin must be base64");
        }
    }
}

/// <summary>
/// One line of an exec stream: output (<see cref="Stream"/> "stdout" or "stderr", <see cref="Data"/> base64 bytes),
/// then last the command's <see cref="ExitCode"/>, or an <see cref="Error"/> when it could not run or finish.
/// </summary>
public sealed record ExecFrame(string? Stream = null, string? Data = null, int? ExitCode = null, string? Error = null);

/// <summary>Body of POST /v1/users (admins only, plat create-user). Role is "user" (the default: rights through org and space roles) or "admin".</summary>
public sealed record UserRequest(string? Username = null, string? Password = null, string? Role = null);
public sealed record UserResponse(Guid Id, string Username, string Role, DateTimeOffset CreatedAt);

public sealed record InfoResponse(string Version, string AppsDomain, string RouterUrl, long MaxUploadBytes);

/// <summary>
/// GET /v1/spaces/{space}/apps/{name}/env (plat env): the user's variables, what the platform sets for every instance,
/// and whether running instances started with another env, command or volumes (they keep it until restarted).
/// </summary>
public sealed record AppEnvResponse(IReadOnlyDictionary<string, string> User, IReadOnlyDictionary<string, string> Platform, bool RestartRequired);

/// <summary>Body of PUT /v1/spaces/{space}/apps/{name}/env/{variable} (plat set-env).</summary>
public sealed record EnvValueRequest(string? Value = null);

/// <summary>
/// A domain routes can be made on (GET /v1/domains): shared (every org may use it; admins make them) or private to
/// <see cref="Org"/> (its managers make them). <see cref="Default"/> marks the platform's Api:AppsDomain.
/// </summary>
public sealed record DomainResponse(Guid Id, string Name, bool Shared, string? Org, bool Default, DateTimeOffset CreatedAt);

/// <summary>
/// A route of a space (GET /v1/spaces/{space}/routes): <see cref="Host"/> the host label ("" for the domain itself),
/// <see cref="Url"/> host.domain/path, <see cref="App"/> the app it is mapped to (null: unmapped).
/// </summary>
public sealed record RouteResponse(Guid Id, string Host, string Domain, string Path, string Url, string Protocol, string? App, DateTimeOffset CreatedAt);

/// <summary>
/// A route as plat map-route, unmap-route, create-route and delete-route name it: a domain, an optional host label and
/// path, and (map-route, create-route) the protocol routers speak to the app: http1 (default) or http2.
/// </summary>
public sealed record RouteRequest(string? Domain = null, string? Host = null, string? Path = null, string? Protocol = null);

/// <summary>
/// The answer to applying a manifest (POST /v1/spaces/{space}/manifest) or to asking what applying it would change
/// (POST .../manifest/diff): per app what changed, and warnings (unknown keys).
/// </summary>
public sealed record ManifestApplyResponse(IReadOnlyList<ManifestAppResult> Apps, IReadOnlyList<string> Warnings);

/// <param name="Changes">What changed, as plat prints it ("instances 1 -> 2", "env FOO set"; values of env never shown).</param>
/// <param name="RestartRequired">Whether running instances have another env, command, health check, volumes or size
/// than the app has now: they get it when restarted.</param>
public sealed record ManifestAppResult(string Name, bool Created, IReadOnlyList<string> Changes, bool RestartRequired);
