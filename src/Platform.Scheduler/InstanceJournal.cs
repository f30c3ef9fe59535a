using Microsoft.EntityFrameworkCore;
using Platform.Data;
using Platform.Data.Entities;

namespace Platform.Scheduler;

/// <summary>
/// Records what happens to instances where users see it: crashes become an "app.crash" event (plat events)
/// and a [CELL/n] ERR log line (plat logs --recent); placement trouble an event and a log line too.
/// </summary>
public sealed class InstanceJournal(CrashPolicy crashes)
{
    public const string Actor = "system";

    /// <summary>Marks <paramref name="instance"/> CRASHED (keeping the crash count that still counts) and tells the user.</summary>
    public void RecordCrash(PlatformDbContext db, InstanceEntity instance, string description, int? exitCode, DateTimeOffset at)
    {
        instance.CrashCount = crashes.CrashesBefore(instance, at);
        instance.State = InstanceStates.Crashed;
        instance.Reason = description;
        instance.ExitCode = exitCode;
        instance.UpdatedAt = at;
        AddEvent(db, instance.AppId, instance.SpaceId, "app.crash", $"instance {instance.Index} crashed: {description}", at);
        AddLogLine(db, instance.AppId, instance.Index, "ERR", $"Instance {instance.Index} crashed: {description}", at);
    }

    /// <summary>
    /// A crash of an instance a deployment in progress started (its generation) counts against that deployment: too many
    /// and it fails (Converger). Runs in the caller's transaction.
    /// </summary>
    public static Task CountDeploymentCrashAsync(PlatformDbContext db, InstanceEntity instance, CancellationToken ct) =>
        db.Deployments.Where(d => d.AppId == instance.AppId && d.State == DeploymentStates.Deploying && d.Generation == instance.Generation)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.Crashes, d => d.Crashes + 1), ct);

    public void AddEvent(PlatformDbContext db, Guid appId, Guid spaceId, string type, string description, DateTimeOffset at) =>
        db.AddEvent(EventSubject.App(appId, spaceId), type, Actor, description, at);

    public void AddLogLine(PlatformDbContext db, Guid appId, int index, string stream, string text, DateTimeOffset at) =>
        db.LogLines.Add(new LogLineEntity
        {
            AppId = appId,
            Timestamp = at,
            Source = "CELL",
            SourceIndex = index,
            Stream = stream,
            Text = text,
        });
}
