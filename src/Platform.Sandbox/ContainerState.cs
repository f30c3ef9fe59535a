using System.Text.Json;
using System.Text.Json.Serialization;
using Platform.Sandbox.Network;

namespace Platform.Sandbox;

/// <summary>What a container is doing, as recorded on disk.</summary>
public enum ContainerPhase { Creating, Running, Exited }

/// <summary>
/// A container as recorded in its directory (state.json), so that a restarted process can list, inspect and
/// destroy what an earlier one created.
/// </summary>
public sealed record ContainerInfo
{
    public required string Id { get; init; }
    public required string Runtime { get; init; }
    public required string CgroupsPath { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public ContainerPhase Phase { get; init; }
    /// <summary>Host PID of the container's first process, once started.</summary>
    public int? Pid { get; init; }
    /// <summary>The PID's start time (clock ticks since boot) to tell it from a later process with the same PID.</summary>
    public ulong? PidStartTime { get; init; }
    /// <summary>Host PID of the container's monitor (conmon), which holds its stdio and records its exit.</summary>
    public int? MonitorPid { get; init; }
    public ulong? MonitorStartTime { get; init; }
    /// <summary>What the container's creator recorded with it (<see cref="ContainerSpec.Annotations"/>).</summary>
    public Dictionary<string, string>? Annotations { get; init; }
    public ContainerNetwork? Network { get; init; }
    /// <summary>Its rootfs receives mounts made beneath it on the host (<see cref="ContainerSpec.AcceptsLayersWhileRunning"/>).</summary>
    public bool AcceptsLayers { get; init; }
    public ContainerExit? Exit { get; init; }

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    internal static ContainerInfo? TryRead(ContainerPaths paths)
    {
        try { return JsonSerializer.Deserialize<ContainerInfo>(File.ReadAllText(paths.State), Json); }
        catch (IOException) { return null; }
        catch (JsonException) { return null; } // a crash while writing: treat as unknown, destroy still works by id
    }

    /// <summary>Writes state.json atomically (temp file + rename); does nothing once the directory is gone.</summary>
    internal void TryWrite(ContainerPaths paths)
    {
        try
        {
            // A temp name of its own per write: two writers must never move each other's file.
            var temp = $"{paths.State}.{Guid.NewGuid():N}.tmp";
            File.WriteAllText(temp, JsonSerializer.Serialize(this, Json));
            File.Move(temp, paths.State, overwrite: true);
        }
        catch (DirectoryNotFoundException) { } // destroyed meanwhile
    }
}
