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
    List<Platform.Contracts.VolumeMount>? Volumes = null);

/// <summary>Body of POST /v1/apps/{name}/scale.</summary>
public sealed record ScaleRequest(int? Instances = null, string? Memory = null, string? Disk = null);

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
    IReadOnlyList<Platform.Contracts.VolumeMount>? Volumes = null);

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
    DateTimeOffset? MetricsAt = null);

/// <summary>
/// An app with its instances; <see cref="StartCommand"/>, <see cref="DropletDigest"/> (sha256 over its layer digests)
/// and <see cref="Stack"/> are its current droplet's (null before staging).
/// </summary>
public sealed record AppDetailResponse(
    AppResponse App, IReadOnlyList<InstanceResponse> InstanceDetails, string? StartCommand = null, string? DropletDigest = null, string? Stack = null);

public sealed record PackageResponse(Guid Id, Guid AppId, string Digest, long SizeBytes, DateTimeOffset CreatedAt);

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
