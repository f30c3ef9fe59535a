using Platform.Contracts.Messages;
using Platform.Data.Entities;

namespace Platform.Scheduler.Tests;

/// <summary>Builds the rows the planner and the reconciler decide over.</summary>
internal static class Rows
{
    public static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    /// <summary>The version a row's cell last reported it at, unless a test says otherwise.</summary>
    public static readonly ReportVersion DefaultReported = new(1, 5);
    public static readonly Guid Droplet1 = Guid.Parse("00000000-0000-0000-0000-0000000000d1");
    public static readonly Guid Droplet2 = Guid.Parse("00000000-0000-0000-0000-0000000000d2");

    public static CellEntity Cell(string id, int memoryMb = 4096, int maxInstances = 50, TimeSpan? heartbeatAge = null, int diskMb = 0) => new()
    {
        Id = id,
        Host = id + ".local",
        MemoryCapacityMb = memoryMb,
        DiskCapacityMb = diskMb,
        MaxInstances = maxInstances,
        LastHeartbeat = Now - (heartbeatAge ?? TimeSpan.FromSeconds(1)),
    };

    public static AppEntity App(string name, int instances = 1, int memoryMb = 256, Guid? droplet = null, string state = AppStates.Started) => new()
    {
        Id = Guid.NewGuid(),
        Name = name,
        State = state,
        Instances = instances,
        MemoryMb = memoryMb,
        DiskMb = 512,
        CurrentDropletId = droplet ?? Droplet1,
        CreatedAt = Now,
        UpdatedAt = Now,
    };

    public static InstanceEntity Instance(AppEntity app, int index, string cellId, string state = InstanceStates.Running,
        Guid? droplet = null, int crashCount = 0, TimeSpan? age = null, ReportVersion? reported = null, bool unreported = false) => new()
    {
        Reported = unreported ? null : reported ?? DefaultReported,
        Id = Guid.NewGuid(),
        AppId = app.Id,
        Index = index,
        CellId = cellId,
        DropletId = droplet ?? app.CurrentDropletId ?? Droplet1,
        MemoryMb = app.MemoryMb,
        DiskMb = app.DiskMb,
        State = state,
        CrashCount = crashCount,
        CreatedAt = Now - (age ?? TimeSpan.FromMinutes(1)),
        UpdatedAt = Now - (age ?? TimeSpan.FromMinutes(1)),
    };
}
