using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Platform.Api.Endpoints;
using Platform.Contracts.Messages;
using Platform.Data;
using Platform.Data.Entities;

namespace Platform.Api.Consumers;

/// <summary>
/// Ends a build: STAGED with a new droplet that becomes the app's current one (the scheduler then rolls
/// the app's instances onto it if the app is STARTED), or FAILED with the stager's error.
/// Idempotent: only a build still STAGING is changed, and that check is a conditional UPDATE in the same
/// transaction as the droplet insert, so two deliveries (even concurrent ones) make one droplet.
/// </summary>
public sealed class StagingCompletedConsumer(PlatformDbContext db, TimeProvider time, ILogger<StagingCompletedConsumer> logger)
    : IConsumer<StagingCompleted>
{
    public const string Actor = "stager";

    public async Task Consume(ConsumeContext<StagingCompleted> context)
    {
        var m = context.Message;
        var ct = context.CancellationToken;
        var now = time.GetUtcNow();
        var succeeded = m.Succeeded && m.Droplet is not null;
        var error = succeeded ? null
            : m.Error ?? (m.Succeeded ? "the stager reported success without a droplet" : "staging failed");

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var claimed = await db.Builds
            .Where(b => b.Id == m.BuildId && b.State == BuildStates.Staging)
            .ExecuteUpdateAsync(s => s
                .SetProperty(b => b.State, succeeded ? BuildStates.Staged : BuildStates.Failed)
                .SetProperty(b => b.Error, error)
                .SetProperty(b => b.Buildpack, m.Buildpack)
                .SetProperty(b => b.CompletedAt, now), ct);
        if (claimed == 0)
        {
            logger.LogDebug("Build {BuildId} is unknown or already completed; ignoring StagingCompleted", m.BuildId);
            return;
        }

        var app = await db.Apps.FirstOrDefaultAsync(a => a.Id == m.AppId, ct);
        if (succeeded)
        {
            var droplet = new DropletEntity
            {
                Id = Guid.NewGuid(),
                AppId = m.AppId,
                BuildId = m.BuildId,
                Layers = m.Droplet!.Layers.ToList(),
                StartCommand = m.Droplet.StartCommand,
                Buildpack = m.Buildpack,
                CreatedAt = now,
            };
            db.Droplets.Add(droplet);
            await db.SaveChangesAsync(ct);
            await db.Builds.Where(b => b.Id == m.BuildId)
                .ExecuteUpdateAsync(s => s.SetProperty(b => b.DropletId, droplet.Id), ct);
            if (app is not null)
            {
                app.CurrentDropletId = droplet.Id;
                app.UpdatedAt = now;
                // The new droplet is the app's newest revision; a deployment (plat push, restart) rolls it out.
                await Deployments.Revisions.SnapshotAsync(db, app, $"staged with {m.Buildpack ?? "unknown buildpack"}", now, ct);
            }
            if (app is not null)
                db.AddEvent(EventSubject.App(app), "app.stage", Actor, $"staged with {m.Buildpack ?? "unknown buildpack"}: droplet {droplet.Id}", now);
        }
        else if (app is not null)
        {
            db.AddEvent(EventSubject.App(app), "app.stage.failed", Actor, error!, now);
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }
}
