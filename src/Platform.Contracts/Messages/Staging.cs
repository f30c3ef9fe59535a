namespace Platform.Contracts.Messages;

/// <summary>Command to the <see cref="Queues.Stage"/> queue: stage one package into a droplet.</summary>
/// <param name="Buildpack">Name of the buildpack to use, or null to let each detect in order.</param>
/// <param name="Command">Start command given with -c; overrides the buildpack's default.</param>
public sealed record StageApp(
    Guid BuildId,
    Guid AppId,
    string AppName,
    string PackageDigest,
    string? Buildpack,
    string? Command,
    int MemoryMb,
    int DiskMb,
    Dictionary<string, string> Env);

/// <summary>One line of staging output, shown to the user as <c>[STG/0] OUT line</c>.</summary>
public sealed record StagingLog(Guid BuildId, Guid AppId, string Line, DateTimeOffset Timestamp);

/// <summary>Published by the stager when a build ends, either way. Handlers must be idempotent.</summary>
public sealed record StagingCompleted(
    Guid BuildId,
    Guid AppId,
    bool Succeeded,
    string? Error,
    string? Buildpack,
    DropletSpec? Droplet);
